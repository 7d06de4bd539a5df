import { Type } from 'typebox';
import { FRAME_OUTCOMES, REJECT_REASONS } from '../../ingest/ingest-store.js';
import { METER_KINDS } from '../../domain/tenancy/meter.js';
import { StringEnum } from './common.js';
import { Id, listOf } from './tenancy-common.js';

/** The billing register units the ingest reads (src/ingest/consumption-register.ts). */
export const REGISTER_UNIT_NAMES = ['kWh', 'm3', 'units'] as const;

const Instant = (description: string, example = '2025-03-01T08:00:00.000Z') =>
  Type.String({ format: 'date-time', description, examples: [example] });

const Count = (description: string) => Type.Integer({ minimum: 0, description });

export const RegisterValue = Type.Object(
  {
    value: Type.Number({
      description: 'The billing register as the meter counts it.',
      examples: [1234.567],
    }),
    unit: StringEnum(REGISTER_UNIT_NAMES, {
      description: 'kWh (heat meters), m3 (water meters), units (heat cost allocators).',
    }),
    rated: Type.Optional(
      Type.Number({
        description:
          'Heat cost allocators with rating factors: display units × Kq × Kc (× Kt), what ' +
          'billing divides costs by.',
      }),
    ),
  },
  { additionalProperties: false },
);

const NamedValue = Type.Object(
  {
    value: Type.Union([Type.Number(), Type.String(), Type.Boolean(), Type.Null()]),
    unit: Type.String({ description: 'As the codec names it (`Wh`, `m3`, `°C`, `date`, …).' }),
  },
  { additionalProperties: false },
);

const StatusFlags = Type.Object(
  {
    raw: Type.Integer({ minimum: 0, maximum: 255 }),
    application: StringEnum(['ok', 'busy', 'error', 'abnormal'] as const),
    powerLow: Type.Boolean(),
    permanentError: Type.Boolean(),
    temporaryError: Type.Boolean(),
    manufacturerBits: Type.Integer({ minimum: 0 }),
  },
  {
    additionalProperties: false,
    description: 'The status byte of the telegram (EN 13757-7).',
  },
);

export const Reading = Type.Object(
  {
    meterId: Type.String({ description: 'The platform’s meter id.' }),
    propertyId: Type.String(),
    unitId: Type.Optional(Type.String({ description: 'Absent for a meter of the building.' })),
    kind: StringEnum(METER_KINDS),
    at: Instant(
      'When the transmission was first heard, by any gateway: the reading’s time, the same for ' +
        'every copy of it.',
    ),
    digest: Type.String({
      description: 'Identity of the transmission (a digest of the frame without its CRCs).',
    }),
    register: Type.Union([RegisterValue, Type.Null()], {
      description: 'The billing register, or null when the telegram carries none.',
    }),
    meterTime: Type.Optional(Instant('The meter’s own clock, when the telegram carries one.')),
    values: Type.Record(Type.String(), NamedValue, {
      description: 'Every value the codec’s driver named, e.g. `volume`, `flowTemperature`.',
    }),
    status: Type.Union([StatusFlags, Type.Null()]),
    accessNumber: Type.Union([Type.Integer({ minimum: 0, maximum: 255 }), Type.Null()]),
    messageCounter: Type.Optional(
      Type.Integer({ minimum: 0, description: 'OMS mode 7 message counter.' }),
    ),
    securityMode: Type.Integer({ minimum: 0, description: '0 none, 5 AES-CBC, 7 AES-CBC + MAC.' }),
    driver: Type.Union([Type.String(), Type.Null()], {
      description: 'The codec driver that named the values.',
    }),
  },
  {
    $id: 'Reading',
    additionalProperties: false,
    description: 'One decoded, verified telegram of a meter, stored once however often heard.',
  },
);

export const ReadingList = listOf('Reading', 'ReadingList');

