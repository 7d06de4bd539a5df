import { describe, expect, it } from 'vitest';
import { corpusSuite, inputFromTelegram } from '../../../test/proprietary-driver-support.js';
import { isWmbusError } from '../../wmbus-error.js';
import { diehlIzarDriver } from './diehl-izar.js';

const NAMES: Record<string, string> = {
  total_m3: 'totalVolume',
  target_m3: 'targetVolume',
  last_month_total_m3: 'targetVolume',
  target_date: 'targetDate',
  last_month_measure_date: 'targetDate',
  battery_y: 'remainingBatteryLife',
  remaining_battery_life_y: 'remainingBatteryLife',
  transmit_period_s: 'transmitPeriod',
};

corpusSuite(diehlIzarDriver, ['izar', 'izarv2'], 13, NAMES);

describe('diehl-izar-prios errors', () => {
  it('rejects a telegram scrambled with an unknown key', () => {
    // izar-001 with the first scrambled byte changed: no key gives the check byte.
    const input = inputFromTelegram('1944304C72242421D401A2013D4013DE8B46A4999C1293E582CC');
    try {
      diehlIzarDriver.decode(input);
      expect.unreachable();
    } catch (err) {
      expect(isWmbusError(err) && err.code).toBe('DECRYPTION_FAILED');
    }
  });

  it('rejects a short payload with FRAME_TOO_SHORT', () => {
    const input = inputFromTelegram('1944304C72242421D401A2013D4013DD8B46A4');
    expect(() => diehlIzarDriver.decode(input)).toThrow(/needs 15 bytes/);
  });
});
