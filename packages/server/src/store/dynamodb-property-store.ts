import { DeleteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { DomainError } from '../domain/errors.js';
import type { Organisation, OrganisationKind } from '../domain/tenancy/organisation.js';
import type { PropertyStore } from '../domain/tenancy/ports.js';
import {
  applyPropertyPatch,
  validateNewProperty,
  type Property,
} from '../domain/tenancy/property.js';
import { invalid } from '../domain/tenancy/validation.js';
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
        version: current.version + 1,
        createdAt: current.createdAt,
        updatedAt: ctx.now().toISOString(),
      };
      if (next.organisationId !== current.organisationId) {
        await checkOrganisation(
          partnerId,
          next.organisationId,
          'organisationId',
          'metering-operator',
        );
      }
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
  };
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
