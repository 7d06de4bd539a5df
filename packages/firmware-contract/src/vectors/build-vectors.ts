import {
  bytesToHex,
  crc16En13757,
  decode,
  deviceTypeName,
  encode,
  hexToBytes,
  isWmbusError,
  type DataRecord,
  type EncodeInput,
  type MeterAddress,
  type NamedValue,
  type RecordFunction,
  type RecordSpec,
  type Unit,
  type WmbusErrorCode,
} from '@zaehlwerk/wmbus';
import type { RadioMode } from '../types.js';

/**
 * The test vectors of contract v1 (vectors/v1/): synthetic meter frames built
 * with the codec's `encode()`, so that vendors, the simulator and the platform
 * all test against frames the platform's decoder is known to read. Pure: it
 * returns the documents, scripts/generate-vectors.ts writes them, and
 * vectors.test.ts fails when the committed files drift from what this builds.
 */

export type MeterKind = 'heat-cost-allocator' | 'heat-meter' | 'water-meter';

export interface VectorMeter {
  /** Three-letter manufacturer code (FLAG association). Only an address here: no vendor layout. */
  manufacturer: string;
  /** The 8-digit meter id as printed on the meter. */
  id: string;
  version: number;
  deviceType: number;
  deviceTypeName: string;
  kind: MeterKind;
}

export interface VectorSecurity {
  /** TPL security mode: 0 none, 5 AES-128-CBC, 7 AES-128-CBC with derived keys and CMAC. */
  mode: 0 | 5 | 7;
  /** The meter's AES-128 key as 32 hex digits; null in mode 0. A test key, never a real one. */
  key: string | null;
  /** Mode 7: the AFL message counter; null otherwise. */
  messageCounter: number | null;
}

/** A data record as the generator encoded it; storage, tariff, subunit and function only when not the default. */
export interface ExpectedRecord {
  quantity: string;
  unit: Unit;
  value: number | string | null;
  storage?: number;
  tariff?: number;
  subunit?: number;
  function?: RecordFunction;
}

interface VectorBase {
  name: string;
  description: string;
  meter: VectorMeter;
  /** The EN 13757-4 mode such a meter sends in: what a gateway reports as the frame's `mode`. */
  radioMode: RadioMode;
  /** Transport layer header fields the generator chose. */
  transport: { ci: number; accessNumber: number; status: number };
  security: VectorSecurity;
  /** The frame from L on, link-layer CRCs removed (`crc: "stripped"` in a telegram batch). */
  frame: string;
  /** The same frame with its format-A CRCs (`crc: "present"`, `frameFormat: "A"`). */
  frameFormatA: string;
}

export interface DecodedVector extends VectorBase {
  outcome: 'decoded';
  expected: {
    /** The driver that names the values: always a generic one, so the names are the platform's. */
    driver: string;
    records: ExpectedRecord[];
    /** `decode(frame, { key }).telegram.values`. */
    values: Record<string, NamedValue>;
  };
}

export interface FailingVector extends VectorBase {
  outcome: 'error';
  /** The key handed to the decoder (null: none), which is not always the meter's. */
  decodeKey: string | null;
  /** The code of the WmbusError `decode` throws, for both forms of the frame. */
  expected: { error: WmbusErrorCode };
}

export type TestVector = DecodedVector | FailingVector;

export interface VectorIndexEntry {
  name: string;
  file: string;
  kind: MeterKind;
  securityMode: 0 | 5 | 7;
  outcome: TestVector['outcome'];
}

export interface VectorIndex {
  description: string;
  vectors: VectorIndexEntry[];
}

export interface VectorFile {
  /** File name inside vectors/v1/. */
  file: string;
  document: TestVector | VectorIndex;
}

export const VECTOR_INDEX_FILE = 'index.json';

/** The text of a vector file: what the generator writes and the drift test compares. */
export function serializeVectorFile(document: VectorFile['document']): string {
  return `${JSON.stringify(document, null, 2)}\n`;
}

/**
 * A key nobody could mistake for a real one: the ASCII of `zw-test-key-` and
 * a number, e.g. `zw-test-key-0005` = 7A772D746573742D6B65792D30303035.
 */
