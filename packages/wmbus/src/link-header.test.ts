import { describe, expect, it } from 'vitest';
import { readCorpus } from '../test/corpus.js';
import { hexToBytes } from './hex.js';
import { parseLinkHeader } from './link-header.js';

describe('parseLinkHeader', () => {
  const wireless = readCorpus().filter((c) => c.header.link.startsWith('wireless'));

  it('reads C, M and A of every wireless telegram in the corpus as the corpus states them', () => {
    expect(wireless.length).toBeGreaterThan(190);
    for (const c of wireless) {
      const header = parseLinkHeader(hexToBytes(c.telegram_hex));
      expect(
        {
          c: header.control.toString(16).toUpperCase().padStart(2, '0'),
          m: header.manufacturer,
          id: header.id,
          version: header.version,
          type: header.deviceType,
        },
        c.id,
      ).toEqual({
        c: c.header.c_field,
        m: c.header.manufacturer,
        id: c.header.dll_id,
        version: c.header.dll_version,
        type: c.header.dll_device_type,
      });
    }
  });

  it('refuses a frame shorter than its header', () => {
    expect(() => parseLinkHeader(hexToBytes('2E449315'))).toThrow(
      expect.objectContaining({ code: 'FRAME_TOO_SHORT' }),
    );
  });
});
