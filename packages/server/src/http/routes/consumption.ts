import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { addDays, daysBetween, isDay } from '../../domain/consumption/day.js';
import { DomainError } from '../../domain/errors.js';
import type { PropertyStore, TenancyStore, UnitStore } from '../../domain/tenancy/ports.js';
import { minimumAggregationUnits } from '../../domain/tenancy/property.js';
import { invalid } from '../../domain/tenancy/validation.js';
import {
  BASELINE_LOOKBACK_DAYS,
  byRegister,
  contributingUnits,
  landlordReport,
  meterReport,
  meterSeries,
  rangeWindow,
  sumReport,
  unitTotals,
  type DayWindow,
  type Granularity,
} from '../../ingest/consumption-report.js';
import type { IngestStore } from '../../ingest/ingest-store.js';
import { ErrorRef } from '../schemas/common.js';
import { ConsumptionQuery, MAX_DAYS, MAX_MONTHS } from '../schemas/consumption.js';
import { PropertyParams } from '../schemas/properties.js';
import { UnitParams } from '../schemas/units.js';
import {
  clipDays,
  INGEST_READERS,
  outsideTenancy,
  reachOf,
  unitReach,
  unitValuesRefused,
} from './ingest-access.js';
import { loadProperty, partnerOf, propertyScope } from './tenancy-access.js';

export interface ConsumptionRoutesOptions {
  properties: Pick<PropertyStore, 'get'>;
  units: Pick<UnitStore, 'get'>;
  tenancies: Pick<TenancyStore, 'listByUnit'>;
  ingest: Pick<IngestStore, 'unitDays' | 'propertyDays'>;
  /** The platform's minimum for landlords' aggregates; a property may raise it. */
  minAggregationUnits: number;
  now?: () => Date;
}

interface Range {
  from: string;
  to: string;
  granularity: Granularity;
}

function monthIndex(day: string): number {
  return Number(day.slice(0, 4)) * 12 + Number(day.slice(5, 7));
}

/** The range asked for, within what one request may ask for. */
export function checkedRange(query: {
  from: string;
  to: string;
  granularity?: Granularity;
}): Range {
  const { from, to } = query;
  const granularity = query.granularity ?? 'day';
  if (!isDay(from)) throw invalid('from', 'format', `'${from}' is not a calendar day`);
  if (!isDay(to)) throw invalid('to', 'format', `'${to}' is not a calendar day`);
  if (to < from) throw invalid('to', 'order', 'must not be before from');
  if (granularity === 'day' && daysBetween(from, to).length > MAX_DAYS) {
    throw invalid('to', 'out-of-range', `at most ${MAX_DAYS} days by day; ask by month`);
  }
  if (granularity === 'month' && monthIndex(to) - monthIndex(from) + 1 > MAX_MONTHS) {
    throw invalid('to', 'out-of-range', `at most ${MAX_MONTHS} months`);
  }
  return { from, to, granularity };
}

function tooSmall(units: number, minimumUnits: number): DomainError {
  return new DomainError(
    'AGGREGATION_TOO_SMALL',
    `${units} units have data in the period; a landlord's total needs ${minimumUnits}`,
    { details: { units, minimumUnits } },
  );
}

const DESCRIPTION_UNITS =
  'Per kind and register unit: heat in kWh, water in m³, heat cost allocators in display units ' +
  'and, where rating factors are known, in rated units (the comparable ones). A day’s ' +
  'consumption runs from the last reading of the day before to the day’s last reading; days ' +
  'without data are null and the next day with data carries them (`estimated`, `gapDays`).';