export function testKey(n: number): string {
  return asciiHex(`zw-test-key-${String(n).padStart(4, '0')}`);
}

/** The key the wrong-key vectors decode with: ASCII `zw-test-wrongkey`. */
export const WRONG_TEST_KEY = asciiHex('zw-test-wrongkey');

function asciiHex(text: string): string {
  return bytesToHex(new TextEncoder().encode(text)).toUpperCase();
}

const KINDS: Readonly<Record<number, MeterKind>> = {
  0x04: 'heat-meter',
  0x06: 'water-meter',
  0x07: 'water-meter',
  0x08: 'heat-cost-allocator',
  0x16: 'water-meter',
};

// Fixed times, so that the vectors never change unless their definitions do.
const SET_DAY = '2024-12-31';
const METER_TIME = '2025-01-15 06:00';

interface Definition {
  name: string;
  description: string;
  meter: MeterAddress;
  radioMode: RadioMode;
  ci?: number;
  accessNumber: number;
  status?: number;
  security: { mode: 0 } | { mode: 5 } | { mode: 7; messageCounter: number };
  /** Number of this meter's test key. */
  keyNumber: number;
  records: RecordSpec[];
}

const hcaRecords = (current: number, atSetDay: number, coding: 'int16' | 'bcd6'): RecordSpec[] => [
  { quantity: 'hcaUnits', unit: 'HCA', value: current, coding },
  { quantity: 'date', unit: '', value: SET_DAY, coding: 'dateG', storage: 1 },
  { quantity: 'hcaUnits', unit: 'HCA', value: atSetDay, coding, storage: 1 },
  { quantity: 'dateTime', unit: '', value: METER_TIME, coding: 'dateTimeF' },
];

const heatRecords = (energyWh: number, volumeM3: number): RecordSpec[] => [
  { quantity: 'energy', unit: 'Wh', value: energyWh, coding: 'int32' },
  { quantity: 'volume', unit: 'm3', value: volumeM3, coding: 'int32' },
  { quantity: 'power', unit: 'W', value: 2500, coding: 'int24' },
  { quantity: 'volumeFlow', unit: 'm3/h', value: 0.123, coding: 'int24' },
  { quantity: 'flowTemperature', unit: '°C', value: 55.3, coding: 'int16' },
  { quantity: 'returnTemperature', unit: '°C', value: 38.1, coding: 'int16' },
  { quantity: 'temperatureDifference', unit: 'K', value: 17.2, coding: 'int16' },
  { quantity: 'energy', unit: 'Wh', value: 10_000_000, coding: 'int32', storage: 1 },
  { quantity: 'date', unit: '', value: SET_DAY, coding: 'dateG', storage: 1 },
  { quantity: 'dateTime', unit: '', value: METER_TIME, coding: 'dateTimeF' },
];

const waterRecords = (volumeM3: number, atSetDayM3: number): RecordSpec[] => [
  { quantity: 'volume', unit: 'm3', value: volumeM3, coding: 'bcd8' },
  { quantity: 'volume', unit: 'm3', value: atSetDayM3, coding: 'bcd8', storage: 1 },
  { quantity: 'date', unit: '', value: SET_DAY, coding: 'dateG', storage: 1 },
  { quantity: 'dateTime', unit: '', value: METER_TIME, coding: 'dateTimeF' },
];

const SONTEX_HCA = { manufacturer: 'SON', version: 0x16, deviceType: 0x08 };
const BRUNATA_HCA = { manufacturer: 'BHG', version: 0x05, deviceType: 0x08 };
const ENGELMANN_HEAT = { manufacturer: 'EFE', version: 0x03, deviceType: 0x04 };
const LANDIS_HEAT = { manufacturer: 'LUG', version: 0x0a, deviceType: 0x04 };
const SENSUS_COLD_WATER = { manufacturer: 'SEN', version: 0x68, deviceType: 0x16 };
const ITRON_WATER = { manufacturer: 'ITW', version: 0x33 };

