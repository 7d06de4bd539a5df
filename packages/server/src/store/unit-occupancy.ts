import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { DomainError } from '../domain/errors.js';
import {
  periodHull,
  periodsOverlap,
  type Period,
  type Tenancy,
} from '../domain/tenancy/tenancy.js';
import { isConditionFailed } from './condition-failed.js';
import { tenancyKey, unitKey } from './keys.js';
import { getItem, notFound, recordOf, type Item, type StoreContext } from './tenancy-items.js';

/**
 * The tenancy calendar on the unit item (./README.md, "Tenancies"): the one
 * item every tenancy write of a unit goes through, so that "no two tenancies
 * overlap" is decided by one conditional write, without a transaction.
 *
 * The calendar may cover more than the tenancy items do (a reservation whose
 * tenancy write failed or never came, a widening whose narrowing never came),
 * never less: a tenancy item is written only after its days are reserved.
 * An entry older than the grace period that stands in a new tenancy's way is
 * checked against its tenancy item and corrected.
 */
export const OCCUPANCY = 'occupancy';
export const OCCUPANCY_VERSION = 'occupancyVersion';
export const OCCUPANCY_ATTRIBUTES = [OCCUPANCY, OCCUPANCY_VERSION] as const;

export interface CalendarEntry extends Period {
  /** The tenancy version this entry was written for; narrowing is conditional on it. */
  w: number;
  /** When the entry was written: younger than the grace period, it may be a write in flight. */
  at: string;
}

/** Concurrent reservations on one unit retry this often before giving up. */
const MAX_ATTEMPTS = 8;

export function calendarOf(unit: Item): {
  version: number;
  entries: Record<string, CalendarEntry>;
} {
  const entries = (unit[OCCUPANCY] ?? {}) as Record<string, CalendarEntry>;
  return { version: Number(unit[OCCUPANCY_VERSION] ?? 0), entries };
}

function entry(period: Period, w: number, at: string): CalendarEntry {
  return { from: period.from, ...(period.to === undefined ? {} : { to: period.to }), w, at };
}

/**
 * What a calendar entry in the way really stands for: the entry itself while
 * it may be a write in flight, else its tenancy's days (null when the
 * tenancy does not exist: the entry is a leftover).
 */
async function settledPeriod(
  ctx: StoreContext,
  partnerId: string,
  tenancyId: string,
  e: CalendarEntry,
): Promise<{ period: Period; w: number } | null | 'in-flight'> {
  if (ctx.now().getTime() - Date.parse(e.at) < ctx.claimGraceMs) return 'in-flight';
  const item = await getItem(ctx, tenancyKey(partnerId, tenancyId));
  if (!item) return null;
  const t = recordOf<Tenancy>(item);
  return { period: { from: t.from, ...(t.to === undefined ? {} : { to: t.to }) }, w: t.version };
}

/**
 * Reserves `period` for a tenancy in its unit's calendar (widening its entry
 * if it has one), or CONFLICT when it overlaps another tenancy. Returns the
 * unit item as read for the reservation.
 */
