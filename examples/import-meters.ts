// Imports meters and their keys from one CSV file: creates the meters in a property (those it
// already has are left as they are), then uploads the file to the key import, which matches
// each line to its meter and reports every line.
//
// Against `npm start` (in another terminal), after `npm run build -w @zaehlwerk/sdk`:
//   npx tsx examples/import-meters.ts [file.csv]
// File: examples/data/meters.csv when not given. Environment: ZW_BASE_URL
// (http://127.0.0.1:3000), ZW_API_KEY or ZW_EMAIL/ZW_PASSWORD/ZW_PARTNER (the demo operator),
// ZW_PROPERTY_ID (the organisation's first property), ZW_DRY_RUN=true (store no keys).
import { readFile } from 'node:fs/promises';
import {
  isZaehlwerkError,
  type Meter,
  type MeterKeyImportReport,
  type ZaehlwerkClient,
} from '@zaehlwerk/sdk';
import {
  connect,
  connectionFromEnv,
  findProperty,
  isMain,
  runAsScript,
  type ExampleOptions,
} from './connect.js';

export interface ImportMetersOptions extends ExampleOptions {
  /** The CSV: a header line naming the columns, `;` or `,` between fields, `#` comments. */
  csvPath?: string;
  propertyId?: string;
  /** Report what the key import would do, storing no key (meters are created all the same). */
  dryRun?: boolean;
}

type MeterKind = Meter['kind'];

/** One line of the file, as the meter it describes. */
interface MeterRow {
  line: number;
  manufacturer: string;
  meterId: string;
  version: number;
  deviceType: number;
  kind: MeterKind;
  unit: string;
  location: string;
}

export interface MeterOutcome {
  line: number;
  meterId: string;
  /** created; exists (the property has it already); or failed, with the API's error code. */
  outcome: 'created' | 'exists' | 'failed';
  id?: string;
  error?: string;
}

export interface ImportMetersResult {
  propertyId: string;
  meters: MeterOutcome[];
  keys: MeterKeyImportReport;
}

const KINDS: readonly MeterKind[] = [
  'heat-cost-allocator',
  'heat-meter',
  'water-meter',
  'warm-water-meter',
];

function readRows(csv: string): MeterRow[] {
  const lines = csv.split(/\r?\n/);
  const headerIndex = lines.findIndex((l) => l.trim() !== '' && !l.startsWith('#'));
  const separator = lines[headerIndex]!.includes(';') ? ';' : ',';
  const columns = lines[headerIndex]!.split(separator).map((c) => c.trim());
  const rows: MeterRow[] = [];
  lines.forEach((text, index) => {
    if (index <= headerIndex || text.trim() === '' || text.startsWith('#')) return;
    const fields = new Map(columns.map((c, i) => [c, text.split(separator)[i]?.trim() ?? '']));
    const kind = fields.get('kind') as MeterKind;
    if (!KINDS.includes(kind)) throw new Error(`line ${index + 1}: unknown kind "${kind}"`);
    rows.push({
      line: index + 1,
      manufacturer: fields.get('manufacturer') ?? '',
      meterId: fields.get('meterId') ?? '',
      version: Number(fields.get('version')),
      deviceType: Number(fields.get('deviceType')),
      kind,
      unit: fields.get('unit') ?? '',
      location: fields.get('location') ?? '',
    });
  });
  return rows;
}

const identity = (m: {
  manufacturer: string;
  meterId: string;
  deviceVersion: number;
  deviceType: number;
}) => `${m.manufacturer.toUpperCase()} ${m.meterId} v${m.deviceVersion} t${m.deviceType}`;