const DEFINITIONS: readonly Definition[] = [
  {
    name: 'hca-sontex-mode0',
    description:
      'Heat cost allocator, unencrypted, short TPL header: current units, set day and its units, meter time.',
    meter: { ...SONTEX_HCA, id: '10000001' },
    radioMode: 'T1',
    accessNumber: 0x21,
    security: { mode: 0 },
    keyNumber: 1,
    records: hcaRecords(1234, 4567, 'int16'),
  },
  {
    name: 'hca-sontex-mode5',
    description: 'The same records as hca-sontex-mode0, encrypted in security mode 5.',
    meter: { ...SONTEX_HCA, id: '10000002' },
    radioMode: 'T1',
    accessNumber: 0x22,
    security: { mode: 5 },
    keyNumber: 2,
    records: hcaRecords(1234, 4567, 'int16'),
  },
  {
    name: 'hca-sontex-mode7',
    description:
      'The same records as hca-sontex-mode0, in security mode 7 (AFL with message counter and 8-byte CMAC).',
    meter: { ...SONTEX_HCA, id: '10000003' },
    radioMode: 'C1',
    accessNumber: 0x23,
    security: { mode: 7, messageCounter: 1 },
    keyNumber: 3,
    records: hcaRecords(1234, 4567, 'int16'),
  },
  {
    name: 'hca-brunata-mode5-history',
    description:
      'Heat cost allocator in security mode 5 with two earlier periods in storages 2 and 3 (the generic driver names them historyConsumption1/2 and historyDate1/2), BCD-coded units.',
    meter: { ...BRUNATA_HCA, id: '10000004' },
    radioMode: 'C1',
    accessNumber: 0x9c,
    security: { mode: 5 },
    keyNumber: 4,
    records: [
      ...hcaRecords(87, 3120, 'bcd6'),
      { quantity: 'hcaUnits', unit: 'HCA', value: 2890, coding: 'bcd6', storage: 2 },
      { quantity: 'date', unit: '', value: '2023-12-31', coding: 'dateG', storage: 2 },
      { quantity: 'hcaUnits', unit: 'HCA', value: 3305, coding: 'bcd6', storage: 3 },
      { quantity: 'date', unit: '', value: '2022-12-31', coding: 'dateG', storage: 3 },
    ],
  },
  {
    name: 'hca-brunata-mode0-long-header',
    description:
      'Heat cost allocator, unencrypted, with the long TPL header (CI 0x72: the meter address repeated in the transport layer).',
    meter: { ...BRUNATA_HCA, id: '10000005' },
    radioMode: 'S1',
    ci: 0x72,
    accessNumber: 0x05,
    security: { mode: 0 },
    keyNumber: 5,
    records: hcaRecords(0, 2011, 'bcd6'),
  },
  {
    name: 'heat-engelmann-mode0',
    description:
      'Heat meter, unencrypted: energy, volume, power, flow, flow and return temperature, temperature difference, set-day energy and date, meter time.',
    meter: { ...ENGELMANN_HEAT, id: '20000001' },
    radioMode: 'C1',
    accessNumber: 0x40,
    security: { mode: 0 },
    keyNumber: 6,
    records: heatRecords(12_345_000, 456.789),
  },
  {
    name: 'heat-engelmann-mode5',
    description: 'The same records as heat-engelmann-mode0, encrypted in security mode 5.',
    meter: { ...ENGELMANN_HEAT, id: '20000002' },
    radioMode: 'C1',
    accessNumber: 0x41,
    security: { mode: 5 },
    keyNumber: 7,
    records: heatRecords(12_345_000, 456.789),
  },
  {
    name: 'heat-engelmann-mode7',
    description: 'The same records as heat-engelmann-mode0, in security mode 7.',
    meter: { ...ENGELMANN_HEAT, id: '20000003' },
    radioMode: 'C1',
    accessNumber: 0x42,
    security: { mode: 7, messageCounter: 4711 },
    keyNumber: 8,
    records: heatRecords(12_345_000, 456.789),
  },
  {
    name: 'heat-landisgyr-mode7-tariff-subunit',
    description:
      'Heat meter in security mode 7 with an energy register of tariff 1 and a volume of subunit 1 (e.g. a pulse input), besides the usual records.',
    meter: { ...LANDIS_HEAT, id: '20000004' },
    radioMode: 'T1',
    accessNumber: 0xe0,
    security: { mode: 7, messageCounter: 0x01020304 },
    keyNumber: 9,
    records: [
      ...heatRecords(987_654_000, 12_345.678),
      { quantity: 'energy', unit: 'Wh', value: 1_500_000, coding: 'int32', tariff: 1 },
      { quantity: 'volume', unit: 'm3', value: 12.5, coding: 'int32', subunit: 1 },
    ],
  },
  {
    name: 'heat-landisgyr-mode5-power-low',
    description:
      'Heat meter in security mode 5 reporting energy in joules, with the power-low bit set in the TPL status byte (statusPowerLow: true).',
    meter: { ...LANDIS_HEAT, id: '20000005' },
    radioMode: 'T1',
    accessNumber: 0x07,
    status: 0x04,
    security: { mode: 5 },
    keyNumber: 10,
    records: [
      { quantity: 'energy', unit: 'J', value: 45_600_000_000, coding: 'int32' },
      { quantity: 'volume', unit: 'm3', value: 78.9, coding: 'int32' },
      { quantity: 'dateTime', unit: '', value: METER_TIME, coding: 'dateTimeF' },
    ],
  },
  {
    name: 'water-sensus-mode0',
    description:
      'Cold water meter, unencrypted: volume, set-day volume and date (BCD), meter time.',
    meter: { ...SENSUS_COLD_WATER, id: '30000001' },
    radioMode: 'T1',
    accessNumber: 0x10,
    security: { mode: 0 },
    keyNumber: 11,
    records: waterRecords(123.456, 100.001),
  },
  {
    name: 'water-sensus-mode5',
    description: 'The same records as water-sensus-mode0, encrypted in security mode 5.',
    meter: { ...SENSUS_COLD_WATER, id: '30000002' },
    radioMode: 'T1',
    accessNumber: 0x11,
    security: { mode: 5 },
    keyNumber: 12,
    records: waterRecords(123.456, 100.001),
  },
  {
    name: 'water-sensus-mode7',
    description: 'The same records as water-sensus-mode0, in security mode 7.',
    meter: { ...SENSUS_COLD_WATER, id: '30000003' },
    radioMode: 'C1',
    accessNumber: 0x12,
    security: { mode: 7, messageCounter: 65_536 },
    keyNumber: 13,
    records: waterRecords(123.456, 100.001),
  },
  {
    name: 'water-itron-mode5-warm',
    description:
      'Warm water meter in security mode 5 with water and ambient temperature (waterTemperature, externalTemperature).',
    meter: { ...ITRON_WATER, deviceType: 0x06, id: '30000004' },
    radioMode: 'C1',
    accessNumber: 0x77,
    security: { mode: 5 },
    keyNumber: 14,
    records: [
      ...waterRecords(42.042, 40),
      { quantity: 'flowTemperature', unit: '°C', value: 45.5, coding: 'int16' },
      { quantity: 'externalTemperature', unit: '°C', value: 21.25, coding: 'int16' },
    ],
  },
  {
    name: 'water-itron-mode7-max-flow',
    description:
      'Water meter in security mode 7 with current and maximum flow (function field "maximum") and error flags.',
    meter: { ...ITRON_WATER, deviceType: 0x07, id: '30000005' },
    radioMode: 'S1',
    accessNumber: 0x78,
    security: { mode: 7, messageCounter: 99 },
    keyNumber: 15,
    records: [
      ...waterRecords(9.876, 5.5),
      { quantity: 'volumeFlow', unit: 'm3/h', value: 0.042, coding: 'int16' },
      {
        quantity: 'volumeFlow',
        unit: 'm3/h',
        value: 1.25,
        coding: 'int16',
        function: 'maximum',
      },
      { quantity: 'errorFlags', unit: '', value: 0, coding: 'int16' },
    ],
  },
];

