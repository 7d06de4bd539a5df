import type { Driver } from '../../../types.js';
import { bmetersHydrodigit } from './hydrodigit.js';
import { kamstrupMulticalHeat } from './multical-heat.js';
import { ecomessPicoflux } from './picoflux.js';
import { kamstrupPressure } from './pressure.js';

export { knownCompactFormat, KNOWN_COMPACT_FORMATS } from './known-compact-formats.js';
export { kamstrupMulticalHeat } from './multical-heat.js';
export { kamstrupPressure } from './pressure.js';
export { bmetersHydrodigit } from './hydrodigit.js';
export { ecomessPicoflux } from './picoflux.js';

/**
 * Drivers of this folder (priority 30): Kamstrup MULTICAL heat/cooling meters and pressure
 * sensor; B METERS HydroDigit water meters (leak date, backflow, monthly values); Ecomess
 * Picoflux AiR water meters (leak alarm).
 */
export const drivers: readonly Driver[] = [
  kamstrupMulticalHeat,
  kamstrupPressure,
  bmetersHydrodigit,
  ecomessPicoflux,
];
