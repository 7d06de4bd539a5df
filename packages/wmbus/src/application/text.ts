/**
 * Text results of records: hex of bytes and the ASCII of LVAR strings and plain-text VIFs.
 * Tables instead of toString/padStart, because manufacturer records come in every telegram.
 */
const HEX: readonly string[] = Array.from({ length: 256 }, (_, b) =>
  b.toString(16).toUpperCase().padStart(2, '0'),
);

/** Upper-case hex of bytes[start..end), in the order sent. */
export function hexOf(bytes: Uint8Array, start: number, end: number): string {
  let out = '';
  for (let i = start; i < end; i++) out += HEX[bytes[i]!]!;
  return out;
}

/**
 * EN 13757-3 sends strings last character first (LVAR text and plain-text VIFs alike);
 * the bytes are ISO 8859-1, whose code points equal the byte values.
 */
export function reversedLatin1(bytes: Uint8Array, start: number, end: number): string {
  let out = '';
  for (let i = end - 1; i >= start; i--) out += String.fromCharCode(bytes[i]!);
  return out;
}
