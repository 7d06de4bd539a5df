/** Drivers for manufacturer-specific (proprietary) payload layouts, CI 0xA0–0xB7. */
import type { Driver } from '../../types.js';
import { apator08Driver, apator172Driver, apatorEitnDriver } from './apator.js';
import { apatorNa1Driver } from './apator-na1.js';
import { diehlIzarDriver } from './diehl-izar.js';
import { techemCompact5Driver } from './techem-compact5.js';
import { techemFhkvDriver } from './techem-fhkv.js';
import { techemVario451Driver } from './techem-vario451.js';
import { techemMkRadio3aDriver, techemMkRadio4Driver } from './techem-water.js';

export {
  apator08Driver,
  apator172Driver,
  apatorEitnDriver,
  apatorNa1Driver,
  diehlIzarDriver,
  techemCompact5Driver,
  techemFhkvDriver,
  techemMkRadio3aDriver,
  techemMkRadio4Driver,
  techemVario451Driver,
};

export const proprietaryDrivers: Driver[] = [
  diehlIzarDriver,
  apatorNa1Driver,
  techemFhkvDriver,
  apatorEitnDriver,
  techemMkRadio3aDriver,
  techemMkRadio4Driver,
  techemCompact5Driver,
  techemVario451Driver,
  apator08Driver,
  apator172Driver,
];
