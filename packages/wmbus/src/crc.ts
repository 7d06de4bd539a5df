/**
 * CRC of EN 13757-4 (frame formats A and B): polynomial 0x3D65, initial
 * value 0, not reflected, result inverted ("CRC-16/EN-13757").
 */
const TABLE = (() => {
  const table = new Uint16Array(256);
  for (let n = 0; n < 256; n++) {
    let crc = n << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? (crc << 1) ^ 0x3d65 : crc << 1;
    table[n] = crc & 0xffff;
  }
  return table;
})();

export function crc16En13757(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let crc = 0;
  for (let i = start; i < end; i++)
    crc = ((crc << 8) ^ TABLE[((crc >> 8) ^ bytes[i]!) & 0xff]!) & 0xffff;
  return crc ^ 0xffff;
}
