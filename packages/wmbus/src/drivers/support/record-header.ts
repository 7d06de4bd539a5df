/**
 * Where a record's parts start in its raw bytes (DIF, DIFEs, VIF, VIFEs, data), read from
 * the extension bits: for drivers that read a record's data bytes themselves.
 */

/** Offsets of the VIF and of the first byte after the VIFEs (the data, or an LVAR byte). */
export function recordHeader(raw: Uint8Array): { vif: number; end: number } {
  let i = 0;
  while (i < raw.length && (raw[i]! & 0x80) !== 0) i++; // DIF and DIFEs
  const vif = i + 1;
  i = vif;
  while (i < raw.length && (raw[i]! & 0x80) !== 0) i++; // VIF and VIFEs
  return { vif, end: i + 1 };
}

/** Length of a record's DIF+DIFEs+VIF+VIFEs, at most the record's length. */
export function headerLength(raw: Uint8Array): number {
  return Math.min(recordHeader(raw).end, raw.length);
}
