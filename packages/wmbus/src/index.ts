export { crc16En13757 } from './crc.js';
export { bytesToHex, hexToBytes } from './hex.js';
export { LINK_HEADER_LENGTH, parseLinkHeader, type LinkHeader } from './link-header.js';
export { decodeManufacturer, encodeManufacturer } from './manufacturer.js';
export { isWmbusError, WMBUS_ERROR_CODES, WmbusError, type WmbusErrorCode } from './wmbus-error.js';
