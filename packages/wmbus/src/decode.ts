import {
  expandCompactFrame,
  parseCompactRecords,
  parseRecords,
  recordFormat,
} from './application/records.js';
import { crc16En13757 } from './crc.js';
import { deviceTypeName } from './device-type.js';
import { genericDrivers } from './drivers/generic/generic-drivers.js';
import { knownCompactFormat } from './drivers/manufacturer/kamstrup/known-compact-formats.js';
import { manufacturerDrivers } from './drivers/manufacturer/index.js';
import { proprietaryDrivers } from './drivers/proprietary/index.js';
import { DriverRegistry } from './drivers/registry.js';
import { bytesToHex, hexToBytes } from './hex.js';
import { openFrame } from './transport/open-frame.js';
import type {
  DataRecord,
  DecoderState,
  NamedValue,
  OpenedFrame,
  SecurityInfo,
  StatusFlags,
} from './types.js';
import { WmbusError } from './wmbus-error.js';

export interface DecodeOptions {
  /** The meter's AES-128 key: 16 bytes, or 32 hex digits. */
  key?: Uint8Array | string | null;
  /** Per-meter state from earlier frames (Kamstrup compact frames need the full frame's format). */
  state?: DecoderState;
  /** Drivers to name the values; the built-in ones by default. */
  registry?: DriverRegistry;
  /** Whether the frame still carries its link-layer CRCs; detected by default. */
  crc?: 'auto' | 'present' | 'stripped';
}

export interface DecodedTelegram {
  medium: 'wireless' | 'wired';
  manufacturer: string;
  id: string;
  version: number;
  deviceType: number;
  deviceTypeName: string;
  control: number;
  accessNumber: number | null;
  status: StatusFlags | null;
  configuration: number | null;
  ciChain: number[];
  payloadCi: number;
  security: SecurityInfo;
  records: DataRecord[];
  /** Bytes after a 0x0F/0x1F DIF, as hex. */
  manufacturerData: string | null;
  /** Stray bytes at the end of the payload that were not a complete record (at most 2). */
  ignoredTrailingBytes: number;
  /** The driver's named values. */
  values: Record<string, NamedValue>;
  driver: string | null;
}

export interface DecodeResult {
  telegram: DecodedTelegram;
  /** The state to pass to the next call (a new object when it changed). */
  state: DecoderState;
}

/** Trailing bytes after the last complete record that are taken as receiver residue. */
const MAX_STRAY_BYTES = 2;

/** Formats remembered per meter: a meter has few; the bound keeps hostile input from growing state. */
const MAX_FORMATS_PER_METER = 8;

/** A new registry with the built-in drivers, for callers who add their own. */
export function createDriverRegistry(): DriverRegistry {
  return new DriverRegistry([...proprietaryDrivers, ...manufacturerDrivers, ...genericDrivers]);
}

// Never handed out, so nobody can register into it: callers who extend build their own.
let builtIn: DriverRegistry | undefined;

function toKey(key: DecodeOptions['key']): Uint8Array | null {
  if (key === undefined || key === null) return null;
  const bytes = typeof key === 'string' ? hexToBytes(key) : key;
  if (bytes.length !== 16)
    throw new WmbusError('INVALID_KEY', `a key has 16 bytes, got ${bytes.length}`);
  return bytes;
}

/** CIs 0xA0–0xB7 carry a manufacturer's own layout, not DIF/VIF records. */
function isManufacturerCi(ci: number): boolean {
  return ci >= 0xa0 && ci <= 0xb7;
}

function meterKey(frame: OpenedFrame): string {
  return `${frame.meter.manufacturer}.${frame.meter.id}`;
}

function compactRecords(
  frame: OpenedFrame,
  compact: NonNullable<OpenedFrame['compact']>,
  state: DecoderState,
): DataRecord[] {
  const signature = compact.signature.toString(16).padStart(4, '0');
  const formatHex = state.formats[meterKey(frame)]?.[signature];
  // A format learnt from this meter's full frame wins; else one known for the meter type.
  const format =
    formatHex !== undefined
      ? hexToBytes(formatHex)
      : knownCompactFormat(frame.meter, compact.signature);
  if (format === undefined) {
    throw new WmbusError(
      'UNKNOWN_FORMAT',
      `compact frame with format ${signature}: decode a full frame of this meter first`,
    );
  }
  // The CRC of the full frame the compact one stands for: proves format and data belong together.
  const crc = crc16En13757(expandCompactFrame(format, frame.payload));
  if (crc !== compact.dataCrc) {
    throw new WmbusError('CRC_MISMATCH', 'compact frame data does not fit the known format');
  }
  return parseCompactRecords(format, frame.payload);
}

