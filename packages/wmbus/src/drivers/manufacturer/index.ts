import type { Driver } from '../../types.js';
import { drivers as diehl } from './diehl/index.js';
import { drivers as history } from './history/index.js';
import { drivers as kamstrup } from './kamstrup/index.js';
import { drivers as kamstrupWater } from './kamstrup-water/index.js';
import { drivers as qundisZenner } from './qundis-zenner/index.js';

/** Drivers for meters whose standard records need a manufacturer's reading to be named right. */
export const manufacturerDrivers: readonly Driver[] = [
  ...kamstrup,
  ...kamstrupWater,
  ...qundisZenner,
  ...history,
  ...diehl,
];
