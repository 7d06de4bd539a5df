import { Type } from 'typebox';

const Id = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$' });

export const CreateEmbedTokenRequest = Type.Object(
  {
    unitId: Type.Optional(Id),
    propertyId: Type.Optional(Id),
    allowedOrigins: Type.Array(Type.String({ maxLength: 256 }), {
      minItems: 1,
      maxItems: 10,
      description:
        "Origins of the pages that embed the widgets (e.g. https://www.stadtwerke.example); each must be one of the partner's allowed origins.",
    }),
    widgets: Type.Optional(
      Type.Array(Type.String({ pattern: '^[a-z][a-z0-9-]{0,63}$' }), {
        minItems: 1,
        maxItems: 20,
        description: 'Limit the token to these widgets; all widgets when absent.',
      }),
    ),
    ttlSeconds: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 900, description: 'Default 300 (five minutes).' }),
    ),
  },
  {
    $id: 'CreateEmbedTokenRequest',
    additionalProperties: false,
    description: 'Exactly one of unitId and propertyId.',
    examples: [{ unitId: 'unit_01', allowedOrigins: ['https://www.stadtwerke.example'] }],
  },
);

export const EmbedToken = Type.Object(
  {
    token: Type.String({ description: 'A JWT for the widgets: `Authorization: Bearer …`.' }),
    tokenType: Type.Literal('Bearer'),
    expiresAt: Type.String({ format: 'date-time' }),
  },
  { $id: 'EmbedToken', additionalProperties: false },
);

export const embedTokenSchemas = [CreateEmbedTokenRequest, EmbedToken];
