import type { Unit } from '../types.js';

/**
 * The value information tables of EN 13757-3 (2013/2018 editions, with the codes of the
 * EN 1434-3 predecessor they kept): primary VIF, the extension tables behind 0xFD and 0xFB,
 * and the combinable (orthogonal) VIFEs. Each table is an array indexed by the code without
 * its extension bit, built once when the module loads.
 *
 * The value of a record is `(raw × 10^exponent + offset) × factor` in `unit`. Scalings
 * outside the decimal system (°F, ft³, US gallons, Mcal) are converted into the metric unit
 * through `factor` and `offset`, so a driver never sees a non-metric unit.
 */

/** How the data of a record is read once the DIF told its coding. */
export type Reading =
  /** Signed (type B) integers, BCD and reals, scaled by the exponent. */
  | 'number'
  /** Bit fields and identifiers (type C/D): unsigned, never negative. */
  | 'binary'
  /** Date (type G), date-time (F, I) or time (J), told apart by the data's length. */
  | 'timePoint'
  /** Compound types not decoded here (K daylight saving, L listening window): hex. */
  | 'bytes';

export interface VifEntry {
  /** camelCase name of what is measured (DataRecord.quantity). */
  readonly quantity: string;
  readonly unit: Unit;
  /** Power of ten applied to the raw value. */
  readonly exponent: number;
  /** Conversion of a non-metric unit into `unit`, applied after the offset. */
  readonly factor: number;
  /** Added before `factor` (−32 for °F). */
  readonly offset: number;
  readonly reading: Reading;
}

/** What a combinable VIFE does to the record beyond naming a modifier. */
export type VifeEffect =
  /** Only the modifier. */
  | 'none'
  /** Nothing at all: "no error" in the error code table. */
  | 'skip'
  /** Multiplicative correction: adds `exponent` to the record's exponent. */
  | 'scale'
  /** Additive correction constant: the data is the constant, in 10^exponent × unit of the VIF. */
  | 'rescale'
  /** The data is no longer the VIF's quantity but a duration or a count, in `unit`. */
  | 'unit'
  /** The data is the date (and time) of an event concerning the VIF's quantity. */
  | 'timePoint'
  /** The data is a profile (a series packed in one LVAR), not one value: its bytes. */
  | 'profile';

export interface VifeEntry {
  readonly modifier: string;
  readonly effect: VifeEffect;
  readonly unit: Unit;
  readonly exponent: number;
}

/** 1 US gallon in m³ (231 in³, exact). */
const US_GALLON_M3 = 0.003785411784;
/** 1 ft³ in m³ (0.3048³, exact). */
const CUBIC_FOOT_M3 = 0.028316846592;
/** 1 Mcal (international table calorie, as heat meters use it) in J. */
const MEGACALORIE_J = 4.1868e6;
const FAHRENHEIT_STEP = 5 / 9;

/** Durations coded by two bits nn: seconds, minutes, hours, days. */
const TIME_UNITS: readonly Unit[] = ['s', 'min', 'h', 'd'];
/** Durations coded by two bits pp in the 0xFD table: hours, days, months, years. */
const LONG_TIME_UNITS: readonly Unit[] = ['h', 'd', 'month', 'year'];

function entry(
  quantity: string,
  unit: Unit,
  exponent = 0,
  reading: Reading = 'number',
  factor = 1,
  offset = 0,
): VifEntry {
  return { quantity, unit, exponent, factor, offset, reading };
}

const RESERVED = entry('reserved', '', 0, 'binary');

function table(): VifEntry[] {
  return new Array<VifEntry>(128).fill(RESERVED);
}

function fill(
  target: VifEntry[],
  first: number,
  count: number,
  make: (n: number) => VifEntry,
): void {
  for (let n = 0; n < count; n++) target[first + n] = make(n);
}

