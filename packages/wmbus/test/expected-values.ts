import type { Unit } from '../src/types.js';
import type { CorpusCase } from './corpus.js';

/** A value the corpus expects: a number in the unit of its field-name suffix, or a date string. */
export type Expected =
  | { field: string; kind: 'number'; value: number; suffix: string }
  | { field: string; kind: 'date'; value: string };

/** A value the decoder produced, from a record or from a driver. */
export interface Decoded {
  value: number | string | boolean | null;
  unit: Unit;
}

const METADATA = new Set(['_', 'id', 'name', 'meter', 'media', 'timestamp']);
const DATE = /^\d{4}-\d{2}-\d{2}( \d{2}:\d{2}(:\d{2})?)?$/;

/** The numbers and dates of `expected` that the corpus README says to compare. */
export function expectedValues(c: CorpusCase): Expected[] {
  return expectedFields(c.expected);
}

/** The same, of a case's `expected` object alone. */
export function expectedFields(expected: Record<string, unknown>): Expected[] {
  const out: Expected[] = [];
  for (const [field, value] of Object.entries(expected)) {
    if (METADATA.has(field)) continue;
    if (typeof value === 'number') {
      out.push({ field, kind: 'number', value, suffix: /_([a-z0-9]+)$/.exec(field)?.[1] ?? '' });
    } else if (typeof value === 'string' && DATE.test(value)) {
      out.push({ field, kind: 'date', value });
    }
  }
  return out;
}

/**
 * Factors that turn a decoded unit into the unit of an expected field's suffix
 * (corpus README, "How a test uses a case", point 3).
 */
const CONVERSIONS: Record<string, Partial<Record<Unit, number>>> = {
  kwh: { Wh: 1e-3, J: 1 / 3.6e6 },
  mwh: { Wh: 1e-6, J: 1 / 3.6e9 },
  gj: { J: 1e-9, Wh: 3.6e-6 },
  mj: { J: 1e-6, Wh: 3.6e-3 },
  m3: { m3: 1 },
  l: { m3: 1e3 },
  m3h: { 'm3/h': 1, 'm3/min': 60, 'm3/s': 3600 },
  lh: { 'm3/h': 1e3, 'm3/min': 6e4, 'm3/s': 3.6e6 },
  c: { '°C': 1, K: 1 },
  k: { K: 1, '°C': 1 },
  kw: { W: 1e-3, 'J/h': 1 / 3.6e6 },
  w: { W: 1, 'J/h': 1 / 3600 },
  h: { h: 1, s: 1 / 3600, min: 1 / 60, d: 24 },
  min: { min: 1, s: 1 / 60, h: 60, d: 1440 },
  s: { s: 1, min: 60, h: 3600, d: 86400 },
  d: { d: 1, h: 1 / 24, s: 1 / 86400, min: 1 / 1440, year: 365 },
  y: { year: 1, d: 1 / 365, h: 1 / 8760, month: 1 / 12 },
  hca: { HCA: 1, '': 1 },
  v: { V: 1 },
  a: { A: 1 },
  bar: { bar: 1 },
  rh: { '%RH': 1, '%': 1 },
  pct: { '%': 1, '%RH': 1 },
  m3c: { 'm3·°C': 1 },
  counter: { '': 1 },
  factor: { '': 1 },
};

/** The factor that turns a value in `unit` into the unit of the field suffix `suffix`, if any. */
export function unitFactor(suffix: string, unit: Unit): number | undefined {
  return CONVERSIONS[suffix]?.[unit];
}

/** wmbusmeters prints at most six decimals: relative 1e-6 or absolute 5e-7. */
export function close(a: number, b: number): boolean {
  return Math.abs(a - b) <= Math.max(5e-7, 1e-6 * Math.abs(b));
}

export function isMatched(expected: Expected, decoded: readonly Decoded[]): boolean {
  if (expected.kind === 'date') {
    return decoded.some(
      (d) =>
        typeof d.value === 'string' &&
        (d.value === expected.value ||
          // wmbusmeters prints date-times to the minute; we may carry the seconds.
          (d.value.length === expected.value.length + 3 &&
            d.value.startsWith(expected.value + ':'))),
    );
  }
  const factors = CONVERSIONS[expected.suffix] ?? { '': 1 };
  return decoded.some((d) => {
    if (typeof d.value !== 'number') return false;
    const factor = factors[d.unit];
    return factor !== undefined && close(d.value * factor, expected.value);
  });
}
