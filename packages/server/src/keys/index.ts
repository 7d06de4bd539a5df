export { keyErrorReason, type KeyErrorReason } from './key-errors.js';
export {
  createKeyVault,
  KeyVault,
  WRAP_PURPOSE,
  type KeyContext,
  type KeyVaultOptions,
  type SealInput,
} from './key-vault.js';
export {
  createKmsMasterKey,
  KmsMasterKey,
  type CreateKmsMasterKeyOptions,
  type KmsMasterKeyOptions,
} from './kms-master-key.js';
export {
  LocalMasterKey,
  MASTER_KEY_FILE,
  openLocalMasterKey,
  type LocalMasterKeyOptions,
} from './local-master-key.js';
export type { DataKey, MasterKey, WrapContext, WrappedKey } from './master-key.js';
export {
  rotateAll,
  type RotateAllOptions,
  type RotationFailure,
  type RotationReport,
} from './rotate-all.js';
export {
  decodeSealedKey,
  encodeSealedKey,
  SEALED_KEY_VERSION,
  SealedKey,
  type SealedKeyFields,
} from './sealed-key.js';
export {
  parseKeyImport,
  SIMULATOR_CSV_HEADER,
  type KeyImportEntry,
  type KeyImportFormat,
  type KeyImportLine,
  type KeyImportReport,
  type ParseKeyImportOptions,
} from './import/parse-key-import.js';
export { parseKemFile, type KemRefusal, type ParseKemOptions } from './import/kem-file.js';
export { parseSecondaryAddress, type SecondaryAddress } from './import/secondary-address.js';
