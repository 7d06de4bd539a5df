import type { Driver } from '../../../types.js';

export const drivers: readonly Driver[] = [];