/** Primary VIFs (E000 0000 … E111 1111); 0x7B and 0x7D switch to the extension tables. */
export const PRIMARY_VIFS: readonly VifEntry[] = (() => {
  const t = table();
  fill(t, 0x00, 8, (n) => entry('energy', 'Wh', n - 3));
  fill(t, 0x08, 8, (n) => entry('energy', 'J', n));
  fill(t, 0x10, 8, (n) => entry('volume', 'm3', n - 6));
  fill(t, 0x18, 8, (n) => entry('mass', 'kg', n - 3));
  fill(t, 0x20, 4, (n) => entry('onTime', TIME_UNITS[n]!));
  fill(t, 0x24, 4, (n) => entry('operatingTime', TIME_UNITS[n]!));
  fill(t, 0x28, 8, (n) => entry('power', 'W', n - 3));
  fill(t, 0x30, 8, (n) => entry('power', 'J/h', n));
  fill(t, 0x38, 8, (n) => entry('volumeFlow', 'm3/h', n - 6));
  fill(t, 0x40, 8, (n) => entry('volumeFlow', 'm3/min', n - 7));
  fill(t, 0x48, 8, (n) => entry('volumeFlow', 'm3/s', n - 9));
  fill(t, 0x50, 8, (n) => entry('massFlow', 'kg/h', n - 3));
  fill(t, 0x58, 4, (n) => entry('flowTemperature', '°C', n - 3));
  fill(t, 0x5c, 4, (n) => entry('returnTemperature', '°C', n - 3));
  fill(t, 0x60, 4, (n) => entry('temperatureDifference', 'K', n - 3));
  fill(t, 0x64, 4, (n) => entry('externalTemperature', '°C', n - 3));
  fill(t, 0x68, 4, (n) => entry('pressure', 'bar', n - 3));
  t[0x6c] = entry('date', '', 0, 'timePoint');
  t[0x6d] = entry('dateTime', '', 0, 'timePoint');
  t[0x6e] = entry('hcaUnits', 'HCA');
  fill(t, 0x70, 4, (n) => entry('averagingDuration', TIME_UNITS[n]!));
  fill(t, 0x74, 4, (n) => entry('actualityDuration', TIME_UNITS[n]!));
  t[0x78] = entry('fabricationNumber', '', 0, 'binary');
  t[0x79] = entry('enhancedIdentification', '', 0, 'binary');
  t[0x7a] = entry('busAddress', '', 0, 'binary');
  t[0x7c] = entry('plainText', '');
  t[0x7e] = entry('anyVif', '');
  t[0x7f] = entry('manufacturerSpecific', '', 0, 'binary');
  return t;
})();

