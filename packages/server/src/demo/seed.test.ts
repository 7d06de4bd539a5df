import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { createFleet } from '@zaehlwerk/firmware-contract/simulator';
import { beforeAll, describe, expect, it } from 'vitest';
import { useDynaliteTable } from '../../test/ports/dynalite-table.js';
import { verifyApiKey } from '../auth/api-keys.js';
import { verifyPassword } from '../auth/password-hash.js';
import type { AuditEntry, AuditLog } from '../domain/audit.js';
import type { Meter } from '../domain/tenancy/meter.js';
import { decodeSealedKey, LocalMasterKey, createKeyVault, type KeyVault } from '../keys/index.js';
import { meterKeyIdentity } from '../domain/tenancy/meter.js';
import { createDynamoApiKeyStore } from '../store/dynamodb-api-key-store.js';
import {
  createDynamoMeterKeyStore,
  type MeterKeyStore,
} from '../store/dynamodb-meter-key-store.js';
import {
  createDynamoTenancyStores,
  type DynamoTenancyStores,
} from '../store/dynamodb-tenancy-stores.js';
import { demoPassword } from './demo-catalogue.js';
import {
  DEMO_SEED_ACTOR,
  formatCredentials,
  placeFleet,
  seedDemo,
  type DemoCredentials,
} from './seed.js';

/** Two meters per unit and kind on average: several allocators and a water pair per unit. */
const FLEET = createFleet({ count: 40, seed: 1 });
const NOW = () => new Date('2025-06-15T10:00:00.000Z');

/** Every stored key of the partner (the store lists both of a meter's during a change). */
async function storedKeys(meterKeys: MeterKeyStore, partnerId: string) {
  const keys = [];
  let cursor: string | undefined;
  do {
    const page = await meterKeys.list(partnerId, { limit: 100, ...(cursor ? { cursor } : {}) });
    keys.push(...page.items);
    cursor = page.cursor ?? undefined;
  } while (cursor !== undefined);
  return keys;
}

async function auditOf(audit: AuditLog, partnerId: string): Promise<AuditEntry[]> {
  const entries: AuditEntry[] = [];
  let cursor: string | undefined;
  do {
    const page = await audit.listByPartner(partnerId, {
      limit: 100,
      ...(cursor === undefined ? {} : { cursor }),
    });
    entries.push(...page.items);
    cursor = page.cursor ?? undefined;
  } while (cursor !== undefined);
  return entries;
}

async function allMeters(stores: DynamoTenancyStores, partnerId: string, propertyId: string) {
  const meters: Meter[] = [];
  let cursor: string | undefined;
  do {
    const page = await stores.meters.listByProperty(partnerId, propertyId, {
      limit: 100,
      ...(cursor === undefined ? {} : { cursor }),
    });
    meters.push(...page.items);
    cursor = page.cursor ?? undefined;
  } while (cursor !== undefined);
  return meters;
}

/** Everything but the key, which only the first run can show. */
function withoutApiKeys(creds: DemoCredentials) {
  return {
    ...creds,
    created: undefined,
    partners: creds.partners.map((p) => ({ ...p, apiKey: undefined, apiKeyId: undefined })),
  };
}

