/**
 * What the driver tests share: corpus cases by id, family or driver, decoding them as the
 * corpus test does, asserting values by our names, comparing corpus fields (through the one
 * comparison in expected-values.ts), a record builder, and the property that a driver's
 * decode never throws.
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import { parseRecords } from '../src/application/records.js';
import { decode, type DecodedTelegram } from '../src/decode.js';
import {
  emptyDecoderState,
  type DataRecord,
  type DecoderState,
  type Driver,
  type MeterAddress,
  type NamedValue,
  type OpenedFrame,
} from '../src/types.js';
import { isWmbusError } from '../src/wmbus-error.js';
import { readCorpus, type CorpusCase } from './corpus.js';
import { unitFactor } from './expected-values.js';

const ALL: CorpusCase[] = [...readCorpus(), ...readCorpus('corpus-reencrypted.jsonl')];

export function corpusCase(id: string): CorpusCase {
  const c = ALL.find((x) => x.id === id);
  if (!c) throw new Error(`no corpus case ${id}`);
  return c;
}

/** The cases of a family (`evo868` finds evo868-001, evo868-001-reenc, …). */
export function familyCases(family: string): CorpusCase[] {
  return ALL.filter((c) => new RegExp(`^${family}-\\d{3}(-reenc)?$`).test(c.id));
}

/** The cases of corpus.jsonl that wmbusmeters decoded with one of `drivers` (its driver names). */
export function corpusCases(...drivers: string[]): CorpusCase[] {
  return readCorpus().filter((c) => drivers.includes((c as unknown as { driver: string }).driver));
}

/**
 * Decodes a corpus case (by id, or as given) as test/corpus.test.ts does: preceding telegrams
 * first, each one's state handed to the next; one that fails with a WmbusError is skipped.
 */
export function decodeCase(
  idOrCase: string | CorpusCase,
  state: DecoderState = emptyDecoderState(),
): DecodedTelegram {
  const c = typeof idOrCase === 'string' ? corpusCase(idOrCase) : idOrCase;
  const key = c.key && c.key.length === 32 ? c.key : null;
  let s = state;
  for (const hex of c.preceding_telegrams) {
    try {
      s = decode(hex, { key, state: s }).state;
    } catch (err) {
      if (!isWmbusError(err)) throw err;
    }
  }
  return decode(c.telegram_hex, { key, state: s }).telegram;
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

/**
 * Each corpus field listed in `names` (corpus name → our name) has the expected value under
 * our name: dates exactly, numbers to 6 decimals once converted to the field's unit suffix.
 * Returns how many fields it checked.
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
      const factor = unitFactor(suffix, got!.unit);
      expect(typeof got!.value, `${c.id}: ${ours}`).toBe('number');
      expect(factor, `${c.id}: ${ours} in ${got!.unit} as _${suffix}`).toBeDefined();
      expect((got!.value as number) * factor!, `${c.id}: ${ours}`).toBeCloseTo(want, 6);
    } else {
      expect(got!.value, `${c.id}: ${ours}`).toEqual(want);
    }
    checked++;
  }
  return checked;
}

/** A record as the application layer gives it: a current volume of 1 m³ unless told otherwise. */
export function dataRecord(partial: Partial<DataRecord>): DataRecord {
  return {
    quantity: 'volume',
    unit: 'm3',
    kind: 'number',
    value: 1,
    storage: 0,
    tariff: 0,
    subunit: 0,
    function: 'instantaneous',
    modifiers: [],
    raw: new Uint8Array(0),
    offset: 0,
    ...partial,
  };
}

/**
 * Any records after a valid `prefix`, and any manufacturer data (after `manufacturerPrefix`;
 * without data, what the records leave after DIF 0x0F): the driver's decode never throws.
 */
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
          manufacturerData: data
            ? new Uint8Array([...manufacturerPrefix, ...data])
            : parsed.manufacturerData,
          key: null,
        });
      },
    ),
    { numRuns: 1000 },
  );
}