async function createMeters(
  zw: ZaehlwerkClient,
  propertyId: string,
  rows: MeterRow[],
): Promise<MeterOutcome[]> {
  const unitIds = new Map<string, string>();
  for await (const unit of zw.paginate('/v1/properties/{propertyId}/units', {
    params: { path: { propertyId } },
  })) {
    unitIds.set(unit.name, unit.id);
  }
  const existing = new Map<string, string>();
  for await (const meter of zw.paginate('/v1/properties/{propertyId}/meters', {
    params: { path: { propertyId } },
  })) {
    existing.set(identity(meter), meter.id);
  }

  const outcomes: MeterOutcome[] = [];
  for (const row of rows) {
    const body = {
      kind: row.kind,
      manufacturer: row.manufacturer,
      meterId: row.meterId,
      deviceVersion: row.version,
      deviceType: row.deviceType,
      installedAt: '2025-01-01T00:00:00Z',
      ...(row.location === '' ? {} : { location: row.location }),
    };
    const known = existing.get(identity(body));
    if (known !== undefined) {
      outcomes.push({ line: row.line, meterId: row.meterId, outcome: 'exists', id: known });
      continue;
    }
    const unitId = unitIds.get(row.unit);
    if (row.unit !== '' && unitId === undefined) {
      outcomes.push({
        line: row.line,
        meterId: row.meterId,
        outcome: 'failed',
        error: `no unit "${row.unit}"`,
      });
      continue;
    }
    try {
      const meter = await zw.post('/v1/properties/{propertyId}/meters', {
        params: { path: { propertyId } },
        body: { ...body, ...(unitId === undefined ? {} : { unitId }) },
      });
      outcomes.push({ line: row.line, meterId: row.meterId, outcome: 'created', id: meter.id });
    } catch (error) {
      // A line that cannot be created (CONFLICT: installed elsewhere) does not stop the others.
      if (!isZaehlwerkError(error)) throw error;
      outcomes.push({
        line: row.line,
        meterId: row.meterId,
        outcome: 'failed',
        error: `${error.code}: ${error.message}`,
      });
    }
  }
  return outcomes;
}

export async function main(options: ImportMetersOptions = {}): Promise<ImportMetersResult> {
  const log = options.log ?? console.log;
  const zw = await connect(options.connection ?? connectionFromEnv());
  const csvPath = options.csvPath ?? new URL('data/meters.csv', import.meta.url).pathname;
  const csv = await readFile(csvPath, 'utf8');
  const property = await findProperty(zw, options.propertyId);
  log(`property ${property.id} (${property.name ?? property.address.street})`);

  const meters = await createMeters(zw, property.id, readRows(csv));
  for (const m of meters) {
    log(
      `line ${m.line}: meter ${m.meterId} ${m.outcome}${m.id ? ` as ${m.id}` : ''}${m.error ? ` (${m.error})` : ''}`,
    );
  }

  // The file goes as it is: the import reads its header and skips the columns it does not know.
  const keys = await zw.post('/v1/properties/{propertyId}/meter-keys/import', {
    params: { path: { propertyId: property.id }, query: { dryRun: options.dryRun ?? false } },
    body: { text: csv },
    // Storing the same keys twice changes nothing: with a key the call may be retried safely.
    idempotencyKey: crypto.randomUUID(),
    timeoutMs: 120_000,
  });
  for (const line of keys.lines) {
    const meter = line.meter
      ? ` ${line.meter.manufacturer} ${line.meter.meterId} (${line.meter.id})`
      : '';
    const detail =
      line.status === 'rejected' ? `: ${line.reason}` : line.replacedKey ? ', key replaced' : '';
    log(`line ${line.line}: key ${line.status}${meter}${detail}`);
  }
  const { accepted, rejected, ignored } = keys.summary;
  log(
    `keys: ${accepted} accepted, ${rejected} rejected, ${ignored} lines ignored${keys.dryRun ? ' (dry run: nothing stored)' : ''}`,
  );
  return { propertyId: property.id, meters, keys };
}

if (isMain(import.meta.url)) {
  runAsScript(() =>
    main({
      ...(process.argv[2] === undefined ? {} : { csvPath: process.argv[2] }),
      ...(process.env.ZW_PROPERTY_ID ? { propertyId: process.env.ZW_PROPERTY_ID } : {}),
      dryRun: process.env.ZW_DRY_RUN === 'true',
    }),
  );
}
