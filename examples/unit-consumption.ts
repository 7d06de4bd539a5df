// Reads a dwelling unit's consumption, summed over its meters per register: by day for the
// last two weeks and by month for this year, in the property's time zone.
//
// Against `npm start` (in another terminal), after `npm run build -w @zaehlwerk/sdk`:
//   npx tsx examples/unit-consumption.ts [unitId]
// Unit: the first unit of the organisation's first property when not given. Environment:
// ZW_BASE_URL (http://127.0.0.1:3000), ZW_API_KEY or ZW_EMAIL/ZW_PASSWORD/ZW_PARTNER (the
// demo operator). The demo's meters report from `npm start` on: days before have no data.
import type { UnitConsumption, ZaehlwerkClient } from '@zaehlwerk/sdk';
import {
  connect,
  connectionFromEnv,
  findProperty,
  isMain,
  runAsScript,
  type ExampleOptions,
} from './connect.js';

export interface UnitConsumptionOptions extends ExampleOptions {
  unitId?: string;
  /** The day the periods end with; today when absent. */
  today?: Date;
}

export interface UnitConsumptionResult {
  unitId: string;
  daily: UnitConsumption;
  monthly: UnitConsumption;
}

const day = (d: Date) => d.toISOString().slice(0, 10);

async function firstUnit(zw: ZaehlwerkClient): Promise<string> {
  const property = await findProperty(zw);
  for await (const unit of zw.paginate('/v1/properties/{propertyId}/units', {
    params: { path: { propertyId: property.id } },
  })) {
    return unit.id;
  }
  throw new Error(`property ${property.id} has no unit`);
}

function print(consumption: UnitConsumption, log: (line: string) => void) {
  log(
    `${consumption.granularity === 'day' ? 'By day' : 'By month'}, ${consumption.from} to ${consumption.to} (${consumption.timeZone})${consumption.clipped ? ', cut to the tenancy' : ''}`,
  );
  if (consumption.registers.length === 0) log('  no meters');
  for (const register of consumption.registers) {
    const unit = register.rated ? `${register.unit} (rated)` : register.unit;
    log(`  ${register.kind}, ${unit}: total ${register.total ?? '-'}`);
    for (const point of register.series) {
      const notes = [point.estimated ? 'estimated' : '', point.reset ? 'reset' : '']
        .filter(Boolean)
        .join(', ');
      log(`    ${point.period}  ${point.consumption ?? '-'}${notes ? `  (${notes})` : ''}`);
    }
  }
}

export async function main(options: UnitConsumptionOptions = {}): Promise<UnitConsumptionResult> {
  const log = options.log ?? console.log;
  const zw = await connect(options.connection ?? connectionFromEnv());
  const unitId = options.unitId ?? (await firstUnit(zw));
  const today = options.today ?? new Date();
  const twoWeeksAgo = new Date(today.getTime() - 13 * 86_400_000);
  const newYear = `${today.getUTCFullYear()}-01-01`;

  const consumption = (from: string, granularity: 'day' | 'month') =>
    zw.get('/v1/units/{unitId}/consumption', {
      params: { path: { unitId }, query: { from, to: day(today), granularity } },
    });
  const [daily, monthly] = await Promise.all([
    consumption(day(twoWeeksAgo), 'day'),
    consumption(newYear, 'month'),
  ]);
  log(`unit ${unitId}`);
  print(daily, log);
  print(monthly, log);
  return { unitId, daily, monthly };
}

if (isMain(import.meta.url)) {
  runAsScript(() => main(process.argv[2] === undefined ? {} : { unitId: process.argv[2] }));
}