interface FailureDefinition {
  name: string;
  description: string;
  /** The valid vector whose frame this one starts from. */
  from: string;
  /** Index into the CRC-stripped frame of a byte whose lowest bit is flipped. */
  flipByte?: number;
  /** Decode with the meter's own key, or with WRONG_TEST_KEY. */
  decodeKey: 'meter' | 'wrong';
  error: WmbusErrorCode;
}

const FAILURES: readonly FailureDefinition[] = [
  {
    name: 'error-mode5-wrong-key',
    description:
      'The frame of hca-sontex-mode5 decoded with another key: mode 5 has no MAC, so the decoder notices that the plaintext does not start with 2F2F.',
    from: 'hca-sontex-mode5',
    decodeKey: 'wrong',
    error: 'DECRYPTION_FAILED',
  },
  {
    name: 'error-mode7-wrong-key',
    description:
      'The frame of heat-engelmann-mode7 decoded with another key: the MAC computed with the derived key does not match.',
    from: 'heat-engelmann-mode7',
    decodeKey: 'wrong',
    error: 'MAC_INVALID',
  },
  {
    name: 'error-mode7-tampered',
    description:
      'The frame of water-sensus-mode7 with one bit of its last ciphertext byte flipped (link CRCs recomputed, so only the MAC can tell), decoded with the right key.',
    from: 'water-sensus-mode7',
    flipByte: -1,
    decodeKey: 'meter',
    error: 'MAC_INVALID',
  },
];

