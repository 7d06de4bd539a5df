import { Type, type Static, type TSchema } from 'typebox';

/** The id alphabet of the stores (src/auth/principal.ts isValidId): ids end up in keys. */
export const Id = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$' });

/** The optimistic-concurrency counter every stored record carries. */
export const Version = Type.Integer({
  minimum: 1,
  description:
    'The version last read. A change made on an older one is refused with 409 (CONFLICT): ' +
    'read the record again and decide again.',
});

/** What every stored record carries besides its own fields. */
export const RecordMeta = {
  version: Type.Integer({ minimum: 1, description: '1 when created, +1 on every change.' }),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
};

export const PageQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 50 })),
  cursor: Type.Optional(
    Type.String({ maxLength: 2048, description: 'From the previous page of the same list.' }),
  ),
});

export const DeleteQuery = Type.Object({ version: Version });

/** A page of `$id`d items with the store's opaque cursor. */
export function listOf(itemId: string, $id: string): TSchema {
  return Type.Object(
    {
      items: Type.Array(Type.Ref(itemId)),
      cursor: Type.Union([Type.String(), Type.Null()], {
        description: 'Pass it back as `cursor` for the next page; null on the last page.',
      }),
    },
    { $id, additionalProperties: false },
  );
}

/**
 * A patch field that null removes. One schema with `type: [t, 'null']`, not a
 * union: with coercion on, Ajv would turn null into '' or 0 to fit a union's
 * first branch, and the field would be set instead of removed.
 */
export function Nullable<T extends TSchema>(schema: T) {
  const type = (schema as { type?: unknown }).type;
  if (typeof type !== 'string') throw new Error('Nullable takes a schema with one type');
  const values = (schema as { enum?: unknown[] }).enum;
  return Type.Optional(
    Type.Unsafe<Static<T> | null>({
      ...schema,
      type: [type, 'null'],
      ...(values === undefined ? {} : { enum: [...values, null] }),
    }),
  );
}
