import { DeleteCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { DomainError } from '../domain/errors.js';
import type { Organisation, OrganisationKind } from '../domain/tenancy/organisation.js';
import type { PropertyStore } from '../domain/tenancy/ports.js';
import {
  applyPropertyPatch,
  validateNewProperty,
  type Property,
} from '../domain/tenancy/property.js';
import { id, invalid } from '../domain/tenancy/validation.js';
import { isConditionFailed } from './condition-failed.js';
import {
  managedPropertiesPartition,
  managedPropertyLinkKey,
  organisationKey,
  organisationPropertiesPartition,
  propertyIndexKey,
  propertyKey,
  propertyMetersPartition,
  propertyUnitsPartition,
} from './keys.js';
import {
  batchGet,
  checkActor,
  checkKeyParts,
  deleteVersioned,
  getItem,
  idOfSortKey,
  indexPartitionHasItems,
  notFound,
  putNew,
  queryIndexPage,
  queryTablePage,
  readForChange,
  recordChange,
  recordOf,
  stale,
  storeContext,
  writeVersioned,
  type Item,
  type StoreContext,
  type TenancyStoreOptions,
} from './tenancy-items.js';

/**
 * Properties in the single table (key design: ./README.md, "Properties"): one
 * item per property, indexed under its operator, and a link item under its
 * manager organisation, if it has one.
 */
export function createDynamoPropertyStore(options: TenancyStoreOptions): PropertyStore {
  const ctx = storeContext(options);
  const what = (id: string) => `property ${id}`;

  async function checkOrganisation(
    partnerId: string,
    organisationId: string,
    field: string,
    kind: OrganisationKind,
  ): Promise<void> {
    const item = await getItem(ctx, organisationKey(partnerId, organisationId));
    if (!item) throw notFound(`organisation ${organisationId}`, field);
    if (recordOf<Organisation>(item).kind !== kind) {
      throw invalid(field, 'not-allowed', `must be a ${kind}`);
    }
  }

  return {
    async create(partnerId, input, actor) {
      checkActor(actor);
      checkKeyParts({ partnerId });
      const fields = validateNewProperty(input);
      await checkOrganisation(
        partnerId,
        fields.organisationId,
        'organisationId',
        'metering-operator',
      );
      if (fields.managerOrganisationId !== undefined) {
        await checkOrganisation(
          partnerId,
          fields.managerOrganisationId,
          'managerOrganisationId',
          'property-manager',
        );
      }
      const at = ctx.now().toISOString();
      const property: Property = {
        id: ctx.newId('prop'),
        partnerId,
        ...fields,
        version: 1,
        createdAt: at,
        updatedAt: at,
      };
      checkKeyParts({ propertyId: property.id });
      // The link first: a crash after it leaves a link to nothing, which the
      // manager's list skips; the other order would hide a managed property.
      if (property.managerOrganisationId !== undefined) {
        await putLink(ctx, property, property.managerOrganisationId);
      }
      try {
        await putNew(
          ctx,
          toItem(property),
          () => new DomainError('CONFLICT', `${what(property.id)} already exists`),
        );
      } catch (err) {
        if (property.managerOrganisationId !== undefined) {
          await dropLink(ctx, property, property.managerOrganisationId);
        }
        throw err;
      }
      await recordChange(ctx, {
        partnerId,
        organisationId: property.organisationId,
        actor,
        action: 'property.created',
        target: { type: 'property', id: property.id },
        after: property,
      });
      return property;
    },

    async get(partnerId, propertyId) {
      checkKeyParts({ partnerId, propertyId });
      const item = await getItem(ctx, propertyKey(partnerId, propertyId));
      return item ? recordOf<Property>(item) : null;
    },

    async listByOrganisation(partnerId, organisationId, listOptions) {
      checkKeyParts({ partnerId, organisationId });
      const page = await queryIndexPage(
        ctx,
        {
          partition: organisationPropertiesPartition(partnerId, organisationId),
          tableKeyOf: (sk) => {
            const id = idOfSortKey(sk);
            return id === null ? null : propertyKey(partnerId, id);
          },
        },
        listOptions,
      );
      return { items: page.items.map((i) => recordOf<Property>(i)), cursor: page.cursor };
    },

    async listByManager(partnerId, organisationId, listOptions) {
      checkKeyParts({ partnerId, organisationId });
      const links = await queryTablePage(
        ctx,
        managedPropertiesPartition(partnerId, organisationId),
        listOptions,
      );
      const items = await batchGet(
        ctx,
        links.items.map((link) => propertyKey(partnerId, String(link.propertyId))),
      );
      // A link outlives a change of manager only after a crash; the property decides.
      const properties = items
        .map((i) => recordOf<Property>(i))
        .filter((p) => p.managerOrganisationId === organisationId);
      return { items: properties, cursor: links.cursor };
    },

    async update(partnerId, propertyId, patch, expectedVersion, actor) {
      checkActor(actor);
      const key = propertyKey(partnerId, propertyId);
      const item = await readForChange(ctx, key, expectedVersion, what(propertyId));
      const current = recordOf<Property>(item);
      const next: Property = {
        id: current.id,
        partnerId: current.partnerId,
        ...applyPropertyPatch(current, patch),
        // A patch never touches a pending transfer; the write would drop it otherwise.
        ...(current.transfer === undefined ? {} : { transfer: current.transfer }),
        version: current.version + 1,
        createdAt: current.createdAt,
        updatedAt: ctx.now().toISOString(),
      };
      const oldManager = current.managerOrganisationId;
      const newManager = next.managerOrganisationId;
      const managerChanged = oldManager !== newManager;
      if (managerChanged && newManager !== undefined) {
        await checkOrganisation(partnerId, newManager, 'managerOrganisationId', 'property-manager');
        await putLink(ctx, next, newManager);
      }
      try {
        await writeVersioned(ctx, key, item, toItem(next), expectedVersion, what(propertyId));
      } catch (err) {
        if (managerChanged && newManager !== undefined) await dropLink(ctx, next, newManager);
        throw err;
      }
      if (managerChanged && oldManager !== undefined) await dropLink(ctx, current, oldManager);
      await recordChange(ctx, {
        partnerId,
        organisationId: next.organisationId,
        actor,
        action: 'property.updated',
        target: { type: 'property', id: propertyId },
        before: current,
        after: next,
      });
      return next;
    },

    async delete(partnerId, propertyId, expectedVersion, actor) {
      checkActor(actor);
      const key = propertyKey(partnerId, propertyId);
      const item = await readForChange(ctx, key, expectedVersion, what(propertyId));
      const current = recordOf<Property>(item);
      // Best effort, as the index is eventually consistent; see ./README.md.
      if (
        (await indexPartitionHasItems(ctx, propertyUnitsPartition(partnerId, propertyId))) ||
        (await indexPartitionHasItems(ctx, propertyMetersPartition(partnerId, propertyId)))
      ) {
        throw new DomainError('CONFLICT', `${what(propertyId)} still has units or meters`, {
          details: { reason: 'has-children' },
        });
      }
      await deleteVersioned(ctx, key, expectedVersion, what(propertyId));
      if (current.managerOrganisationId !== undefined) {
        await dropLink(ctx, current, current.managerOrganisationId);
      }
      await recordChange(ctx, {
        partnerId,
        organisationId: current.organisationId,
        actor,
        action: 'property.deleted',
        target: { type: 'property', id: propertyId },
        before: current,
      });
    },

    async startTransfer(partnerId, propertyId, toOrganisationId, expectedVersion) {
      checkKeyParts({ partnerId, propertyId });
      const to = id(toOrganisationId, 'toOrganisationId');
      if (!Number.isInteger(expectedVersion) || expectedVersion < 1) {
        throw invalid('expectedVersion', 'format', 'must be a whole number >= 1');
      }
      const key = propertyKey(partnerId, propertyId);
      const item = await getItem(ctx, key);
      if (!item) throw notFound(what(propertyId));
      const current = recordOf<Property>(item);
      const pending = resumable(current, to, expectedVersion, what(propertyId));
      if (pending) return current;
      if (to === current.organisationId) {
        throw invalid('toOrganisationId', 'not-allowed', 'is already the operator');
      }
      await checkOrganisation(partnerId, to, 'toOrganisationId', 'metering-operator');
      const at = ctx.now().toISOString();
      const next: Property = {
        ...current,
        organisationId: to,
        transfer: {
          fromOrganisationId: current.organisationId,
          toOrganisationId: to,
          startedAt: at,
          startedOnVersion: current.version,
        },
        version: current.version + 1,
        updatedAt: at,
      };
      try {
        await writeVersioned(ctx, key, item, toItem(next), current.version, what(propertyId));
      } catch (err) {
        // Two callers starting the same transfer at once: the one that lost resumes it.
        const stored = await getItem(ctx, key);
        const now = stored ? recordOf<Property>(stored) : null;
        if (
          now?.transfer?.toOrganisationId === to &&
          now.transfer.startedOnVersion === current.version
        ) {
          return now;
        }
        throw err;
      }
      return next;
    },

    async finishTransfer(partnerId, propertyId, transfer) {
      checkKeyParts({ partnerId, propertyId });
      try {
        await ctx.doc.send(
          new UpdateCommand({
            TableName: ctx.TableName,
            Key: propertyKey(partnerId, propertyId),
            UpdateExpression: 'SET #version = #version + :one, #updatedAt = :now REMOVE #transfer',
            ConditionExpression:
              '#transfer.#to = :to AND #transfer.#startedAt = :startedAt AND #org = :to',
            ExpressionAttributeNames: {
              '#version': 'version',
              '#updatedAt': 'updatedAt',
              '#transfer': 'transfer',
              '#to': 'toOrganisationId',
              '#startedAt': 'startedAt',
              '#org': 'organisationId',
            },
            ExpressionAttributeValues: {
              ':one': 1,
              ':now': ctx.now().toISOString(),
              ':to': transfer.toOrganisationId,
              ':startedAt': transfer.startedAt,
            },
          }),
        );
        return true;
      } catch (err) {
        if (isConditionFailed(err)) return false;
        throw err;
      }
    },
  };
}

/**
 * Whether a start of a transfer to `to` finds that transfer pending (and may
 * complete it), or may start one. A pending transfer elsewhere is in the way.
 */
function resumable(current: Property, to: string, expectedVersion: number, what: string): boolean {
  const pending = current.transfer;
  if (pending === undefined) {
    if (expectedVersion !== current.version) throw stale(what);
    return false;
  }
  if (pending.toOrganisationId !== to) {
    throw new DomainError(
      'CONFLICT',
      `${what} is being transferred to organisation ${pending.toOrganisationId}; ` +
        'complete that transfer first',
      { details: { reason: 'transfer-pending', toOrganisationId: pending.toOrganisationId } },
    );
  }
  if (expectedVersion !== current.version && expectedVersion !== pending.startedOnVersion) {
    throw stale(what);
  }
  return true;
}

function toItem(property: Property): Item {
  return {
    ...propertyKey(property.partnerId, property.id),
    ...propertyIndexKey(
      property.partnerId,
      property.organisationId,
      property.createdAt,
      property.id,
    ),
    entity: 'PROP',
    ...property,
  };
}

/** Idempotent: the link's key is fixed by the property, so writing it again changes nothing. */
async function putLink(
  ctx: StoreContext,
  property: Property,
  organisationId: string,
): Promise<void> {
  await ctx.doc.send(
    new PutCommand({
      TableName: ctx.TableName,
      Item: {
        ...managedPropertyLinkKey(
          property.partnerId,
          organisationId,
          property.createdAt,
          property.id,
        ),
        entity: 'MANAGED',
        propertyId: property.id,
      },
    }),
  );
}

/**
 * Removes a manager link the property no longer needs. Another writer may
 * have set that manager again meanwhile (and put the same link), so the
 * property is read after the delete and the link restored if it names the
 * manager: the property decides, the link follows.
 */
async function dropLink(
  ctx: StoreContext,
  property: Property,
  organisationId: string,
): Promise<void> {
  await ctx.doc.send(
    new DeleteCommand({
      TableName: ctx.TableName,
      Key: managedPropertyLinkKey(
        property.partnerId,
        organisationId,
        property.createdAt,
        property.id,
      ),
    }),
  );
  const stored = await getItem(ctx, propertyKey(property.partnerId, property.id));
  if (stored?.managerOrganisationId === organisationId)
    await putLink(ctx, property, organisationId);
}
