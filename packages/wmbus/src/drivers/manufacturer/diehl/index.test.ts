import { describe, expect, it } from 'vitest';
import { corpusCase as byId } from '../../../../test/driver-test-support.js';
import { decode } from '../../../decode.js';

describe('security modes a manufacturer uses for itself', () => {
  it('reads Diehl Hydrus frames whose configuration reads as mode 24 or 29 as plain records', () => {
    const { telegram } = decode(byId('hydrus-004').telegram_hex);
    expect(telegram.driver).toBe('diehl-hydrus');
    expect(telegram.security).toMatchObject({ mode: 29, verified: false });
    expect(telegram.values.totalVolume?.unit).toBe('m3');
  });

  it('refuses modes no driver reads instead of decoding garbage', () => {
    for (const id of ['rfmtx1-001', 'sharky-001']) {
      expect(() => decode(byId(id).telegram_hex), id).toThrow(
        expect.objectContaining({ code: 'UNSUPPORTED_SECURITY_MODE' }),
      );
    }
  });
});
