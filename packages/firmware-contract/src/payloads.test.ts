import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type {
  ErrorResponse,
  GatewayEvent,
  GatewayStatus,
  PayloadKind,
  PayloadTypes,
  ShadowDesired,
  ShadowReported,
} from './types.js';
import { PAYLOAD_KINDS, SCHEMAS, validate } from './validate.js';

/*
 * The types in types.ts are written by hand; this file proves they agree with
 * the schemas. Each sample below is typed, so tsc checks it against the type,
 * and validated, so Ajv checks it against the schema: both must accept it.
 * Each `@ts-expect-error` sample is one the type forbids, and the schema must
 * reject it too. `npx tsc --noEmit` fails if a forbidden sample type-checks.
 */

const firmware = { vendor: 'Solvimus', model: 'MUC.easy+', version: '2.4.1' };
const radio = {
  modes: ['T1', 'C1'] as ('T1' | 'C1')[],
  framesReceived: 1200,
  framesForwarded: 1150,
  framesFiltered: 40,
  framesInvalid: 10,
  lastFrameAt: '2025-01-15T06:00:59Z',
};
const buffer = { framesQueued: 0, bytesQueued: 0, capacityBytes: 4_194_304, framesDropped: 0 };

const status: GatewayStatus = {
  contractVersion: '1',
  sentAt: '2025-01-15T06:01:00Z',
  firmware,
  uptimeS: 86_400,
  clockSynchronised: true,
  radio,
  buffer,
  lastGatewaySeq: 4711,
  network: { kind: 'cellular', signalDbm: -85 },
};

const events: GatewayEvent[] = [
  {
    contractVersion: '1',
    event: 'boot',
    occurredAt: '2025-01-15T05:00:00Z',
    details: { reason: 'power-on', firmware },
  },
  {
    contractVersion: '1',
    event: 'power-loss',
    occurredAt: '2025-01-15T04:58:00Z',
    details: { lastGasp: false, restoredAt: '2025-01-15T05:00:00Z' },
  },
  {
    contractVersion: '1',
    event: 'tamper',
    occurredAt: '2025-01-15T05:10:00Z',
    details: { source: 'enclosure' },
    message: 'lid opened',
  },
  {
    contractVersion: '1',
    event: 'low-memory',
    occurredAt: '2025-01-15T05:10:00Z',
    details: { freeBytes: 2048 },
  },
  {
    contractVersion: '1',
    event: 'buffer-overflow',
    occurredAt: '2025-01-15T05:10:00Z',
    details: { framesDropped: 12 },
  },
  {
    contractVersion: '1',
    event: 'clock-jump',
    occurredAt: '2025-01-15T05:10:00Z',
    details: { offsetMs: -3_600_000, source: 'ntp' },
  },
  {
    contractVersion: '1',
    event: 'radio-fault',
    occurredAt: '2025-01-15T05:10:00Z',
    details: { code: 'E42', modes: ['C1'] },
  },
  {
    contractVersion: '1',
    event: 'config-rejected',
    occurredAt: '2025-01-15T05:10:00Z',
    details: { configVersion: 7, reason: 'mode S1 not supported' },
  },
  {
    contractVersion: '1',
    event: 'x-door-sensor',
    occurredAt: '2025-01-15T05:10:00Z',
    details: { anything: 1 },
  },
];

const desired: ShadowDesired[] = [
  {
    configVersion: 7,
    uploadIntervalS: 300,
    maxBatchFrames: 50,
    statusIntervalS: 3600,
    radioModes: ['T1', 'C1'],
    forwardAllMeters: false,
    meterAllowList: ['KAM76348799', 'APA88888888'],
  },
  // A delta: only what changed, always with configVersion.
  { configVersion: 8, uploadIntervalS: 120 },
];

const reported: ShadowReported = {
  contractVersion: '1',
  configVersion: 7,
  uploadIntervalS: 300,
  maxBatchFrames: 50,
  statusIntervalS: 3600,
  radioModes: ['T1', 'C1'],
  forwardAllMeters: false,
  meterAllowList: ['KAM76348799', 'APA88888888'],
  firmware,
  uptimeS: 3600,
  radio,
  buffer,
  lastGatewaySeq: -1,
};

const error: ErrorResponse = {
  contractVersion: '1',
  code: 'SCHEMA_VIOLATION',
  message: 'the batch breaks the telegram-batch schema',
  topic: '$aws/rules/zw_ingest/zw/v1/gw/solvimus-GW-0042/telegrams',
  gatewaySeq: 4711,
  issues: [{ path: '/frames/0/mode', keyword: 'enum', message: 'must be one of "T1", "C1"' }],
  retry: false,
  at: '2025-01-15T06:01:01Z',
};

