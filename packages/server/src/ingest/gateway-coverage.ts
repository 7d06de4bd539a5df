import type { Reception } from './ingest-store.js';

/** How well one gateway hears one meter, over the receptions it was given. */
export interface HeardMeter {
  meterId: string;
  lastHeardAt: string;
  /** dBm of the latest reception. */
  lastRssi: number;
  /** Mean dBm, to a tenth: one reception may be a lucky or an unlucky one. */
  meanRssi: number;
  minRssi: number;
  maxRssi: number;
  receptions: number;
}

/**
 * One entry per meter from a gateway's receptions, in any order: what an
 * installer weighs when placing the gateway. Strongest (latest signal) first.
 */
export function heardMeters(receptions: Iterable<Reception>): HeardMeter[] {
  const byMeter = new Map<string, HeardMeter & { sum: number }>();
  for (const r of receptions) {
    const seen = byMeter.get(r.meterId);
    if (seen === undefined) {
      byMeter.set(r.meterId, {
        meterId: r.meterId,
        lastHeardAt: r.receivedAt,
        lastRssi: r.rssi,
        meanRssi: r.rssi,
        minRssi: r.rssi,
        maxRssi: r.rssi,
        receptions: 1,
        sum: r.rssi,
      });
      continue;
    }
    if (r.receivedAt > seen.lastHeardAt) {
      seen.lastHeardAt = r.receivedAt;
      seen.lastRssi = r.rssi;
    }
    seen.minRssi = Math.min(seen.minRssi, r.rssi);
    seen.maxRssi = Math.max(seen.maxRssi, r.rssi);
    seen.receptions += 1;
    seen.sum += r.rssi;
  }
  return [...byMeter.values()]
    .map(({ sum, ...meter }) => ({
      ...meter,
      meanRssi: Math.round((sum / meter.receptions) * 10) / 10,
    }))
    .sort((a, b) => b.lastRssi - a.lastRssi || (a.meterId < b.meterId ? -1 : 1));
}