function remember(frame: OpenedFrame, payload: Uint8Array, state: DecoderState): DecoderState {
  const format = recordFormat(payload);
  if (format.length === 0) return state;
  const signature = crc16En13757(format).toString(16).padStart(4, '0');
  const key = meterKey(frame);
  const known = state.formats[key];
  // The common case, a meter sending the format it sent before, costs no allocation.
  if (known?.[signature] !== undefined) return state;
  const entries = Object.entries({ ...known, [signature]: bytesToHex(format) }).slice(
    -MAX_FORMATS_PER_METER,
  );
  return { ...state, formats: { ...state.formats, [key]: Object.fromEntries(entries) } };
}

/**
 * Decodes one wireless (or wired) M-Bus frame: link and transport layers,
 * security (verified: a wrong key is an error, never garbage), records, and
 * the driver's named values. Throws only WmbusError.
 */
export function decode(frame: Uint8Array | string, options: DecodeOptions = {}): DecodeResult {
  const bytes = typeof frame === 'string' ? hexToBytes(frame) : frame;
  const key = toKey(options.key);
  let state = options.state ?? { formats: {} };
  const opened = openFrame(bytes, { key, crc: options.crc ?? 'auto' });

  const registry = options.registry ?? (builtIn ??= createDriverRegistry());
  const driver = registry.select(opened.meter, opened.payloadCi);
  const { mode, alreadyDecrypted } = opened.security;
  if (mode !== 0 && mode !== 5 && mode !== 7 && !alreadyDecrypted) {
    if (!driver?.plainSecurityModes?.includes(mode)) {
      throw new WmbusError(
        'UNSUPPORTED_SECURITY_MODE',
        `security mode ${mode} is ${opened.meter.manufacturer}'s own; no driver reads it`,
      );
    }
  }

  let records: DataRecord[] = [];
  let manufacturerData: Uint8Array | null = null;
  let ignoredBytes = 0;
  if (opened.compact) {
    records = compactRecords(opened, opened.compact, state);
  } else if (!isManufacturerCi(opened.payloadCi)) {
    const parsed = parseRecords(opened.payload, { truncated: 'stop' });
    // Receivers may leave a stray byte or two (RSSI, a CRC) after the last record; more than
    // that left unread is a cut-off frame, and a cut-off frame is refused, not half-read.
    if (
      parsed.truncatedAt !== null &&
      opened.payload.length - parsed.truncatedAt > MAX_STRAY_BYTES
    ) {
      throw new WmbusError(
        'FRAME_TOO_SHORT',
        `the record at payload offset ${parsed.truncatedAt} runs past the end of the frame`,
        parsed.truncatedAt,
      );
    }
    ignoredBytes = parsed.truncatedAt === null ? 0 : opened.payload.length - parsed.truncatedAt;
    records = parsed.records;
    manufacturerData = parsed.manufacturerData;
    state = remember(
      opened,
      opened.payload.subarray(0, opened.payload.length - ignoredBytes),
      state,
    );
  }

  const values = driver ? driver.decode({ frame: opened, records, manufacturerData, key }) : {};

  return {
    telegram: {
      medium: opened.medium,
      manufacturer: opened.meter.manufacturer,
      id: opened.meter.id,
      version: opened.meter.version,
      deviceType: opened.meter.deviceType,
      deviceTypeName: deviceTypeName(opened.meter.deviceType),
      control: opened.control,
      accessNumber: opened.accessNumber,
      status: opened.status,
      configuration: opened.configuration,
      ciChain: opened.ciChain,
      payloadCi: opened.payloadCi,
      security: opened.security,
      records,
      manufacturerData: manufacturerData ? bytesToHex(manufacturerData) : null,
      ignoredTrailingBytes: ignoredBytes,
      values,
      driver: driver?.name ?? null,
    },
    state,
  };
}
