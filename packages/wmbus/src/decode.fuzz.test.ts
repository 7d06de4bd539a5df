import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readCorpus } from '../test/corpus.js';
import { decode } from './decode.js';
import { encode } from './encode.js';
import { hexToBytes } from './hex.js';
import { emptyDecoderState, type DecoderState } from './types.js';
import { isWmbusError } from './wmbus-error.js';

const frames = readCorpus().map((c) => ({
  bytes: hexToBytes(c.telegram_hex),
  key: c.key && c.key.length === 32 ? hexToBytes(c.key) : null,
}));

/** Decodes and returns the error code, or 'ok'; anything but a WmbusError fails the test. */
function attempt(bytes: Uint8Array, key: Uint8Array | null, state: DecoderState): string {
  try {
    decode(bytes, { key, state });
    return 'ok';
  } catch (err) {
    if (!isWmbusError(err)) throw err;
    return err.code;
  }
}

describe('decode under hostile input', () => {
  it('throws nothing but WmbusError for random bytes, with or without a key', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 0, maxLength: 300 }),
        fc.option(fc.uint8Array({ minLength: 16, maxLength: 16 })),
        (bytes, key) => {
          attempt(bytes, key, emptyDecoderState());
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('throws nothing but WmbusError for mutated and truncated corpus frames (all layers and drivers)', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: frames.length - 1 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
        fc.nat(),
        (index, flips, cut) => {
          const { bytes, key } = frames[index]!;
          const mutated = bytes.slice(0, bytes.length - (cut % 4 === 0 ? cut % bytes.length : 0));
          for (const [at, value] of flips)
            if (mutated.length > 0) mutated[at % mutated.length] = value;
          attempt(mutated, key, emptyDecoderState());
        },
      ),
      { numRuns: 5000 },
    );
  });

  it('keeps the per-meter state bounded however many formats one meter sends', () => {
    let state = emptyDecoderState();
    const meter = { manufacturer: 'KAM', id: '12345678', version: 0x1b, deviceType: 0x16 };
    for (let storage = 0; storage < 40; storage++) {
      // Each frame has a different record layout, hence a different format signature.
      const frame = encode({
        meter,
        ci: 0x78,
        accessNumber: storage,
        records: [{ quantity: 'volume', unit: 'm3', value: 1, coding: 'int32', storage }],
        security: { mode: 0 },
      });
      state = decode(frame, { state }).state;
    }
    expect(Object.keys(state.formats['KAM.12345678'] ?? {})).toHaveLength(8);
  });
});
