import { corpusSuite } from '../../../test/proprietary-driver-support.js';
import { techemFhkvDriver } from './techem-fhkv.js';

corpusSuite(techemFhkvDriver, ['fhkvdataiii'], 4, {
  current_hca: 'currentConsumption',
  current_date: 'currentDate',
  previous_hca: 'previousConsumption',
  previous_date: 'previousDate',
  temp_room_c: 'roomTemperature',
  temp_radiator_c: 'radiatorTemperature',
});
