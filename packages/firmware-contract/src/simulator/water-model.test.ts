import { describe, expect, it } from 'vitest';
import { createFleet } from './fleet.js';
import { localDay } from './meter-clock.js';
import type { WaterMeter } from './virtual-meter.js';
import { leaksBetween, readWater, waterSinceEpochLitres, waterSlotsLitres } from './water-model.js';

const DAY = 86_400_000;
const water = createFleet({ count: 200, seed: 12 }).filter(
  (m): m is WaterMeter => m.kind === 'water-meter',
);
const firstDay = localDay(Date.parse('2025-01-01T12:00:00Z'));

describe('the water model', () => {
  it('uses water by day in 15-minute slots and little at night', () => {
    let night = 0;
    let day = 0;
    for (const meter of water.slice(0, 20)) {
      for (let d = firstDay; d < firstDay + 28; d++) {
        const leaking = leaksBetween(meter, d * DAY - 3_600_000, (d + 1) * DAY).length > 0;
        if (leaking) continue;
        const slots = waterSlotsLitres(meter, d);
        expect(slots).toHaveLength(96);
        night += slots.slice(4, 16).reduce((a, b) => a + b, 0); // 01:00-04:00
        day += slots.slice(28, 40).reduce((a, b) => a + b, 0); // 07:00-10:00
      }
    }
    expect(day).toBeGreaterThan(10 * night);
  });

  it('shows a leak as flow in every slot of the night it runs through', () => {
    let seen = 0;
    for (const meter of water) {
      for (let d = firstDay; d < firstDay + 120; d++) {
        const start = d * DAY - 3_600_000;
        const leak = leaksBetween(meter, start, start + DAY).find(
          (l) => l.startMs <= start && l.endMs >= start + 6 * 3_600_000,
        );
        if (leak === undefined) continue;
        seen += 1;
        const slots = waterSlotsLitres(meter, d);
        for (const slot of slots.slice(0, 24))
          expect(slot).toBeGreaterThanOrEqual(leak.litresPerHour / 4);
      }
    }
    expect(seen).toBeGreaterThan(0);
  });

  it('keeps a register that never goes back and matches its slots', () => {
    for (const meter of water.slice(0, 5)) {
      const d = firstDay + 3;
      const start = d * DAY - 3_600_000;
      const sum = waterSlotsLitres(meter, d).reduce((a, b) => a + b, 0);
      const delta = waterSinceEpochLitres(meter, start + DAY) - waterSinceEpochLitres(meter, start);
      expect(delta).toBeCloseTo(sum, 6);
      let last = -1;
      for (let t = start; t < start + DAY; t += 15 * 60_000) {
        const { volumeM3 } = readWater(meter, t);
        expect(volumeM3).toBeGreaterThanOrEqual(last);
        last = volumeM3;
      }
    }
  });
});
