import { Type } from 'typebox';
import { ALARM_CODES, ALARM_SEVERITIES, ALARM_SOURCES } from '../../domain/alarms/alarm.js';
import { ACTOR_KINDS } from '../../domain/audit.js';
import { METER_KINDS } from '../../domain/tenancy/meter.js';
import { StringEnum } from './common.js';
import { Id, listOf } from './tenancy-common.js';

const Instant = (description: string, example = '2025-03-01T08:00:00.000Z') =>
  Type.String({ format: 'date-time', description, examples: [example] });

export const Alarm = Type.Object(
  {
    id: Type.String({
      description:
        'The episode among its meter’s alarms, `<code>.<since>`: the same however often the ' +
        'telegram that raised it was heard.',
      examples: ['leak.2025-03-01T10:15:00.000Z'],
    }),
    meterId: Type.String({ description: 'The platform’s meter id.' }),
    propertyId: Type.String(),
    unitId: Type.Optional(Type.String({ description: 'Absent for a meter of the building.' })),
    kind: StringEnum(METER_KINDS),
    code: StringEnum(ALARM_CODES, {
      description:
        'What is wrong. From the meter: `battery-low`, `meter-error` (a permanent error of the ' +
        'meter or a sensor), `meter-temporary-error`, `meter-abnormal` (the status byte’s ' +
        'abnormal condition), `meter-error-flags` (the standard error-flags record is not ' +
        'zero), `leak`, `burst`, `backflow`, `dry`. From the platform’s rules: `burst` (at ' +
        'least 300 l/h for an hour), `register-decreased` (a register that only grows went ' +
        'down; never for heat cost allocators, which restart at their set day), ' +
        '`leak-suspected` (water did not stop for a whole hour in 24 hours).',
    }),
    severity: StringEnum(ALARM_SEVERITIES),
    source: StringEnum(ALARM_SOURCES, {
      description: '`meter`: a flag the meter sent; `platform`: a rule over its readings.',
    }),
    since: Instant('The time of the reading that raised it.'),
    clearedAt: Type.Union([Instant('The time of the reading that cleared it.'), Type.Null()], {
      description: 'Null while the alarm is active.',
    }),
    detail: Type.Optional(
      Type.Record(Type.String(), Type.Union([Type.Number(), Type.String(), Type.Boolean()]), {
        description:
          'What was seen when it was raised: the meter’s `signals` (status bits and the values ' +
          'its driver named), `errorFlags`, `litresPerHour` over `minutes`, the register ' +
          '`before` and `after` a drop, when the water began `flowingSince`.',
      }),
    ),
    acknowledged: Type.Union(
      [
        Type.Object(
          {
            at: Instant('When it was acknowledged.'),
            by: Type.Optional(
              Type.Object(
                {
                  kind: StringEnum(ACTOR_KINDS),
                  id: Type.String({ description: 'A user id or an API key id.' }),
                },
                { additionalProperties: false, description: 'Shown to managers only.' },
              ),
            ),
          },
          { additionalProperties: false },
        ),
        Type.Null(),
      ],
      { description: 'Null until someone of the operator acknowledges it.' },
    ),
  },
  {
    $id: 'Alarm',
    additionalProperties: false,
    description:
      'One episode of trouble at a meter: raised once when it begins, cleared when a later ' +
      'telegram shows it has ended.',
  },
);

export const AlarmList = listOf('Alarm', 'AlarmList');

const AlarmRange = {
  from: Type.Optional(
    Instant('Alarms that began at or after this instant; any when absent.', '2025-03-01T00:00:00Z'),
  ),
  to: Type.Optional(Instant('… and before this one (exclusive).', '2025-04-01T00:00:00Z')),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 50 })),
  cursor: Type.Optional(
    Type.String({ maxLength: 2048, description: 'From the previous page of the same list.' }),
  ),
};

export const OrganisationAlarmsQuery = Type.Object({
  state: Type.Optional(
    StringEnum(['active', 'all'] as const, {
      default: 'active',
      description: '`active`: alarms not cleared yet; `all`: cleared ones too (kept 400 days).',
    }),
  ),
  ...AlarmRange,
});

export const MeterAlarmsQuery = Type.Object(AlarmRange);

export const AlarmParams = Type.Object({
  meterId: Type.String({ ...Id, description: 'The platform’s meter id (`id`).' }),
  alarmId: Type.String({
    pattern: '^[a-z][a-z-]{0,39}\\.\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z$',
    description: 'The alarm’s `id`.',
  }),
});

/** The $id'd schemas of alarms, for app.addSchema (referenced ones first). */
export const alarmSchemas = [Alarm, AlarmList] as const;
