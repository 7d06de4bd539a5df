import { PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { encodeCursor } from '../../src/iot/registry-rules.js';
import { createDynamoAuditLog } from '../../src/store/dynamodb-audit-log.js';
import { createDynamoTenancyStores } from '../../src/store/dynamodb-tenancy-stores.js';
import {
  customDomainKey,
  meterKey,
  partnerOrganisationsPartition,
  unitKey,
  userEmailKey,
} from '../../src/store/keys.js';
import { DEFAULT_CLAIM_GRACE_MS } from '../../src/store/tenancy-items.js';
import { scanTable, useDynaliteTable } from './dynalite-table.js';
import {
  admin,
  domainError,
  newPartner,
  partnerId,
  run,
  seedUnit,
  testClock,
  type MakeStores,
} from './tenancy-fixtures.js';
import { FAKE_HASH } from './user-store.contract.js';

type Item = Record<string, unknown>;

describe('tenancy stores on dynalite: layout and recovery', () => {
  const { table } = useDynaliteTable('zw-tenancy-layout');
  const make: MakeStores = (options = {}) => ({
    ...createDynamoTenancyStores({ ...table(), ...options }),
    table: table(),
  });

  async function scan(): Promise<Item[]> {
    const { doc, tableName } = table();
    return scanTable(doc, tableName);
  }

  const put = (item: Item) =>
    table().doc.send(new PutCommand({ TableName: table().tableName, Item: item }));

  it('keys every item of a partner under the partner, except its own item and its domain markers', async () => {
    const stores = make();
    const seeded = await seedUnit(stores);
    const p = seeded.partnerId;
    const domain = `layout-${run()}.example.net`;
    await stores.partners.update(
      p,
      { branding: { ...seeded.partner.branding, customDomains: [domain] } },
      1,
      admin,
    );
    await stores.properties.update(
      p,
      seeded.property.id,
      { managerOrganisationId: seeded.manager.id },
      1,
      admin,
    );
    await stores.tenancies.create(p, { unitId: seeded.unit.id, from: '2025-01-01' }, admin);
    await stores.meters.create(
      p,
      {
        propertyId: seeded.property.id,
        unitId: seeded.unit.id,
        kind: 'water-meter',
        manufacturer: 'DME',
        meterId: '40000001',
        deviceVersion: 1,
        deviceType: 7,
        installedAt: '2025-01-01T00:00:00Z',
      },
      admin,
    );
    await stores.users.create(p, { email: `layout.${run()}@example.org`, name: 'L' }, admin);

    const mine = (await scan()).filter(
      (i) =>
        i.partnerId === p ||
        String(i.pk).includes(`#${p}#`) ||
        String(i.pk) === `PARTNER#${p}` ||
        i.ownerId === p,
    );
    const entities = new Set(mine.map((i) => i.entity));
    expect([...entities].sort()).toEqual(
      [
        'AUDIT',
        'MANAGED',
        'MARKER',
        'METER',
        'ORG',
        'PARTNER',
        'PROP',
        'TENANCY',
        'UNIT',
        'USER',
      ].sort(),
    );
    for (const item of mine) {
      const global = item.entity === 'PARTNER' || String(item.pk).startsWith('DOMAIN#');
      if (!global) expect(String(item.pk).startsWith(`P#${p}#`), String(item.pk)).toBe(true);
      if (item.gsi1pk !== undefined && item.entity !== 'PARTNER') {
        expect(String(item.gsi1pk).startsWith(`P#${p}#`), String(item.gsi1pk)).toBe(true);
      }
    }
    expect(mine.find((i) => String(i.pk) === customDomainKey(domain).pk)).toMatchObject({
      ownerId: p,
    });
  });

  it('stores password hashes in the user item only', async () => {
    const stores = make();
    const { partnerId: p } = await seedUnit(stores);
    const user = await stores.users.create(
      p,
      { email: `scan.${run()}@example.org`, name: 'S', passwordHash: FAKE_HASH },
      admin,
    );
    await stores.users.update(p, user.id, { name: 'S2' }, 1, admin);
    const holding = (await scan()).filter((i) => JSON.stringify(i).includes(FAKE_HASH));
    expect(holding.map((i) => i.entity)).toEqual(['USER']);
  });

  it('refuses cursors crafted for another partition or another partner', async () => {
    const stores = make();
    const a = await seedUnit(stores);
    const b = await seedUnit(stores);
    const page = await stores.organisations.list(a.partnerId, { limit: 1 });
    const fields = JSON.parse(Buffer.from(page.cursor!, 'base64url').toString()) as Item;
    const forged = [
      { ...fields, gsi1pk: partnerOrganisationsPartition(b.partnerId) },
      { ...fields, pk: String(fields.pk).replace(a.partnerId, b.partnerId) },
      { ...fields, extra: 1 },
      { pk: fields.pk, sk: fields.sk },
    ];
    for (const f of forged) {
      await expect(
        stores.organisations.list(b.partnerId, { cursor: encodeCursor(f) }),
      ).rejects.toMatchObject(domainError('VALIDATION_FAILED'));
    }
    await expect(
      stores.organisations.list(a.partnerId, { cursor: `${page.cursor}=` }),
    ).rejects.toMatchObject(domainError('VALIDATION_FAILED'));
    const audit = await stores.audit.listByPartner(a.partnerId, { limit: 1 });
    await expect(
      stores.audit.listByPartner(b.partnerId, { cursor: audit.cursor! }),
    ).rejects.toMatchObject(domainError('VALIDATION_FAILED'));
  });

  describe('what a crash between two writes leaves', () => {
    it('a domain marker no partner lists: ignored by lookups, taken over after the grace period', async () => {
      const clock = testClock();
      const stores = make({ now: clock.now });
      const domain = `orphan-${run()}.example.net`;
      await put({
        ...customDomainKey(domain),
        entity: 'MARKER',
        ownerId: 'ghost',
        claim: 'c1',
        claimedAt: clock.now().toISOString(),
      });
      expect(await stores.partners.findByCustomDomain(domain)).toBeNull();
      const input = newPartner(partnerId());
      const withDomain = { ...input, branding: { ...input.branding, customDomains: [domain] } };
      await expect(stores.partners.create(withDomain, admin)).rejects.toMatchObject(
        domainError('CONFLICT'),
      );
      clock.advance(DEFAULT_CLAIM_GRACE_MS + 1);
      await stores.partners.create(withDomain, admin);
      expect((await stores.partners.findByCustomDomain(domain))?.id).toBe(input.id);
    });

    it('an e-mail marker left by an address change is taken over after the grace period', async () => {
      const clock = testClock();
      const stores = make({ now: clock.now });
      const { partnerId: p } = await seedUnit(stores);
      const user = await stores.users.create(
        p,
        { email: `old.${run()}@example.org`, name: 'O' },
        admin,
      );
      // As if the update stored the new address but crashed before releasing the old one.
      const stale = `stale.${run()}@example.org`;
      await put({
        ...userEmailKey(p, stale),
        entity: 'MARKER',
        ownerId: user.id,
        claim: 'c2',
        claimedAt: clock.now().toISOString(),
      });
      expect(await stores.users.findByEmail(p, stale)).toBeNull();
      await expect(
        stores.users.create(p, { email: stale, name: 'N' }, admin),
      ).rejects.toMatchObject(domainError('CONFLICT', { field: 'email' }));
      clock.advance(DEFAULT_CLAIM_GRACE_MS + 1);
      const taker = await stores.users.create(p, { email: stale, name: 'N' }, admin);
      expect((await stores.users.findByEmail(p, stale))?.id).toBe(taker.id);
    });

    it("a removed meter's identity marker is free at once", async () => {
      const stores = make();
      const { partnerId: p, property } = await seedUnit(stores);
      const input = {
        propertyId: property.id,
        kind: 'heat-meter' as const,
        manufacturer: 'KAM',
        meterId: '50000001',
        deviceVersion: 2,
        deviceType: 4,
        installedAt: '2024-01-01T00:00:00Z',
      };
      const meter = await stores.meters.create(p, input, admin);
      // As if the removal was stored but the marker never released.
      await table().doc.send(
        new UpdateCommand({
          TableName: table().tableName,
          Key: meterKey(p, meter.id),
          UpdateExpression: 'SET removedAt = :r',
          ExpressionAttributeValues: { ':r': '2025-01-01T00:00:00.000Z' },
        }),
      );
      expect(await stores.meters.findByIdentity(p, input)).toBeNull();
      const next = await stores.meters.create(
        p,
        { ...input, installedAt: '2025-01-01T00:00:00Z' },
        admin,
      );
      expect((await stores.meters.findByIdentity(p, input))?.id).toBe(next.id);
    });

    it('days reserved for a tenancy never written block only until the grace period is over', async () => {
      const clock = testClock();
      const stores = make({ now: clock.now });
      const { partnerId: p, unit } = await seedUnit(stores);
      const real = await stores.tenancies.create(
        p,
        { unitId: unit.id, from: '2024-01-01', to: '2024-03-31' },
        admin,
      );
      const reserve = (id: string, entry: Item) =>
        table().doc.send(
          new UpdateCommand({
            TableName: table().tableName,
            Key: unitKey(p, unit.id),
            UpdateExpression: 'SET occupancy.#t = :e, occupancyVersion = occupancyVersion + :one',
            ExpressionAttributeNames: { '#t': id },
            ExpressionAttributeValues: { ':e': entry, ':one': 1 },
          }),
        );
      const at = clock.now().toISOString();
      // A reservation whose tenancy write never came, and a widening (real:
      // until the end of 2024) whose narrowing never came.
      await reserve('ten_ghost', { from: '2025-01-01', w: 1, at });
      await reserve(real.id, { from: '2024-01-01', to: '2024-12-31', w: 2, at });
      await expect(
        stores.tenancies.create(p, { unitId: unit.id, from: '2025-02-01' }, admin),
      ).rejects.toMatchObject(domainError('CONFLICT', { tenancyIds: ['ten_ghost'] }));
      await expect(
        stores.tenancies.create(
          p,
          { unitId: unit.id, from: '2024-06-01', to: '2024-06-30' },
          admin,
        ),
      ).rejects.toMatchObject(domainError('CONFLICT', { tenancyIds: [real.id] }));
      await expect(stores.units.delete(p, unit.id, 1, admin)).rejects.toMatchObject(
        domainError('CONFLICT'),
      );

      clock.advance(DEFAULT_CLAIM_GRACE_MS + 1);
      await stores.tenancies.create(p, { unitId: unit.id, from: '2025-02-01' }, admin);
      await stores.tenancies.create(
        p,
        { unitId: unit.id, from: '2024-06-01', to: '2024-06-30' },
        admin,
      );
      // The real tenancy's days still block, whatever happened to its entry.
      await expect(
        stores.tenancies.create(
          p,
          { unitId: unit.id, from: '2024-03-01', to: '2024-03-01' },
          admin,
        ),
      ).rejects.toMatchObject(domainError('CONFLICT', { tenancyIds: [real.id] }));
      const calendar = (await scan()).find((i) => i.pk === unitKey(p, unit.id).pk)
        ?.occupancy as Item;
      expect(calendar).not.toHaveProperty('ten_ghost');
      expect(calendar[real.id]).toMatchObject({ from: '2024-01-01', to: '2024-03-31' });
    });
  });
});

describe('audit log on dynalite', () => {
  const { table } = useDynaliteTable('zw-audit');

  it('has no way to change or remove an entry', () => {
    const log = createDynamoAuditLog(table());
    expect(Object.keys(log).sort()).toEqual(['append', 'listByOrganisation', 'listByPartner']);
  });

  it('never overwrites an entry, even with a colliding id and time', async () => {
    const clock = testClock();
    const log = createDynamoAuditLog({ ...table(), now: clock.now, newId: () => 'aud_fixed' });
    const entry = {
      partnerId: partnerId(),
      actor: { kind: 'system' as const, id: 'test' },
      action: 'meter.created',
      target: { type: 'meter', id: 'met_1' },
    };
    await log.append(entry);
    await expect(log.append({ ...entry, action: 'meter.deleted' })).rejects.toMatchObject(
      domainError('CONFLICT'),
    );
    expect((await log.listByPartner(entry.partnerId)).items.map((e) => e.action)).toEqual([
      'meter.created',
    ]);
  });

  it('lists newest first, by partner and by organisation, in pages, redacting what it is given', async () => {
    const clock = testClock();
    const log = createDynamoAuditLog({ ...table(), now: clock.now });
    const p = partnerId();
    for (let n = 0; n < 5; n += 1) {
      clock.advance(1000);
      await log.append({
        partnerId: p,
        ...(n % 2 === 0 ? { organisationId: 'org_a' } : {}),
        actor: { kind: 'user', id: 'usr_1' },
        action: 'thing.changed',
        target: { type: 'thing', id: `t${n}` },
        after: { n, nested: { secret: 'x', password: 'y', visible: true } },
      });
    }
    const first = await log.listByPartner(p, { limit: 2 });
    expect(first.items.map((e) => e.target.id)).toEqual(['t4', 't3']);
    const second = await log.listByPartner(p, { limit: 2, cursor: first.cursor! });
    expect(second.items.map((e) => e.target.id)).toEqual(['t2', 't1']);
    const last = await log.listByPartner(p, { limit: 2, cursor: second.cursor! });
    expect(last).toMatchObject({ cursor: null });
    expect(last.items.map((e) => e.target.id)).toEqual(['t0']);
    expect(last.items[0]?.after).toEqual({ n: 0, nested: { visible: true } });

    const org = await log.listByOrganisation(p, 'org_a', { limit: 2 });
    expect(org.items.map((e) => e.target.id)).toEqual(['t4', 't2']);
    const orgRest = await log.listByOrganisation(p, 'org_a', { cursor: org.cursor! });
    expect(orgRest.items.map((e) => e.target.id)).toEqual(['t0']);
    expect((await log.listByOrganisation(partnerId(), 'org_a')).items).toEqual([]);
    await expect(log.listByOrganisation(p, 'org_b', { cursor: org.cursor! })).rejects.toMatchObject(
      domainError('VALIDATION_FAILED'),
    );
  });
});