export const ReadingsQuery = Type.Object({
  from: Type.Optional(
    Instant('First instant, inclusive; the beginning when absent.', '2025-03-01T00:00:00Z'),
  ),
  to: Type.Optional(
    Instant('Last instant, exclusive; no end when absent.', '2025-04-01T00:00:00Z'),
  ),
  order: Type.Optional(
    StringEnum(['asc', 'desc'] as const, { default: 'asc', description: 'By time.' }),
  ),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 50 })),
  cursor: Type.Optional(
    Type.String({ maxLength: 2048, description: 'From the previous page of the same list.' }),
  ),
});

export const Reception = Type.Object(
  {
    meterId: Type.String(),
    digest: Type.String({ description: 'The transmission (`Reading.digest`).' }),
    readingAt: Instant('The reading’s time (`Reading.at`).'),
    thingName: Type.String({ description: 'The gateway that heard it.' }),
    receivedAt: Instant('When this gateway heard it.'),
    rssi: Type.Number({ description: 'Signal strength at the gateway, dBm.', examples: [-78] }),
    mode: Type.String({ description: 'wM-Bus mode (`T1`, `C1`, …).' }),
    replayed: Type.Boolean({
      description: 'Delivered late from the gateway’s store-and-forward buffer.',
    }),
    gatewaySeq: Type.Integer({ minimum: 0, description: 'The batch it came in.' }),
  },
  { $id: 'Reception', additionalProperties: false },
);

export const RadioLink = Type.Object(
  {
    thingName: Type.String(),
    at: Instant('When the gateway last heard the meter (refreshed at most hourly).'),
    rssi: Type.Number({ description: 'dBm at that time.' }),
  },
  { additionalProperties: false },
);

export const ReceptionList = Type.Object(
  {
    items: Type.Array(Type.Ref('Reception')),
    cursor: Type.Union([Type.String(), Type.Null()], {
      description: 'Pass it back as `cursor` for the next page; null on the last page.',
    }),
    coverage: Type.Array(RadioLink, {
      description:
        'Every gateway that recently heard the meter, strongest first, whatever the range: ' +
        'radio coverage at a glance.',
    }),
  },
  { $id: 'ReceptionList', additionalProperties: false },
);

export const ReceptionsQuery = Type.Object({
  from: Type.Optional(Instant('First reading time, inclusive.', '2025-03-01T00:00:00Z')),
  to: Type.Optional(Instant('Last reading time, exclusive.', '2025-04-01T00:00:00Z')),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 50 })),
  cursor: Type.Optional(Type.String({ maxLength: 2048 })),
});

const MeterIdentitySchema = Type.Object(
  {
    manufacturer: Type.String({ examples: ['KAM'] }),
    meterId: Type.String({ examples: ['12345678'] }),
    deviceVersion: Type.Integer(),
    deviceType: Type.Integer(),
  },
  { additionalProperties: false },
);

export const GatewayReceptionList = listOf('Reception', 'GatewayReceptionList');

export const GatewayReceptionsQuery = Type.Object({
  from: Type.Optional(
    Instant('Heard at or after this instant; the beginning when absent.', '2025-03-01T00:00:00Z'),
  ),
  to: Type.Optional(
    Instant('Heard before this instant (exclusive); no end when absent.', '2025-03-02T00:00:00Z'),
  ),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 50 })),
  cursor: Type.Optional(
    Type.String({ maxLength: 2048, description: 'From the previous page of the same list.' }),
  ),
});

const Dbm = (description: string) => Type.Number({ description, examples: [-78] });

export const GatewayMeter = Type.Object(
  {
    meterId: Type.String({ description: 'The platform’s meter id.' }),
    identity: MeterIdentitySchema,
    kind: StringEnum(METER_KINDS),
    propertyId: Type.String(),
    unitId: Type.Optional(Type.String({ description: 'Absent for a meter of the building.' })),
    location: Type.Optional(Type.String({ description: 'Where the meter is, as people find it.' })),
    lastHeardAt: Instant('When the gateway last heard it.'),
    lastRssi: Dbm('Signal strength of that reception, dBm.'),
    meanRssi: Dbm('Mean signal strength over the receptions counted, dBm, to a tenth.'),
    minRssi: Dbm('Weakest of them, dBm.'),
    maxRssi: Dbm('Strongest of them, dBm.'),
    receptions: Count('Receptions of the meter counted (in `coveredFrom`..now).'),
  },
  {
    $id: 'GatewayMeter',
    additionalProperties: false,
    description: 'A meter of the gateway’s organisation that the gateway hears, and how well.',
  },
);

