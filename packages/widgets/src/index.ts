export {
  formatConsumption,
  unitLabel,
  type ConsumptionUnit,
  type FormatOptions,
} from './format.js';