describe('seedDemo', () => {
  const { table } = useDynaliteTable('zw-demo-seed');
  let stores: DynamoTenancyStores;
  let vault: KeyVault;
  let meterKeys: MeterKeyStore;
  let apiKeys: ReturnType<typeof createDynamoApiKeyStore>;
  let first: DemoCredentials;

  async function itemCount(): Promise<number> {
    const { doc, tableName } = table();
    let count = 0;
    let start: Record<string, unknown> | undefined;
    do {
      const out = await doc.send(
        new ScanCommand({
          TableName: tableName,
          Select: 'COUNT',
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      count += out.Count ?? 0;
      start = out.LastEvaluatedKey;
    } while (start);
    return count;
  }

  const seed = () => seedDemo({ stores, apiKeys, vault, meterKeys, fleet: FLEET, now: NOW });

  beforeAll(async () => {
    stores = createDynamoTenancyStores(table());
    apiKeys = createDynamoApiKeyStore(table());
    vault = createKeyVault({ masterKey: await LocalMasterKey.open() });
    meterKeys = createDynamoMeterKeyStore(table());
    first = await seed();
    // Some twenty scrypt hashes: more than the default hook timeout on a slow machine.
  }, 60_000);

  it('creates two partners with their own branding, domains and https origins', async () => {
    expect(first.created).toBe(true);
    const demo = await stores.partners.get('demo');
    const solvimus = await stores.partners.get('solvimus');
    expect(demo?.name).toBe('Stadtwerke Musterstadt');
    expect(solvimus?.name).toBe('solvimus');
    expect(demo?.branding.colours.primary).not.toBe(solvimus?.branding.colours.primary);
    expect((await stores.partners.findByCustomDomain('solvimus.localhost'))?.id).toBe('solvimus');
    expect((await stores.partners.findByCustomDomain('demo.localhost'))?.id).toBe('demo');
    for (const partner of [demo, solvimus]) {
      expect(partner?.allowedOrigins.length).toBeGreaterThan(0);
      expect(partner?.allowedOrigins.every((o) => o.startsWith('https://'))).toBe(true);
    }
  });

  it('gives each partner a metering operator and a property manager', async () => {
    for (const partner of first.partners) {
      const operator = await stores.organisations.get(
        partner.partnerId,
        partner.ids.operatorOrganisationId,
      );
      const manager = await stores.organisations.get(
        partner.partnerId,
        partner.ids.managerOrganisationId,
      );
      expect(operator?.kind).toBe('metering-operator');
      expect(manager?.kind).toBe('property-manager');
    }
    expect(first.ids.demoOperatorOrganisationId).toBe(
      first.partners[0]!.ids.operatorOrganisationId,
    );
    expect(first.partners[0]!.partnerId).toBe('demo');
  });

  it('makes a platform admin whose password verifies', async () => {
    const admin = await stores.users.findByEmail('*', first.platformAdmin.email);
    expect(admin?.id).toBe(first.platformAdmin.userId);
    expect(admin?.grants).toEqual([{ role: 'platform-admin', partnerId: '*' }]);
    expect(first.platformAdmin.password).toBe(demoPassword('platform-admin'));
    expect(await verifyPassword(first.platformAdmin.password, admin!.passwordHash!)).toBe(true);
  });

  it('makes every login it reports, with a password that verifies and the right grant', async () => {
    for (const partner of first.partners) {
      const { partnerId, ids } = partner;
      const roles = partner.users.map((u) => u.role);
      expect(roles.filter((r) => r === 'partner-admin')).toHaveLength(1);
      expect(roles.filter((r) => r === 'operator')).toHaveLength(1);
      expect(roles.filter((r) => r === 'landlord')).toHaveLength(1);
      expect(roles.filter((r) => r === 'tenant')).toHaveLength(ids.unitIds.length);
      const tenants = partner.users.filter((u) => u.role === 'tenant');
      for (const login of partner.users) {
        expect(login.password.length).toBeGreaterThanOrEqual(12);
        const user = await stores.users.findByEmail(partnerId, login.email);
        expect(user?.id).toBe(login.userId);
        expect(await verifyPassword(login.password, user!.passwordHash!)).toBe(true);
        expect(await verifyPassword('wrong-password', user!.passwordHash!)).toBe(false);
        const [grant, ...more] = user!.grants;
        expect(more).toEqual([]);
        switch (login.role) {
          case 'partner-admin':
            expect(grant).toEqual({ role: 'partner-admin', partnerId });
            break;
          case 'operator':
            expect(grant).toEqual({
              role: 'operator',
              partnerId,
              organisationId: ids.operatorOrganisationId,
            });
            break;
          case 'landlord':
            expect(grant).toEqual({ role: 'landlord', partnerId, propertyId: ids.propertyId });
            break;
          case 'tenant':
            expect(grant).toEqual({
              role: 'tenant',
              partnerId,
              propertyId: ids.propertyId,
              unitId: ids.unitIds[tenants.indexOf(login)],
            });
            break;
          default:
            throw new Error(`unexpected role ${login.role}`);
        }
      }
    }
  });

  it('creates a property in Germany with at least six units, each let to its tenant since last January', async () => {
    for (const partner of first.partners) {
      const { partnerId, ids } = partner;
      const property = await stores.properties.get(partnerId, ids.propertyId);
      expect(property).toMatchObject({
        organisationId: ids.operatorOrganisationId,
        managerOrganisationId: ids.managerOrganisationId,
        timeZone: 'Europe/Berlin',
        heatingSystem: { kind: 'central', warmWaterCentral: true },
      });
      expect(property?.address.country).toBe('DE');
      const units = await stores.units.listByProperty(partnerId, ids.propertyId, { limit: 100 });
      expect(units.items.map((u) => u.id)).toEqual(ids.unitIds);
      expect(ids.unitIds.length).toBeGreaterThanOrEqual(6);
      for (const unit of units.items) {
        expect(unit.livingAreaM2).toBeGreaterThan(0);
        expect(unit.heatedAreaM2).toBeGreaterThan(0);
      }
      const tenants = partner.users.filter((u) => u.role === 'tenant');
      for (const [i, unitId] of ids.unitIds.entries()) {
        const tenancies = await stores.tenancies.listByUnit(partnerId, unitId);
        expect(tenancies.items).toHaveLength(1);
        expect(tenancies.items[0]).toMatchObject({
          id: ids.tenancyIds[i],
          from: '2024-01-01',
          tenantUserIds: [tenants[i]!.userId],
        });
        expect(tenancies.items[0]!.to).toBeUndefined();
      }
    }
  });

  it("installs the fleet in the demo property: allocators and water per unit, heat meters in the building's plant room", async () => {
    const { ids } = first.partners[0]!;
    const meters = await allMeters(stores, 'demo', ids.propertyId);
    expect(meters).toHaveLength(FLEET.length);
    expect(first.ids.meterIds).toHaveLength(FLEET.length);
    for (const [i, virtual] of FLEET.entries()) {
      const meter = await stores.meters.findByIdentity('demo', {
        manufacturer: virtual.manufacturer,
        meterId: virtual.id,
        deviceVersion: virtual.version,
        deviceType: virtual.deviceType,
      });
      expect(meter?.id).toBe(first.ids.meterIds[i]);
      expect(meter?.organisationId).toBe(ids.operatorOrganisationId);
      if (virtual.kind === 'heat-meter') {
        expect(meter?.kind).toBe('heat-meter');
        expect(meter?.unitId).toBeUndefined();
      } else if (virtual.kind === 'water-meter') {
        expect(meter?.kind).toBe(virtual.deviceType === 0x06 ? 'warm-water-meter' : 'water-meter');
        expect(ids.unitIds).toContain(meter?.unitId);
      } else {
        expect(meter?.kind).toBe('heat-cost-allocator');
        expect(meter?.ratingFactors).toEqual({ kq: 1, kc: 1 });
        expect(ids.unitIds).toContain(meter?.unitId);
      }
    }
    for (const unitId of ids.unitIds) {
      const kinds = meters.filter((m) => m.unitId === unitId).map((m) => m.kind);
      expect(kinds.filter((k) => k === 'heat-cost-allocator').length).toBeGreaterThanOrEqual(3);
      expect(kinds).toContain('water-meter');
      expect(kinds).toContain('warm-water-meter');
    }
    // The other partner's property holds no meters: the fleet is the demo gateway's.
    const other = first.partners[1]!;
    expect(await allMeters(stores, other.partnerId, other.ids.propertyId)).toEqual([]);
  });

  it("seals each meter's key for its partner and identity, and names it in keyRef", async () => {
    const meters = await allMeters(stores, 'demo', first.ids.propertyId);
    expect(await storedKeys(meterKeys, 'demo')).toHaveLength(FLEET.length);
    for (const virtual of FLEET) {
      const meter = meters.find((m) => m.meterId === virtual.id)!;
      const entry = (await meterKeys.get('demo', meter.id, meter.keyRef!))!;
      expect(entry.meterIdentity).toBe(meterKeyIdentity(meter));
      const sealed = decodeSealedKey(entry.sealedKey);
      expect(entry.masterKeyId).toBe(sealed.masterKeyId);
      const key = await vault.open(sealed, {
        partnerId: 'demo',
        meterIdentity: meterKeyIdentity(meter),
      });
      expect(Buffer.from(key).toString('hex').toUpperCase()).toBe(virtual.key);
      // Bound to the meter: another meter's identity does not open it.
      await expect(
        vault.open(sealed, {
          partnerId: 'demo',
          meterIdentity: meterKeyIdentity({ ...meter, meterId: '00000000' }),
        }),
      ).rejects.toThrow();
    }
  });

  it('gives the demo operator an API key that authenticates as that operator', async () => {
    const demo = first.partners[0]!;
    expect(demo.apiKey).not.toBeNull();
    const principal = await verifyApiKey(apiKeys, demo.apiKey!);
    expect(principal).toMatchObject({ kind: 'api-key', subject: demo.apiKeyId, partnerId: 'demo' });
    expect(principal.grants).toEqual([
      { role: 'operator', partnerId: 'demo', organisationId: demo.ids.operatorOrganisationId },
    ]);
    expect(first.partners[1]!.apiKey).toBeNull();
  });

  it('writes every change to the audit log as the system actor demo-seed', async () => {
    const demo = await auditOf(stores.audit, 'demo');
    const platform = await auditOf(stores.audit, '*');
    for (const entry of [...demo, ...platform]) expect(entry.actor).toEqual(DEMO_SEED_ACTOR);
    const count = (action: string) => demo.filter((e) => e.action === action).length;
    expect(count('partner.created')).toBe(1);
    expect(count('organisation.created')).toBe(2);
    expect(count('property.created')).toBe(1);
    expect(count('unit.created')).toBe(first.ids.unitIds.length);
    expect(count('tenancy.created')).toBe(first.ids.unitIds.length);
    expect(count('user.created')).toBe(first.partners[0]!.users.length);
    expect(count('meter.created')).toBe(FLEET.length);
    expect(count('meter.updated')).toBe(FLEET.length);
    expect(count('api-key.created')).toBe(1);
    expect(platform.filter((e) => e.action === 'user.created')).toHaveLength(1);
    // Nothing secret reached the log.
    const logged = JSON.stringify([...demo, ...platform]);
    expect(logged).not.toContain('scrypt$');
    expect(logged).not.toContain(first.partners[0]!.apiKey!);
  });

  it('changes nothing on a second run and reports the same logins, without the API key', async () => {
    const before = await itemCount();
    const again = await seed();
    expect(await itemCount()).toBe(before);
    expect(again.created).toBe(false);
    expect(again.partners.map((p) => p.apiKey)).toEqual([null, null]);
    expect(withoutApiKeys(again)).toEqual(withoutApiKeys(first));
    expect(await storedKeys(meterKeys, 'demo')).toHaveLength(FLEET.length);
    expect(formatCredentials(again)).toMatch(/cannot be shown again/);
  });

  it('formats the logins as a table for the start banner', () => {
    const text = formatCredentials(first);
    expect(text).toContain(first.platformAdmin.email);
    expect(text).toContain(first.partners[0]!.apiKey!);
    for (const partner of first.partners) {
      for (const user of partner.users) {
        expect(text).toMatch(new RegExp(`${user.email.replace(/\./g, '\\.')}\\s+${user.password}`));
      }
    }
    expect(text).not.toMatch(/cannot be shown again/);
  });
});

describe('seedDemo without a meter key store', () => {
  const { table } = useDynaliteTable('zw-demo-seed-keys');

  it(
    'installs the meters without keys, and a later run with a store adds them',
    { timeout: 60_000 },
    async () => {
      const stores = createDynamoTenancyStores(table());
      const apiKeys = createDynamoApiKeyStore(table());
      const vault = createKeyVault({ masterKey: await LocalMasterKey.open() });
      const fleet = FLEET.slice(0, 10);
      const passwords = ({ role }: { role: string }) => `custom-${role}-password`;
      const bare = await seedDemo({ stores, apiKeys, vault, fleet, now: NOW, passwords });
      const operator = bare.partners[0]!.users.find((u) => u.role === 'operator')!;
      expect(operator.password).toBe('custom-operator-password');
      const stored = await stores.users.findByEmail('demo', operator.email);
      expect(await verifyPassword(operator.password, stored!.passwordHash!)).toBe(true);
      const meters = await allMeters(stores, 'demo', bare.ids.propertyId);
      expect(meters).toHaveLength(10);
      expect(meters.every((m) => m.keyRef === undefined)).toBe(true);

      const meterKeys = createDynamoMeterKeyStore(table());
      const withKeys = await seedDemo({
        stores,
        apiKeys,
        vault,
        meterKeys,
        fleet,
        now: NOW,
        passwords,
      });
      expect(withKeys.created).toBe(false);
      expect(withKeys.ids.meterIds).toEqual(bare.ids.meterIds);
      expect(await storedKeys(meterKeys, 'demo')).toHaveLength(10);
      const keyed = await allMeters(stores, 'demo', bare.ids.propertyId);
      for (const meter of keyed) {
        expect(await meterKeys.get('demo', meter.id, meter.keyRef!)).not.toBeNull();
      }
    },
  );
});

describe('placeFleet', () => {
  it('puts a small fleet over the units the same way every time', () => {
    const fleet = createFleet({ count: 20, seed: 1 });
    const placed = placeFleet(fleet, 6);
    expect(placed).toEqual(placeFleet(fleet, 6));
    expect(placed.filter((p) => p.kind === 'heat-meter').every((p) => p.unit === null)).toBe(true);
    const hcaUnits = placed.filter((p) => p.kind === 'heat-cost-allocator').map((p) => p.unit);
    expect(new Set(hcaUnits)).toEqual(new Set([0, 1, 2, 3, 4, 5]));
    // A larger fleet keeps the smaller one's places.
    expect(placeFleet(createFleet({ count: 40, seed: 1 }), 6).slice(0, 20)).toEqual(placed);
    expect(new Set(placed.map((p) => p.location)).size).toBeGreaterThan(5);
  });
});