/** First extension table, after VIF 0xFD (E000 0000 … E111 1111 of the VIFE). */
export const FD_VIFS: readonly VifEntry[] = (() => {
  const t = table();
  // Currency has no unit of its own in types.ts: '' with the exponent of the local currency.
  fill(t, 0x00, 4, (n) => entry('credit', '', n - 3));
  fill(t, 0x04, 4, (n) => entry('debit', '', n - 3));
  const binary: [number, string][] = [
    [0x08, 'accessNumber'],
    [0x09, 'deviceType'],
    [0x0a, 'manufacturer'],
    [0x0b, 'parameterSetIdentification'],
    [0x0c, 'modelVersion'],
    [0x0d, 'hardwareVersion'],
    [0x0e, 'firmwareVersion'],
    [0x0f, 'softwareVersion'],
    [0x10, 'customerLocation'],
    [0x11, 'customer'],
    [0x12, 'accessCodeUser'],
    [0x13, 'accessCodeOperator'],
    [0x14, 'accessCodeSystemOperator'],
    [0x15, 'accessCodeDeveloper'],
    [0x16, 'password'],
    [0x17, 'errorFlags'],
    [0x18, 'errorMask'],
    [0x19, 'securityKey'],
    [0x1a, 'digitalOutput'],
    [0x1b, 'digitalInput'],
    [0x1f, 'remoteControl'],
    [0x23, 'tariffSubunitDescriptor'],
    [0x2a, 'operatorSpecificData'],
    [0x3b, 'wmbusDataContainer'],
    [0x62, 'controlSignal'],
    [0x65, 'dayChangeTimePoint'],
    [0x66, 'parameterActivationState'],
    [0x67, 'specialSupplierInformation'],
    [0x76, 'manufacturerProtocolContainer'],
  ];
  for (const [code, quantity] of binary) t[code] = entry(quantity, '', 0, 'binary');
  const counts: [number, string][] = [
    [0x1c, 'baudRate'],
    [0x1d, 'responseDelayBitTimes'],
    [0x1e, 'retry'],
    [0x20, 'firstCyclicStorageNumber'],
    [0x21, 'lastCyclicStorageNumber'],
    [0x22, 'storageBlockSize'],
    [0x2b, 'timePointSecond'],
    [0x3a, 'dimensionless'],
    [0x60, 'resetCounter'],
    [0x61, 'cumulationCounter'],
    [0x63, 'dayOfWeek'],
    [0x64, 'weekNumber'],
    [0x75, 'meterStoppedCount'],
  ];
  for (const [code, quantity] of counts) t[code] = entry(quantity, '');
  fill(t, 0x24, 4, (n) => entry('storageInterval', TIME_UNITS[n]!));
  t[0x28] = entry('storageInterval', 'month');
  t[0x29] = entry('storageInterval', 'year');
  fill(t, 0x2c, 4, (n) => entry('durationSinceLastReadout', TIME_UNITS[n]!));
  t[0x30] = entry('tariffStart', '', 0, 'timePoint');
  // E011 00nn with nn = 01..11: minutes to days (nn = 00 is the start above).
  fill(t, 0x31, 3, (n) => entry('tariffDuration', TIME_UNITS[n + 1]!));
  fill(t, 0x34, 4, (n) => entry('tariffPeriod', TIME_UNITS[n]!));
  t[0x38] = entry('tariffPeriod', 'month');
  t[0x39] = entry('tariffPeriod', 'year');
  fill(t, 0x3c, 4, (n) => entry('nominalTransmissionPeriod', TIME_UNITS[n]!));
  fill(t, 0x40, 16, (n) => entry('voltage', 'V', n - 9));
  fill(t, 0x50, 16, (n) => entry('current', 'A', n - 12));
  fill(t, 0x68, 4, (n) => entry('durationSinceLastCumulation', LONG_TIME_UNITS[n]!));
  fill(t, 0x6c, 4, (n) => entry('batteryOperatingTime', LONG_TIME_UNITS[n]!));
  t[0x70] = entry('batteryChangeDateTime', '', 0, 'timePoint');
  t[0x71] = entry('rssi', 'dBm');
  t[0x72] = entry('daylightSaving', '', 0, 'bytes');
  t[0x73] = entry('listeningWindow', '', 0, 'bytes');
  t[0x74] = entry('remainingBatteryLife', 'd');
  return t;
})();

/** Third level, after 0xFD 0xFD (EN 13757-3:2018). */
export const FD_EXTENSION_VIFS: readonly VifEntry[] = (() => {
  const t = table();
  t[0x00] = entry('selectedApplication', '', 0, 'binary');
  t[0x02] = entry('remainingBatteryLife', 'month');
  t[0x03] = entry('remainingBatteryLife', 'year');
  return t;
})();

/**
 * Second extension table, after VIF 0xFB. Large decimal units become powers of ten of the
 * base unit (MWh → Wh·10^6, GJ → J·10^9, t → kg·10^3). Reactive and apparent energy and
 * power and phase angles have no unit in types.ts: '' with the value in varh, VAh, var,
 * VA and degrees.
 */
