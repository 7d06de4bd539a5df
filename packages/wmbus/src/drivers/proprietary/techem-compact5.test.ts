import { techemCompact5Driver } from './techem-compact5.js';
import { corpusSuite } from '../../../test/proprietary-driver-support.js';

corpusSuite(techemCompact5Driver, ['compact5'], 4, {
  total_kwh: 'totalEnergy',
  current_kwh: 'currentEnergy',
  previous_kwh: 'previousEnergy',
});
