import { Type, type Static } from 'typebox';
import { StringEnum } from './common.js';

export const Health = Type.Object(
  {
    status: StringEnum(['ok', 'unavailable']),
    version: Type.String(),
    uptimeSeconds: Type.Number({ minimum: 0 }),
    checks: Type.Object(
      {
        table: Type.Object(
          {
            status: StringEnum(['ok', 'unavailable']),
            table: Type.String(),
            tableStatus: Type.Optional(Type.String()),
            reason: Type.Optional(Type.String()),
          },
          { additionalProperties: false },
        ),
      },
      { additionalProperties: false },
    ),
  },
  { $id: 'Health', additionalProperties: false },
);
export type Health = Static<typeof Health>;
