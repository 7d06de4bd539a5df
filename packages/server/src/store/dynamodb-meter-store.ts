import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { DomainError } from '../domain/errors.js';
import {
  applyMeterPatch,
  readMeterIdentity,
  sameIdentity,
  validateNewMeter,
  type Meter,
  type MeterIdentity,
} from '../domain/tenancy/meter.js';
import type { MeterStore } from '../domain/tenancy/ports.js';
import type { Unit } from '../domain/tenancy/unit.js';
import { id, invalid, record } from '../domain/tenancy/validation.js';
import {
  meterIdentityKey,
  meterIndexKey,
  meterKey,
  propertyMetersPartition,
  unitKey,
  unitMetersPrefix,
} from './keys.js';
import { isConditionFailed } from './condition-failed.js';
import { propertyOf } from './dynamodb-unit-store.js';
import {
  checkActor,
  checkKeyParts,
  batchGet,
  claimMarker,
  deleteVersioned,
  getItem,
  idOfSortKey,
  markerOwner,
  notFound,
  putNew,
  queryIndexPage,
  readForChange,
  recordChange,
  recordOf,
  releaseMarker,
  storeContext,
  undoClaims,
  writeVersioned,
  type Claim,
  type Item,
  type StoreContext,
  type TenancyStoreOptions,
} from './tenancy-items.js';
import { OCCUPANCY_ATTRIBUTES } from './unit-occupancy.js';

/**
 * Meters in the single table (key design: ./README.md, "Meters"): one item
 * per installation, indexed under its property (its unit's meters as a sort
 * key prefix there), and an identity marker per installed meter that keeps
 * the identity unique in the partner and finds the meter for ingest.
 */