export const FB_VIFS: readonly VifEntry[] = (() => {
  const t = table();
  fill(t, 0x00, 2, (n) => entry('energy', 'Wh', n + 5));
  fill(t, 0x02, 2, (n) => entry('reactiveEnergy', '', n + 3));
  fill(t, 0x04, 4, (n) => entry('apparentEnergy', '', n + 3));
  fill(t, 0x08, 2, (n) => entry('energy', 'J', n + 8));
  fill(t, 0x0c, 4, (n) => entry('energy', 'J', n - 1, 'number', MEGACALORIE_J));
  fill(t, 0x10, 2, (n) => entry('volume', 'm3', n + 2));
  fill(t, 0x14, 4, (n) => entry('reactivePower', '', n));
  fill(t, 0x18, 2, (n) => entry('mass', 'kg', n + 5));
  fill(t, 0x1a, 2, (n) => entry('relativeHumidity', '%RH', n - 1));
  t[0x20] = entry('volume', 'm3', 0, 'number', CUBIC_FOOT_M3);
  t[0x21] = entry('volume', 'm3', -1, 'number', CUBIC_FOOT_M3);
  t[0x22] = entry('volume', 'm3', -1, 'number', US_GALLON_M3);
  t[0x23] = entry('volume', 'm3', 0, 'number', US_GALLON_M3);
  t[0x24] = entry('volumeFlow', 'm3/min', -3, 'number', US_GALLON_M3);
  t[0x25] = entry('volumeFlow', 'm3/min', 0, 'number', US_GALLON_M3);
  t[0x26] = entry('volumeFlow', 'm3/h', 0, 'number', US_GALLON_M3);
  fill(t, 0x28, 2, (n) => entry('power', 'W', n + 5));
  t[0x2a] = entry('phaseVoltageToVoltage', '', -1);
  t[0x2b] = entry('phaseVoltageToCurrent', '', -1);
  fill(t, 0x2c, 4, (n) => entry('frequency', 'Hz', n - 3));
  fill(t, 0x30, 2, (n) => entry('power', 'J/h', n + 8));
  fill(t, 0x34, 4, (n) => entry('apparentPower', '', n));
  const fahrenheit = (quantity: string) => (n: number) =>
    entry(quantity, '°C', n - 3, 'number', FAHRENHEIT_STEP, -32);
  fill(t, 0x58, 4, fahrenheit('flowTemperature'));
  fill(t, 0x5c, 4, fahrenheit('returnTemperature'));
  // A difference has no zero point to shift: only the step changes.
  fill(t, 0x60, 4, (n) => entry('temperatureDifference', 'K', n - 3, 'number', FAHRENHEIT_STEP));
  fill(t, 0x64, 4, fahrenheit('externalTemperature'));
  const ratingFactors = [
    'resultingRatingFactor',
    'thermalOutputRatingFactor',
    'thermalCouplingRatingFactor',
    'thermalCouplingRatingFactorRoomSide',
    'thermalCouplingRatingFactorHeatingSide',
    'lowTemperatureRatingFactor',
    'displayOutputScalingFactor',
  ];
  ratingFactors.forEach((quantity, n) => (t[0x68 + n] = entry(quantity, '')));
  fill(t, 0x70, 4, fahrenheit('coldWarmTemperatureLimit'));
  fill(t, 0x74, 4, (n) => entry('coldWarmTemperatureLimit', '°C', n - 3));
  fill(t, 0x78, 8, (n) => entry('cumulativeCountMaxPower', 'W', n - 3));
  return t;
})();

function vife(
  modifier: string,
  effect: VifeEffect = 'none',
  unit: Unit = '',
  exponent = 0,
): VifeEntry {
  return { modifier, effect, unit, exponent };
}

function reservedVife(prefix: string, code: number): VifeEntry {
  return vife(`${prefix}${code.toString(16).toUpperCase().padStart(2, '0')}`);
}

