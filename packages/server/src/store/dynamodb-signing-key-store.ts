import {
  DeleteCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import type { JWK } from 'jose';
import type { SigningKeyStore, StoredSigningKey } from '../auth/signing-keys.js';
import { DomainError } from '../domain/errors.js';
import { assertKeyParts } from '../iot/registry-rules.js';
import { isConditionFailed } from './condition-failed.js';
import { epochSeconds } from './epoch-seconds.js';
import { SIGNING_KEYS_PARTITION, signingKeyKey } from './keys.js';
import { TTL_ATTRIBUTE } from './table.js';

type Item = Record<string, unknown>;

/**
 * How long a retired key's item stays before DynamoDB's TTL removes it, unless
 * a rotation drops it first. It must exceed the key ring's retention (a day by
 * default), or a key could vanish while tokens it signed are still valid.
 */
export const RETIRED_SIGNING_KEY_TTL_SECONDS = 7 * 24 * 3600;

/**
 * The token signing key ring in the single table (key design: ./README.md,
 * "Signing keys"): one item per key, so that a save merges into what is stored
 * instead of replacing it.
 *
 * The port saves the whole ring, and the ring's rotate() is load, change,
 * save. Two processes rotating at once each save a ring without the other's
 * new key; replacing would lose one of them while tokens signed with it are in
 * flight. Merging keeps both: a key is created only if absent, retired only if
 * still current, and deleted only if the saver saw it retired. A current key
 * the saver does not name is another process's new key and stays.
 *
 * The private JWK is stored as it is: wrapping it with the master key waits
 * for the key port (src/keys). Until then whoever can read the table can sign
 * tokens; see the README.
 */
export function createDynamoSigningKeyStore(options: {
  doc: DynamoDBDocumentClient;
  tableName: string;
  /** Default RETIRED_SIGNING_KEY_TTL_SECONDS. */
  retiredKeyTtlSeconds?: number;
}): SigningKeyStore {
  const { doc, tableName: TableName } = options;
  const retiredTtl = options.retiredKeyTtlSeconds ?? RETIRED_SIGNING_KEY_TTL_SECONDS;
  if (!(Number.isInteger(retiredTtl) && retiredTtl > 0)) {
    throw new DomainError('VALIDATION_FAILED', 'retired signing key TTL must be whole seconds > 0');
  }
  const ttlOf = (retiredAt: string) => epochSeconds(retiredAt, 'retiredAt') + retiredTtl;

  async function loadItems(): Promise<Item[]> {
    const items: Item[] = [];
    let start: Item | undefined;
    do {
      // Strongly consistent: rotate() builds its save on this read.
      const out = await doc.send(
        new QueryCommand({
          TableName,
          KeyConditionExpression: 'pk = :p',
          ExpressionAttributeValues: { ':p': SIGNING_KEYS_PARTITION },
          ConsistentRead: true,
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      items.push(...(out.Items ?? []));
      start = out.LastEvaluatedKey;
    } while (start !== undefined);
    return items;
  }

  /** Sets the retirement unless one is set: of racing rotations the first time stays. */
  async function retire(kid: string, retiredAt: string): Promise<void> {
    try {
      await doc.send(
        new UpdateCommand({
          TableName,
          Key: signingKeyKey(kid),
          UpdateExpression: 'SET retiredAt = :at, #ttl = :ttl',
          ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(retiredAt)',
          ExpressionAttributeNames: { '#ttl': TTL_ATTRIBUTE },
          ExpressionAttributeValues: { ':at': retiredAt, ':ttl': ttlOf(retiredAt) },
        }),
      );
    } catch (err) {
      // Retired already, or dropped meanwhile: either way nothing to do.
      if (!isConditionFailed(err)) throw err;
    }
  }

  /** True when written, false when a key of that kid was there already. */
  async function create(key: StoredSigningKey): Promise<boolean> {
    try {
      await doc.send(
        new PutCommand({
          TableName,
          Item: {
            ...signingKeyKey(key.kid),
            entity: 'SIGNING_KEY',
            kid: key.kid,
            alg: key.alg,
            createdAt: key.createdAt,
            ...(key.retiredAt === undefined
              ? {}
              : { retiredAt: key.retiredAt, [TTL_ATTRIBUTE]: ttlOf(key.retiredAt) }),
            // As JSON text: the JWK comes back exactly as jose made it, and the
            // private half becomes one opaque value once it is wrapped.
            privateJwk: JSON.stringify(key.privateJwk),
            publicJwk: JSON.stringify(key.publicJwk),
          },
          // The kid is the key's thumbprint: the same kid is the same key, so
          // a second writer has nothing to add and must not overwrite a
          // retirement the first one recorded.
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return true;
    } catch (err) {
      if (isConditionFailed(err)) return false;
      throw err;
    }
  }

  async function drop(kid: string): Promise<void> {
    try {
      await doc.send(
        new DeleteCommand({
          TableName,
          Key: signingKeyKey(kid),
          // Only a retired key is ever dropped; a current one is in use.
          ConditionExpression: 'attribute_exists(retiredAt)',
        }),
      );
    } catch (err) {
      if (!isConditionFailed(err)) throw err;
    }
  }

  return {
    async load() {
      return (await loadItems()).map(toKey);
    },

    async save(keys) {
      for (const key of keys) assertKeyParts({ kid: key.kid });
      const stored = new Map((await loadItems()).map((item) => [String(item.kid), item]));
      const named = new Set(keys.map((key) => key.kid));

      // New keys first, retirements next, deletions last: a save cut short
      // then leaves two current keys (harmless: the newest signs), never none.
      const retirements: StoredSigningKey[] = [];
      await Promise.all(
        keys.map(async (key) => {
          const item = stored.get(key.kid);
          const created = item === undefined && (await create(key));
          if (!created && key.retiredAt !== undefined && item?.retiredAt === undefined) {
            retirements.push(key);
          }
        }),
      );
      await Promise.all(retirements.map((key) => retire(key.kid, key.retiredAt!)));
      await Promise.all(
        [...stored.values()]
          .filter((item) => !named.has(String(item.kid)) && typeof item.retiredAt === 'string')
          .map((item) => drop(String(item.kid))),
      );
    },
  };
}

function toKey(item: Item): StoredSigningKey {
  return {
    kid: String(item.kid),
    alg: item.alg as StoredSigningKey['alg'],
    createdAt: String(item.createdAt),
    ...(typeof item.retiredAt === 'string' ? { retiredAt: item.retiredAt } : {}),
    privateJwk: JSON.parse(String(item.privateJwk)) as JWK,
    publicJwk: JSON.parse(String(item.publicJwk)) as JWK,
  };
}
