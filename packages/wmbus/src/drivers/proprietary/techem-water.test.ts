import { techemMkRadio3aDriver, techemMkRadio4Driver } from './techem-water.js';
import { corpusSuite } from '../../../test/proprietary-driver-support.js';

corpusSuite(techemMkRadio4Driver, ['mkradio4'], 1, {
  total_m3: 'totalVolume',
  target_m3: 'targetVolume',
});

corpusSuite(techemMkRadio3aDriver, ['mkradio3a'], 1, {
  total_m3: 'totalVolume',
  target_m3: 'targetMonthConsumption',
  target_date: 'targetDate',
  last_jan_m3: 'consumptionJan',
  last_feb_m3: 'consumptionFeb',
  last_mar_m3: 'consumptionMar',
  last_apr_m3: 'consumptionApr',
  last_may_m3: 'consumptionMay',
  last_jun_m3: 'consumptionJun',
  last_jul_m3: 'consumptionJul',
  last_aug_m3: 'consumptionAug',
  last_sep_m3: 'consumptionSep',
  last_oct_m3: 'consumptionOct',
  last_nov_m3: 'consumptionNov',
  last_dec_m3: 'consumptionDec',
});