/**
 * Combinable (orthogonal) VIFEs. 0x7C (extension: next VIFE from COMBINABLE_EXTENSION_VIFES)
 * and 0x7F (manufacturer-specific VIFEs follow) are handled by the reader, not looked up.
 */
export const COMBINABLE_VIFES: readonly VifeEntry[] = (() => {
  const t = Array.from({ length: 128 }, (_, code) => reservedVife('reservedVife', code));
  // E000 xxxx / E001 xxxx from a meter: record error codes (object actions go the other way).
  const errors: [number, string][] = [
    [0x01, 'errorTooManyDifes'],
    [0x02, 'errorStorageNotImplemented'],
    [0x03, 'errorUnitNotImplemented'],
    [0x04, 'errorTariffNotImplemented'],
    [0x05, 'errorFunctionNotImplemented'],
    [0x06, 'errorDataClassNotImplemented'],
    [0x07, 'errorDataSizeNotImplemented'],
    [0x0b, 'errorTooManyVifes'],
    [0x0c, 'errorIllegalVifGroup'],
    [0x0d, 'errorIllegalVifExponent'],
    [0x0e, 'errorVifDifMismatch'],
    [0x0f, 'errorUnimplementedAction'],
    [0x15, 'errorNoDataAvailable'],
    [0x16, 'errorDataOverflow'],
    [0x17, 'errorDataUnderflow'],
    [0x18, 'errorDataError'],
    [0x1c, 'errorPrematureEndOfRecord'],
  ];
  for (const [code, modifier] of errors) t[code] = vife(modifier);
  // "No error" tells nothing about the value; some meters (ABB) append it to every VIF.
  t[0x00] = vife('', 'skip');
  t[0x12] = vife('averaged');
  t[0x13] = vife('inverseCompactProfile', 'profile');
  t[0x14] = vife('relativeDeviation');
  t[0x1d] = vife('standardConformDataContent');
  t[0x1e] = vife('compactProfileWithRegisterNumbers', 'profile');
  t[0x1f] = vife('compactProfile', 'profile');
  const simple = [
    'perSecond',
    'perMinute',
    'perHour',
    'perDay',
    'perWeek',
    'perMonth',
    'perYear',
    'perRevolution',
    'incrementPerInputPulseChannel0',
    'incrementPerInputPulseChannel1',
    'incrementPerOutputPulseChannel0',
    'incrementPerOutputPulseChannel1',
    'perLitre',
    'perCubicMetre',
    'perKilogram',
    'perKelvin',
    'perKilowattHour',
    'perGigajoule',
    'perKilowatt',
    'perKelvinLitre',
    'perVolt',
    'perAmpere',
    'multipliedBySecond',
    'multipliedBySecondVolt',
    'multipliedBySecondAmpere',
  ];
  simple.forEach((modifier, n) => (t[0x20 + n] = vife(modifier)));
  t[0x39] = vife('startDateOf', 'timePoint');
  t[0x3a] = vife('uncorrectedUnit');
  t[0x3b] = vife('accumulationOnlyIfPositive');
  t[0x3c] = vife('accumulationOfAbsoluteValueOnlyIfNegative');
  t[0x3d] = vife('nonMetricUnits');
  t[0x3e] = vife('valueAtBaseConditions');
  t[0x3f] = vife('obisDeclaration');
  // E100 u000 … E101 ufnn: u = 1 upper, 0 lower limit; f = 1 last, 0 first; b = 1 end, 0 begin.
  for (const u of [0, 1]) {
    const limit = u === 1 ? 'Upper' : 'Lower';
    const base = 0x40 | (u << 3);
    t[base] = vife(`${limit.toLowerCase()}LimitValue`);
    t[base | 1] = vife(`numberOfExceedsOf${limit}Limit`, 'unit', '');
    for (const f of [0, 1]) {
      const which = f === 1 ? 'Last' : 'First';
      for (const b of [0, 1]) {
        const edge = b === 1 ? 'End' : 'Begin';
        t[base | (f << 2) | 2 | b] = vife(
          `dateOf${edge}Of${which}${limit}LimitExceed`,
          'timePoint',
        );
      }
      for (let nn = 0; nn < 4; nn++) {
        t[0x50 | (u << 3) | (f << 2) | nn] = vife(
          `durationOf${which}${limit}LimitExceed`,
          'unit',
          TIME_UNITS[nn]!,
        );
      }
    }
  }
  for (const f of [0, 1]) {
    const which = f === 1 ? 'Last' : 'First';
    for (let nn = 0; nn < 4; nn++) {
      t[0x60 | (f << 2) | nn] = vife(`durationOf${which}`, 'unit', TIME_UNITS[nn]!);
    }
    for (const b of [0, 1]) {
      t[0x68 | (f << 2) | 2 | b] = vife(
        `dateOf${b === 1 ? 'End' : 'Begin'}Of${which}`,
        'timePoint',
      );
    }
  }
  t[0x68] = vife('valueDuringLowerLimitExceed');
  t[0x6c] = vife('valueDuringUpperLimitExceed');
  t[0x69] = vife('leakageValues');
  t[0x6d] = vife('overflowValues');
  for (let nnn = 0; nnn < 8; nnn++) {
    t[0x70 + nnn] = vife('multiplicativeCorrectionFactor', 'scale', '', nnn - 6);
  }
  for (let nn = 0; nn < 4; nn++) {
    t[0x78 + nn] = vife('additiveCorrectionConstant', 'rescale', '', nn - 3);
  }
  t[0x7d] = vife('multiplicativeCorrectionFactor', 'scale', '', 3);
  t[0x7e] = vife('futureValue');
  return t;
})();