function encodeInput(d: Definition, crc: 'none' | 'A'): EncodeInput {
  const key = testKey(d.keyNumber);
  const security: EncodeInput['security'] =
    d.security.mode === 0
      ? { mode: 0 }
      : d.security.mode === 5
        ? { mode: 5, key }
        : { mode: 7, key, messageCounter: d.security.messageCounter };
  return {
    meter: d.meter,
    ...(d.ci === undefined ? {} : { ci: d.ci }),
    accessNumber: d.accessNumber,
    ...(d.status === undefined ? {} : { status: d.status }),
    records: d.records,
    security,
    crc,
  };
}

/** A record in the vector's shape: only what sets it apart from a plain current value. */
export function expectedRecord(r: {
  quantity: string;
  unit: Unit;
  value: DataRecord['value'];
  storage?: number;
  tariff?: number;
  subunit?: number;
  function?: RecordFunction;
}): ExpectedRecord {
  return {
    quantity: r.quantity,
    unit: r.unit,
    value: r.value,
    ...(r.storage ? { storage: r.storage } : {}),
    ...(r.tariff ? { tariff: r.tariff } : {}),
    ...(r.subunit ? { subunit: r.subunit } : {}),
    ...(r.function && r.function !== 'instantaneous' ? { function: r.function } : {}),
  };
}

function specRecord(spec: RecordSpec): ExpectedRecord {
  if (spec.quantity === undefined) throw new Error('vector record specs name their quantity');
  return expectedRecord({ ...spec, quantity: spec.quantity, unit: spec.unit ?? '' });
}

function fail(vector: string, what: string): never {
  throw new Error(`vector ${vector}: ${what}`);
}

/** Decodes a frame the generator just built and checks it reads back as meant. */
function decodeChecked(d: Definition, frame: Uint8Array, key: string | null) {
  const { telegram } = decode(frame, { key });
  const expected = d.records.map(specRecord);
  const got = telegram.records.map((r) =>
    r.modifiers.length > 0 ? fail(d.name, `record ${r.quantity} has modifiers`) : expectedRecord(r),
  );
  if (JSON.stringify(got) !== JSON.stringify(expected))
    fail(d.name, `decodes to other records than it encodes: ${JSON.stringify(got)}`);
  // A manufacturer driver would name the values its own way; the vectors show the platform's names.
  if (telegram.driver === null || !telegram.driver.startsWith('generic-'))
    fail(d.name, `is read by driver ${String(telegram.driver)}, not a generic one`);
  return telegram;
}

