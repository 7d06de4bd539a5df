import { Type, type Static, type TSchema, type TUnsafe } from 'typebox';
import { ERROR_CODES } from '../../domain/errors.js';

/**
 * A string enum that OpenAPI documents as `type: string` (TypeBox's Enum
 * leaves the type out, which generated clients then read as `unknown`).
 */
export function StringEnum<const T extends readonly string[]>(
  values: T,
  options: Omit<TSchema, 'type' | 'enum'> = {},
): TUnsafe<T[number]> {
  return Type.Unsafe<T[number]>({ ...options, type: 'string', enum: [...values] });
}

export const ErrorResponse = Type.Object(
  {
    error: Type.Object(
      {
        code: StringEnum(ERROR_CODES, {
          description: 'Stable, machine-readable code; never translated.',
        }),
        message: Type.String({ description: 'Human-readable, in the language of the request.' }),
        details: Type.Optional(
          Type.Array(
            Type.Object(
              {
                path: Type.String({
                  description: 'JSON pointer into the request, e.g. /body/name',
                }),
                message: Type.String(),
              },
              { additionalProperties: false },
            ),
          ),
        ),
        context: Type.Optional(
          Type.Record(Type.String(), Type.Union([Type.String(), Type.Number(), Type.Boolean()]), {
            description:
              'Machine-readable facts of some codes: AGGREGATION_TOO_SMALL has `units` (units ' +
              'with data in the period) and `minimumUnits` (how many an aggregate needs).',
            examples: [{ units: 2, minimumUnits: 3 }],
          }),
        ),
        requestId: Type.String({ description: 'Quote it when reporting a problem.' }),
      },
      { additionalProperties: false },
    ),
  },
  { $id: 'ErrorResponse', additionalProperties: false, description: 'Every error of the API.' },
);
export type ErrorResponse = Static<typeof ErrorResponse>;

export const ErrorRef = Type.Ref('ErrorResponse');
