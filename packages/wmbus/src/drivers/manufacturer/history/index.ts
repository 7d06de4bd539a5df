import type { Driver } from '../../../types.js';
import { bmetersHydroclima } from './bmeters-hydroclima.js';
import { maddalenaEvo868, maddalenaMicroclima } from './maddalena.js';
import { zennerUiws } from './zenner-uiws.js';

export { bmetersHydroclima } from './bmeters-hydroclima.js';
export { maddalenaEvo868, maddalenaMicroclima } from './maddalena.js';
export { zennerUiws } from './zenner-uiws.js';

/**
 * Drivers of this folder (priority 30): meters whose monthly history needs a manufacturer's
 * reading: Maddalena EVO 868 and Microclima (dates from storage numbers), Zenner water
 * meters of version 0x99 (inverse compact profile), B METERS Hydroclima heat cost
 * allocators (manufacturer-specific data).
 */
export const drivers: readonly Driver[] = [
  maddalenaEvo868,
  maddalenaMicroclima,
  zennerUiws,
  bmetersHydroclima,
];
