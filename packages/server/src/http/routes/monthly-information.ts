import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { dailyConsumption, type DayConsumption } from '../../domain/consumption/consumption.js';
import { addDays, addMonths, daysOfMonth, localDay } from '../../domain/consumption/day.js';
import type { MeterDay } from '../../domain/consumption/meter-day.js';
import {
  monthlyInformation,
  type MeterMonth,
} from '../../domain/consumption/monthly-information.js';
import { DomainError } from '../../domain/errors.js';
import { everyItem } from '../../domain/tenancy/every-item.js';
import type { Meter } from '../../domain/tenancy/meter.js';
import type {
  MeterStore,
  Page,
  PageOptions,
  PropertyStore,
  TenancyStore,
  UnitStore,
} from '../../domain/tenancy/ports.js';
import { minimumAggregationUnits } from '../../domain/tenancy/property.js';
import type { IngestStore, StoredMeterDay } from '../../ingest/ingest-store.js';
import { ErrorRef } from '../schemas/common.js';
import { MonthlyInformationQuery } from '../schemas/monthly-information.js';
import { UnitParams } from '../schemas/units.js';
import { clipDays, INGEST_READERS, outsideTenancy, unitReach } from './ingest-access.js';
import { partnerOf } from './tenancy-access.js';

export interface MonthlyInformationRoutesOptions {
  properties: Pick<PropertyStore, 'get'>;
  units: Pick<UnitStore, 'get' | 'listByProperty'>;
  tenancies: Pick<TenancyStore, 'listByUnit'>;
  meters: Pick<MeterStore, 'listByProperty'>;
  ingest: Pick<IngestStore, 'unitDays' | 'propertyDays'>;
  /** The platform's minimum for aggregates; the benchmark averages at least this many other units. */
  minAggregationUnits: number;
  now?: () => Date;
}

interface DaySpan {
  from: string;
  to: string;
}

function monthNotEnded(month: string, current: string): DomainError {
  return new DomainError(
    'MONTH_NOT_ENDED',
    `${month} has not ended yet in the property's time zone (it is ${current} there)`,
    { details: { month, currentMonth: current } },
  );
}

function monthSpan(month: string): DaySpan {
  const days = daysOfMonth(month);
  return { from: days[0]!, to: days.at(-1)! };
}

/** The meter's installation as local days, both ends included. */
function installedSpan(meter: Meter, timeZone: string): { from: string; to?: string } {
  const from = localDay(meter.installedAt, timeZone);
  return meter.removedAt === undefined
    ? { from }
    : { from, to: localDay(meter.removedAt, timeZone) };
}

function intersect(a: DaySpan, b: { from: string; to?: string }): DaySpan | null {
  const from = a.from > b.from ? a.from : b.from;
  const to = b.to === undefined || b.to > a.to ? a.to : b.to;
  return from <= to ? { from, to } : null;
}

function dayCount(span: DaySpan): number {
  return daysOfMonth(span.from.slice(0, 7)).filter((d) => d >= span.from && d <= span.to).length;
}

/** A stored allocator day in rated units; null for a day recorded before it had rating factors. */
function registerDay(d: StoredMeterDay): MeterDay | null {
  if (d.kind !== 'heat-cost-allocator') return d;
  if (d.firstRated === undefined || d.lastRated === undefined) return null;
  return { ...d, firstValue: d.firstRated, lastValue: d.lastRated };
}

/**
 * One meter in one month: the days it was installed on, and its daily
 * consumption on those of them in `counted`, each window counting from the
 * day before it at the earliest (never from another tenant's days, nor
 * carrying another month's gap into this one).
 */
function meterMonth(
  meter: Meter,
  month: string,
  counted: readonly DaySpan[],
  stored: readonly MeterDay[],
  timeZone: string,
): MeterMonth | null {
  const installed = intersect(monthSpan(month), installedSpan(meter, timeZone));
  if (installed === null) return null;
  const days: DayConsumption[] = [];
  for (const window of counted) {
    const span = intersect(installed, window);
    if (span === null) continue;
    const floor = addDays(span.from, -1);
    days.push(
      ...dailyConsumption(
        stored.filter((d) => d.day >= floor && d.day <= span.to),
        span.from,
        span.to,
      ),
    );
  }
  return {
    kind: meter.kind,
    installedDays: dayCount(installed),
    days,
    ...(meter.kind === 'heat-cost-allocator' ? { rated: meter.ratingFactors !== undefined } : {}),
  };
}

function byMeter(stored: readonly StoredMeterDay[]): Map<string, MeterDay[]> {
  const out = new Map<string, MeterDay[]>();
  for (const d of stored) {
    const day = registerDay(d);
    if (day === null) continue;
    const list = out.get(d.meterId) ?? [];
    list.push(day);
    out.set(d.meterId, list);
  }
  return out;
}

