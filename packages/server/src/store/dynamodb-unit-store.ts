import { DomainError } from '../domain/errors.js';
import type { UnitStore } from '../domain/tenancy/ports.js';
import type { Property } from '../domain/tenancy/property.js';
import { applyUnitPatch, validateNewUnit, type Unit } from '../domain/tenancy/unit.js';
import { id } from '../domain/tenancy/validation.js';
import {
  propertyKey,
  propertyMetersPartition,
  propertyUnitsPartition,
  unitIndexKey,
  unitKey,
  unitMetersPrefix,
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
  readForChange,
  recordChange,
  recordOf,
  storeContext,
  writeVersioned,
  type Item,
  type StoreContext,
  type TenancyStoreOptions,
} from './tenancy-items.js';
import {
  calendarOf,
  hasTenancies,
  OCCUPANCY,
  OCCUPANCY_ATTRIBUTES,
  OCCUPANCY_VERSION,
} from './unit-occupancy.js';

/**
 * Units in the single table (key design: ./README.md, "Units"): one item per
 * unit, indexed under its property. The item also carries the tenancy
 * calendar (unit-occupancy.ts), which unit writes leave alone.
 */
export function createDynamoUnitStore(options: TenancyStoreOptions): UnitStore {
  const ctx = storeContext(options);
  const what = (id: string) => `unit ${id}`;
  const toUnit = (item: Item) => recordOf<Unit>(item, OCCUPANCY_ATTRIBUTES);

  return {
    async create(partnerId, input, actor) {
      checkActor(actor);
      checkKeyParts({ partnerId });
      const fields = validateNewUnit(input);
      const propertyId = id(input?.propertyId, 'propertyId');
      const property = await propertyOf(ctx, partnerId, propertyId);
      if (!property) throw notFound(`property ${propertyId}`, 'propertyId');
      const at = ctx.now().toISOString();
      const unit: Unit = {
        id: ctx.newId('unit'),
        partnerId,
        propertyId: property.id,
        ...fields,
        version: 1,
        createdAt: at,
        updatedAt: at,
      };
      checkKeyParts({ unitId: unit.id });
      await putNew(
        ctx,
        { ...toItem(unit), [OCCUPANCY]: {}, [OCCUPANCY_VERSION]: 0 },
        () => new DomainError('CONFLICT', `${what(unit.id)} already exists`),
      );
      await recordChange(ctx, {
        partnerId,
        organisationId: property.organisationId,
        actor,
        action: 'unit.created',
        target: { type: 'unit', id: unit.id },
        after: unit,
      });
      return unit;
    },

    async get(partnerId, unitId) {
      checkKeyParts({ partnerId, unitId });
      const item = await getItem(ctx, unitKey(partnerId, unitId));
      return item ? toUnit(item) : null;
    },

    async listByProperty(partnerId, propertyId, listOptions) {
      checkKeyParts({ partnerId, propertyId });
      const page = await queryIndexPage(
        ctx,
        {
          partition: propertyUnitsPartition(partnerId, propertyId),
          tableKeyOf: (sk) => {
            const id = idOfSortKey(sk);
            return id === null ? null : unitKey(partnerId, id);
          },
        },
        listOptions,
      );
      return { items: page.items.map(toUnit), cursor: page.cursor };
    },

    async update(partnerId, unitId, patch, expectedVersion, actor) {
      checkActor(actor);
      const key = unitKey(partnerId, unitId);
      const item = await readForChange(ctx, key, expectedVersion, what(unitId));
      const current = toUnit(item);
      const next: Unit = {
        id: current.id,
        partnerId: current.partnerId,
        propertyId: current.propertyId,
        ...applyUnitPatch(current, patch),
        version: current.version + 1,
        createdAt: current.createdAt,
        updatedAt: ctx.now().toISOString(),
      };
      await writeVersioned(
        ctx,
        key,
        item,
        toItem(next),
        expectedVersion,
        what(unitId),
        OCCUPANCY_ATTRIBUTES,
      );
      await recordChange(ctx, {
        partnerId,
        organisationId: (await propertyOf(ctx, partnerId, current.propertyId))?.organisationId,
        actor,
        action: 'unit.updated',
        target: { type: 'unit', id: unitId },
        before: current,
        after: next,
      });
      return next;
    },

    async delete(partnerId, unitId, expectedVersion, actor) {
      checkActor(actor);
      const key = unitKey(partnerId, unitId);
      const item = await readForChange(ctx, key, expectedVersion, what(unitId));
      const current = toUnit(item);
      const hasChildren =
        (await hasTenancies(ctx, partnerId, item)) ||
        (await indexPartitionHasItems(
          ctx,
          propertyMetersPartition(partnerId, current.propertyId),
          unitMetersPrefix(unitId),
        ));
      const childrenConflict = () =>
        new DomainError('CONFLICT', `${what(unitId)} still has tenancies or meters`, {
          details: { reason: 'has-children' },
        });
      if (hasChildren) throw childrenConflict();
      // Exact for tenancies: a reservation since the read changes the calendar's version.
      await deleteVersioned(ctx, key, expectedVersion, what(unitId), {
        condition: '#ov = :ov',
        names: { '#ov': OCCUPANCY_VERSION },
        values: { ':ov': calendarOf(item).version },
        conflict: childrenConflict,
      });
      await recordChange(ctx, {
        partnerId,
        organisationId: (await propertyOf(ctx, partnerId, current.propertyId))?.organisationId,
        actor,
        action: 'unit.deleted',
        target: { type: 'unit', id: unitId },
        before: current,
      });
    },
  };
}

export async function propertyOf(
  ctx: StoreContext,
  partnerId: string,
  propertyId: string,
): Promise<Property | null> {
  if (typeof propertyId !== 'string' || propertyId.length === 0) return null;
  const item = await getItem(ctx, propertyKey(partnerId, propertyId));
  return item ? recordOf<Property>(item) : null;
}

function toItem(unit: Unit): Item {
  return {
    ...unitKey(unit.partnerId, unit.id),
    ...unitIndexKey(unit.partnerId, unit.propertyId, unit.createdAt, unit.id),
    entity: 'UNIT',
    ...unit,
  };
}
