import { randomBytes } from 'node:crypto';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DomainError } from '../src/domain/errors.js';
import type { Meter } from '../src/domain/tenancy/meter.js';
import meterKeyRoutes from '../src/http/routes/meter-keys.js';
import meterRoutes from '../src/http/routes/meters.js';
import { meterKeysSchemas } from '../src/http/schemas/meter-keys.js';
import { metersSchemas } from '../src/http/schemas/meters.js';
import { kemDownload } from '../src/keys/import/kem-test-kit.js';
import { createKeyVault, type KeyVault } from '../src/keys/key-vault.js';
import { leakedKeys } from '../src/keys/key-test-kit.js';
import { openLocalMasterKey } from '../src/keys/local-master-key.js';
import { decodeSealedKey } from '../src/keys/sealed-key.js';
import {
  createDynamoMeterKeyStore,
  meterKeyIdentity,
  type MeterKeyStore,
} from '../src/store/dynamodb-meter-key-store.js';
import { useDynaliteTable } from './ports/dynalite-table.js';
import { startTenancyApp, type TenancyApp } from './tenancy-app-kit.js';
import {
  expectHidden,
  headersOf,
  ROLE_NAMES,
  seedTree,
  seeder,
  type RoleName,
  type Tree,
} from './tenancy-http-fixtures.js';

interface ReportLine {
  line: number;
  status: 'accepted' | 'rejected';
  reason?: string;
  meter?: { id: string };
  replacedKey?: boolean;
}
interface Report {
  dryRun: boolean;
  format: string | null;
  fileRejected?: { reason: string; code?: string };
  summary: { accepted: number; rejected: number; ignored: number };
  lines: ReportLine[];
}

/** Every plain key a test made up: no response, log line or stored item may hold one. */
const plainKeys: Uint8Array[] = [];
function newKey(): { bytes: Uint8Array; hex: string } {
  const bytes = new Uint8Array(randomBytes(16));
  plainKeys.push(bytes);
  return { bytes, hex: Buffer.from(bytes).toString('hex').toUpperCase() };
}
/** A KEM file's password: no answer, log line or audit entry may hold it. */
const KEM_PASSWORD = 'Kunde-4711-xyz';

/** The same key as people paste it: lower case, in dashed pairs. */
const dashed = (hex: string) => hex.toLowerCase().replace(/(..)(?!$)/g, '$1-');

/** Spellings of the made-up keys in `text`: the kit's, and the pasted form the tests send. */
function leaks(text: string): string[] {
  const pasted = plainKeys
    .map((k) => dashed(Buffer.from(k).toString('hex')))
    .filter((s) => text.toLowerCase().includes(s));
  return [...leakedKeys(text, plainKeys), ...pasted];
}

/**
 * Meter keys over HTTP on the real stores (dynalite) and a real vault with a
 * master key in memory: import with a per-line report, manual entry, and no
 * key in any answer, log line, audit entry or stored item.
 */
