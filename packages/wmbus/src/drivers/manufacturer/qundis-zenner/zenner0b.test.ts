import { describe, expect, it } from 'vitest';
import { zenner0b } from './zenner0b.js';
import {
  assertNeverThrows,
  decodeCase,
  expectValues,
} from '../../../../test/driver-test-support.js';

describe('zenner-0b', () => {
  it('reads total and due-date volumes from the manufacturer data', () => {
    for (const id of ['zenner0b-001', 'zenner0b-002', 'zenner0b-001-reenc']) {
      const t = decodeCase(id);
      expect(t.driver, id).toBe('zenner-0b');
      expectValues(t.values, { totalVolume: [17.062, 'm3'], targetVolume: [7.1035, 'm3'] });
    }
    expectValues(decodeCase('zenner0b-001').values, { statusWord: [0] });
    expectValues(decodeCase('zenner0b-002').values, { statusWord: [0x1bbf80] });
  });

  it('never throws on any manufacturer data', () => {
    assertNeverThrows(
      zenner0b,
      { manufacturer: 'ZRI', id: '1', version: 0x0b, deviceType: 0x16 },
      0x7a,
    );
  });
});
