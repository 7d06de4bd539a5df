import { Type } from 'typebox';
import { METER_KINDS } from '../../domain/tenancy/meter.js';
import { StringEnum } from './common.js';
import { REGISTER_UNIT_NAMES } from './ingest.js';

/** Longest ranges one request may ask for. */
export const MAX_DAYS = 400;
export const MAX_MONTHS = 36;

const Day = (description: string, example: string) =>
  Type.String({
    pattern: '^\\d{4}-\\d{2}-\\d{2}$',
    description,
    examples: [example],
  });

export const ConsumptionQuery = Type.Object({
  from: Day('First day, inclusive, in the property’s time zone.', '2025-01-01'),
  to: Day('Last day, inclusive.', '2025-01-31'),
  granularity: Type.Optional(
    StringEnum(['day', 'month'] as const, {
      default: 'day',
      description:
        `\`day\`: one point per day (at most ${MAX_DAYS} days); \`month\`: one per calendar ` +
        `month (at most ${MAX_MONTHS}), the first and last counting only the days asked for.`,
    }),
  ),
});

const Point = Type.Object(
  {
    period: Type.String({
      description: 'The day (`YYYY-MM-DD`) or month (`YYYY-MM`).',
      examples: ['2025-01-15'],
    }),
    consumption: Type.Union([Type.Number(), Type.Null()], {
      description: 'In the register’s unit; null without data (or withheld).',
      examples: [12.5],
    }),
    estimated: Type.Optional(
      Type.Boolean({
        description:
          'Not exactly this period’s: it carries days without data before it, a meter was ' +
          'not heard, or there was no earlier reading to count from.',
      }),
    ),
    reset: Type.Optional(
      Type.Boolean({
        description: 'A register went down (an allocator’s set day, a device reset or swapped).',
      }),
    ),
    gapDays: Type.Optional(
      Type.Integer({ minimum: 1, description: 'Days without data this day’s value carries.' }),
    ),
    withheld: Type.Optional(
      Type.Boolean({
        description:
          'Too few units had data on the day for a landlord to see its total (null then).',
      }),
    ),
  },
  { additionalProperties: false },
);

const RegisterFields = {
  kind: StringEnum(METER_KINDS),
  unit: StringEnum(REGISTER_UNIT_NAMES, {
    description: 'kWh (heat), m3 (water), units (heat cost allocators).',
  }),
  rated: Type.Boolean({
    description:
      'Allocator units × rating factors (Kq × Kc): the only allocator units comparable ' +
      'between radiators, what billing divides by. False for display units and other kinds.',
  }),
  total: Type.Union([Type.Number(), Type.Null()], {
    description: 'The sum of the series; null when nothing had data.',
  }),
  series: Type.Array(Point),
};

const MeterBreakdown = Type.Object(
  { meterId: Type.String(), total: RegisterFields.total, series: Type.Array(Point) },
  { additionalProperties: false },
);

export const UnitConsumption = Type.Object(
  {
    unitId: Type.String(),
    propertyId: Type.String(),
    timeZone: Type.String({ description: 'Days and months are this zone’s.' }),
    granularity: StringEnum(['day', 'month'] as const),
    from: Type.String({
      description: 'First day reported (later than asked when cut to a tenancy).',
    }),
    to: Type.String({ description: 'Last day reported.' }),
    clipped: Type.Boolean({
      description: 'The range was cut to the caller’s tenancy; days outside it are left out.',
    }),
    registers: Type.Array(
      Type.Object(
        {
          ...RegisterFields,
          meters: Type.Optional(
            Type.Array(MeterBreakdown, {
              description: 'Each meter’s part (operators and partner admins only).',
            }),
          ),
        },
        { additionalProperties: false },
      ),
      { description: 'One entry per kind and register unit the unit’s meters count in.' },
    ),
  },
  {
    $id: 'UnitConsumption',
    additionalProperties: false,
    description: 'A dwelling unit’s consumption, summed over its meters per register.',
  },
);

export const PropertyConsumption = Type.Object(
  {
    propertyId: Type.String(),
    timeZone: Type.String(),
    granularity: StringEnum(['day', 'month'] as const),
    from: Type.String(),
    to: Type.String(),
    units: Type.Integer({
      minimum: 0,
      description: 'Dwelling units with data in the period.',
    }),
    minimumUnits: Type.Integer({
      minimum: 1,
      description:
        'The fewest units a landlord’s total may combine (the platform’s minimum, raised by ' +
        'the property’s).',
    }),
    registers: Type.Array(
      Type.Object(
        {
          ...RegisterFields,
          withheld: Type.Optional(
            Type.Boolean({
              description:
                'Landlords: fewer than `minimumUnits` units count in this register, so its ' +
                'total is not shown (total null, series empty).',
            }),
          ),
          units: Type.Optional(
            Type.Array(
              Type.Object(
                { unitId: Type.String(), total: RegisterFields.total },
                { additionalProperties: false },
              ),
              { description: 'Each unit’s total (operators and partner admins only).' },
            ),
          ),
        },
        { additionalProperties: false },
      ),
      { description: 'The dwelling units’ meters, summed over all units of the property.' },
    ),
    building: Type.Array(
      Type.Object(
        {
          ...RegisterFields,
          meters: Type.Optional(
            Type.Array(MeterBreakdown, { description: 'Operators and partner admins only.' }),
          ),
        },
        { additionalProperties: false },
      ),
      {
        description:
          'The building’s own meters (no unit: the central heat meter, the main water meter).',
      },
    ),
  },
  {
    $id: 'PropertyConsumption',
    additionalProperties: false,
    description: 'A property’s consumption: its dwelling units together, and its own meters.',
  },
);

export const consumptionSchemas = [UnitConsumption, PropertyConsumption] as const;
