import type { Actor, AuditLog } from '../audit.js';
import { everyItem } from './every-item.js';
import type { Meter } from './meter.js';
import type { MeterStore, PropertyStore, UnitStore } from './ports.js';

/**
 * A property changing metering operator: the property, and with it its
 * units and tenancies (they carry no organisation of their own), and every
 * meter it ever had, so that the new operator holds the history too. Meter
 * keys are sealed for partner and meter identity, not the organisation, and
 * stay as they are.
 *
 * There are no transactions (dynalite has none), so the transfer is a
 * sequence that can be repeated: mark the property (the operator changes in
 * the same write), move the meters, remove the mark, append the audit
 * entries. A call that fails in between leaves the mark; calling again with
 * the same target completes it. Order and crash behaviour: src/store/README.md,
 * "Transfers".
 */
export interface PropertyTransferDeps {
  properties: Pick<PropertyStore, 'startTransfer' | 'finishTransfer'>;
  units: Pick<UnitStore, 'listByProperty'>;
  meters: Pick<MeterStore, 'listByProperty' | 'moveToOrganisation'>;
  audit: Pick<AuditLog, 'append'>;
}

export interface PropertyTransferRequest {
  partnerId: string;
  propertyId: string;
  toOrganisationId: string;
  /** The property's version the caller saw (or the one a pending transfer started on). */
  expectedVersion: number;
  actor: Actor;
}

export interface PropertyTransferSummary {
  propertyId: string;
  fromOrganisationId: string;
  toOrganisationId: string;
  /** When the operator changed: the same for every call that completes one transfer. */
  at: string;
  /** The property's meters, removed ones included, all of them the new operator's now. */
  metersMoved: number;
  unitsCount: number;
  state: 'completed';
}

/** Meter moves in flight at once: a property's meters are hundreds, not millions. */
const MOVES_AT_ONCE = 8;
/** Meter ids named in the audit entry; beyond, the entry says it is cut short. */
export const AUDITED_METER_IDS = 1000;

export async function transferProperty(
  deps: PropertyTransferDeps,
  request: PropertyTransferRequest,
): Promise<PropertyTransferSummary> {
  const { partnerId, propertyId, toOrganisationId } = request;
  const started = await deps.properties.startTransfer(
    partnerId,
    propertyId,
    toOrganisationId,
    request.expectedVersion,
  );
  const transfer = started.transfer;
  if (transfer === undefined) {
    // startTransfer returns the property with its mark; without one, the port broke its word.
    throw new Error(`property ${propertyId} came back from startTransfer without its mark`);
  }
  const to = transfer.toOrganisationId;

  const meterIds: string[] = [];
  let batch: Meter[] = [];
  const moveBatch = async () => {
    await Promise.all(
      batch.map((meter) =>
        meter.organisationId === to
          ? meter
          : deps.meters.moveToOrganisation(partnerId, meter.id, meter.organisationId, to),
      ),
    );
    batch = [];
  };
  for await (const meter of everyItem((page) =>
    deps.meters.listByProperty(partnerId, propertyId, page),
  )) {
    meterIds.push(meter.id);
    batch.push(meter);
    if (batch.length === MOVES_AT_ONCE) await moveBatch();
  }
  await moveBatch();

  let unitsCount = 0;
  for await (const _unit of everyItem((page) =>
    deps.units.listByProperty(partnerId, propertyId, page),
  )) {
    unitsCount += 1;
  }

  // Of callers completing the same transfer at once, the one that removes the
  // mark writes the entries, so the log has the transfer once.
  if (await deps.properties.finishTransfer(partnerId, propertyId, transfer)) {
    const entry = {
      partnerId,
      actor: request.actor,
      action: 'property.transferred',
      target: { type: 'property', id: propertyId },
      before: { organisationId: transfer.fromOrganisationId },
      after: {
        organisationId: to,
        meterIds: meterIds.slice(0, AUDITED_METER_IDS),
        ...(meterIds.length > AUDITED_METER_IDS ? { meterIdsTruncated: true } : {}),
        unitsCount,
      },
      changed: ['organisationId'],
    };
    // The same entry in both operators' logs: an entry has one organisation.
    await deps.audit.append({ ...entry, organisationId: to });
    await deps.audit.append({ ...entry, organisationId: transfer.fromOrganisationId });
  }

  return {
    propertyId,
    fromOrganisationId: transfer.fromOrganisationId,
    toOrganisationId: to,
    at: transfer.startedAt,
    metersMoved: meterIds.length,
    unitsCount,
    state: 'completed',
  };
}