describe('meter keys over HTTP', { timeout: 30_000 }, () => {
  const { table } = useDynaliteTable('zw-meter-keys-http');
  let kit: TenancyApp;
  let app: FastifyInstance;
  let tree: Tree;
  let vault: KeyVault;
  let meterKeys: MeterKeyStore;
  /** Meters whose keyRef update the test makes fail, after their key was written. */
  const failUpdateOf = new Set<string>();
  const bodies: string[] = [];
  let m: Record<'a' | 'b' | 'c1' | 'c2' | 'other' | 'removed', Meter>;

  beforeAll(async () => {
    vault = createKeyVault({ masterKey: await openLocalMasterKey() });
    meterKeys = createDynamoMeterKeyStore(table());
    kit = await startTenancyApp({
      table: table(),
      schemas: [...metersSchemas, ...meterKeysSchemas],
      register: async (app, stores) => {
        await app.register(meterRoutes, {
          properties: stores.properties,
          units: stores.units,
          meters: stores.meters,
          meterKeys,
        });
        await app.register(meterKeyRoutes, {
          properties: stores.properties,
          meters: {
            get: (...args) => stores.meters.get(...args),
            listByProperty: (...args) => stores.meters.listByProperty(...args),
            update: async (partnerId, meterId, patch, version, actor) => {
              if (failUpdateOf.has(meterId)) {
                throw new DomainError('CONFLICT', 'changed meanwhile (test)');
              }
              return stores.meters.update(partnerId, meterId, patch, version, actor);
            },
          },
          meterKeys,
          vault,
          audit: stores.audit,
        });
      },
    });
    app = kit.app;
    tree = await seedTree(kit.stores);
    const install = (
      propertyId: string,
      unitId: string | undefined,
      manufacturer: string,
      meterId: string,
      deviceVersion: number,
      deviceType: number,
      removedAt?: string,
    ) =>
      kit.stores.meters.create(
        tree.partnerId,
        {
          propertyId,
          ...(unitId === undefined ? {} : { unitId }),
          kind: 'heat-cost-allocator',
          manufacturer,
          meterId,
          deviceVersion,
          deviceType,
          installedAt: '2024-10-01T00:00:00Z',
          ...(removedAt === undefined ? {} : { removedAt }),
        },
        seeder,
      );
    m = {
      a: await install(tree.p1.id, tree.u1.id, 'KAM', '11111111', 1, 8),
      b: await install(tree.p1.id, tree.u1.id, 'QDS', '22222222', 2, 8),
      // Two makers' meters with one id: a line naming only the id cannot tell them apart.
      c1: await install(tree.p1.id, tree.u2.id, 'KAM', '33333333', 1, 8),
      c2: await install(tree.p1.id, tree.u2.id, 'QDS', '33333333', 3, 8),
      other: await install(tree.p2.id, tree.u3.id, 'KAM', '44444444', 1, 8),
      removed: await install(
        tree.p1.id,
        tree.u2.id,
        'KAM',
        '55555555',
        1,
        8,
        '2025-01-01T00:00:00Z',
      ),
    };
  });
  afterAll(() => kit?.close());

  const as = (role: RoleName) => headersOf(kit, tree, role);
  async function inject(options: InjectOptions) {
    const res = await app.inject(options);
    bodies.push(res.body);
    return res;
  }
  const importKeys = async (
    text: string,
    options: { dryRun?: boolean; role?: RoleName; propertyId?: string; type?: string } = {},
  ) =>
    inject({
      method: 'POST',
      url:
        `/v1/properties/${options.propertyId ?? tree.p1.id}/meter-keys/import` +
        (options.dryRun ? '?dryRun=true' : ''),
      headers: {
        ...(await as(options.role ?? 'operator')),
        'content-type': options.type ?? 'text/csv',
      },
      payload: text,
    });
  const meterNow = (meterId: string) => kit.stores.meters.get(tree.partnerId, meterId);
  async function opened(meter: Meter): Promise<Buffer> {
    const stored = await meterKeys.get(tree.partnerId, meter.id, meter.keyRef!);
    expect(stored).not.toBeNull();
    const key = await vault.open(decodeSealedKey(stored!.sealedKey), {
      partnerId: tree.partnerId,
      meterIdentity: meterKeyIdentity(meter),
    });
    return Buffer.from(key);
  }

  const keyA = newKey();
  const keyB = newKey();
  const keyC = newKey();
  const keyOther = newKey();
  const keyDup = newKey();
  const keyRemoved = newKey();
  const file = [
    '# Schlüssel der Stadtwerke',
    `KAM;11111111;1;8;${keyA.hex}`, // 2: full identity
    `22222222;${dashed(keyB.hex)}`, // 3: id only, one meter has it
    `33333333;${keyC.hex}`, // 4: id only, two meters have it
    `44444444;${keyOther.hex}`, // 5: a meter of another property
    `KAM;11111111;1;8;${keyDup.hex}`, // 6: the meter of line 2 again
    '66666666;0011', // 7: not a key
    `1234567;${keyA.hex}`, // 8: seven digits
    `55555555;${keyRemoved.hex}`, // 9: a removed meter
    `KAM;11111111;2;8;${keyB.hex}`, // 10: names a version the meter does not have
  ].join('\r\n');

  function expectReport(report: Report) {
    const byLine = new Map(report.lines.map((l) => [l.line, l]));
    expect(report.format).toBe('csv');
    expect(report.summary).toEqual({ accepted: 2, rejected: 7, ignored: 1 });
    expect(byLine.get(2)).toMatchObject({ status: 'accepted', meter: { id: m.a.id } });
    expect(byLine.get(3)).toMatchObject({ status: 'accepted', meter: { id: m.b.id } });
    expect(byLine.get(4)).toMatchObject({
      status: 'rejected',
      reason: expect.stringMatching(/^ambiguous/),
    });
    expect(byLine.get(5)).toMatchObject({
      status: 'rejected',
      reason: 'no installed meter of the property has this meter id',
    });
    expect(byLine.get(6)).toMatchObject({
      status: 'rejected',
      reason: 'duplicate of line 2 (same meter)',
    });
    expect(byLine.get(7)).toMatchObject({
      status: 'rejected',
      reason: expect.stringMatching(/key/),
    });
    expect(byLine.get(8)).toMatchObject({
      status: 'rejected',
      reason: expect.stringMatching(/8 digits/),
    });
    expect(byLine.get(9)).toMatchObject({ status: 'rejected' });
    expect(byLine.get(10)).toMatchObject({
      status: 'rejected',
      reason: expect.stringMatching(/manufacturer, version and device type given/),
    });
  }

  it('reports a dry run line by line and stores nothing', async () => {
    const res = await importKeys(file, { dryRun: true });
    expect(res.statusCode).toBe(200);
    const report = res.json<Report>();
    expect(report.dryRun).toBe(true);
    expectReport(report);
    expect((await meterNow(m.a.id))?.keyRef).toBeUndefined();
    expect((await meterKeys.list(tree.partnerId)).items).toEqual([]);
    const { items } = await kit.stores.audit.listByPartner(tree.partnerId, { limit: 50 });
    expect(items.some((e) => e.action.startsWith('meter-key.'))).toBe(false);
  });

  it('imports: matched lines sealed and stored, the meter names its key, the vault opens it', async () => {
    const res = await importKeys(file);
    expect(res.statusCode).toBe(200);
    const report = res.json<Report>();
    expect(report.dryRun).toBe(false);
    expectReport(report);

    const a = (await meterNow(m.a.id))!;
    const b = (await meterNow(m.b.id))!;
    expect((await opened(a)).equals(Buffer.from(keyA.bytes))).toBe(true);
    expect((await opened(b)).equals(Buffer.from(keyB.bytes))).toBe(true);
    for (const untouched of [m.c1, m.c2, m.other, m.removed]) {
      expect((await meterNow(untouched.id))?.keyRef).toBeUndefined();
    }
    const shown = await inject({ url: `/v1/meters/${m.a.id}`, headers: await as('operator') });
    expect(shown.json()).toMatchObject({
      hasKey: true,
      key: { masterKeyId: vault.masterKey.keyId() },
    });

    const { items } = await kit.stores.audit.listByPartner(tree.partnerId, { limit: 50 });
    const imported = items.find((e) => e.action === 'meter-key.imported');
    expect(imported).toMatchObject({
      target: { type: 'property', id: tree.p1.id },
      organisationId: tree.o1.id,
      actor: { kind: 'user', id: 'u-1' },
      after: { accepted: 2, rejected: 7, meterIds: [m.a.id, m.b.id] },
    });
    expect(items.filter((e) => e.action === 'meter.updated').map((e) => e.target.id)).toEqual(
      expect.arrayContaining([m.a.id, m.b.id]),
    );
  });

  it('replaces a key on import again, and reads text/plain and JSON {text} alike', async () => {
    const next = newKey();
    const plain = await importKeys(`KAM;11111111;1;8;${next.hex}\n`, { type: 'text/plain' });
    expect(plain.json<Report>().lines).toEqual([
      expect.objectContaining({ line: 1, status: 'accepted', replacedKey: true }),
    ]);
    expect((await opened((await meterNow(m.a.id))!)).equals(Buffer.from(next.bytes))).toBe(true);

    const third = newKey();
    const json = await inject({
      method: 'POST',
      url: `/v1/properties/${tree.p1.id}/meter-keys/import`,
      headers: await as('partner-admin'),
      payload: { text: `manufacturer,meterId,key\nKAM,33333333,${third.hex}\n` },
    });
    expect(json.statusCode).toBe(200);
    expect(json.json<Report>()).toMatchObject({
      format: 'csv-header',
      lines: [{ line: 2, status: 'accepted', meter: { id: m.c1.id }, replacedKey: false }],
    });
    expect((await opened((await meterNow(m.c1.id))!)).equals(Buffer.from(third.bytes))).toBe(true);

    const charset = await importKeys(`22222222;${newKey().hex}`, {
      type: 'text/csv; charset=utf-8',
    });
    expect(charset.json<Report>().summary.accepted).toBe(1);
    const xml = await importKeys('<keys/>', { type: 'application/xml' });
    expect(xml.statusCode).toBe(415);
    const notText = await inject({
      method: 'POST',
      url: `/v1/properties/${tree.p1.id}/meter-keys/import`,
      headers: await as('operator'),
      payload: { file: 'x' },
    });
    expect(notText.statusCode).toBe(400);
  });

  it('refuses a key file as a whole with a reason, and stores nothing of it', async () => {
    const res = await importKeys('PK\u0003\u0004 a Kamstrup KEM file', { type: 'text/plain' });
    expect(res.statusCode).toBe(200);
    expect(res.json<Report>()).toMatchObject({
      fileRejected: { reason: expect.stringMatching(/KEM/) },
      lines: [],
      summary: { accepted: 0, rejected: 0 },
    });
  });

  it('leaves nothing of a line whose storage fails, and stores the others', async () => {
    const meter = await kit.stores.meters.create(
      tree.partnerId,
      {
        propertyId: tree.p1.id,
        kind: 'heat-meter',
        manufacturer: 'SEN',
        meterId: '77777777',
        deviceVersion: 4,
        deviceType: 4,
        installedAt: '2024-10-01T00:00:00Z',
      },
      seeder,
    );
    const good = newKey();
    const before = (await meterNow(m.b.id))!;
    failUpdateOf.add(meter.id);
    try {
      const res = await importKeys(
        `SEN;77777777;4;4;${newKey().hex}\nQDS;22222222;2;8;${good.hex}`,
      );
      expect(res.json<Report>().lines).toEqual([
        {
          line: 1,
          status: 'rejected',
          reason: 'the meter or its key was changed meanwhile; import the line again',
        },
        expect.objectContaining({ line: 2, status: 'accepted', replacedKey: true }),
      ]);
    } finally {
      failUpdateOf.delete(meter.id);
    }
    expect((await meterNow(meter.id))?.keyRef).toBeUndefined();
    const keys = await meterKeys.list(tree.partnerId, { limit: 100 });
    expect(keys.items.some((k) => k.meterId === meter.id)).toBe(false);
    const b = (await meterNow(m.b.id))!;
    expect(b.keyRef).not.toBe(before.keyRef);
    expect((await opened(b)).equals(Buffer.from(good.bytes))).toBe(true);
    const warned = kit.logLines.filter((l) => l.includes('meter key line not stored'));
    expect(warned).toHaveLength(1);
    expect(warned[0]).toContain(meter.id);
  });

  it('imports a Kamstrup KEM file with its password, and refuses it with a wrong one', async () => {
    const install = (meterId: string) =>
      kit.stores.meters.create(
        tree.partnerId,
        {
          propertyId: tree.p1.id,
          unitId: tree.u1.id,
          kind: 'water-meter',
          manufacturer: 'KAM',
          meterId,
          deviceVersion: 0x1b,
          deviceType: 0x16,
          installedAt: '2024-10-01T00:00:00Z',
        },
        seeder,
      );
    const first = await install('81000001');
    const second = await install('81000002');
    const [k1, k2, kOther] = [newKey(), newKey(), newKey()];
    const file = kemDownload(
      [
        { serial: '81000001', key: k1.hex },
        { serial: '44444444', key: kOther.hex }, // a meter of another property
        { serial: '81000002', key: k2.hex.toLowerCase() },
      ],
      KEM_PASSWORD,
    );
    const importKem = async (password: string, dryRun = false) =>
      inject({
        method: 'POST',
        url: `/v1/properties/${tree.p1.id}/meter-keys/import${dryRun ? '?dryRun=true' : ''}`,
        headers: await as('operator'),
        payload: { format: 'kem', fileBase64: file.toString('base64'), password },
      });

    const wrong = await importKem('Kunde-4711-xyZ');
    expect(wrong.statusCode).toBe(200);
    expect(wrong.json<Report>()).toMatchObject({
      format: null,
      fileRejected: { code: 'kem-password-wrong', reason: expect.stringMatching(/password/) },
      summary: { accepted: 0, rejected: 0 },
      lines: [],
    });

    const dry = await importKem(KEM_PASSWORD, true);
    expect(dry.json<Report>()).toMatchObject({ dryRun: true, summary: { accepted: 2 } });
    expect((await meterNow(first.id))?.keyRef).toBeUndefined();

    const res = await importKem(KEM_PASSWORD);
    expect(res.statusCode).toBe(200);
    const report = res.json<Report>();
    expect(report).toMatchObject({
      dryRun: false,
      format: 'kem',
      summary: { accepted: 2, rejected: 1, ignored: 0 },
    });
    expect(report.lines).toEqual([
      {
        line: 1,
        status: 'accepted',
        meter: expect.objectContaining({ id: first.id }),
        replacedKey: false,
      },
      {
        line: 2,
        status: 'rejected',
        reason: 'no installed meter of the property has this meter id',
      },
      {
        line: 3,
        status: 'accepted',
        meter: expect.objectContaining({ id: second.id }),
        replacedKey: false,
      },
    ]);
    for (const [meter, key] of [
      [first, k1],
      [second, k2],
    ] as const) {
      const shown = await inject({ url: `/v1/meters/${meter.id}`, headers: await as('operator') });
      expect(shown.json()).toMatchObject({ hasKey: true });
      expect((await opened((await meterNow(meter.id))!)).equals(Buffer.from(key.bytes))).toBe(true);
    }
    expect((await meterNow(m.other.id))?.keyRef).toBeUndefined();

    const { items } = await kit.stores.audit.listByPartner(tree.partnerId, { limit: 100 });
    const audited = items.filter((e) => e.action === 'meter-key.imported');
    expect(audited.find((e) => (e.after as { format?: string }).format === 'kem')).toMatchObject({
      after: { accepted: 2, rejected: 1, meterIds: [first.id, second.id] },
    });

    const bare = await inject({
      method: 'POST',
      url: `/v1/properties/${tree.p1.id}/meter-keys/import`,
      headers: await as('operator'),
      payload: { format: 'kem', fileBase64: file.toString('base64') },
    });
    expect(bare.statusCode).toBe(400);
  });

  it('sets one meter’s key by hand and shows only that it has one', async () => {
    const key = newKey();
    const put = (meterId: string, body: object, role: RoleName = 'operator') =>
      as(role).then((headers) =>
        inject({ method: 'PUT', url: `/v1/meters/${meterId}/key`, headers, payload: body }),
      );
    const res = await put(m.c2.id, { key: dashed(key.hex) });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      id: m.c2.id,
      hasKey: true,
      key: { masterKeyId: vault.masterKey.keyId() },
    });
    expect(res.json()).not.toHaveProperty('keyRef');
    expect((await opened((await meterNow(m.c2.id))!)).equals(Buffer.from(key.bytes))).toBe(true);
    const { items } = await kit.stores.audit.listByPartner(tree.partnerId, { limit: 10 });
    expect(items.find((e) => e.action === 'meter-key.set')).toMatchObject({
      target: { type: 'meter', id: m.c2.id },
      after: { replaced: false },
    });

    const short = newKey().hex.slice(0, 31);
    const refused = await put(m.c2.id, { key: short });
    expect(refused.statusCode).toBe(400);
    expect(refused.body).not.toContain(short);
    expect((await put(m.removed.id, { key: newKey().hex })).statusCode).toBe(409);
    expect((await put(m.c2.id, { key: newKey().hex, keyRef: 'x' })).statusCode).toBe(400);
  });

  describe('what each role may do', () => {
    //                         import  set
    const expected: Record<RoleName, [number, number]> = {
      'partner-admin': [200, 200],
      operator: [200, 200],
      'other-operator': [403, 403],
      landlord: [403, 403],
      'other-landlord': [403, 403],
      tenant: [403, 403],
      'other-tenant': [403, 403],
      stranger: [404, 404],
    };
    it.each(ROLE_NAMES)('%s', async (role) => {
      const statuses = [
        await importKeys(`22222222;${newKey().hex}`, { role, dryRun: true }),
        await inject({
          method: 'PUT',
          url: `/v1/meters/${m.b.id}/key`,
          headers: await as(role),
          payload: { key: newKey().hex },
        }),
      ].map((res) => res.statusCode);
      expect(statuses).toEqual(expected[role]);
    });

    it('hides another partner’s property and meter exactly like missing ones', async () => {
      expectHidden(await importKeys(`22222222;${newKey().hex}`, { role: 'stranger' }));
      expectHidden(await importKeys('x;y', { role: 'stranger', propertyId: 'prop_nowhere' }));
      expectHidden(
        await inject({
          method: 'PUT',
          url: '/v1/meters/met_nowhere/key',
          headers: await as('stranger'),
          payload: { key: newKey().hex },
        }),
      );
    });

    it('admits an operator’s API key, and answers 401 without credentials', async () => {
      const headers = await kit.apiKey(tree.partnerId, [
        { role: 'operator', partnerId: tree.partnerId, organisationId: tree.o1.id },
      ]);
      const res = await inject({
        method: 'PUT',
        url: `/v1/meters/${m.a.id}/key`,
        headers,
        payload: { key: newKey().hex },
      });
      expect(res.statusCode).toBe(200);
      const anonymous = await inject({
        method: 'PUT',
        url: `/v1/meters/${m.a.id}/key`,
        payload: { key: newKey().hex },
      });
      expect(anonymous.statusCode).toBe(401);
    });
  });

  it('never shows a key: not in an answer, a log line, the audit log or a stored item', async () => {
    expect(leaks(`a ${dashed(keyA.hex)} b`)).toHaveLength(1); // the scan itself sees a key
    expect(plainKeys.length).toBeGreaterThan(20);
    expect(bodies.length).toBeGreaterThan(20);
    expect(leaks(bodies.join('\n'))).toEqual([]);
    expect(bodies.join('\n')).not.toContain(KEM_PASSWORD);

    // The log was captured (every request is in it), and holds no key in any spelling.
    expect(kit.logLines.filter((l) => l.includes('/meter-keys/import')).length).toBeGreaterThan(5);
    expect(leaks(kit.logLines.join('\n'))).toEqual([]);
    expect(kit.logLines.join('\n')).not.toContain(KEM_PASSWORD);

    const audit = await kit.stores.audit.listByPartner(tree.partnerId, { limit: 100 });
    expect(leaks(JSON.stringify(audit.items))).toEqual([]);
    expect(JSON.stringify(audit.items)).not.toContain(KEM_PASSWORD);

    const { doc, tableName } = table();
    const scan = await doc.send(new ScanCommand({ TableName: tableName }));
    expect(scan.Items?.some((i) => i.entity === 'METERKEY')).toBe(true);
    expect(leaks(JSON.stringify(scan.Items))).toEqual([]);
  });
});
