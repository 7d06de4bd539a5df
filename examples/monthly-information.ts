// Prints the monthly consumption information (HeizkostenV §6a) of a dwelling unit as a tenant
// would read it: heating and hot water of the last month in kWh, against the month before, the
// same month a year before and the building's average household.
//
// Against `npm start` (in another terminal), after `npm run build -w @zaehlwerk/sdk`:
//   npx tsx examples/monthly-information.ts [unitId] [YYYY-MM]
// Unit: the first unit of the organisation's first property when not given; month: the last one
// that has ended. Environment as for the other examples (examples/README.md). The demo's meters
// report from `npm start` on, so months before have no data: the example says so.
import type { MonthlyInformation, ZaehlwerkClient } from '@zaehlwerk/sdk';
import {
  connect,
  connectionFromEnv,
  findProperty,
  isMain,
  runAsScript,
  type ExampleOptions,
} from './connect.js';

export interface MonthlyInformationOptions extends ExampleOptions {
  unitId?: string;
  /** `YYYY-MM`; the last month that has ended (in the property's time zone) when absent. */
  month?: string;
}

export interface MonthlyInformationResult {
  unitId: string;
  information: MonthlyInformation;
}

type Section = MonthlyInformation['heating'];
type Figure = Section['current'];

async function firstUnit(zw: ZaehlwerkClient): Promise<string> {
  const property = await findProperty(zw);
  for await (const unit of zw.paginate('/v1/properties/{propertyId}/units', {
    params: { path: { propertyId: property.id } },
  })) {
    return unit.id;
  }
  throw new Error(`property ${property.id} has no unit`);
}

const UNIT_LABEL = { kWh: 'kWh', units: 'units (rated)', m3: 'm³' } as const;

const number = (n: number) => n.toLocaleString('en', { maximumFractionDigits: 2 });
const percent = (n: number | null) => (n === null ? '' : ` (${n > 0 ? '+' : ''}${n} %)`);

/** A month's figure in kWh where there is one, else what was measured and how much of the month. */
function figure(f: Figure, section: Section): string {
  if (f.kwh !== null) return `${number(f.kwh)} kWh`;
  if (f.consumption === null) return 'no data';
  const measured = `${number(f.consumption)} ${UNIT_LABEL[section.unit ?? 'kWh']}`;
  return f.complete
    ? measured
    : `incomplete: ${measured} over ${Math.round(f.coverage * 100)} % of the month`;
}

function printSection(title: string, section: Section, log: (line: string) => void) {
  if (section.unit === null) {
    log(`${title}: no meters`);
    return;
  }
  const c = section.conversion;
  const how =
    c.kwhUnavailable === 'no-kwh-factor'
      ? 'no kWh: the property has no kWh per allocator unit'
      : c.kwhUnavailable === 'allocator-not-rated'
        ? 'no kWh: an allocator has no rating factors'
        : c.kwhUnavailable === 'hot-water-not-central'
          ? 'no kWh: hot water is heated in the flat'
          : c.method === 'hca-factor'
            ? `${c.kwhPerHcaUnit} kWh per allocator unit`
            : c.method === 'hot-water-formula'
              ? `${c.kwhPerM3} kWh per m³ at ${c.hotWaterTemperatureC} °C`
              : 'metered in kWh';
  log(`${title}: ${figure(section.current, section)}  [${how}]`);
  log(
    `  ${section.previousMonth.month}: ${figure(section.previousMonth, section)}${percent(section.changePercent.previousMonth)}`,
  );
  log(
    `  ${section.previousYear.month}: ${figure(section.previousYear, section)}${percent(section.changePercent.previousYear)}`,
  );
  const b = section.benchmark;
  log(
    b.kwh === null
      ? `  comparable households: not available (${b.unavailable})`
      : `  comparable households in the building: ${number(b.kwh)} kWh (${b.kwhPerM2} kWh/m², ${b.units} units)${percent(b.differencePercent)}`,
  );
}

export async function main(
  options: MonthlyInformationOptions = {},
): Promise<MonthlyInformationResult> {
  const log = options.log ?? console.log;
  const zw = await connect(options.connection ?? connectionFromEnv());
  const unitId = options.unitId ?? (await firstUnit(zw));
  // A month that has not ended is refused with the error code MONTH_NOT_ENDED (thrown as ZaehlwerkError).
  const information = await zw.get('/v1/units/{unitId}/monthly-information', {
    params: {
      path: { unitId },
      ...(options.month === undefined ? {} : { query: { month: options.month } }),
    },
  });
  log(`Consumption information ${information.month}, unit ${unitId} (${information.timeZone})`);
  printSection('Heating', information.heating, log);
  printSection('Hot water', information.hotWater, log);
  return { unitId, information };
}

if (isMain(import.meta.url)) {
  const [unitId, month] = process.argv.slice(2);
  runAsScript(() =>
    main({
      ...(unitId === undefined ? {} : { unitId }),
      ...(month === undefined ? {} : { month }),
    }),
  );
}
