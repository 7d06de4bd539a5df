import type { Driver } from '../../../types.js';
import { axiomaWater, batteryInYears, gwfWater } from './battery.js';
import { techemFhkvDataIv, zennerCaltos } from './hca-history.js';
import { qundisQwater } from './qwater.js';
import { zenner0b } from './zenner0b.js';

export const drivers: readonly Driver[] = [
  qundisQwater,
  zenner0b,
  zennerCaltos,
  techemFhkvDataIv,
  axiomaWater,
  batteryInYears,
  gwfWater,
];
