import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readCorpus } from '../../test/corpus.js';
import { hexToBytes } from '../hex.js';
import { isWmbusError } from '../wmbus-error.js';
import { corpusPayload } from './corpus-check.js';
import { expandCompactFrame, parseCompactRecords, parseRecords, recordFormat } from './records.js';

/** Runs `decode`; anything thrown must be a WmbusError. Returns whether it threw. */
function onlyWmbusErrors(decode: () => unknown): boolean {
  try {
    decode();
    return false;
  } catch (err) {
    if (!isWmbusError(err)) throw err;
    return true;
  }
}

/** Output is bounded by the input: no record without bytes of its own. */
function checkBounded(payload: Uint8Array): void {
  const started = performance.now();
  onlyWmbusErrors(() => {
    const { records, manufacturerData } = parseRecords(payload);
    const bytes = records.reduce((n, r) => n + r.raw.length, 0) + (manufacturerData?.length ?? 0);
    expect(bytes).toBeLessThanOrEqual(payload.length);
  });
  onlyWmbusErrors(() => {
    // Stopping at a truncated record leaves only INVALID_RECORD to throw.
    try {
      expect(parseRecords(payload, { truncated: 'stop' }).records.length).toBeLessThanOrEqual(
        payload.length,
      );
    } catch (err) {
      expect(err).toMatchObject({ code: 'INVALID_RECORD' });
      throw err;
    }
  });
  expect(performance.now() - started).toBeLessThan(250);
}

const corpusPayloads = readCorpus()
  .map((c) => corpusPayload(hexToBytes(c.telegram_hex)))
  .filter((p) => p !== null && p.ci !== 0x79)
  .map((p) => Uint8Array.from(p!.payload));

/** A corpus payload with a few bytes changed, dropped, inserted or cut off. */
const mutated = fc
  .tuple(
    fc.constantFrom(...corpusPayloads),
    fc.array(
      fc.tuple(
        fc.constantFrom('set', 'delete', 'insert', 'cut'),
        fc.nat(),
        fc.integer({ min: 0, max: 255 }),
      ),
      { minLength: 1, maxLength: 6 },
    ),
  )
  .map(([payload, edits]) => {
    const bytes = Array.from(payload);
    for (const [edit, at, value] of edits) {
      const i = bytes.length === 0 ? 0 : at % bytes.length;
      if (edit === 'set') bytes[i] = value;
      else if (edit === 'delete') bytes.splice(i, 1);
      else if (edit === 'insert') bytes.splice(i, 0, value);
      else bytes.length = i;
    }
    return Uint8Array.from(bytes);
  });

/** Bytes drawn mostly from the values that steer the decoder (DIF/VIF markers, LVARs). */
const interestingBytes = fc
  .uint8Array({ maxLength: 300 })
  .chain((noise) =>
    fc
      .array(
        fc.oneof(
          fc.constantFrom(0x0d, 0x0f, 0x1f, 0x2f, 0x7f, 0x80, 0x8f, 0xfb, 0xfc, 0xfd, 0xff),
          fc.constantFrom(0x7c, 0x7e, 0xbf, 0xc9, 0xd9, 0xef, 0xf4, 0xf5, 0xf6, 0xf7),
          fc.integer({ min: 0, max: 255 }),
        ),
        { maxLength: 300 },
      )
      .map((steer) => Uint8Array.from([...steer, ...noise].slice(0, 300))),
  );

describe('parseRecords under hostile input', () => {
  it('throws nothing but WmbusError for random bytes, and stays bounded', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), checkBounded), { numRuns: 3000 });
  });

  it('throws nothing but WmbusError for bytes rich in markers and LVARs', () => {
    fc.assert(fc.property(interestingBytes, checkBounded), { numRuns: 3000 });
  });

  it('throws nothing but WmbusError for mutated corpus payloads', () => {
    fc.assert(fc.property(mutated, checkBounded), { numRuns: 3000 });
  });

  it('handles long chains of extension bits without running away', () => {
    checkBounded(new Uint8Array(100_000).fill(0xff));
    checkBounded(new Uint8Array(100_000).fill(0x8f));
    checkBounded(new Uint8Array(100_000).fill(0x2f));
    checkBounded(Uint8Array.from({ length: 100_000 }, (_, i) => (i % 2 ? 0xfd : 0x84)));
  });
});

describe('compact frames under hostile input', () => {
  it('throws nothing but WmbusError from recordFormat, parseCompactRecords and expandCompactFrame', () => {
    fc.assert(
      fc.property(
        fc.oneof(mutated, interestingBytes),
        fc.uint8Array({ maxLength: 200 }),
        (a, b) => {
          onlyWmbusErrors(() => recordFormat(a));
          onlyWmbusErrors(() => parseCompactRecords(a, b));
          onlyWmbusErrors(() => expandCompactFrame(a, b));
        },
      ),
      { numRuns: 2000 },
    );
  });
});
