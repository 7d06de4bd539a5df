import { DomainError } from '../domain/errors.js';
import type { TenancyStore } from '../domain/tenancy/ports.js';
import {
  applyTenancyPatch,
  validateNewTenancy,
  type Period,
  type Tenancy,
} from '../domain/tenancy/tenancy.js';
import type { Unit } from '../domain/tenancy/unit.js';
import { tenancyIndexKey, tenancyKey, unitKey, unitTenanciesPartition } from './keys.js';
import { propertyOf } from './dynamodb-unit-store.js';
import {
  checkActor,
  checkKeyParts,
  deleteVersioned,
  getItem,
  idOfSortKey,
  notFound,
  putNew,
  queryIndexPage,
  readForChange,
  recordChange,
  recordOf,
  storeContext,
  writeVersioned,
  type Item,
  type TenancyStoreOptions,
} from './tenancy-items.js';
import { OCCUPANCY_ATTRIBUTES, release, reserve, settle } from './unit-occupancy.js';

/**
 * Tenancies in the single table (key design: ./README.md, "Tenancies"): one
 * item per tenancy, indexed under its unit by start day. That no two
 * tenancies of a unit overlap is decided on the unit's calendar
 * (unit-occupancy.ts): its days are reserved there before the tenancy item
 * is written, and given back after it is deleted.
 */
export function createDynamoTenancyStore(options: TenancyStoreOptions): TenancyStore {
  const ctx = storeContext(options);
  const what = (id: string) => `tenancy ${id}`;
  const periodOf = (t: Pick<Tenancy, 'from' | 'to'>): Period => ({
    from: t.from,
    ...(t.to === undefined ? {} : { to: t.to }),
  });
  const operatorOf = async (partnerId: string, propertyId: string) =>
    (await propertyOf(ctx, partnerId, propertyId))?.organisationId;

  return {
    async create(partnerId, input, actor) {
      checkActor(actor);
      checkKeyParts({ partnerId });
      const fields = validateNewTenancy(input);
      const id = ctx.newId('ten');
      checkKeyParts({ tenancyId: id });
      const unitItem = await reserve(ctx, partnerId, fields.unitId, id, periodOf(fields), 1);
      const unit = recordOf<Unit>(unitItem, OCCUPANCY_ATTRIBUTES);
      const at = ctx.now().toISOString();
      const tenancy: Tenancy = {
        id,
        partnerId,
        propertyId: unit.propertyId,
        ...fields,
        version: 1,
        createdAt: at,
        updatedAt: at,
      };
      try {
        await putNew(
          ctx,
          toItem(tenancy),
          () => new DomainError('CONFLICT', `${what(id)} already exists`),
        );
      } catch (err) {
        await release(ctx, partnerId, unit.id, id);
        throw err;
      }
      await recordChange(ctx, {
        partnerId,
        organisationId: await operatorOf(partnerId, tenancy.propertyId),
        actor,
        action: 'tenancy.created',
        target: { type: 'tenancy', id },
        after: tenancy,
      });
      return tenancy;
    },

    async get(partnerId, tenancyId) {
      checkKeyParts({ partnerId, tenancyId });
      const item = await getItem(ctx, tenancyKey(partnerId, tenancyId));
      return item ? recordOf<Tenancy>(item) : null;
    },

    async listByUnit(partnerId, unitId, listOptions) {
      checkKeyParts({ partnerId, unitId });
      // The unit decides whether the list exists, as for meters: another
      // partner's unit id is NOT_FOUND, not an empty list.
      if (!(await getItem(ctx, unitKey(partnerId, unitId))))
        throw notFound(`unit ${unitId}`, 'unitId');
      const page = await queryIndexPage(
        ctx,
        {
          partition: unitTenanciesPartition(partnerId, unitId),
          tableKeyOf: (sk) => {
            const id = idOfSortKey(sk);
            return id === null ? null : tenancyKey(partnerId, id);
          },
        },
        listOptions,
      );
      return { items: page.items.map((i) => recordOf<Tenancy>(i)), cursor: page.cursor };
    },

    async update(partnerId, tenancyId, patch, expectedVersion, actor) {
      checkActor(actor);
      const key = tenancyKey(partnerId, tenancyId);
      const item = await readForChange(ctx, key, expectedVersion, what(tenancyId));
      const current = recordOf<Tenancy>(item);
      const next: Tenancy = {
        id: current.id,
        partnerId: current.partnerId,
        propertyId: current.propertyId,
        ...applyTenancyPatch(current, patch),
        version: current.version + 1,
        createdAt: current.createdAt,
        updatedAt: ctx.now().toISOString(),
      };
      const datesChanged = next.from !== current.from || next.to !== current.to;
      // While the item still has the old days, the calendar holds both (the
      // hull); it is narrowed once the item has the new ones.
      if (datesChanged) {
        await reserve(ctx, partnerId, current.unitId, tenancyId, periodOf(next), next.version);
      }
      await writeVersioned(ctx, key, item, toItem(next), expectedVersion, what(tenancyId));
      if (datesChanged) {
        await settle(ctx, partnerId, current.unitId, tenancyId, periodOf(next), next.version);
      }
      await recordChange(ctx, {
        partnerId,
        organisationId: await operatorOf(partnerId, current.propertyId),
        actor,
        action: 'tenancy.updated',
        target: { type: 'tenancy', id: tenancyId },
        before: current,
        after: next,
      });
      return next;
    },

    async delete(partnerId, tenancyId, expectedVersion, actor) {
      checkActor(actor);
      const key = tenancyKey(partnerId, tenancyId);
      const item = await readForChange(ctx, key, expectedVersion, what(tenancyId));
      const current = recordOf<Tenancy>(item);
      // Item first, days after: a crash between leaves days reserved for a
      // tenancy that is gone, which the calendar drops after the grace period.
      await deleteVersioned(ctx, key, expectedVersion, what(tenancyId));
      await release(ctx, partnerId, current.unitId, tenancyId);
      await recordChange(ctx, {
        partnerId,
        organisationId: await operatorOf(partnerId, current.propertyId),
        actor,
        action: 'tenancy.deleted',
        target: { type: 'tenancy', id: tenancyId },
        before: current,
      });
    },
  };
}

function toItem(tenancy: Tenancy): Item {
  return {
    ...tenancyKey(tenancy.partnerId, tenancy.id),
    ...tenancyIndexKey(tenancy.partnerId, tenancy.unitId, tenancy.from, tenancy.id),
    entity: 'TENANCY',
    ...tenancy,
  };
}