/** Combinable VIFEs of the extension table, after a combinable VIFE 0xFC. */
export const COMBINABLE_EXTENSION_VIFES: readonly VifeEntry[] = (() => {
  const t = Array.from({ length: 128 }, (_, code) => reservedVife('reservedVifeFc', code));
  const names: [number, string][] = [
    [0x01, 'atPhase1'],
    [0x02, 'atPhase2'],
    [0x03, 'atPhase3'],
    [0x04, 'atNeutral'],
    [0x05, 'betweenPhases1And2'],
    [0x06, 'betweenPhases2And3'],
    [0x07, 'betweenPhases3And1'],
    [0x08, 'atQuadrant1'],
    [0x09, 'atQuadrant2'],
    [0x0a, 'atQuadrant3'],
    [0x0b, 'atQuadrant4'],
    [0x0c, 'deltaImportExport'],
    [0x0f, 'accumulationOfAbsoluteValue'],
    [0x11, 'dataPresentedWithTypeC'],
    [0x12, 'dataPresentedWithTypeD'],
    [0x13, 'directionToMeter'],
    [0x14, 'directionFromMeter'],
  ];
  for (const [code, modifier] of names) t[code] = vife(modifier);
  return t;
})();

/** A value information coding and its meaning: for encoders choosing a VIF. */
export interface VifCoding {
  /** VIF and, for the extension tables, the VIFE(s) that select the entry. */
  readonly bytes: readonly number[];
  readonly entry: VifEntry;
}

/** Every defined coding of the tables (reserved codes and markers left out). */
export function vifCodings(): VifCoding[] {
  const out: VifCoding[] = [];
  const add = (prefix: number[], entries: readonly VifEntry[], skip: (code: number) => boolean) =>
    entries.forEach((entry, code) => {
      if (entry !== RESERVED && !skip(code)) out.push({ bytes: [...prefix, code], entry });
    });
  add([], PRIMARY_VIFS, (code) => code >= 0x7b);
  add([0xfd], FD_VIFS, () => false);
  add([0xfb], FB_VIFS, () => false);
  add([0xfd, 0xfd], FD_EXTENSION_VIFS, () => false);
  return out;
}
