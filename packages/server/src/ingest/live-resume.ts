import { everyItem } from '../domain/tenancy/every-item.js';
import type { Meter } from '../domain/tenancy/meter.js';
import type { MeterStore } from '../domain/tenancy/ports.js';
import { mapLimited } from '../iot/map-limited.js';
import type { IngestStore, Reading } from './ingest-store.js';
import { liveEventId, matchesFilter, type LiveFilter } from './live-hub.js';

/**
 * Where a reconnecting live stream picks up (SSE Last-Event-ID): the readings
 * stored after the last event the client got, read from the store, within
 * bounds; beyond them the client is told to read what it missed itself.
 */

export interface ResumeLimits {
  /** How old the last event may be; older ones are not replayed. */
  windowMs: number;
  /** Readings replayed at most; more means the client re-syncs. */
  maxReadings: number;
  /** Meters whose readings are read at most (a property's); more means the client re-syncs. */
  maxMeters: number;
}

export const DEFAULT_RESUME_LIMITS: ResumeLimits = {
  windowMs: 15 * 60 * 1000,
  maxReadings: 1000,
  maxMeters: 1000,
};

/** Why a stream could not be resumed: the client reads what it missed from the readings routes. */
export type ResetReason =
  /** The id is not one this server sent (`<at>#<digest>`). */
  | 'invalid-id'
  /** The id lies further from now than the window (either way). */
  | 'out-of-window'
  /** More readings, or more meters, than a replay is allowed. */
  | 'too-many';

export type ResumePlan = { replay: Reading[] } | { reset: ResetReason };

/** Readings partitions read at once during a replay. */
const CONCURRENCY = 8;
/** Above every sort key of a readings partition. */
const LATEST = '9999';
/** As liveEventId writes it: a stored instant (UTC, milliseconds) and a frame digest. */
const EVENT_ID = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)#([A-Za-z0-9_-]{1,64})$/;

/** The instant of an event id, or null when the id is not one a live stream sends. */
export function eventIdInstant(id: string): string | null {
  const match = EVENT_ID.exec(id);
  if (match === null) return null;
  const at = match[1]!;
  const ms = Date.parse(at);
  return Number.isNaN(ms) || new Date(ms).toISOString() !== at ? null : at;
}

export interface ResumeContext {
  ingest: Pick<IngestStore, 'listReadings'>;
  meters: Pick<MeterStore, 'listByUnit' | 'listByProperty'>;
  /** The live stream's own filter: a replay shows exactly what the stream would have. */
  filter: LiveFilter;
  lastEventId: string;
  now: Date;
  limits: ResumeLimits;
}

/**
 * The readings a stream with this filter would have sent after
 * `lastEventId`, in id order; or why they cannot be replayed. "After" is in
 * id order, which is the order of the time each reading was first heard: a
 * reading heard before the id's time but stored later (a gateway's buffer,
 * delivered late) is not replayed.
 */
export async function planResume(ctx: ResumeContext): Promise<ResumePlan> {
  const { filter, lastEventId, limits } = ctx;
  const at = eventIdInstant(lastEventId);
  if (at === null) return { reset: 'invalid-id' };
  if (Math.abs(ctx.now.getTime() - Date.parse(at)) > limits.windowMs) {
    return { reset: 'out-of-window' };
  }
  const meterIds = await metersToRead(ctx, at);
  if (meterIds === null) return { reset: 'too-many' };

  let found = 0;
  const perMeter = await mapLimited(meterIds, CONCURRENCY, async (meterId) => {
    const out: Reading[] = [];
    let cursor: string | undefined;
    do {
      if (found > limits.maxReadings) return out;
      const page = await ctx.ingest.listReadings(
        filter.partnerId,
        meterId,
        { from: lastEventId, to: LATEST },
        { limit: 100, order: 'asc', ...(cursor === undefined ? {} : { cursor }) },
      );
      for (const reading of page.items) {
        // The range includes the id itself: it was sent already.
        if (liveEventId(reading) <= lastEventId || !matchesFilter(filter, reading)) continue;
        out.push(reading);
        found += 1;
      }
      cursor = page.cursor ?? undefined;
    } while (cursor !== undefined);
    return out;
  });
  if (found > limits.maxReadings) return { reset: 'too-many' };
  const replay = perMeter.flat().sort((a, b) => {
    const x = liveEventId(a);
    const y = liveEventId(b);
    return x < y ? -1 : x > y ? 1 : a.meterId < b.meterId ? -1 : a.meterId > b.meterId ? 1 : 0;
  });
  return { replay };
}

/**
 * The meters whose partitions can hold what the filter lets through after
 * `since`; null when there are more than a replay may read. Readings are
 * kept per meter, so a unit's or a property's replay reads each of its
 * meters: only those the filter can match (a landlord's: the building's
 * own), and none retired before `since`. An operator's organisation is
 * checked on each reading, as live: a meter's operator may have changed.
 */
async function metersToRead(ctx: ResumeContext, since: string): Promise<string[] | null> {
  const { filter, limits } = ctx;
  if (filter.meterId !== undefined) return [filter.meterId];
  const list =
    filter.unitId !== undefined
      ? (page: { limit?: number; cursor?: string }) =>
          ctx.meters.listByUnit(filter.partnerId, filter.unitId!, page)
      : filter.propertyId !== undefined
        ? (page: { limit?: number; cursor?: string }) =>
            ctx.meters.listByProperty(filter.partnerId, filter.propertyId!, page)
        : null;
  if (list === null) throw new Error('a live filter names a meter, a unit or a property');
  const ids: string[] = [];
  for await (const meter of everyItem(list)) {
    if (!mayHold(filter, meter, since)) continue;
    ids.push(meter.id);
    if (ids.length > limits.maxMeters) return null;
  }
  return ids;
}

function mayHold(filter: LiveFilter, meter: Meter, since: string): boolean {
  if (filter.unitValues === false && meter.unitId !== undefined) return false;
  return meter.removedAt === undefined || Date.parse(meter.removedAt) > Date.parse(since);
}