export const GatewayMeterList = Type.Object(
  {
    items: Type.Array(Type.Ref('GatewayMeter'), {
      description: 'Strongest latest signal first.',
    }),
    from: Instant('Start of the window asked for (`hours` before now).'),
    coveredFrom: Instant(
      'Receptions since this instant were counted: `from`, unless the window held more than ' +
        'are counted at once, in which case the newest ones were.',
    ),
    complete: Type.Boolean({
      description: 'Whether every reception since `from` was counted (`coveredFrom` = `from`).',
    }),
  },
  { $id: 'GatewayMeterList', additionalProperties: false },
);

export const GatewayMetersQuery = Type.Object({
  hours: Type.Optional(
    Type.Integer({
      minimum: 1,
      maximum: 168,
      default: 24,
      description: 'How many hours back from now to count receptions.',
    }),
  ),
});

const Outcomes = Type.Object(
  Object.fromEntries(FRAME_OUTCOMES.map((o) => [o, Count(`Frames ${o}.`)])) as Record<
    (typeof FRAME_OUTCOMES)[number],
    ReturnType<typeof Count>
  >,
  {
    additionalProperties: false,
    description:
      'What became of the frames: stored (new readings), duplicate (heard before), ' +
      'unregistered (no meter of the organisation), malformed, undecryptable, replay.',
  },
);

const GatewayShadow = Type.Object(
  {
    reported: Type.Union(
      [
        Type.Object(
          {},
          {
            additionalProperties: true,
            description:
              'state.reported as the gateway wrote it. The firmware contract defines it ' +
              '(schema https://zaehlwerk.dev/schemas/firmware-contract/v1/shadow-reported.json): ' +
              '`firmware` {vendor, model, version}, the configuration applied ' +
              '(`configVersion`, `uploadIntervalS`, `maxBatchFrames`, `statusIntervalS`, ' +
              '`radioModes`, `forwardAllMeters`, `meterAllowList`), `uptimeS`, `radio`, ' +
              '`buffer` and `lastGatewaySeq`.',
          },
        ),
        Type.Null(),
      ],
      { description: 'Null while the gateway has not reported anything.' },
    ),
    reportedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], {
      description: 'When the gateway last wrote any of its reported state (to the second).',
    }),
    version: Type.Integer({ minimum: 0, description: 'The shadow document’s version.' }),
    conforms: Type.Boolean({
      description:
        'Whether the reported state is what the firmware contract prescribes (a gateway that ' +
        'reports otherwise is worth a look at its firmware).',
    }),
  },
  { additionalProperties: false },
);

export const GatewayHealth = Type.Object(
  {
    thingName: Type.String(),
    organisationId: Type.String(),
    status: StringEnum(['never', 'reporting', 'silent'] as const, {
      description:
        '`never`: no batch arrived yet; `silent`: none in the last hour; `reporting` otherwise.',
    }),
    lastConnectedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], {
      description: 'When the broker last accepted its connection (null on AWS).',
    }),
    firstSeenAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    lastSeenAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    lastSeq: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()], {
      description: 'The highest batch sequence number received.',
    }),
    batches: Count('Batches received.'),
    lostBatches: Count('Sequence numbers skipped: batches that never arrived.'),
    batchLoss: Type.Number({
      minimum: 0,
      maximum: 1,
      description: 'lostBatches / (batches + lostBatches); 0 without batches.',
    }),
    frames: Count('Frames received.'),
    outcomes: Outcomes,
    framesPerHour: Type.Array(
      Type.Object(
        {
          hour: Type.String({
            description: 'UTC hour, `YYYY-MM-DDTHH`.',
            examples: ['2025-03-01T08'],
          }),
          frames: Count('Frames received in that hour.'),
        },
        { additionalProperties: false },
      ),
      { description: 'The last 48 hours with traffic, oldest first.' },
    ),
    shadow: Type.Optional(
      Type.Union([GatewayShadow, Type.Null()], {
        description:
          'What the gateway last reported of itself in its configuration shadow (`zw-config`); ' +
          'null when it has no shadow, absent when IoT Core could not be asked.',
      }),
    ),
  },
  {
    $id: 'GatewayHealth',
    additionalProperties: false,
    description: 'What the gateway’s batches tell about it, counted by the ingest.',
  },
);

