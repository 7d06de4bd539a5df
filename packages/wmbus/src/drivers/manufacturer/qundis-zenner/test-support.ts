/** Test helpers for this folder's drivers (imported by *.test.ts only). */
import fc from 'fast-check';
import { expect } from 'vitest';
import { readCorpus, type CorpusCase } from '../../../../test/corpus.js';
import { parseRecords } from '../../../application/records.js';
import { decode, type DecodedTelegram } from '../../../decode.js';
import {
  emptyDecoderState,
  type Driver,
  type MeterAddress,
  type NamedValue,
  type OpenedFrame,
} from '../../../types.js';
import { isWmbusError } from '../../../wmbus-error.js';

const ALL: CorpusCase[] = [...readCorpus(), ...readCorpus('corpus-reencrypted.jsonl')];

export function corpusCase(id: string): CorpusCase {
  const c = ALL.find((x) => x.id === id);
  if (!c) throw new Error(`no corpus case ${id}`);
  return c;
}

/** Decodes a corpus case the way test/corpus.test.ts does: preceding telegrams first. */
export function decodeCase(id: string): DecodedTelegram {
  const c = corpusCase(id);
  const key = c.key && c.key.length === 32 ? c.key : null;
  let state = emptyDecoderState();
  for (const hex of c.preceding_telegrams) {
    try {
      state = decode(hex, { key, state }).state;
    } catch (err) {
      if (!isWmbusError(err)) throw err;
    }
  }
  return decode(c.telegram_hex, { key, state }).telegram;
}

/** Asserts values by our names: numbers to 1e-9 relative, the rest exactly. */
export function expectValues(
  values: Record<string, NamedValue>,
  want: Record<string, [NamedValue['value'], NamedValue['unit']?]>,
): void {
  for (const [name, [value, unit]] of Object.entries(want)) {
    const got = values[name];
    expect(got, name).toBeDefined();
    if (typeof value === 'number' && typeof got!.value === 'number') {
      expect(got!.value, name).toBeCloseTo(value, 9);
    } else {
      expect(got!.value, name).toEqual(value);
    }
    if (unit !== undefined) expect(got!.unit, name).toBe(unit);
  }
}

/** Any records and manufacturer data: a matching driver's decode never throws. */
export function assertNeverThrows(
  driver: Driver,
  meter: MeterAddress,
  ci: number,
  prefix: Uint8Array = new Uint8Array(0),
): void {
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 120 }),
      fc.option(fc.uint8Array({ maxLength: 20 })),
      (tail, data) => {
        const payload = new Uint8Array(prefix.length + tail.length);
        payload.set(prefix);
        payload.set(tail, prefix.length);
        let records: ReturnType<typeof parseRecords>;
        try {
          records = parseRecords(payload, { truncated: 'stop' });
        } catch (err) {
          if (!isWmbusError(err)) throw err;
          return;
        }
        const frame = {
          meter,
          link: meter,
          payloadCi: ci,
          payload,
          status: null,
        } as unknown as OpenedFrame;
        driver.decode({
          frame,
          records: records.records,
          manufacturerData: data ?? records.manufacturerData,
          key: null,
        });
      },
    ),
    { numRuns: 1000 },
  );
}
