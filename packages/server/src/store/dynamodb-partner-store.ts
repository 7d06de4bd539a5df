import { DomainError } from '../domain/errors.js';
import {
  applyPartnerPatch,
  validateNewPartner,
  type Partner,
  type PartnerFields,
} from '../domain/tenancy/partner.js';
import type { PartnerStore } from '../domain/tenancy/ports.js';
import { customDomainKey, PARTNERS_PARTITION, partnerIndexKey, partnerKey } from './keys.js';
import {
  checkActor,
  checkKeyParts,
  claimMarker,
  getItem,
  markerOwner,
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

/**
 * Partners in the single table (key design: ./README.md, "Partners"): one
 * item per partner under its id, and one marker item per custom domain that
 * makes the host name unique in the deployment.
 */
export function createDynamoPartnerStore(options: TenancyStoreOptions): PartnerStore {
  const ctx = storeContext(options);

  async function read(partnerId: string): Promise<Partner | null> {
    const item = await getItem(ctx, partnerKey(partnerId));
    return item ? recordOf<Partner>(item) : null;
  }

  return {
    async create(input, actor) {
      checkActor(actor);
      const fields = validateNewPartner(input);
      const at = ctx.now().toISOString();
      const partner: Partner = { ...fields, version: 1, createdAt: at, updatedAt: at };
      // Domains first: a crash after them leaves markers no partner lists,
      // which lookups ignore and others may take after the grace period.
      const claims = await claimDomains(ctx, partner.id, partner.branding.customDomains);
      try {
        await putNew(
          ctx,
          toItem(partner),
          () =>
            new DomainError('CONFLICT', `partner ${partner.id} already exists`, {
              details: { field: 'id', reason: 'duplicate' },
            }),
        );
      } catch (err) {
        await undoClaims(ctx, claims);
        throw err;
      }
      await recordChange(ctx, {
        partnerId: partner.id,
        actor,
        action: 'partner.created',
        target: { type: 'partner', id: partner.id },
        after: partner,
      });
      return partner;
    },

    async get(partnerId) {
      checkKeyParts({ partnerId });
      return read(partnerId);
    },

    async list(listOptions) {
      const page = await queryIndexPage(
        ctx,
        { partition: PARTNERS_PARTITION, tableKeyOf: (id) => partnerKey(id) },
        listOptions,
      );
      return { items: page.items.map((i) => recordOf<Partner>(i)), cursor: page.cursor };
    },

    async update(partnerId, patch, expectedVersion, actor) {
      checkActor(actor);
      const item = await readForChange(
        ctx,
        partnerKey(partnerId),
        expectedVersion,
        `partner ${partnerId}`,
      );
      const current = recordOf<Partner>(item);
      const fields: PartnerFields = applyPartnerPatch(current, patch);
      const next: Partner = {
        ...fields,
        version: current.version + 1,
        createdAt: current.createdAt,
        updatedAt: ctx.now().toISOString(),
      };
      const before = new Set(current.branding.customDomains);
      const after = new Set(next.branding.customDomains);
      const added = [...after].filter((d) => !before.has(d));
      const removed = [...before].filter((d) => !after.has(d));
      const claims = await claimDomains(ctx, partnerId, added);
      try {
        await writeVersioned(
          ctx,
          partnerKey(partnerId),
          item,
          toItem(next),
          expectedVersion,
          `partner ${partnerId}`,
        );
      } catch (err) {
        await undoClaims(ctx, claims);
        throw err;
      }
      // Released after the write: until then the partner still lists them.
      await Promise.all(removed.map((d) => releaseMarker(ctx, customDomainKey(d), partnerId)));
      await recordChange(ctx, {
        partnerId,
        actor,
        action: 'partner.updated',
        target: { type: 'partner', id: partnerId },
        before: current,
        after: next,
      });
      return next;
    },

    async findByCustomDomain(hostname) {
      if (typeof hostname !== 'string') return null;
      const host = hostname.trim().toLowerCase().replace(/\.$/, '');
      if (host.length === 0 || host.length > 253 || host.includes('#')) return null;
      const owner = await markerOwner(ctx, customDomainKey(host));
      if (owner === null) return null;
      const partner = await read(owner);
      // A marker alone proves nothing: it may be left from a crash or a change in flight.
      return partner && partner.branding.customDomains.includes(host) ? partner : null;
    },
  };
}

function toItem(partner: Partner): Item {
  return {
    ...partnerKey(partner.id),
    ...partnerIndexKey(partner.id),
    entity: 'PARTNER',
    ...partner,
  };
}

async function claimDomains(
  ctx: StoreContext,
  partnerId: string,
  domains: readonly string[],
): Promise<Claim[]> {
  const claims: Claim[] = [];
  try {
    for (const domain of domains) {
      claims.push(
        await claimMarker(ctx, customDomainKey(domain), partnerId, {
          async ownerHolds(ownerId) {
            const owner = await getItem(ctx, partnerKey(ownerId));
            const listed = (owner?.branding as Partner['branding'] | undefined)?.customDomains;
            return Array.isArray(listed) && listed.includes(domain);
          },
          conflict: () =>
            new DomainError('CONFLICT', `custom domain ${domain} belongs to another partner`, {
              details: { field: 'branding/customDomains', reason: 'duplicate', value: domain },
            }),
        }),
      );
    }
  } catch (err) {
    await undoClaims(ctx, claims);
    throw err;
  }
  return claims;
}
