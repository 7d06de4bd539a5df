import { Type } from 'typebox';
import { OCCUPANT_CATEGORIES } from '../../domain/tenancy/unit.js';
import { StringEnum } from './common.js';

export const MonthlyInformationQuery = Type.Object({
  month: Type.Optional(
    Type.String({
      pattern: '^\\d{4}-(0[1-9]|1[0-2])$',
      description:
        'The calendar month (`YYYY-MM`, the property’s time zone); the last one that has ended ' +
        'when absent. The current month and later ones are refused (400 MONTH_NOT_ENDED).',
      examples: ['2025-03'],
    }),
  ),
});

const Nullable = (description: string) => Type.Union([Type.Number(), Type.Null()], { description });

const MonthFigure = Type.Object(
  {
    month: Type.String({ description: '`YYYY-MM`.', examples: ['2025-02'] }),
    consumption: Nullable(
      'In the section’s `unit`, over the days with data (also of an incomplete month); null ' +
        'when none had any.',
    ),
    kwh: Nullable(
      'kWh, for complete months whose registers convert (see `conversion`); null otherwise.',
    ),
    complete: Type.Boolean({
      description:
        'Every meter of the section installed in the month has exact data for every day it ' +
        'was installed (counted from the day before, no gap), and every such day is the ' +
        'caller’s (a tenant’s: within its tenancies).',
    }),
    coverage: Type.Number({
      minimum: 0,
      maximum: 1,
      description:
        'Meter-days with data that count for the caller, over meter-days installed: 1 for a ' +
        'whole month, less for gaps or a tenancy that covers part of the month.',
      examples: [1],
    }),
  },
  { additionalProperties: false },
);

const Section = Type.Object(
  {
    unit: Type.Union([StringEnum(['kWh', 'units', 'm3'] as const), Type.Null()], {
      description:
        'The unit of `consumption`: kWh (heat meters, also with allocators added as kWh), ' +
        'rated allocator units (× Kq × Kc), m³ (hot water); null when the unit has no meters ' +
        'of this section.',
    }),
    conversion: Type.Object(
      {
        method: StringEnum(['metered', 'hca-factor', 'hot-water-formula'] as const, {
          description:
            '`metered`: heat meters count kWh. `hca-factor`: rated allocator units × the ' +
            'property’s `kwhPerHcaUnit`. `hot-water-formula`: HeizkostenV §9(2), ' +
            'kWh = 2.5 × m³ × (t_w − 10 °C).',
        }),
        kwhPerHcaUnit: Type.Optional(Type.Number()),
        kwhPerM3: Type.Optional(Type.Number({ examples: [125] })),
        hotWaterTemperatureC: Type.Optional(Type.Number({ examples: [60] })),
        kwhUnavailable: Type.Optional(
          StringEnum(['no-kwh-factor', 'allocator-not-rated', 'hot-water-not-central'] as const, {
            description:
              'Why there are no kWh even for complete months: the property has no ' +
              '`energyConversion.kwhPerHcaUnit`; an allocator has no rating factors (its ' +
              'display units do not compare, so its days do not count); hot water is heated ' +
              'in the flat, not by the building.',
          }),
        ),
      },
      { additionalProperties: false },
    ),
    current: MonthFigure,
    previousMonth: MonthFigure,
    previousYear: MonthFigure,
    changePercent: Type.Object(
      {
        previousMonth: Nullable('Current against the month before, in %.'),
        previousYear: Nullable('Current against the same month a year before, in %.'),
      },
      {
        additionalProperties: false,
        description:
          'On kWh where both months have them, else on `consumption` where both are complete; ' +
          'null otherwise.',
      },
    ),
    benchmark: Type.Object(
      {
        source: StringEnum(['building-average'] as const, {
          description:
            '`building-average`: the other units of the property in the same user category ' +
            'whose month is complete in kWh, per m², scaled to this unit’s area. (A DIN 94680 ' +
            'benchmark would be another source.)',
        }),
        areaBasis: StringEnum(['heatedAreaM2', 'livingAreaM2'] as const, {
          description: 'Heated area for heating, living area for hot water.',
        }),
        units: Type.Integer({ minimum: 0, description: 'Other units the average is over.' }),
        kwhPerM2: Nullable('Their kWh per m²; null when withheld.'),
        kwh: Nullable('kwhPerM2 × this unit’s area.'),
        differencePercent: Nullable('This unit’s kWh against `kwh`, in %.'),
        unavailable: Type.Optional(
          StringEnum(['too-few-units', 'no-kwh'] as const, {
            description:
              '`too-few-units`: fewer other units than the property’s minimum for aggregates ' +
              'have a complete month, and an average of so few would reveal a neighbour’s ' +
              'consumption. `no-kwh`: enough have, but not in kWh.',
          }),
        ),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

export const MonthlyInformation = Type.Object(
  {
    unitId: Type.String(),
    propertyId: Type.String(),
    timeZone: Type.String({ description: 'Months are this zone’s.' }),
    month: Type.String({ description: 'The month reported, `YYYY-MM`.', examples: ['2025-03'] }),
    occupantCategory: StringEnum(OCCUPANT_CATEGORIES, {
      description: 'The user category the benchmark compares within.',
    }),
    heating: Section,
    hotWater: Section,
    generatedAt: Type.String({ format: 'date-time' }),
  },
  {
    $id: 'MonthlyInformation',
    additionalProperties: false,
    description:
      'The monthly consumption information of HeizkostenV §6a for one unit: heating and hot ' +
      'water of the month in kWh, against the month before, the same month a year before and ' +
      'the building’s average user. Cold water is not energy and is not part of it. Other ' +
      'units appear only as an average.',
  },
);

export const monthlyInformationSchemas = [MonthlyInformation] as const;