const monthlyInformationRoutes: FastifyPluginAsyncTypebox<MonthlyInformationRoutesOptions> = async (
  app,
  options,
) => {
  const { properties, units, tenancies, meters, ingest } = options;
  const now = options.now ?? (() => new Date());

  app.get(
    '/v1/units/:unitId/monthly-information',
    {
      config: { access: { roles: INGEST_READERS, embed: true } },
      schema: {
        operationId: 'getUnitMonthlyInformation',
        tags: ['consumption'],
        summary: 'A unit’s monthly consumption information (HeizkostenV §6a)',
        description:
          'Heating and hot water of a calendar month in kWh, against the month before, the ' +
          'same month a year before and the building’s average user of the same category. ' +
          'Heat meters count kWh; rated allocator units become kWh with the property’s ' +
          '`energyConversion.kwhPerHcaUnit` (without it: units, and no kWh); hot-water m³ by ' +
          'HeizkostenV §9(2), 2.5 × m³ × (t_w − 10 °C), t_w from `energyConversion` or 60 °C. ' +
          'Only complete months carry kWh and comparisons; `coverage` tells how much of a ' +
          'month was measured. Operators and partner admins see any ended month; tenants ' +
          'months that overlap their tenancies, counting only the tenancies’ days (a month ' +
          'wholly outside is 403); a unit’s widget the current tenancy. Landlords (and a ' +
          'property’s widgets) are refused (403): one unit is one household.',
        params: UnitParams,
        querystring: MonthlyInformationQuery,
        response: {
          200: Type.Ref('MonthlyInformation'),
          400: ErrorRef,
          401: ErrorRef,
          403: ErrorRef,
          404: ErrorRef,
        },
      },
    },
    async (request, reply) => {
      const partnerId = partnerOf(request);
      const at = now();
      const { unit, property, reach } = await unitReach(
        request,
        { properties, units, tenancies },
        request.params.unitId,
        at,
      );

      const { timeZone } = property;
      const currentMonth = localDay(at.toISOString(), timeZone).slice(0, 7);
      const month = request.query.month ?? addMonths(currentMonth, -1);
      if (month >= currentMonth) throw monthNotEnded(month, currentMonth);
      const previousMonth = addMonths(month, -1);
      const previousYear = addMonths(month, -12);

      const countedOf = (m: string): DaySpan[] => {
        const span = monthSpan(m);
        return reach.view === 'tenant' ? clipDays(span.from, span.to, reach.periods) : [span];
      };
      const counted = {
        current: countedOf(month),
        previousMonth: countedOf(previousMonth),
        previousYear: countedOf(previousYear),
      };
      if (counted.current.length === 0) throw outsideTenancy();

      const eve = (m: string) => addDays(monthSpan(m).from, -1);
      const [propertyMeters, propertyUnits, recent, yearBefore, group] = await Promise.all([
        collect((page) => meters.listByProperty(partnerId, property.id, page)),
        collect((page) => units.listByProperty(partnerId, property.id, page)),
        ingest.unitDays(partnerId, unit.id, { from: eve(previousMonth), to: monthSpan(month).to }),
        ingest.unitDays(partnerId, unit.id, {
          from: eve(previousYear),
          to: monthSpan(previousYear).to,
        }),
        ingest.propertyDays(partnerId, property.id, {
          from: eve(month),
          to: monthSpan(month).to,
        }),
      ]);
      const own = byMeter([...recent, ...yearBefore]);
      const others = byMeter(group.filter((d) => d.unitId !== undefined && d.unitId !== unit.id));

      const monthsOf = (
        unitId: string,
        m: string,
        spans: readonly DaySpan[],
        days: Map<string, MeterDay[]>,
      ): MeterMonth[] =>
        propertyMeters
          .filter((meter) => meter.unitId === unitId)
          .flatMap((meter) => {
            const found = meterMonth(meter, m, spans, days.get(meter.id) ?? [], timeZone);
            return found === null ? [] : [found];
          });

      const category = unit.occupantCategory ?? 'residential';
      const information = monthlyInformation({
        month,
        unit: {
          heatedAreaM2: unit.heatedAreaM2,
          livingAreaM2: unit.livingAreaM2,
          current: monthsOf(unit.id, month, counted.current, own),
          previousMonth: monthsOf(unit.id, previousMonth, counted.previousMonth, own),
          previousYear: monthsOf(unit.id, previousYear, counted.previousYear, own),
        },
        // The same user category (§6a(2) Nr. 3): dwellings are not compared with shops.
        group: propertyUnits
          .filter((u) => u.id !== unit.id && (u.occupantCategory ?? 'residential') === category)
          .map((u) => ({
            heatedAreaM2: u.heatedAreaM2,
            livingAreaM2: u.livingAreaM2,
            meters: monthsOf(u.id, month, [monthSpan(month)], others),
          })),
        conversion: {
          ...property.energyConversion,
          hotWaterCentral: property.heatingSystem.warmWaterCentral,
        },
        minimumGroupUnits: Math.max(options.minAggregationUnits, minimumAggregationUnits(property)),
      });
      reply.header('cache-control', 'no-store');
      return {
        unitId: unit.id,
        propertyId: property.id,
        timeZone,
        month,
        occupantCategory: category,
        heating: information.heating,
        hotWater: information.hotWater,
        generatedAt: at.toISOString(),
      };
    },
  );
};

async function collect<T>(list: (page: PageOptions) => Promise<Page<T>>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of everyItem(list)) out.push(item);
  return out;
}

export default monthlyInformationRoutes;