export function createDynamoMeterStore(options: TenancyStoreOptions): MeterStore {
  const ctx = storeContext(options);
  const what = (meterId: string) => `meter ${meterId}`;

  async function read(partnerId: string, meterId: string): Promise<Meter | null> {
    const item = await getItem(ctx, meterKey(partnerId, meterId));
    return item ? recordOf<Meter>(item) : null;
  }

  async function unitOf(partnerId: string, unitId: string): Promise<Unit | null> {
    const item = await getItem(ctx, unitKey(partnerId, unitId));
    return item ? recordOf<Unit>(item, OCCUPANCY_ATTRIBUTES) : null;
  }

  /** The one write of moveToOrganisation; see the port. */
  async function move(partnerId: string, meterId: string, from: string, to: string) {
    try {
      const out = await ctx.doc.send(
        new UpdateCommand({
          TableName: ctx.TableName,
          Key: meterKey(partnerId, meterId),
          UpdateExpression: 'SET #org = :to, #version = #version + :one, #updatedAt = :now',
          ConditionExpression: 'attribute_exists(pk) AND #org = :from',
          ExpressionAttributeNames: {
            '#org': 'organisationId',
            '#version': 'version',
            '#updatedAt': 'updatedAt',
          },
          ExpressionAttributeValues: {
            ':from': from,
            ':to': to,
            ':one': 1,
            ':now': ctx.now().toISOString(),
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return recordOf<Meter>(out.Attributes ?? {});
    } catch (err) {
      if (!isConditionFailed(err)) throw err;
      const meter = await read(partnerId, meterId);
      if (meter === null) throw Object.assign(notFound(what(meterId)), { cause: err });
      if (meter.organisationId === to) return meter;
      throw new DomainError(
        'CONFLICT',
        `${what(meterId)} belongs to organisation ${meter.organisationId}, not ${from}`,
        { cause: err, details: { reason: 'organisation' } },
      );
    }
  }

  function page(partnerId: string, partition: string, prefix: string | undefined) {
    return {
      partition,
      ...(prefix === undefined ? {} : { sortPrefix: prefix }),
      tableKeyOf: (sk: string) => {
        const meterId = idOfSortKey(sk);
        return meterId === null ? null : meterKey(partnerId, meterId);
      },
    };
  }

  return {
    async create(partnerId, input, actor) {
      checkActor(actor);
      checkKeyParts({ partnerId });
      const raw = record(input, 'meter');
      const propertyId = id(raw.propertyId, 'propertyId');
      const property = await propertyOf(ctx, partnerId, propertyId);
      if (!property) throw notFound(`property ${propertyId}`, 'propertyId');
      if (raw.unitId !== undefined && raw.unitId !== null) {
        const unit = await unitOf(partnerId, id(raw.unitId, 'unitId'));
        if (!unit || unit.propertyId !== propertyId) {
          throw notFound(`unit ${String(raw.unitId)} of property ${propertyId}`, 'unitId');
        }
      }
      // The meter is the operator's who serves the property; ingest checks a
      // frame's gateway against it.
      if (raw.organisationId !== undefined && raw.organisationId !== property.organisationId) {
        throw invalid('organisationId', 'not-allowed', "must be the property's operator");
      }
      const fields = validateNewMeter({ ...input, organisationId: property.organisationId });
      const at = ctx.now().toISOString();
      let meter: Meter = {
        id: ctx.newId('met'),
        partnerId,
        ...fields,
        version: 1,
        createdAt: at,
        updatedAt: at,
      };
      checkKeyParts({ meterId: meter.id });
      // A meter entered as already removed (history) holds no identity.
      const claims: Claim[] =
        meter.removedAt === undefined ? [await claimIdentity(ctx, partnerId, meter, meter.id)] : [];
      try {
        await putNew(
          ctx,
          toItem(meter),
          () => new DomainError('CONFLICT', `${what(meter.id)} already exists`),
        );
      } catch (err) {
        await undoClaims(ctx, claims);
        throw err;
      }
      // A transfer of the property may have walked its meters between the read
      // above and the put: the property, read again, decides (README, "Transfers").
      const operator = (await propertyOf(ctx, partnerId, propertyId))?.organisationId;
      if (operator !== undefined && operator !== meter.organisationId) {
        meter = await move(partnerId, meter.id, meter.organisationId, operator);
      }
      await recordChange(ctx, {
        partnerId,
        organisationId: meter.organisationId,
        actor,
        action: 'meter.created',
        target: { type: 'meter', id: meter.id },
        after: meter,
      });
      return meter;
    },

    async get(partnerId, meterId) {
      checkKeyParts({ partnerId, meterId });
      return read(partnerId, meterId);
    },

    async listByProperty(partnerId, propertyId, listOptions) {
      checkKeyParts({ partnerId, propertyId });
      const out = await queryIndexPage(
        ctx,
        page(partnerId, propertyMetersPartition(partnerId, propertyId), undefined),
        listOptions,
      );
      return { items: out.items.map((i) => recordOf<Meter>(i)), cursor: out.cursor };
    },

    async listByUnit(partnerId, unitId, listOptions) {
      checkKeyParts({ partnerId, unitId });
      const unit = await unitOf(partnerId, unitId);
      if (!unit) throw notFound(`unit ${unitId}`, 'unitId');
      const out = await queryIndexPage(
        ctx,
        page(
          partnerId,
          propertyMetersPartition(partnerId, unit.propertyId),
          unitMetersPrefix(unitId),
        ),
        listOptions,
      );
      return { items: out.items.map((i) => recordOf<Meter>(i)), cursor: out.cursor };
    },

    async findByIdentity(partnerId, identity) {
      checkKeyParts({ partnerId });
      let wanted: MeterIdentity;
      try {
        wanted = readMeterIdentity(record(identity, 'identity'));
      } catch {
        return null;
      }
      const owner = await markerOwner(ctx, meterIdentityKey(partnerId, wanted));
      if (owner === null) return null;
      const meter = await read(partnerId, owner);
      // The marker may be a leftover (a crash between writes): the meter decides.
      return meter && meter.removedAt === undefined && sameIdentity(meter, wanted) ? meter : null;
    },

    async findManyByIdentity(partnerId, identities) {
      checkKeyParts({ partnerId });
      // Ingest looks up the meters of a whole batch at once: markers, then meters, each one
      // BatchGetItem instead of two GetItems per meter.
      const wanted = identities.map((identity) => {
        try {
          return readMeterIdentity(record(identity, 'identity'));
        } catch {
          return null;
        }
      });
      const markerKeys = new Map(
        wanted.flatMap((w) => {
          if (w === null) return [];
          const key = meterIdentityKey(partnerId, w);
          return [[key.pk, key] as const];
        }),
      );
      const markers = await batchGet(ctx, [...markerKeys.values()]);
      const ownerOf = new Map(markers.map((m) => [String(m.pk), String(m.ownerId)]));
      const owners = [...new Set(ownerOf.values())];
      const meters = new Map(
        (
          await batchGet(
            ctx,
            owners.map((id) => meterKey(partnerId, id)),
          )
        ).map((item) => {
          const meter = recordOf<Meter>(item);
          return [meter.id, meter];
        }),
      );
      return wanted.map((w) => {
        if (w === null) return null;
        const owner = ownerOf.get(meterIdentityKey(partnerId, w).pk);
        const meter = owner === undefined ? undefined : meters.get(owner);
        // As findByIdentity: a leftover marker does not resolve, the meter decides.
        return meter && meter.removedAt === undefined && sameIdentity(meter, w) ? meter : null;
      });
    },

    async update(partnerId, meterId, patch, expectedVersion, actor) {
      checkActor(actor);
      const key = meterKey(partnerId, meterId);
      const item = await readForChange(ctx, key, expectedVersion, what(meterId));
      const current = recordOf<Meter>(item);
      const next: Meter = {
        id: current.id,
        partnerId: current.partnerId,
        ...applyMeterPatch(current, patch),
        version: current.version + 1,
        createdAt: current.createdAt,
        updatedAt: ctx.now().toISOString(),
      };
      await writeVersioned(ctx, key, item, toItem(next), expectedVersion, what(meterId));
      // After the write: until the removal is stored, the identity is still this meter's.
      if (current.removedAt === undefined && next.removedAt !== undefined) {
        await releaseMarker(ctx, meterIdentityKey(partnerId, current), meterId);
      }
      await recordChange(ctx, {
        partnerId,
        organisationId: next.organisationId,
        actor,
        action:
          current.removedAt === undefined && next.removedAt !== undefined
            ? 'meter.removed'
            : 'meter.updated',
        target: { type: 'meter', id: meterId },
        before: current,
        after: next,
      });
      return next;
    },

    async delete(partnerId, meterId, expectedVersion, actor) {
      checkActor(actor);
      const key = meterKey(partnerId, meterId);
      const item = await readForChange(ctx, key, expectedVersion, what(meterId));
      const current = recordOf<Meter>(item);
      await deleteVersioned(ctx, key, expectedVersion, what(meterId));
      await releaseMarker(ctx, meterIdentityKey(partnerId, current), meterId);
      await recordChange(ctx, {
        partnerId,
        organisationId: current.organisationId,
        actor,
        action: 'meter.deleted',
        target: { type: 'meter', id: meterId },
        before: current,
      });
    },

    async moveToOrganisation(partnerId, meterId, fromOrganisationId, toOrganisationId) {
      checkKeyParts({ partnerId, meterId });
      const from = id(fromOrganisationId, 'fromOrganisationId');
      const to = id(toOrganisationId, 'toOrganisationId');
      return move(partnerId, meterId, from, to);
    },
  };
}

function toItem(meter: Meter): Item {
  return {
    ...meterKey(meter.partnerId, meter.id),
    ...meterIndexKey(meter.partnerId, meter.propertyId, meter.unitId, meter.createdAt, meter.id),
    entity: 'METER',
    ...meter,
  };
}

function claimIdentity(
  ctx: StoreContext,
  partnerId: string,
  identity: MeterIdentity,
  meterId: string,
): Promise<Claim> {
  const owner = async (ownerId: string) => {
    const item = await getItem(ctx, meterKey(partnerId, ownerId));
    return item ? recordOf<Meter>(item) : null;
  };
  return claimMarker(ctx, meterIdentityKey(partnerId, identity), meterId, {
    async ownerHolds(ownerId) {
      const m = await owner(ownerId);
      return m !== null && m.removedAt === undefined && sameIdentity(m, identity);
    },
    // A removal is final: its identity is free at once, without waiting out the grace.
    async finalWhenNotHeld(ownerId) {
      return (await owner(ownerId))?.removedAt !== undefined;
    },
    conflict: () =>
      new DomainError('CONFLICT', 'an installed meter of the partner has this identity', {
        details: { field: 'meterId', reason: 'duplicate' },
      }),
  });
}
