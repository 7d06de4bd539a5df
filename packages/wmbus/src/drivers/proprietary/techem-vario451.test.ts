import { techemVario451Driver } from './techem-vario451.js';
import { corpusSuite } from '../../../test/proprietary-driver-support.js';

corpusSuite(techemVario451Driver, ['vario451'], 1, {
  total_kwh: 'totalEnergy',
  current_kwh: 'currentEnergy',
  previous_kwh: 'previousEnergy',
});