export async function reserve(
  ctx: StoreContext,
  partnerId: string,
  unitId: string,
  tenancyId: string,
  period: Period,
  w: number,
): Promise<Item> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt += 1) {
    const unit = await getItem(ctx, unitKey(partnerId, unitId));
    if (!unit) throw notFound(`unit ${unitId}`, 'unitId');
    const { version, entries } = calendarOf(unit);
    const at = ctx.now().toISOString();
    const overlapping: string[] = [];
    const corrections = new Map<string, CalendarEntry | null>();
    for (const [otherId, other] of Object.entries(entries)) {
      if (otherId === tenancyId || !periodsOverlap(period, other)) continue;
      const settled = await settledPeriod(ctx, partnerId, otherId, other);
      if (settled === 'in-flight') overlapping.push(otherId);
      else if (settled === null) corrections.set(otherId, null);
      else {
        corrections.set(otherId, entry(settled.period, settled.w, other.at));
        if (periodsOverlap(period, settled.period)) overlapping.push(otherId);
      }
    }
    if (overlapping.length > 0) {
      throw new DomainError('CONFLICT', 'the tenancy would overlap another tenancy of the unit', {
        details: { field: 'from', reason: 'overlap', tenancyIds: overlapping.sort() },
      });
    }
    const own = entries[tenancyId];
    const reserved = entry(own ? periodHull(own, period) : period, w, at);
    const names: Record<string, string> = {
      '#occ': OCCUPANCY,
      '#ov': OCCUPANCY_VERSION,
      '#t': tenancyId,
    };
    const values: Record<string, unknown> = { ':e': reserved, ':read': version, ':one': 1 };
    const sets = ['#occ.#t = :e', '#ov = :read + :one'];
    const removes: string[] = [];
    let n = 0;
    for (const [otherId, corrected] of corrections) {
      n += 1;
      names[`#c${n}`] = otherId;
      if (corrected === null) removes.push(`#occ.#c${n}`);
      else {
        values[`:c${n}`] = corrected;
        sets.push(`#occ.#c${n} = :c${n}`);
      }
    }
    try {
      await ctx.doc.send(
        new UpdateCommand({
          TableName: ctx.TableName,
          Key: unitKey(partnerId, unitId),
          UpdateExpression:
            `SET ${sets.join(', ')}` + (removes.length > 0 ? ` REMOVE ${removes.join(', ')}` : ''),
          // Nothing in the calendar changed since it was read: the check above holds.
          ConditionExpression: 'attribute_exists(pk) AND #ov = :read',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
      return unit;
    } catch (err) {
      if (!isConditionFailed(err)) throw err;
      // Another tenancy write of this unit came first: read again and decide again.
    }
  }
  throw new DomainError('CONFLICT', 'the unit is being changed by others; try again', {
    details: { reason: 'busy' },
  });
}

/**
 * Narrows a tenancy's entry to the days its item now has, unless another
 * change has reserved for a later version meanwhile (it will narrow itself).
 */
export async function settle(
  ctx: StoreContext,
  partnerId: string,
  unitId: string,
  tenancyId: string,
  period: Period,
  w: number,
): Promise<void> {
  try {
    await ctx.doc.send(
      new UpdateCommand({
        TableName: ctx.TableName,
        Key: unitKey(partnerId, unitId),
        UpdateExpression: 'SET #occ.#t = :e, #ov = #ov + :one',
        ConditionExpression: '#occ.#t.w = :w',
        ExpressionAttributeNames: { '#occ': OCCUPANCY, '#ov': OCCUPANCY_VERSION, '#t': tenancyId },
        ExpressionAttributeValues: {
          ':e': entry(period, w, ctx.now().toISOString()),
          ':w': w,
          ':one': 1,
        },
      }),
    );
  } catch (err) {
    if (!isConditionFailed(err)) throw err;
  }
}

/** Frees a deleted tenancy's days; a unit deleted meanwhile has no calendar to free. */
export async function release(
  ctx: StoreContext,
  partnerId: string,
  unitId: string,
  tenancyId: string,
): Promise<void> {
  try {
    await ctx.doc.send(
      new UpdateCommand({
        TableName: ctx.TableName,
        Key: unitKey(partnerId, unitId),
        UpdateExpression: 'REMOVE #occ.#t SET #ov = #ov + :one',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeNames: { '#occ': OCCUPANCY, '#ov': OCCUPANCY_VERSION, '#t': tenancyId },
        ExpressionAttributeValues: { ':one': 1 },
      }),
    );
  } catch (err) {
    if (!isConditionFailed(err)) throw err;
  }
}

/**
 * Whether any entry of a unit's calendar stands for a tenancy, or may (a
 * write in flight). Leftovers of crashes do not count.
 */
export async function hasTenancies(
  ctx: StoreContext,
  partnerId: string,
  unit: Item,
): Promise<boolean> {
  for (const [tenancyId, e] of Object.entries(calendarOf(unit).entries)) {
    if ((await settledPeriod(ctx, partnerId, tenancyId, e)) !== null) return true;
  }
  return false;
}
