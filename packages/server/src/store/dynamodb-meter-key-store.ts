import { DeleteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { DomainError } from '../domain/errors.js';
import type { Page, PageOptions } from '../domain/tenancy/ports.js';
import { isConditionFailed } from './condition-failed.js';
import { meterKeyIndexKey, meterKeyKey, partnerMeterKeysPartition } from './keys.js';
import {
  batchGet,
  checkKeyParts,
  getItem,
  queryIndexPage,
  type Item,
  type TableAccess,
} from './tenancy-items.js';

/** What the API may tell about a meter's key: that there is one, and under which master key. */
export interface MeterKeyStatus {
  /** The reference the meter carries (`keyRef`): `meter-key:<meterId>:<n>`. */
  keyRef: string;
  masterKeyId: string;
  /** When this key was stored. */
  updatedAt: string;
}

/** A stored key as ingest and rotation read it: the envelope string, never the plain key. */
export interface StoredMeterKey extends MeterKeyStatus {
  meterId: string;
  /** encodeSealedKey's string (src/keys/sealed-key.ts). */
  sealedKey: string;
  /** The identity string the key was sealed with (meterKeyIdentity); opening needs the same. */
  meterIdentity: string;
}

export interface PutMeterKeyInput {
  sealedKey: string;
  masterKeyId: string;
  meterIdentity: string;
  /**
   * The keyRef the meter carries now, if any: that key is kept beside the new
   * one until the meter names the new one, so a crash in between loses neither.
   */
  liveKeyRef?: string;
}

export interface PutMeterKeyResult extends MeterKeyStatus {
  /**
   * Puts back what the item held before, if nobody wrote since: for a caller
   * whose second step (setting the meter's keyRef) failed, so that the line
   * leaves nothing behind.
   */
  undo(): Promise<void>;
}

/**
 * Sealed meter keys in the single table (key design: ./README.md, "Meter
 * keys"). The meter's `keyRef` says which stored key is in force; the store
 * never decides that on its own.
 */
export interface MeterKeyStore {
  /** The key the meter's keyRef names, or null. */
  get(partnerId: string, meterId: string, keyRef: string): Promise<StoredMeterKey | null>;
  /** get for many meters in batched reads, by meter id; meters whose key is missing are left out. */
  getMany(
    partnerId: string,
    meters: readonly { meterId: string; keyRef: string }[],
  ): Promise<Map<string, StoredMeterKey>>;
  /** The status of the keys the meters' keyRefs name, by meter id; meters without one are left out. */
  statuses(
    partnerId: string,
    meters: readonly { meterId: string; keyRef: string }[],
  ): Promise<Map<string, MeterKeyStatus>>;
  /**
   * Stores a newly sealed key as the meter's newest, with a new keyRef; the
   * caller then sets that keyRef on the meter. CONFLICT when another write to
   * the meter's key came between the read and the write.
   */
  put(partnerId: string, meterId: string, input: PutMeterKeyInput): Promise<PutMeterKeyResult>;
  /** Forgets the meter's keys: for a meter deleted as entered by mistake. */
  delete(partnerId: string, meterId: string): Promise<void>;
  /** Every stored key of the partner (both of a meter's, while it has two), by meter id. */
  list(partnerId: string, options?: PageOptions): Promise<Page<StoredMeterKey>>;
  /**
   * Replaces one stored envelope by its rewrap (master key rotation), if it
   * is still `expected`; false when a newer key or rewrap came first.
   */
  rewrap(
    partnerId: string,
    meterId: string,
    keyRef: string,
    expected: string,
    next: { sealedKey: string; masterKeyId: string },
  ): Promise<boolean>;
}

export interface DynamoMeterKeyStoreOptions {
  doc: TableAccess['doc'];
  tableName: string;
  now?: () => Date;
}

// Defined in the domain: ingest, the key routes and the demo seed must all build the same string.
export { meterKeyIdentity } from '../domain/tenancy/meter.js';

interface Slot {
  keyRef: string;
  sealedKey: string;
  masterKeyId: string;
  storedAt: string;
}

const SLOTS = ['current', 'previous'] as const;

function slotsOf(item: Item): Slot[] {
  return SLOTS.flatMap((name) => (item[name] ? [item[name] as Slot] : []));
}

function storedOf(item: Item, slot: Slot): StoredMeterKey {
  return {
    meterId: String(item.meterId),
    keyRef: slot.keyRef,
    sealedKey: slot.sealedKey,
    masterKeyId: slot.masterKeyId,
    updatedAt: slot.storedAt,
    meterIdentity: String(item.meterIdentity),
  };
}

function keyRefOf(meterId: string, keyVersion: number): string {
  return `meter-key:${meterId}:${keyVersion}`;
}

export function createDynamoMeterKeyStore(options: DynamoMeterKeyStoreOptions): MeterKeyStore {
  const ctx: TableAccess = { doc: options.doc, TableName: options.tableName };
  const now = options.now ?? (() => new Date());

  /** PutItem or DeleteItem on the keyVersion read; false when another writer came first. */
  async function conditional(command: PutCommand | DeleteCommand): Promise<boolean> {
    try {
      if (command instanceof PutCommand) await ctx.doc.send(command);
      else await ctx.doc.send(command);
      return true;
    } catch (err) {
      if (isConditionFailed(err)) return false;
      throw err;
    }
  }

  /** The slots the meters' keyRefs name, read in batches, by meter id; missing ones left out. */
  async function slotsNamed(
    partnerId: string,
    meters: readonly { meterId: string; keyRef: string }[],
  ): Promise<Map<string, { item: Item; slot: Slot }>> {
    checkKeyParts({ partnerId });
    meters.forEach(({ meterId }) => checkKeyParts({ meterId }));
    const unique = [...new Set(meters.map((m) => m.meterId))];
    const items = await batchGet(
      ctx,
      unique.map((meterId) => meterKeyKey(partnerId, meterId)),
    );
    const byMeter = new Map(items.map((item) => [String(item.meterId), item]));
    const out = new Map<string, { item: Item; slot: Slot }>();
    for (const { meterId, keyRef } of meters) {
      const item = byMeter.get(meterId);
      const slot = item ? slotsOf(item).find((s) => s.keyRef === keyRef) : undefined;
      if (item && slot) out.set(meterId, { item, slot });
    }
    return out;
  }

  return {
    async get(partnerId, meterId, keyRef) {
      checkKeyParts({ partnerId, meterId });
      const item = await getItem(ctx, meterKeyKey(partnerId, meterId));
      const slot = item ? slotsOf(item).find((s) => s.keyRef === keyRef) : undefined;
      return item && slot ? storedOf(item, slot) : null;
    },

    async getMany(partnerId, meters) {
      const out = new Map<string, StoredMeterKey>();
      for (const [meterId, { item, slot }] of await slotsNamed(partnerId, meters)) {
        out.set(meterId, storedOf(item, slot));
      }
      return out;
    },

    async statuses(partnerId, meters) {
      const out = new Map<string, MeterKeyStatus>();
      for (const [meterId, { slot }] of await slotsNamed(partnerId, meters)) {
        out.set(meterId, {
          keyRef: slot.keyRef,
          masterKeyId: slot.masterKeyId,
          updatedAt: slot.storedAt,
        });
      }
      return out;
    },

    async put(partnerId, meterId, input) {
      checkKeyParts({ partnerId, meterId });
      const key = meterKeyKey(partnerId, meterId);
      const before = await getItem(ctx, key);
      const readVersion = before ? Number(before.keyVersion) : 0;
      const keyVersion = readVersion + 1;
      const at = now().toISOString();
      const current: Slot = {
        keyRef: keyRefOf(meterId, keyVersion),
        sealedKey: input.sealedKey,
        masterKeyId: input.masterKeyId,
        storedAt: at,
      };
      // Only the key in force survives as previous: a newer one that never
      // made it onto the meter (a failed or crashed import) is dropped.
      const live =
        before && input.liveKeyRef !== undefined
          ? slotsOf(before).find((s) => s.keyRef === input.liveKeyRef)
          : undefined;
      const item: Item = {
        ...key,
        ...meterKeyIndexKey(partnerId, meterId),
        entity: 'METERKEY',
        partnerId,
        meterId,
        meterIdentity: input.meterIdentity,
        keyVersion,
        current,
        ...(live ? { previous: live } : {}),
        createdAt: before?.createdAt ?? at,
        updatedAt: at,
      };
      const written = await conditional(
        new PutCommand({
          TableName: ctx.TableName,
          Item: item,
          ...(before
            ? {
                ConditionExpression: 'keyVersion = :read',
                ExpressionAttributeValues: { ':read': readVersion },
              }
            : { ConditionExpression: 'attribute_not_exists(pk)' }),
        }),
      );
      if (!written) {
        throw new DomainError('CONFLICT', `the key of meter ${meterId} was changed meanwhile`, {
          details: { reason: 'version' },
        });
      }
      const mine = { ConditionExpression: 'keyVersion = :mine' } as const;
      return {
        keyRef: current.keyRef,
        masterKeyId: current.masterKeyId,
        updatedAt: at,
        async undo() {
          // Whoever wrote after us wins; their write is not ours to take back.
          await conditional(
            before
              ? new PutCommand({
                  TableName: ctx.TableName,
                  Item: before,
                  ...mine,
                  ExpressionAttributeValues: { ':mine': keyVersion },
                })
              : new DeleteCommand({
                  TableName: ctx.TableName,
                  Key: key,
                  ...mine,
                  ExpressionAttributeValues: { ':mine': keyVersion },
                }),
          );
        },
      };
    },

    async delete(partnerId, meterId) {
      checkKeyParts({ partnerId, meterId });
      await ctx.doc.send(
        new DeleteCommand({ TableName: ctx.TableName, Key: meterKeyKey(partnerId, meterId) }),
      );
    },

    async list(partnerId, listOptions) {
      checkKeyParts({ partnerId });
      const page = await queryIndexPage(
        ctx,
        {
          partition: partnerMeterKeysPartition(partnerId),
          tableKeyOf: (meterId) =>
            meterId.length > 0 && !meterId.includes('#') ? meterKeyKey(partnerId, meterId) : null,
        },
        listOptions,
      );
      return {
        items: page.items.flatMap((item) => slotsOf(item).map((slot) => storedOf(item, slot))),
        cursor: page.cursor,
      };
    },

    async rewrap(partnerId, meterId, keyRef, expected, next) {
      checkKeyParts({ partnerId, meterId });
      const key = meterKeyKey(partnerId, meterId);
      const item = await getItem(ctx, key);
      const slotName = item
        ? SLOTS.find((s) => (item[s] as Slot | undefined)?.keyRef === keyRef)
        : undefined;
      if (!item || slotName === undefined) return false;
      const slot = item[slotName] as Slot;
      if (slot.sealedKey !== expected) return false;
      return conditional(
        new PutCommand({
          TableName: ctx.TableName,
          Item: {
            ...item,
            [slotName]: { ...slot, sealedKey: next.sealedKey, masterKeyId: next.masterKeyId },
          },
          // The envelope as read: a new key or another rewrap in between wins.
          ConditionExpression: '#slot.sealedKey = :expected AND keyVersion = :read',
          ExpressionAttributeNames: { '#slot': slotName },
          ExpressionAttributeValues: { ':expected': expected, ':read': item.keyVersion },
        }),
      );
    },
  };
}
