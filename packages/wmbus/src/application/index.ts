/**
 * The application layer (EN 13757-3): data records of a plaintext payload, Kamstrup compact
 * frames, and the encoder for simulators. What the package exports of it is chosen in
 * ../index.ts; this list is the layer's public surface.
 */
export {
  parseRecords,
  recordFormat,
  parseCompactRecords,
  expandCompactFrame,
  type ParsedRecords,
  type ParseRecordsOptions,
} from './records.js';
export {
  encodeRecord,
  encodeRecords,
  type RecordCoding,
  type RecordSpec,
} from './encode-records.js';
export {
  decodeDateG,
  decodeDateTimeF,
  decodeDateTimeI,
  decodeTimeJ,
  encodeDateG,
  encodeDateTimeF,
  encodeDateTimeI,
  encodeTimeJ,
} from './date-time.js';
export { readDataInformation, type DataInformation } from './dif.js';
export { readValueInformation, type ValueInformation } from './vif.js';
export {
  COMBINABLE_EXTENSION_VIFES,
  COMBINABLE_VIFES,
  FB_VIFS,
  FD_EXTENSION_VIFS,
  FD_VIFS,
  PRIMARY_VIFS,
  vifCodings,
  type Reading,
  type VifCoding,
  type VifEntry,
  type VifeEffect,
  type VifeEntry,
} from './vif-tables.js';
