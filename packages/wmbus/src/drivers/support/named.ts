import type { NamedValue, Unit } from '../../types.js';

/** A driver's value in its unit; '' (dimensionless) for dates, flags and counters. */
export function named(value: NamedValue['value'], unit: Unit = ''): NamedValue {
  return { value, unit };
}
