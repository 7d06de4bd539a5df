import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import webhookRoutes from '../src/http/routes/webhooks.js';
import { webhookSchemas } from '../src/http/schemas/webhooks.js';
import { createKeyVault, openLocalMasterKey } from '../src/keys/index.js';
import { createDynamoWebhookStore } from '../src/store/dynamodb-webhook-store.js';
import { WebhookDispatcher } from '../src/webhooks/dispatcher.js';
import { verifyWebhook } from '../src/webhooks/signature.js';
import { scanTable, useDynaliteTable } from './ports/dynalite-table.js';
import { startTenancyApp, type TenancyApp } from './tenancy-app-kit.js';
import { codeOf, expectHidden, headersOf, seedTree, type Tree } from './tenancy-http-fixtures.js';

type Json = Record<string, unknown>;

/**
 * Webhooks over HTTP, on the real stores (dynalite) with real tokens: CRUD by
 * an organisation's operator, the secret shown once and stored only sealed,
 * every change audited without it, the test ping delivered signed to a real
 * receiver, and nobody else reaching any of it.
 */
describe('webhooks over HTTP', { timeout: 60_000 }, () => {
  const { table } = useDynaliteTable('zw-webhooks-http');
  let kit: TenancyApp;
  let tree: Tree;
  let receiverUrl = '';
  let server: Server;
  const received: Array<{ body: string; signature: string | undefined }> = [];
  let dispatcher: WebhookDispatcher;

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const header = req.headers['zaehlwerk-signature'];
        received.push({
          body: Buffer.concat(chunks).toString('utf8'),
          signature: typeof header === 'string' ? header : undefined,
        });
        res.statusCode = 202;
        res.end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    receiverUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
    const vault = createKeyVault({ masterKey: await openLocalMasterKey({}) });
    const store = createDynamoWebhookStore(table());
    dispatcher = new WebhookDispatcher({ store, vault, allowLocal: true, log: { warn: () => {} } });
    kit = await startTenancyApp({
      table: table(),
      schemas: webhookSchemas,
      register: (app, stores) =>
        app.register(webhookRoutes, {
          organisations: stores.organisations,
          webhooks: store,
          vault,
          dispatcher,
          audit: stores.audit,
          allowLocalUrls: true,
        }),
    });
    tree = await seedTree(kit.stores, 'webhooks');
  });
  afterAll(async () => {
    await dispatcher?.close();
    await kit?.close();
    await new Promise((resolve) => server.close(resolve));
  });

  const base = (organisationId = tree.o1.id) => `/v1/organisations/${organisationId}/webhooks`;

  async function create(body: Json = {}, organisationId = tree.o1.id) {
    const res = await kit.app.inject({
      method: 'POST',
      url: base(organisationId),
      headers: await headersOf(kit, tree, 'operator'),
      payload: { url: receiverUrl, events: ['alarm.raised', 'reading.stored'], ...body },
    });
    expect(res.statusCode, res.body).toBe(201);
    return res;
  }

  it('registers a webhook and shows its secret once, never again', async () => {
    const res = await create({ description: 'ERP import' });
    expect(res.headers['cache-control']).toBe('no-store');
    const { secret, webhook } = res.json<{ secret: string; webhook: Json }>();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9_-]{22}$/);
    expect(webhook).toEqual({
      id: expect.stringMatching(/^wh_[0-9a-f]{16}$/),
      organisationId: tree.o1.id,
      url: receiverUrl,
      events: ['alarm.raised', 'reading.stored'],
      description: 'ERP import',
      enabled: true,
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
      version: 1,
    });
    const operator = await headersOf(kit, tree, 'operator');
    const one = await kit.app.inject({ url: `${base()}/${webhook.id}`, headers: operator });
    const list = await kit.app.inject({ url: base(), headers: operator });
    expect(one.json()).toEqual(webhook);
    expect(list.json<{ items: Json[] }>().items).toContainEqual(webhook);
    for (const body of [one.body, list.body]) expect(body).not.toContain(secret);

    // Stored sealed: neither the secret nor its bytes appear in the table.
    const items = await scanTable(table().doc, table().tableName);
    const raw = Buffer.from(secret.slice('whsec_'.length), 'base64url').toString('base64');
    for (const text of [secret, secret.slice(6), raw]) {
      expect(JSON.stringify(items)).not.toContain(text);
    }

    // Audited, without the secret.
    const log = await kit.stores.audit.listByOrganisation(tree.partnerId, tree.o1.id, {
      limit: 50,
    });
    const entry = log.items.find(
      (e) => e.action === 'webhook.created' && e.target.id === webhook.id,
    );
    expect(entry).toMatchObject({
      actor: { kind: 'user', id: 'u-1' },
      after: { url: receiverUrl },
    });
    expect(JSON.stringify(log.items)).not.toContain(secret.slice(6));
    expect(JSON.stringify(entry)).not.toContain('sealedSecret');
  });

  it('sends a signed ping with the test route and lists the attempt', async () => {
    const { secret, webhook } = (await create()).json<{ secret: string; webhook: Json }>();
    const operator = await headersOf(kit, tree, 'operator');
    received.length = 0;
    const res = await kit.app.inject({
      method: 'POST',
      url: `${base()}/${webhook.id}/test`,
      headers: operator,
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({
      webhookId: webhook.id,
      eventType: 'ping',
      attempt: 1,
      ok: true,
      statusCode: 202,
      error: null,
      nextRetryAt: null,
    });
    expect(received).toHaveLength(1);
    const [ping] = received;
    expect(verifyWebhook({ body: ping!.body, header: ping!.signature, secret })).toMatchObject({
      ok: true,
    });
    expect(JSON.parse(ping!.body)).toMatchObject({
      type: 'ping',
      organisationId: tree.o1.id,
      data: { webhookId: webhook.id },
    });

    const deliveries = await kit.app.inject({
      url: `${base()}/${webhook.id}/deliveries?limit=5`,
      headers: operator,
    });
    expect(deliveries.statusCode).toBe(200);
    expect(deliveries.json<{ items: Json[] }>().items).toEqual([res.json()]);
  });

  it('changes and deletes with the version, audited with what changed', async () => {
    const { webhook } = (await create()).json<{ webhook: Json & { id: string } }>();
    const operator = await headersOf(kit, tree, 'operator');
    const url = `${base()}/${webhook.id}`;
    const stale = await kit.app.inject({
      method: 'PATCH',
      url,
      headers: operator,
      payload: { version: 7, enabled: false },
    });
    expect(stale.statusCode).toBe(409);

    const patched = await kit.app.inject({
      method: 'PATCH',
      url,
      headers: operator,
      payload: { version: 1, enabled: false, events: ['alarm.cleared'] },
    });
    expect(patched.statusCode, patched.body).toBe(200);
    expect(patched.json()).toMatchObject({ enabled: false, events: ['alarm.cleared'], version: 2 });

    const refused = await kit.app.inject({
      method: 'PATCH',
      url,
      headers: operator,
      payload: { version: 2, url: 'ftp://example.com/' },
    });
    expect(refused.statusCode).toBe(400);
    expect(codeOf(refused)).toBe('VALIDATION_FAILED');

    expect(
      (await kit.app.inject({ method: 'DELETE', url: `${url}?version=1`, headers: operator }))
        .statusCode,
    ).toBe(409);
    const deleted = await kit.app.inject({
      method: 'DELETE',
      url: `${url}?version=2`,
      headers: operator,
    });
    expect(deleted.statusCode).toBe(204);
    expectHidden(await kit.app.inject({ url, headers: operator }));

    const log = await kit.stores.audit.listByOrganisation(tree.partnerId, tree.o1.id, {
      limit: 50,
    });
    const mine = log.items.filter((e) => e.target.id === webhook.id).map((e) => e.action);
    expect(mine).toEqual(['webhook.deleted', 'webhook.updated', 'webhook.created']);
    const updated = log.items.find(
      (e) => e.action === 'webhook.updated' && e.target.id === webhook.id,
    );
    expect(updated?.changed?.sort()).toEqual(['enabled', 'events']);
  });

  it('refuses URLs by the platform’s rules', async () => {
    const operator = await headersOf(kit, tree, 'operator');
    for (const url of [
      'http://erp.example.com/x',
      'https://user:pw@erp.example.com/',
      'nonsense',
    ]) {
      const res = await kit.app.inject({
        method: 'POST',
        url: base(),
        headers: operator,
        payload: { url, events: ['alarm.raised'] },
      });
      expect(res.statusCode, url).toBe(400);
    }
    const noEvents = await kit.app.inject({
      method: 'POST',
      url: base(),
      headers: operator,
      payload: { url: 'https://erp.example.com/x', events: [] },
    });
    expect(noEvents.statusCode).toBe(400);
    const unknownEvent = await kit.app.inject({
      method: 'POST',
      url: base(),
      headers: operator,
      payload: { url: 'https://erp.example.com/x', events: ['meter.deleted'] },
    });
    expect(unknownEvent.statusCode).toBe(400);
  });

  it('lets partner admins in, and refuses the other operator, landlords, tenants and strangers', async () => {
    const { webhook } = (await create()).json<{ webhook: Json & { id: string } }>();
    const url = `${base()}/${webhook.id}`;
    const admin = await kit.app.inject({
      url,
      headers: await headersOf(kit, tree, 'partner-admin'),
    });
    expect(admin.statusCode).toBe(200);
    for (const role of ['other-operator', 'landlord', 'tenant'] as const) {
      const headers = await headersOf(kit, tree, role);
      for (const [method, path] of [
        ['GET', base()],
        ['GET', url],
        ['POST', `${url}/test`],
        ['GET', `${url}/deliveries`],
      ] as const) {
        const res = await kit.app.inject({ method, url: path, headers });
        expect(res.statusCode, `${role} ${method} ${path}`).toBe(403);
      }
    }
    expectHidden(await kit.app.inject({ url, headers: await headersOf(kit, tree, 'stranger') }));
    // A webhook named under another organisation of the partner is not there.
    expectHidden(
      await kit.app.inject({
        url: `${base(tree.o2.id)}/${webhook.id}`,
        headers: await headersOf(kit, tree, 'partner-admin'),
      }),
    );
  });
});