const consumptionRoutes: FastifyPluginAsyncTypebox<ConsumptionRoutesOptions> = async (
  app,
  options,
) => {
  const { properties, units, tenancies, ingest } = options;
  const now = options.now ?? (() => new Date());

  app.get(
    '/v1/units/:unitId/consumption',
    {
      config: { access: { roles: INGEST_READERS, embed: true } },
      schema: {
        operationId: 'getUnitConsumption',
        tags: ['consumption'],
        summary: "A unit's consumption by day or month",
        description:
          `${DESCRIPTION_UNITS} Operators and partner admins see any period, with each ` +
          'meter’s part. Tenants see the days of their own tenancies only: a range partly ' +
          'outside is cut to them (`clipped`), one wholly outside is 403. A unit’s widget sees ' +
          'the unit’s current tenancy. Landlords (and a property’s widgets) are refused (403): ' +
          'a unit is one household; they read the property’s total.',
        params: UnitParams,
        querystring: ConsumptionQuery,
        response: {
          200: Type.Ref('UnitConsumption'),
          400: ErrorRef,
          401: ErrorRef,
          403: ErrorRef,
          404: ErrorRef,
        },
      },
    },
    async (request, reply) => {
      const range = checkedRange(request.query);
      const partnerId = partnerOf(request);
      const { unit, property, reach } = await unitReach(
        request,
        { properties, units, tenancies },
        request.params.unitId,
        now(),
      );
      let windows: DayWindow[] = [rangeWindow(range.from, range.to)];
      if (reach.view === 'tenant') {
        // Each window counts from the eve of its tenancy at the earliest: never an earlier tenant's.
        windows = reach.periods.flatMap((period) =>
          clipDays(range.from, range.to, [period]).map((w) => {
            const eve = addDays(period.from, -1);
            const lookback = addDays(w.from, -BASELINE_LOOKBACK_DAYS);
            return { ...w, floor: eve > lookback ? eve : lookback };
          }),
        );
        if (windows.length === 0) throw outsideTenancy();
      }
      const first = windows[0]!;
      const last = windows.at(-1)!;
      const stored = await ingest.unitDays(partnerId, unit.id, {
        from: windows.reduce((f, w) => (w.floor < f ? w.floor : f), first.floor),
        to: last.to,
      });
      const series = meterSeries(stored, windows);
      const manager = reach.view === 'manager';
      reply.header('cache-control', 'no-store');
      return {
        unitId: unit.id,
        propertyId: property.id,
        timeZone: property.timeZone,
        granularity: range.granularity,
        from: first.from,
        to: last.to,
        clipped: first.from !== range.from || last.to !== range.to || windows.length > 1,
        registers: byRegister(series).map((group) => ({
          ...sumReport(group.key, group.series, range.granularity),
          ...(manager
            ? { meters: group.series.map((s) => meterReport(s, range.granularity)) }
            : {}),
        })),
      };
    },
  );

  app.get(
    '/v1/properties/:propertyId/consumption',
    {
      config: { access: { roles: INGEST_READERS, embed: true } },
      schema: {
        operationId: 'getPropertyConsumption',
        tags: ['consumption'],
        summary: "A property's consumption by day or month",
        description:
          `${DESCRIPTION_UNITS} \`registers\` sums all dwelling units, \`building\` the ` +
          'property’s own meters. Operators and partner admins also get each unit’s total and ' +
          'each building meter’s part. Landlords (and a property’s widgets) get the totals only, ' +
          'and only when at least `minimumUnits` units have data in the period: otherwise 403 ' +
          'AGGREGATION_TOO_SMALL (`context`: `units`, `minimumUnits`). A register fewer units ' +
          'count in is `withheld`, and so is a day fewer units had data on.',
        params: PropertyParams,
        querystring: ConsumptionQuery,
        response: {
          200: Type.Ref('PropertyConsumption'),
          400: ErrorRef,
          401: ErrorRef,
          403: ErrorRef,
          404: ErrorRef,
        },
      },
    },
    async (request, reply) => {
      const range = checkedRange(request.query);
      const partnerId = partnerOf(request);
      const property = await loadProperty(properties, partnerId, request.params.propertyId);
      const grants = request.authorize(propertyScope(property));
      const reach = await reachOf(request, grants, { tenancies, property, now: now() });
      // A tenant's grant reaches no property; reachOf says tenant only for one without periods.
      if (reach.view === 'tenant') throw unitValuesRefused();
      const minimumUnits = Math.max(options.minAggregationUnits, minimumAggregationUnits(property));
      const window = rangeWindow(range.from, range.to);
      const stored = await ingest.propertyDays(partnerId, property.id, {
        from: window.floor,
        to: window.to,
      });
      const series = meterSeries(stored, [window]);
      const dwelling = series.filter((s) => s.unitId !== undefined);
      const building = series.filter((s) => s.unitId === undefined);
      const unitCount = contributingUnits(dwelling);
      const landlord = reach.view === 'landlord';
      if (landlord && unitCount < minimumUnits) throw tooSmall(unitCount, minimumUnits);
      const { granularity } = range;
      reply.header('cache-control', 'no-store');
      return {
        propertyId: property.id,
        timeZone: property.timeZone,
        granularity,
        from: range.from,
        to: range.to,
        units: unitCount,
        minimumUnits,
        registers: byRegister(dwelling).map((group) => {
          if (!landlord) {
            return {
              ...sumReport(group.key, group.series, granularity),
              units: unitTotals(group.key, group.series, granularity),
            };
          }
          const shown = landlordReport(group.key, group.series, minimumUnits, granularity);
          if (shown === null) {
            return { ...group.key, total: null, series: [], withheld: true };
          }
          const { units: _count, ...rest } = shown;
          return rest;
        }),
        building: byRegister(building).map((group) => ({
          ...sumReport(group.key, group.series, granularity),
          ...(landlord ? {} : { meters: group.series.map((s) => meterReport(s, granularity)) }),
        })),
      };
    },
  );
};

export default consumptionRoutes;
