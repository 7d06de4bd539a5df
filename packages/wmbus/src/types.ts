/**
 * The shapes the codec's layers hand to each other. Link and transport
 * (src/link, src/transport) turn a frame and a key into a plaintext
 * application payload; the application layer (src/application) turns that
 * into records; drivers (src/drivers) name the values.
 */

/** Units of decoded values: the native unit of the coding, never silently converted. */
export type Unit =
  | 'Wh'
  | 'J'
  | 'm3'
  | 'kg'
  | 'W'
  | 'J/h'
  | 'm3/h'
  | 'm3/min'
  | 'm3/s'
  | 'kg/h'
  | '°C'
  | 'K'
  | 'bar'
  | 's'
  | 'min'
  | 'h'
  | 'd'
  | 'month'
  | 'year'
  | 'V'
  | 'A'
  | '%'
  | '%RH'
  | 'HCA'
  | 'dBm'
  | 'Hz'
  | 'm3·°C'
  | ''; // dimensionless: counters, factors, identifiers

/** The function field of the DIF (EN 13757-3). */
export type RecordFunction = 'instantaneous' | 'maximum' | 'minimum' | 'error';

/**
 * The kind of a record's value: numbers are scaled into `unit`; dates are
 * `YYYY-MM-DD`, date-times `YYYY-MM-DD HH:MM[:SS]` (meter local time, as sent);
 * text is decoded ASCII; bytes are upper-case hex.
 */
export type ValueKind = 'number' | 'date' | 'datetime' | 'text' | 'bytes';

export interface DataRecord {
  /** What is measured, camelCase: energy, volume, power, volumeFlow, flowTemperature,
   *  returnTemperature, temperatureDifference, externalTemperature, hcaUnits, date,
   *  dateTime, onTime, operatingTime, fabricationNumber, errorFlags, … (see application/vif-tables.ts). */
  quantity: string;
  unit: Unit;
  kind: ValueKind;
  /** Scaled value (number), or a string for dates, text and bytes; null when the meter sent "no data". */
  value: number | string | null;
  storage: number;
  tariff: number;
  subunit: number;
  function: RecordFunction;
  /** Combinable VIFE meanings (e.g. 'accumulationOfAbsoluteValue', 'perHour', 'atPhase1'), in order. */
  modifiers: string[];
  /** The record's bytes as sent, DIF through data: to hex for display and audits. */
  raw: Uint8Array;
  /** Offset of the record in the application payload. */
  offset: number;
  /** For manufacturer-specific VIFs (0x7F/0xFF) and plain-text VIFs. */
  vifText?: string;
}

/** Status byte of the transport layer header (EN 13757-7 / -3). */
export interface StatusFlags {
  raw: number;
  /** Bits 1..0: 0 no error, 1 busy, 2 application error, 3 abnormal condition. */
  application: 'ok' | 'busy' | 'error' | 'abnormal';
  powerLow: boolean;
  permanentError: boolean;
  temporaryError: boolean;
  /** Bits 7..5, manufacturer-specific. */
  manufacturerBits: number;
}

export type SecurityMode = 0 | 5 | 7 | number;

export interface SecurityInfo {
  /** TPL security mode (0 none, 5 AES-CBC static key, 7 AES-CBC with derived keys and MAC). */
  mode: SecurityMode;
  /** ELL encryption (AES-128-CTR) was present. */
  ellEncrypted: boolean;
  /** Encrypted 16-byte blocks announced in the configuration field. */
  encryptedBlocks: number;
  /**
   * true: we decrypted and the check (2F2F, payload CRC or MAC) passed;
   * false: the payload was not encrypted, or arrived already decrypted (not verified by us).
   */
  verified: boolean;
  /** The payload announced encryption but was already plaintext (starts with 2F2F). */
  alreadyDecrypted: boolean;
  /** Mode 7: the AFL message counter, to reject replays. */
  messageCounter?: number;
}

/** Per-meter state a decoder needs across frames (Kamstrup compact frames), passed in and out. */
export interface DecoderState {
  /** Key: `${manufacturer}.${id}`; value: format signature (hex) to DIF/VIF format bytes (hex). */
  formats: Record<string, Record<string, string>>;
}

export function emptyDecoderState(): DecoderState {
  return { formats: {} };
}

/** The meter a frame comes from: from the TPL long header when present, else from the link layer. */
export interface MeterAddress {
  manufacturer: string;
  /** 8 digits as printed on the meter. */
  id: string;
  version: number;
  deviceType: number;
}

/**
 * A frame taken apart by the link and transport layers: headers read, CRCs
 * checked and removed, security undone and verified. What is left is the
 * plaintext application payload.
 */
export interface OpenedFrame {
  /** 'wireless' (EN 13757-4) or 'wired' (EN 13757-2 long frame 68 L L 68). */
  medium: 'wireless' | 'wired';
  /** The link layer's C field and address (for wired frames: C and the primary address as id). */
  control: number;
  link: MeterAddress;
  meter: MeterAddress;
  /** Every CI field walked, in order, e.g. [0x8C, 0x90, 0x7A]. */
  ciChain: number[];
  accessNumber: number | null;
  status: StatusFlags | null;
  /** The TPL configuration field (16 bit), when there is a TPL header. */
  configuration: number | null;
  security: SecurityInfo;
  /**
   * CI of the application payload: 0x72/0x7A/0x78 records, 0x79 Kamstrup compact
   * frame, 0xA0–0xB7 manufacturer-specific (proprietary) layouts.
   */
  payloadCi: number;
  /** The plaintext application payload, after the TPL header (2F fillers kept); of a compact frame, its data only. */
  payload: Uint8Array;
  /** For a compact frame (CI 0x79, 0x73): its format signature and the CRC of the full frame it stands for. */
  compact?: { signature: number; dataCrc: number };
}

/** A value a driver names, in its unit. */
export interface NamedValue {
  value: number | string | boolean | null;
  unit: Unit;
}

export interface DriverInput {
  frame: OpenedFrame;
  /** Records of the application layer ([] for proprietary payloads). */
  records: DataRecord[];
  /** Bytes after a 0x0F/0x1F DIF (manufacturer-specific data), if any. */
  manufacturerData: Uint8Array | null;
  /** The meter key given to the decoder, for layouts with their own encryption. */
  key: Uint8Array | null;
}

/** Names the values of a family of meters. Registered in a DriverRegistry. */
export interface Driver {
  /** Stable name, e.g. 'generic-water', 'techem-fhkv-data-iii'. */
  name: string;
  /** Higher wins when several drivers match (manufacturer-specific over generic). */
  priority: number;
  matches(meter: MeterAddress, payloadCi: number): boolean;
  decode(input: DriverInput): Record<string, NamedValue>;
  /**
   * Manufacturer-specific TPL security modes (outside 0, 5 and 7) under which this
   * driver knows the payload to be plain records. Without a driver that says so, such
   * a frame is refused (UNSUPPORTED_SECURITY_MODE) rather than read as garbage.
   */
  plainSecurityModes?: readonly number[];
}
