import { describe, expect, it } from 'vitest';
import { createFleet } from './fleet.js';
import { heatSinceEpochKwh, readHca, readHeat } from './heating-model.js';
import type { HcaMeter, HeatMeter } from './virtual-meter.js';

const HOUR = 3_600_000;
const fleet = createFleet({ count: 40, seed: 8 });
const heat = fleet.filter((m): m is HeatMeter => m.kind === 'heat-meter');
const hcas = fleet.filter((m): m is HcaMeter => m.kind === 'heat-cost-allocator');

const use = (m: HeatMeter | HcaMeter, from: string, hours: number) =>
  heatSinceEpochKwh(m, Date.parse(from) + hours * HOUR) - heatSinceEpochKwh(m, Date.parse(from));

describe('the heating model', () => {
  it('never runs backwards', () => {
    for (const meter of [...heat, ...hcas].slice(0, 6)) {
      let last = -1;
      for (
        let t = Date.parse('2024-06-01T00:00:00Z');
        t < Date.parse('2025-06-01T00:00:00Z');
        t += 7 * HOUR
      ) {
        const kwh = heatSinceEpochKwh(meter, t);
        expect(kwh).toBeGreaterThanOrEqual(last);
        last = kwh;
      }
    }
  });

  it('heats far more in winter than in summer', () => {
    for (const meter of heat) {
      const january = use(meter, '2025-01-01T00:00:00Z', 31 * 24);
      const july = use(meter, '2024-07-01T00:00:00Z', 31 * 24);
      expect(january).toBeGreaterThan(10 * july + 50);
    }
  });

  it('shows the night setback: the morning warm-up takes more than the last setback hour', () => {
    // Setback until 06:00 local (05:00 UTC), then an hour at 21 °C before the day's 20 °C.
    let setback = 0;
    let warmUp = 0;
    for (let d = 0; d < 7; d++) {
      const date = `2025-01-${String(13 + d).padStart(2, '0')}`;
      for (const meter of heat) {
        setback += use(meter, `${date}T04:00:00Z`, 1);
        warmUp += use(meter, `${date}T05:00:00Z`, 1);
      }
    }
    expect(warmUp).toBeGreaterThan(1.2 * setback);
  });

  it('starts allocators from zero at the due date and keeps the last period', () => {
    for (const meter of hcas) {
      const newYear = readHca(meter, Date.parse('2024-12-31T23:00:00Z') + 1000);
      expect(newYear.currentUnits).toBeLessThanOrEqual(1);
      expect(newYear.dueDate).toBe('2024-12-31');
      const march = readHca(meter, Date.parse('2025-03-01T00:00:00Z'));
      expect(march.dueDateUnits).toBe(newYear.dueDateUnits);
      expect(march.currentUnits).toBeGreaterThan(0);
    }
  });

  it('gives heat meters consistent readings: power only when heating, flow above return', () => {
    for (const meter of heat) {
      const winter = readHeat(meter, Date.parse('2025-01-15T08:00:00Z'));
      expect(winter.powerW).toBeGreaterThan(0);
      expect(winter.flowTemperatureC).toBeGreaterThan(winter.returnTemperatureC);
      expect(winter.energyKwh).toBeGreaterThanOrEqual(winter.dueDateEnergyKwh);
    }
  });
});