const valid: { [K in PayloadKind]?: PayloadTypes[K][] } = {
  'gateway-status': [status],
  'gateway-event': events,
  'shadow-desired': desired,
  'shadow-reported': [reported],
  'error-response': [error],
};

// Each sample below is forbidden by its type (tsc fails if one is not) and must be rejected by
// its schema. The directive sits on the offending line, so it cannot hide another error.
const badStatus: GatewayStatus = {
  ...status,
  // @ts-expect-error uptimeS is a number of seconds
  uptimeS: '1 day',
};
// @ts-expect-error the boot event needs its reason (a union reports at the declaration)
const bootWithoutReason: GatewayEvent = {
  contractVersion: '1',
  event: 'boot',
  occurredAt: '2025-01-15T05:00:00Z',
  details: { firmware },
};
// @ts-expect-error tamper has a closed list of sources
const tamperBySomethingElse: GatewayEvent = {
  contractVersion: '1',
  event: 'tamper',
  occurredAt: '2025-01-15T05:00:00Z',
  details: { source: 'cat' },
};
const unknownEvent: GatewayEvent = {
  contractVersion: '1',
  // @ts-expect-error an event the contract does not define must start with x-
  event: 'reboot',
  occurredAt: '2025-01-15T05:00:00Z',
  details: {},
};
// @ts-expect-error configVersion is required, also in a delta
const deltaWithoutVersion: ShadowDesired = { uploadIntervalS: 60 };
const desiredWithTypo: ShadowDesired = {
  configVersion: 2,
  // @ts-expect-error a typo in a key is caught
  uploadIntervalSeconds: 60,
};
const reportedWithoutFirmware: ShadowReported = {
  ...reported,
  // @ts-expect-error the reported state is written whole
  firmware: undefined,
};
const unknownCode: ErrorResponse = {
  ...error,
  // @ts-expect-error codes are a closed list
  code: 'OOPS',
};

const invalid: [PayloadKind, unknown, string, string][] = [
  ['gateway-status', badStatus, '/uptimeS', 'type'],
  ['gateway-event', bootWithoutReason, '/details/reason', 'required'],
  ['gateway-event', tamperBySomethingElse, '/details/source', 'enum'],
  ['gateway-event', unknownEvent, '/event', 'enum'],
  ['shadow-desired', deltaWithoutVersion, '/configVersion', 'required'],
  ['shadow-desired', desiredWithTypo, '/uploadIntervalSeconds', 'additionalProperties'],
  ['shadow-reported', reportedWithoutFirmware, '/firmware', 'required'],
  ['error-response', unknownCode, '/code', 'enum'],
];

describe('types and schemas agree', () => {
  for (const [kind, samples] of Object.entries(valid)) {
    it(`accepts every typed ${kind} sample`, () => {
      for (const sample of samples) {
        // Through JSON, as it travels: undefined keys vanish as they would on the wire.
        expect(validate(kind as PayloadKind, JSON.stringify(sample))).toEqual({
          ok: true,
          value: sample,
        });
      }
    });
  }

  it.each(invalid)('rejects a %s the type forbids', (kind, sample, path, keyword) => {
    const result = validate(kind, JSON.stringify(sample));
    expect(result.ok).toBe(false);
    expect(result.ok ? [] : result.issues).toContainEqual(
      expect.objectContaining({ path, keyword }),
    );
  });

  it('rejects a range the type cannot express (a schema-only rule)', () => {
    expect(validate('shadow-desired', { configVersion: 1, uploadIntervalS: 1 })).toEqual({
      ok: false,
      issues: [expect.objectContaining({ path: '/uploadIntervalS', keyword: 'minimum' })],
    });
  });
});

describe('schema files', () => {
  const dir = fileURLToPath(new URL('../schemas/v1/', import.meta.url));

  it('ship one file per payload kind plus the shared definitions, each with its $id', () => {
    const files = readdirSync(dir).sort();
    expect(files).toEqual([...PAYLOAD_KINDS, 'common'].map((name) => `${name}.schema.json`).sort());
    for (const file of files) {
      const schema = JSON.parse(readFileSync(dir + file, 'utf8')) as Record<string, unknown>;
      const name = file.replace('.schema.json', '');
      expect(schema.$id).toBe(`https://zaehlwerk.dev/schemas/firmware-contract/v1/${name}.json`);
      expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
      expect(typeof schema.title).toBe('string');
      expect(typeof schema.description).toBe('string');
    }
  });

  it('are the documents the validator compiles', () => {
    for (const kind of PAYLOAD_KINDS) {
      expect(JSON.parse(readFileSync(`${dir}${kind}.schema.json`, 'utf8'))).toEqual(SCHEMAS[kind]);
    }
  });
});
