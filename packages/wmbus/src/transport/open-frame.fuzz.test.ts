import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readCorpus } from '../../test/corpus.js';
import { hexToBytes } from '../hex.js';
import { addCrcs } from '../link/frame-format.js';
import { isWmbusError } from '../wmbus-error.js';
import { openFrame, type OpenFrameOptions } from './open-frame.js';
import { sealFrame } from './seal-frame.js';

/**
 * openFrame must end in a result or a WmbusError for any bytes: no RangeError
 * or TypeError from reading past the end, no hang, nothing allocated beyond
 * the size of the input.
 */
function openOrWmbusError(frame: Uint8Array, options: OpenFrameOptions): void {
  try {
    const opened = openFrame(frame, options);
    expect(opened.payload).toBeInstanceOf(Uint8Array);
    expect(opened.payload.length).toBeLessThanOrEqual(frame.length);
    expect(opened.ciChain.length).toBeGreaterThan(0);
    expect(opened.ciChain.length).toBeLessThanOrEqual(3);
  } catch (err) {
    if (!isWmbusError(err)) throw err;
  }
}

const seeds = [...readCorpus(), ...readCorpus('corpus-reencrypted.jsonl')].map((c) => ({
  frame: hexToBytes(c.telegram_hex),
  key: c.key ? hexToBytes(c.key) : null,
}));
// Frames that reach the AFL, ELL decryption and mode 7, with their keys.
const OMS_KEY = hexToBytes('000102030405060708090A0B0C0D0E0F');
seeds.push(
  {
    frame: hexToBytes(
      '434493157856341233038C2075900F002C25B30A000021924D4F2FB66E017A75002007109058475F4BC91DF878B80A1B0F98B629024AAC727942BFC549233C0140829B93',
    ),
    key: OMS_KEY,
  },
  {
    frame: hexToBytes(
      '2A442D2C998734761B168D2091D37CAC21E1D68CDAFFCD3DC452BD802913FF7B1706CA9E355D6C2701CC24',
    ),
    key: hexToBytes('28F64A24988064A079AA2C807D6102AE'),
  },
  {
    frame: sealFrame({
      meter: { manufacturer: 'ELS', id: '12345678', version: 0x33, deviceType: 3 },
      link: { manufacturer: 'RAD', id: '11223344', version: 3, deviceType: 0x37 },
      ci: 0x72,
      accessNumber: 1,
      mode: 7,
      key: OMS_KEY,
      messageCounter: 7,
      ell: { communicationControl: 0x20 },
      payload: new Uint8Array(40).fill(0x01),
    }),
    key: OMS_KEY,
  },
);

const optionsArb = fc.record(
  {
    crc: fc.constantFrom('auto', 'present', 'stripped') as fc.Arbitrary<
      'auto' | 'present' | 'stripped'
    >,
    format: fc.constantFrom('auto', 'A', 'B') as fc.Arbitrary<'auto' | 'A' | 'B'>,
  },
  { requiredKeys: [] },
);

type Mutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'set'; at: number; value: number }
  | { kind: 'insert'; at: number; value: number }
  | { kind: 'delete'; at: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'fixLength' }
  | { kind: 'addCrcs' };

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({
    kind: fc.constant('flip' as const),
    at: fc.nat(),
    bit: fc.integer({ min: 0, max: 7 }),
  }),
  fc.record({
    kind: fc.constant('set' as const),
    at: fc.nat(),
    value: fc.integer({ min: 0, max: 255 }),
  }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    value: fc.integer({ min: 0, max: 255 }),
  }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.constant({ kind: 'fixLength' as const }),
  fc.constant({ kind: 'addCrcs' as const }),
);

function mutate(frame: Uint8Array, mutations: Mutation[]): Uint8Array {
  let bytes = Array.from(frame);
  for (const m of mutations) {
    const at = bytes.length === 0 ? 0 : 'at' in m ? m.at % bytes.length : 0;
    switch (m.kind) {
      case 'flip':
        if (bytes.length > 0) bytes[at] = bytes[at]! ^ (1 << m.bit);
        break;
      case 'set':
        if (bytes.length > 0) bytes[at] = m.value;
        break;
      case 'insert':
        bytes.splice(at, 0, m.value);
        break;
      case 'delete':
        bytes.splice(at, 1);
        break;
      case 'truncate':
        bytes = bytes.slice(0, at);
        break;
      case 'fixLength':
        // Make L agree again, so the walk gets past the link layer into the layers above.
        if (bytes.length > 0) bytes[0] = Math.min(255, bytes.length - 1);
        break;
      case 'addCrcs':
        try {
          bytes = Array.from(addCrcs(Uint8Array.from(bytes), 'A'));
        } catch (err) {
          if (!isWmbusError(err)) throw err;
        }
        break;
    }
  }
  return Uint8Array.from(bytes);
}

describe('openFrame on any input (fuzz)', () => {
  it('ends in a result or a WmbusError for random bytes', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 320 }),
        fc.option(fc.uint8Array({ minLength: 16, maxLength: 16 })),
        optionsArb,
        (frame, key, options) => openOrWmbusError(frame, { ...options, key }),
      ),
      { numRuns: 3000 },
    );
  });

  it('ends in a result or a WmbusError for random frames whose L fits, with any CI in front', () => {
    const ci = fc.constantFrom(
      0x72,
      0x73,
      0x78,
      0x79,
      0x7a,
      0x7b,
      0x8a,
      0x8b,
      0x8c,
      0x8d,
      0x8e,
      0x8f,
      0x90,
      0xa0,
      0xb7,
    );
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 9, maxLength: 9 }),
        fc.array(ci, { minLength: 1, maxLength: 3 }),
        fc.uint8Array({ maxLength: 230 }),
        fc.option(fc.uint8Array({ minLength: 16, maxLength: 16 })),
        (cma, cis, rest, key) => {
          const frame = Uint8Array.from([0, ...cma, ...cis, ...rest]);
          frame[0] = frame.length - 1;
          openOrWmbusError(frame, { key });
          openOrWmbusError(addCrcs(frame, 'A'), { key });
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('ends in a result or a WmbusError for mutated corpus frames, with and without their keys', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: seeds.length - 1 }),
        fc.array(mutationArb, { minLength: 1, maxLength: 4 }),
        fc.boolean(),
        optionsArb,
        (index, mutations, withKey, options) => {
          const seed = seeds[index]!;
          const frame = mutate(seed.frame, mutations);
          openOrWmbusError(frame, { ...options, key: withKey ? seed.key : null });
        },
      ),
      { numRuns: 4000 },
    );
  });

  it('refuses a huge input at once, without copying it', () => {
    const huge = new Uint8Array(4_000_000).fill(0x2f);
    huge[0] = 0x20;
    const started = performance.now();
    expect(() => openFrame(huge)).toThrow(expect.objectContaining({ code: 'LENGTH_MISMATCH' }));
    expect(performance.now() - started).toBeLessThan(100);
  });
});