function buildDecoded(d: Definition): DecodedVector {
  const kind = KINDS[d.meter.deviceType] ?? fail(d.name, 'device type of no billed family');
  const key = d.security.mode === 0 ? null : testKey(d.keyNumber);
  const stripped = encode(encodeInput(d, 'none'));
  const formatA = encode(encodeInput(d, 'A'));
  const telegram = decodeChecked(d, stripped, key);
  const fromA = decodeChecked(d, formatA, key);
  if (JSON.stringify(fromA.values) !== JSON.stringify(telegram.values))
    fail(d.name, 'format A and stripped frames decode differently');
  return {
    name: d.name,
    description: d.description,
    outcome: 'decoded',
    meter: {
      manufacturer: d.meter.manufacturer,
      id: d.meter.id,
      version: d.meter.version,
      deviceType: d.meter.deviceType,
      deviceTypeName: deviceTypeName(d.meter.deviceType),
      kind,
    },
    radioMode: d.radioMode,
    transport: { ci: d.ci ?? 0x7a, accessNumber: d.accessNumber, status: d.status ?? 0 },
    security: {
      mode: d.security.mode,
      key,
      messageCounter: d.security.mode === 7 ? d.security.messageCounter : null,
    },
    frame: hex(stripped),
    frameFormatA: hex(formatA),
    expected: {
      driver: telegram.driver!,
      records: d.records.map(specRecord),
      values: telegram.values,
    },
  };
}

const hex = (bytes: Uint8Array) => bytesToHex(bytes).toUpperCase();

/** Format A's link CRCs (EN 13757-4): after the 10-byte first block and after every 16 bytes. */
function withFormatACrcs(frame: Uint8Array): Uint8Array {
  const out: number[] = [];
  for (let start = 0; start < frame.length; start += start === 0 ? 10 : 16) {
    const block = frame.subarray(start, start === 0 ? 10 : start + 16);
    const crc = crc16En13757(block);
    out.push(...block, crc >> 8, crc & 0xff);
  }
  return Uint8Array.from(out);
}

function buildFailing(f: FailureDefinition, valid: DecodedVector): FailingVector {
  let frame = hexToBytes(valid.frame);
  if (f.flipByte !== undefined) {
    frame = Uint8Array.from(frame);
    const at = f.flipByte < 0 ? frame.length + f.flipByte : f.flipByte;
    frame[at]! ^= 0x01;
  }
  const formatA = withFormatACrcs(frame);
  const decodeKey = f.decodeKey === 'meter' ? valid.security.key : WRONG_TEST_KEY;
  for (const form of [frame, formatA]) {
    try {
      decode(form, { key: decodeKey });
      fail(f.name, 'decodes although it must not');
    } catch (err) {
      if (!isWmbusError(err)) throw err;
      if (err.code !== f.error) fail(f.name, `fails with ${err.code}, not ${f.error}`);
    }
  }
  return {
    name: f.name,
    description: f.description,
    outcome: 'error',
    meter: valid.meter,
    radioMode: valid.radioMode,
    transport: valid.transport,
    security: valid.security,
    frame: hex(frame),
    frameFormatA: hex(formatA),
    decodeKey,
    expected: { error: f.error },
  };
}

/** Every file of vectors/v1/: one per vector, named after it, and index.json listing them. */
export function buildVectors(): VectorFile[] {
  const decoded = DEFINITIONS.map(buildDecoded);
  const byName = new Map(decoded.map((v) => [v.name, v]));
  const failing = FAILURES.map((f) =>
    buildFailing(f, byName.get(f.from) ?? fail(f.name, `no vector ${f.from}`)),
  );
  const vectors: TestVector[] = [...decoded, ...failing];
  const index: VectorIndex = {
    description:
      'Test vectors of the Zählwerk firmware contract v1: synthetic wireless M-Bus frames made with @zaehlwerk/wmbus encode(). Keys are test keys (ASCII "zw-test-key-NNNN"), never real ones. Generated by scripts/generate-vectors.ts; see README.md.',
    vectors: vectors.map((v) => ({
      name: v.name,
      file: `${v.name}.json`,
      kind: v.meter.kind,
      securityMode: v.security.mode,
      outcome: v.outcome,
    })),
  };
  return [
    ...vectors.map((document) => ({ file: `${document.name}.json`, document })),
    { file: VECTOR_INDEX_FILE, document: index },
  ];
}
