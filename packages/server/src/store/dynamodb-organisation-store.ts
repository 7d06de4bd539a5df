import { DomainError } from '../domain/errors.js';
import {
  applyOrganisationPatch,
  validateNewOrganisation,
  type Organisation,
} from '../domain/tenancy/organisation.js';
import type { OrganisationStore } from '../domain/tenancy/ports.js';
import {
  managedPropertiesPartition,
  organisationIndexKey,
  organisationKey,
  organisationPropertiesPartition,
  partnerKey,
  partnerOrganisationsPartition,
  propertyKey,
} from './keys.js';
import {
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
  type TenancyStoreOptions,
} from './tenancy-items.js';

/** Organisations in the single table (key design: ./README.md, "Organisations"). */
export function createDynamoOrganisationStore(options: TenancyStoreOptions): OrganisationStore {
  const ctx = storeContext(options);
  const what = (id: string) => `organisation ${id}`;

  return {
    async create(partnerId, input, actor) {
      checkActor(actor);
      checkKeyParts({ partnerId });
      const fields = validateNewOrganisation(input);
      if (!(await getItem(ctx, partnerKey(partnerId)))) {
        throw notFound(`partner ${partnerId}`, 'partnerId');
      }
      const at = ctx.now().toISOString();
      const organisation: Organisation = {
        id: ctx.newId('org'),
        partnerId,
        ...fields,
        version: 1,
        createdAt: at,
        updatedAt: at,
      };
      checkKeyParts({ organisationId: organisation.id });
      await putNew(
        ctx,
        toItem(organisation),
        () => new DomainError('CONFLICT', `${what(organisation.id)} already exists`),
      );
      await recordChange(ctx, {
        partnerId,
        organisationId: organisation.id,
        actor,
        action: 'organisation.created',
        target: { type: 'organisation', id: organisation.id },
        after: organisation,
      });
      return organisation;
    },

    async get(partnerId, organisationId) {
      checkKeyParts({ partnerId, organisationId });
      const item = await getItem(ctx, organisationKey(partnerId, organisationId));
      return item ? recordOf<Organisation>(item) : null;
    },

    async list(partnerId, listOptions) {
      checkKeyParts({ partnerId });
      const page = await queryIndexPage(
        ctx,
        {
          partition: partnerOrganisationsPartition(partnerId),
          tableKeyOf: (sk) => {
            const id = idOfSortKey(sk);
            return id === null ? null : organisationKey(partnerId, id);
          },
        },
        listOptions,
      );
      return { items: page.items.map((i) => recordOf<Organisation>(i)), cursor: page.cursor };
    },

    async update(partnerId, organisationId, patch, expectedVersion, actor) {
      checkActor(actor);
      const key = organisationKey(partnerId, organisationId);
      const item = await readForChange(ctx, key, expectedVersion, what(organisationId));
      const current = recordOf<Organisation>(item);
      const next: Organisation = {
        id: current.id,
        partnerId: current.partnerId,
        ...applyOrganisationPatch(current, patch),
        version: current.version + 1,
        createdAt: current.createdAt,
        updatedAt: ctx.now().toISOString(),
      };
      await writeVersioned(ctx, key, item, toItem(next), expectedVersion, what(organisationId));
      await recordChange(ctx, {
        partnerId,
        organisationId,
        actor,
        action: 'organisation.updated',
        target: { type: 'organisation', id: organisationId },
        before: current,
        after: next,
      });
      return next;
    },

    async delete(partnerId, organisationId, expectedVersion, actor) {
      checkActor(actor);
      const key = organisationKey(partnerId, organisationId);
      const item = await readForChange(ctx, key, expectedVersion, what(organisationId));
      // Best effort (the index is eventually consistent): an organisation
      // with properties would leave them without operator or manager.
      const serves = await indexPartitionHasItems(
        ctx,
        organisationPropertiesPartition(partnerId, organisationId),
      );
      const manages = await hasManagedProperties(partnerId, organisationId);
      if (serves || manages) {
        throw new DomainError('CONFLICT', `${what(organisationId)} still has properties`, {
          details: { reason: 'has-properties' },
        });
      }
      await deleteVersioned(ctx, key, expectedVersion, what(organisationId));
      await recordChange(ctx, {
        partnerId,
        organisationId,
        actor,
        action: 'organisation.deleted',
        target: { type: 'organisation', id: organisationId },
        before: recordOf<Organisation>(item),
      });
    },
  };

  /** Links may outlive a manager change (crash); only a property that names the org counts. */
  async function hasManagedProperties(partnerId: string, organisationId: string): Promise<boolean> {
    let cursor: string | undefined;
    do {
      const page = await queryTablePage(
        ctx,
        managedPropertiesPartition(partnerId, organisationId),
        {
          limit: 100,
          ...(cursor === undefined ? {} : { cursor }),
        },
      );
      for (const link of page.items) {
        const property = await getItem(ctx, propertyKey(partnerId, String(link.propertyId)));
        if (property?.managerOrganisationId === organisationId) return true;
      }
      cursor = page.cursor ?? undefined;
    } while (cursor !== undefined);
    return false;
  }
}

function toItem(organisation: Organisation): Item {
  return {
    ...organisationKey(organisation.partnerId, organisation.id),
    ...organisationIndexKey(organisation.partnerId, organisation.createdAt, organisation.id),
    entity: 'ORG',
    ...organisation,
  };
}
