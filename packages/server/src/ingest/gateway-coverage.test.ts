import { describe, expect, it } from 'vitest';
import { heardMeters } from './gateway-coverage.js';
import type { Reception } from './ingest-store.js';

const rx = (meterId: string, receivedAt: string, rssi: number): Reception => ({
  partnerId: 'p',
  meterId,
  digest: `${meterId}-${receivedAt}`,
  readingAt: receivedAt,
  thingName: 'gw-1',
  receivedAt,
  rssi,
  mode: 'T1',
  replayed: false,
  gatewaySeq: 1,
});

describe('heardMeters', () => {
  it('keeps the latest signal per meter, whatever the order, with its spread', () => {
    const out = heardMeters([
      rx('m-a', '2025-03-01T10:00:00.000Z', -70),
      rx('m-a', '2025-03-01T12:00:00.000Z', -81),
      rx('m-b', '2025-03-01T11:00:00.000Z', -60),
      rx('m-a', '2025-03-01T11:00:00.000Z', -74),
    ]);
    expect(out).toEqual([
      {
        meterId: 'm-b',
        lastHeardAt: '2025-03-01T11:00:00.000Z',
        lastRssi: -60,
        meanRssi: -60,
        minRssi: -60,
        maxRssi: -60,
        receptions: 1,
      },
      {
        meterId: 'm-a',
        lastHeardAt: '2025-03-01T12:00:00.000Z',
        lastRssi: -81,
        meanRssi: -75,
        minRssi: -81,
        maxRssi: -70,
        receptions: 3,
      },
    ]);
  });

  it('rounds the mean to a tenth and orders equal signals by meter', () => {
    const out = heardMeters([
      rx('m-b', '2025-03-01T10:00:00.000Z', -80),
      rx('m-a', '2025-03-01T10:00:00.000Z', -80),
      rx('m-a', '2025-03-01T09:00:00.000Z', -81),
      rx('m-a', '2025-03-01T08:00:00.000Z', -81),
    ]);
    expect(out.map((m) => [m.meterId, m.meanRssi])).toEqual([
      ['m-a', -80.7],
      ['m-b', -80],
    ]);
  });

  it('is empty for nothing heard', () => {
    expect(heardMeters([])).toEqual([]);
  });
});
