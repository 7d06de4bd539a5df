export { parseRecords, recordFormat, type ParsedRecords } from './application/records.js';
export { encodeRecords, type RecordCoding, type RecordSpec } from './application/encode-records.js';
export { crc16En13757 } from './crc.js';
export {
  createDriverRegistry,
  decode,
  type DecodedTelegram,
  type DecodeOptions,
  type DecodeResult,
} from './decode.js';
export { deviceTypeName, meterFamily, type MeterFamily } from './device-type.js';
export { DriverRegistry } from './drivers/registry.js';
export { findRecord, recordName } from './drivers/record-names.js';
export { encode, type EncodeInput } from './encode.js';
export { bytesToHex, hexToBytes } from './hex.js';
export { LINK_HEADER_LENGTH, parseLinkHeader, type LinkHeader } from './link-header.js';
export { decodeManufacturer, encodeManufacturer } from './manufacturer.js';
export { openFrame, type OpenFrameOptions } from './transport/open-frame.js';
export { peekFrame, type PeekedFrame, type PeekFrameOptions } from './transport/peek-frame.js';
export { sealFrame, type SealFrameInput } from './transport/seal-frame.js';
export {
  emptyDecoderState,
  type DataRecord,
  type DecoderState,
  type Driver,
  type DriverInput,
  type MeterAddress,
  type NamedValue,
  type OpenedFrame,
  type RecordFunction,
  type SecurityInfo,
  type SecurityMode,
  type StatusFlags,
  type Unit,
  type ValueKind,
} from './types.js';
export { isWmbusError, WMBUS_ERROR_CODES, WmbusError, type WmbusErrorCode } from './wmbus-error.js';