export const RejectedFrame = Type.Object(
  {
    thingName: Type.String(),
    receivedAt: Instant('When the gateway heard it.'),
    reason: StringEnum(REJECT_REASONS, {
      description:
        '`malformed`: not a frame we can parse; `undecryptable`: no key, or the key does not ' +
        'open it; `replay`: heard before, or its counter does not move with time.',
    }),
    detail: Type.String({
      description: 'The codec’s error code (`CRC_MISMATCH`, `NO_KEY`, …) or the replay reason.',
    }),
    frame: Type.String({
      description: 'The frame as the gateway sent it, hex, still encrypted.',
    }),
    digest: Type.Optional(Type.String()),
    meter: Type.Optional(MeterIdentitySchema),
    meterId: Type.Optional(Type.String({ description: 'The registered meter it named, if any.' })),
    rssi: Type.Number(),
    gatewaySeq: Type.Integer({ minimum: 0 }),
  },
  {
    $id: 'RejectedFrame',
    additionalProperties: false,
    description: 'A frame that did not become a reading, kept for 30 days with why.',
  },
);

export const RejectedFrameList = listOf('RejectedFrame', 'RejectedFrameList');

export const UnregisteredMeter = Type.Object(
  {
    identity: MeterIdentitySchema,
    firstHeardAt: Instant('First heard by one of the organisation’s gateways.'),
    lastHeardAt: Instant('Last heard.'),
    frames: Count('Frames heard (within the retention of 30 days since the last one).'),
    lastThingName: Type.String({ description: 'The gateway that heard it last.' }),
    lastRssi: Type.Number(),
  },
  {
    $id: 'UnregisteredMeter',
    additionalProperties: false,
    description:
      'A meter the organisation’s gateways hear but the organisation has not registered ' +
      '(a neighbour’s, or one still to be installed here).',
  },
);

export const UnregisteredMeterList = listOf('UnregisteredMeter', 'UnregisteredMeterList');

export const LiveQuery = Type.Object({
  unitId: Type.Optional(Type.String({ ...Id, description: 'The readings of a unit’s meters.' })),
  propertyId: Type.Optional(
    Type.String({
      ...Id,
      description: 'The readings of a property’s meters (landlords: the building’s own only).',
    }),
  ),
  meterId: Type.Optional(Type.String({ ...Id, description: 'The readings of one meter.' })),
  alarms: Type.Optional(
    Type.Boolean({
      default: false,
      description:
        'Also send an event `alarm` when an alarm of a meter in scope is raised or cleared.',
    }),
  ),
  lastEventId: Type.Optional(
    Type.String({
      maxLength: 200,
      description:
        'Resume after this event id, for clients that cannot send `Last-Event-ID` (the ' +
        'header wins when both are sent).',
      examples: ['2025-03-01T08:00:00.000Z#q3ZJ0Vf2xk6bX1mYc9hF0A'],
    }),
  ),
});

export const LiveHeaders = Type.Object({
  'last-event-id': Type.Optional(
    Type.String({
      maxLength: 200,
      description:
        'The id of the last event received: the stream replays what was stored after it ' +
        '(a reconnecting EventSource sends it by itself).',
    }),
  ),
});

export const ingestSchemas = [
  Reading,
  ReadingList,
  Reception,
  ReceptionList,
  GatewayHealth,
  RejectedFrame,
  RejectedFrameList,
  UnregisteredMeter,
  UnregisteredMeterList,
  GatewayReceptionList,
  GatewayMeter,
  GatewayMeterList,
] as const;
