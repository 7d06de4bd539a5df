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

/** The cases of a family (`evo868` finds evo868-001, evo868-001-reenc, …). */
export function familyCases(family: string): CorpusCase[] {
  return ALL.filter((c) => new RegExp(`^${family}-\\d{3}(-reenc)?$`).test(c.id));
}

/** Decodes a corpus case as test/corpus.test.ts does: preceding telegrams first, then the case. */
export function decodeCase(c: CorpusCase): DecodedTelegram {
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

/** Asserts values by our names: numbers to 9 decimals, the rest exactly; units when given. */
export function expectValues(
  values: Record<string, NamedValue>,
  want: Record<string, readonly [NamedValue['value'], NamedValue['unit']?]>,
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

/** Unit factors from our units to the corpus field suffixes these drivers produce. */
const FACTOR: Record<string, number> = { m3: 1, kwh: 1e-3, hca: 1, c: 1 };

/**
 * Each corpus field listed in `names` (corpus name → our name) has the expected value under
 * our name: dates exactly, numbers converted by the field's unit suffix.
 */
export function expectCorpusFields(
  c: CorpusCase,
  values: Record<string, NamedValue>,
  names: Record<string, string>,
): number {
  let checked = 0;
  for (const [field, ours] of Object.entries(names)) {
    if (!(field in c.expected)) continue;
    const want = c.expected[field];
    const got = values[ours];
    expect(got, `${c.id}: ${field} as ${ours}`).toBeDefined();
    if (typeof want === 'number') {
      const suffix = /_([a-z0-9]+)$/.exec(field)?.[1] ?? '';
      const factor = FACTOR[suffix] ?? 1;
      expect(typeof got!.value, `${c.id}: ${ours}`).toBe('number');
      expect((got!.value as number) * factor, `${c.id}: ${ours}`).toBeCloseTo(want, 6);
    } else {
      expect(got!.value, `${c.id}: ${ours}`).toEqual(want);
    }
    checked++;
  }
  return checked;
}

/** Any records and manufacturer data after a valid prefix: the driver's decode never throws. */
export function assertNeverThrows(
  driver: Driver,
  meter: MeterAddress,
  ci: number,
  prefix: Uint8Array = new Uint8Array(0),
  manufacturerPrefix: Uint8Array = new Uint8Array(0),
): void {
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 120 }),
      fc.option(fc.uint8Array({ maxLength: 60 })),
      (tail, data) => {
        const payload = new Uint8Array([...prefix, ...tail]);
        let parsed: ReturnType<typeof parseRecords>;
        try {
          parsed = parseRecords(payload, { truncated: 'stop' });
        } catch (err) {
          if (!isWmbusError(err)) throw err;
          return;
        }
        const frame = { meter, link: meter, payloadCi: ci, payload, status: null };
        driver.decode({
          frame: frame as unknown as OpenedFrame,
          records: parsed.records,
          manufacturerData: data ? new Uint8Array([...manufacturerPrefix, ...data]) : null,
          key: null,
        });
      },
    ),
    { numRuns: 1000 },
  );
}
