/**
 * Number formatting for consumption values. Intl formats the number; the unit
 * label comes from our own table, because Intl's `style: 'unit'` rejects
 * kilowatt-hour and cubic-meter (they are not sanctioned ECMA-402 units).
 */

export type ConsumptionUnit = 'kWh' | 'MWh' | 'm3' | 'l' | 'hca' | 'degC';

const UNIT_LABELS: Record<ConsumptionUnit, Partial<Record<string, string>> & { default: string }> =
  {
    kWh: { default: 'kWh' },
    MWh: { default: 'MWh' },
    m3: { default: 'm³' },
    l: { default: 'l', en: 'L' },
    // Heat cost allocators count dimensionless units; "Einheiten" is what German bills print.
    hca: { default: 'units', de: 'Einheiten', fr: 'unités', pl: 'jednostki', tr: 'birim' },
    degC: { default: '°C' },
  };

export function unitLabel(unit: ConsumptionUnit, locale: string): string {
  const labels = UNIT_LABELS[unit];
  const language = locale.toLowerCase().split('-')[0] ?? '';
  return labels[language] ?? labels.default;
}

export interface FormatOptions {
  /** Digits after the decimal separator; defaults suit each unit. */
  fractionDigits?: number;
}

const DEFAULT_DIGITS: Record<ConsumptionUnit, number> = {
  kWh: 0,
  MWh: 2,
  m3: 2,
  l: 0,
  hca: 0,
  degC: 1,
};

/** "1.234,5 kWh" in German, "1,234.5 kWh" in English; a narrow no-break space before the unit. */
export function formatConsumption(
  value: number,
  unit: ConsumptionUnit,
  locale: string,
  options: FormatOptions = {},
): string {
  const digits = options.fractionDigits ?? DEFAULT_DIGITS[unit];
  const number = new Intl.NumberFormat(locale, {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  }).format(value);
  const separator = unit === 'degC' ? '\u202f' : '\u00a0';
  return `${number}${separator}${unitLabel(unit, locale)}`;
}
