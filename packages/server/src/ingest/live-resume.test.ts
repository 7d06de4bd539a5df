import { describe, expect, it } from 'vitest';
import type { Meter } from '../domain/tenancy/meter.js';
import type { Page, PageOptions } from '../domain/tenancy/ports.js';
import type { Reading, TimeRange } from './ingest-store.js';
import { liveEventId } from './live-hub.js';
import {
  DEFAULT_RESUME_LIMITS,
  eventIdInstant,
  planResume,
  type ResumeContext,
} from './live-resume.js';

const NOW = new Date('2025-03-01T12:00:00.000Z');
const ago = (minutes: number) => new Date(NOW.getTime() - minutes * 60_000).toISOString();

function meter(id: string, unitId?: string, removedAt?: string): Meter {
  return {
    id,
    partnerId: 'p',
    organisationId: 'o',
    propertyId: 'prop',
    ...(unitId === undefined ? {} : { unitId }),
    ...(removedAt === undefined ? {} : { removedAt }),
    kind: 'water-meter',
    manufacturer: 'KAM',
    meterId: '12345678',
    deviceVersion: 1,
    deviceType: 7,
    installedAt: '2024-01-01T00:00:00.000Z',
    version: 1,
    createdAt: '2024-01-01T00:00:00.000Z',
    updatedAt: '2024-01-01T00:00:00.000Z',
  } as Meter;
}

function reading(m: Meter, at: string, digest: string): Reading {
  return {
    partnerId: 'p',
    meterId: m.id,
    organisationId: 'o',
    propertyId: 'prop',
    ...(m.unitId === undefined ? {} : { unitId: m.unitId }),
    kind: 'water-meter',
    at,
    digest,
    register: null,
    values: {},
    status: null,
    accessNumber: null,
    securityMode: 5,
    driver: null,
  };
}

/** The ports over arrays, paged as the stores page (by two, to make pages matter). */
function ports(meters: Meter[], readings: Reading[]) {
  const reads: string[] = [];
  const page = <T>(all: T[], options: PageOptions = {}): Page<T> => {
    const start = options.cursor === undefined ? 0 : Number(options.cursor);
    const end = start + Math.min(options.limit ?? 2, 2);
    return { items: all.slice(start, end), cursor: end < all.length ? String(end) : null };
  };
  return {
    reads,
    meters: {
      listByUnit: async (_p: string, unitId: string, options?: PageOptions) =>
        page(
          meters.filter((m) => m.unitId === unitId),
          options,
        ),
      listByProperty: async (_p: string, _prop: string, options?: PageOptions) =>
        page(meters, options),
    },
    ingest: {
      listReadings: async (
        _p: string,
        meterId: string,
        range: TimeRange,
        options: PageOptions = {},
      ) => {
        reads.push(meterId);
        const inRange = readings
          .filter((r) => r.meterId === meterId)
          .filter((r) => liveEventId(r) >= range.from && liveEventId(r) <= range.to)
          .sort((a, b) => (liveEventId(a) < liveEventId(b) ? -1 : 1));
        return page(inRange, options);
      },
    },
  };
}

describe('eventIdInstant', () => {
  it('takes the ids a live stream sends, and nothing else', () => {
    expect(eventIdInstant('2025-03-01T08:00:00.000Z#q3ZJ0Vf2xk6bX1mYc9hF0A')).toBe(
      '2025-03-01T08:00:00.000Z',
    );
    for (const id of [
      '',
      '2025-03-01T08:00:00.000Z',
      '2025-03-01T08:00:00.000Z#',
      '2025-03-01T08:00:00Z#abc',
      '2025-02-30T08:00:00.000Z#abc',
      '2025-03-01T08:00:00.000Z#a#b',
      '2025-03-01T08:00:00.000Z#a b',
      ' 2025-03-01T08:00:00.000Z#abc',
    ]) {
      expect(eventIdInstant(id), id).toBeNull();
    }
  });
});

describe('planResume', () => {
  const limits = DEFAULT_RESUME_LIMITS;

  it('replays after the id across the meters, in id order, past the pages', async () => {
    const a = meter('m-a', 'u1');
    const b = meter('m-b', 'u1');
    const last = reading(a, ago(10), 'x0');
    const later = [
      reading(b, ago(9), 'b1'),
      reading(a, ago(8), 'a1'),
      reading(a, ago(7), 'a2'),
      reading(b, ago(7), 'a0'),
      reading(a, ago(1), 'a3'),
    ];
    const p = ports([a, b], [reading(a, ago(11), 'old'), last, ...later]);
    const ctx: ResumeContext = {
      ...p,
      filter: { partnerId: 'p', unitId: 'u1' },
      lastEventId: liveEventId(last),
      now: NOW,
      limits,
    };
    const plan = await planResume(ctx);
    expect(plan).toEqual({
      replay: [later[0], later[1], later[3], later[2], later[4]],
    });
  });

  it('reads only the meters the filter can match', async () => {
    const p = ports(
      [meter('in-unit', 'u1'), meter('building'), meter('gone', undefined, ago(20))],
      [],
    );
    await planResume({
      ...p,
      filter: { partnerId: 'p', propertyId: 'prop', unitValues: false },
      lastEventId: `${ago(10)}#x`,
      now: NOW,
      limits,
    });
    expect(p.reads).toEqual(['building']);
  });

  it('resets beyond its bounds', async () => {
    const meters = [meter('m1'), meter('m2'), meter('m3')];
    const readings = meters.flatMap((m, i) => [
      reading(m, ago(5), `r${i}a`),
      reading(m, ago(4), `r${i}b`),
    ]);
    const base = {
      filter: { partnerId: 'p', propertyId: 'prop' },
      lastEventId: `${ago(10)}#x`,
      now: NOW,
    };
    const plan = (overrides: Partial<typeof limits>, lastEventId = base.lastEventId) =>
      planResume({
        ...ports(meters, readings),
        ...base,
        lastEventId,
        limits: { ...limits, ...overrides },
      });
    expect(await plan({ maxMeters: 3, maxReadings: 6 })).toMatchObject({
      replay: expect.any(Array),
    });
    expect(await plan({ maxMeters: 2 })).toEqual({ reset: 'too-many' });
    expect(await plan({ maxReadings: 5 })).toEqual({ reset: 'too-many' });
    expect(await plan({}, `${ago(16)}#x`)).toEqual({ reset: 'out-of-window' });
    expect(await plan({ windowMs: 20 * 60_000 }, `${ago(16)}#x`)).toMatchObject({
      replay: expect.any(Array),
    });
    expect(await plan({}, 'x')).toEqual({ reset: 'invalid-id' });
  });
});
