import type { Unit } from '../types.js';
import { invalidRecord, truncated } from './record-errors.js';
import { hexOf, reversedLatin1 } from './text.js';
import {
  COMBINABLE_EXTENSION_VIFES,
  COMBINABLE_VIFES,
  FB_VIFS,
  FD_EXTENSION_VIFS,
  FD_VIFS,
  PRIMARY_VIFS,
  type Reading,
  type VifEntry,
} from './vif-tables.js';

/** EN 13757-3 allows at most 10 VIFEs per record. */
export const MAX_VIFES = 10;

const VIF_SECOND_TABLE = 0x7b;
const VIF_PLAIN_TEXT = 0x7c;
const VIF_FIRST_TABLE = 0x7d;
const VIF_MANUFACTURER = 0x7f;
const VIFE_COMBINABLE_EXTENSION = 0x7c;
const VIFE_MANUFACTURER = 0x7f;

/** The meaning of a record's VIF and VIFEs: what the data is and how to scale it. */
export interface ValueInformation {
  /** The table entry of the VIF (for the extension tables: of the VIFE that selects it). */
  entry: VifEntry;
  quantity: string;
  /** The entry's unit, or the duration/count unit a combinable VIFE turned the data into. */
  unit: Unit;
  /** Power of ten applied to the raw value, after multiplicative corrections. */
  exponent: number;
  factor: number;
  offset: number;
  reading: Reading;
  modifiers: string[];
  /** Plain-text VIF: its text; manufacturer-specific VIF(E)s: their bytes in hex; reserved codes: the VIF's bytes. */
  vifText: string | undefined;
  /** Offset just after the value information block, where the data starts. */
  end: number;
}

/** Reads a VIF with its VIFEs (and the text of a plain-text VIF) starting at `offset`. */
export function readValueInformation(
  bytes: Uint8Array,
  offset: number,
  limit = bytes.length,
): ValueInformation {
  if (offset >= limit) throw truncated('the VIF', offset);
  const vif = bytes[offset]!;
  const code = vif & 0x7f;
  let i = offset + 1;
  let more = vif & 0x80;
  let vifes = 0;
  let entry: VifEntry;
  // Start of manufacturer-specific VIF(E)s, whose meaning only the manufacturer knows.
  let manufacturerFrom = -1;
  if (code === VIF_FIRST_TABLE || code === VIF_SECOND_TABLE) {
    // The true VIF is the next byte, whatever the extension bit says.
    if (i >= limit) throw truncated('the extended VIF', offset);
    const next = bytes[i++]!;
    vifes++;
    more = next & 0x80;
    if (code === VIF_SECOND_TABLE) {
      entry = FB_VIFS[next & 0x7f]!;
    } else if ((next & 0x7f) === VIF_FIRST_TABLE) {
      if (i >= limit) throw truncated('the extended VIF', offset);
      const third = bytes[i++]!;
      vifes++;
      more = third & 0x80;
      entry = FD_EXTENSION_VIFS[third & 0x7f]!;
    } else {
      entry = FD_VIFS[next & 0x7f]!;
    }
  } else {
    entry = PRIMARY_VIFS[code]!;
    if (code === VIF_MANUFACTURER) manufacturerFrom = offset;
  }
  const headerEnd = i;

  let unit = entry.unit;
  let exponent = entry.exponent;
  let reading = entry.reading;
  let factor = entry.factor;
  let valueOffset = entry.offset;
  const modifiers: string[] = [];
  while (more !== 0) {
    if (vifes === MAX_VIFES) throw invalidRecord(`more than ${MAX_VIFES} VIFEs`, offset);
    if (i >= limit) throw truncated('the VIFE chain', offset);
    const vife = bytes[i++]!;
    vifes++;
    more = vife & 0x80;
    if (manufacturerFrom >= 0) continue;
    let meaning = COMBINABLE_VIFES[vife & 0x7f]!;
    if ((vife & 0x7f) === VIFE_MANUFACTURER) {
      manufacturerFrom = i - 1;
      modifiers.push('manufacturerSpecific');
      continue;
    }
    if ((vife & 0x7f) === VIFE_COMBINABLE_EXTENSION) {
      if (i >= limit) throw truncated('the VIFE chain', offset);
      if (vifes === MAX_VIFES) throw invalidRecord(`more than ${MAX_VIFES} VIFEs`, offset);
      const next = bytes[i++]!;
      vifes++;
      more = next & 0x80;
      meaning = COMBINABLE_EXTENSION_VIFES[next & 0x7f]!;
    }
    switch (meaning.effect) {
      case 'skip':
        continue;
      case 'scale':
        exponent += meaning.exponent;
        break;
      case 'rescale':
        exponent = meaning.exponent;
        break;
      case 'unit':
        unit = meaning.unit;
        exponent = 0;
        factor = 1;
        valueOffset = 0;
        reading = 'number';
        break;
      case 'timePoint':
        unit = '';
        exponent = 0;
        factor = 1;
        valueOffset = 0;
        reading = 'timePoint';
        break;
      case 'profile':
        reading = 'bytes';
        break;
      case 'none':
        break;
    }
    modifiers.push(meaning.modifier);
  }

  let vifText: string | undefined;
  if (code === VIF_PLAIN_TEXT) {
    // The unit as text follows the VIFEs: a length byte, then the characters last first.
    if (i >= limit) throw truncated('the plain-text VIF', offset);
    const length = bytes[i]!;
    if (i + 1 + length > limit) throw truncated('the plain-text VIF', offset);
    vifText = reversedLatin1(bytes, i + 1, i + 1 + length);
    i += 1 + length;
  } else if (manufacturerFrom >= 0) {
    vifText = hexOf(bytes, manufacturerFrom, i);
  } else if (entry.quantity === 'reserved') {
    vifText = hexOf(bytes, offset, headerEnd);
  }
  return {
    entry,
    quantity: entry.quantity,
    unit,
    exponent,
    factor,
    offset: valueOffset,
    reading,
    modifiers,
    vifText,
    end: i,
  };
}
