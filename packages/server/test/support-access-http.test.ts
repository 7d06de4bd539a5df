import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../src/auth/api-keys.js';
import type { AuditEntry } from '../src/domain/audit.js';
import {
  startPlatformApp,
  type Headers,
  type PlatformApp,
  type SeededPartner,
} from './platform-app-kit.js';
import { useDynaliteTable } from './ports/dynalite-table.js';

type Json = Record<string, unknown>;
type Grant = Json & { id: string; status: string };

const HOUR = 3600_000;
const DAY = 24 * HOUR;
const inHours = (hours: number) => new Date(Date.now() + hours * HOUR).toISOString();

/**
 * Support access over HTTP, on the app as production wires it, with real
 * tokens: an organisation's operator lets a support user of its partner in,
 * for a while; the support user then works as an operator of that
 * organisation (reads only, for `read`), every request recorded; expiry and
 * revocation hold from the next request on, with the same access token.
 */
describe('support access over HTTP', { timeout: 60_000 }, () => {
  const { table } = useDynaliteTable('zw-support-access');
  let kit: PlatformApp;

  beforeAll(async () => {
    kit = await startPlatformApp(table());
  });
  afterAll(() => kit?.close());

  const url = (p: SeededPartner, organisationId = p.organisationId) =>
    `/v1/organisations/${organisationId}/support-access`;

  async function world() {
    const p = await kit.seedPartner();
    const operator = (await kit.signIn(p.partnerId, p.users.operator.email)).headers;
    const support = (await kit.signIn(p.partnerId, p.users.support.email)).headers;
    return { p, operator, support };
  }

  async function grant(
    p: SeededPartner,
    by: Headers,
    body: Json = {},
    organisationId = p.organisationId,
  ): Promise<Grant> {
    const res = await kit.call('POST', url(p, organisationId), by, {
      userId: p.users.support.id,
      access: 'read',
      reason: 'Ticket 4711: gateway offline',
      expiresAt: inHours(24),
      ...body,
    });
    expect(res.statusCode, res.body).toBe(201);
    return res.json<Grant>();
  }

  const orgLog = async (p: SeededPartner, organisationId = p.organisationId) =>
    (
      await kit.services.stores.audit.listByOrganisation(p.partnerId, organisationId, {
        limit: 100,
      })
    ).items;

  const readProperties = (p: SeededPartner, headers: Headers, organisationId = p.organisationId) =>
    kit.call('GET', `/v1/properties?organisationId=${organisationId}`, headers);

  it('lets a read grant read as an operator, with the same token, and records every use', async () => {
    const { p, operator, support } = await world();
    // Before: an account with no grants reaches nothing.
    expect((await readProperties(p, support)).statusCode).toBe(403);

    const created = await grant(p, operator);
    expect(created).toMatchObject({
      partnerId: p.partnerId,
      organisationId: p.organisationId,
      userId: p.users.support.id,
      access: 'read',
      reason: 'Ticket 4711: gateway offline',
      grantedBy: { kind: 'user', id: p.users.operator.id },
      status: 'active',
    });
    expect(created.id).toMatch(/^sup_/);

    // No new sign-in: access joins at authentication of each request.
    const res = await readProperties(p, support);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json<{ items: Json[] }>().items.map((i) => i.id)).toEqual([p.propertyId]);
    expect(
      (await kit.call('GET', `/v1/organisations/${p.organisationId}`, support)).statusCode,
    ).toBe(200);
    // HEAD is a read too.
    expect((await kit.call('HEAD', `/v1/properties/${p.propertyId}`, support)).statusCode).toBe(
      200,
    );

    const me = (await kit.call('GET', '/v1/me', support)).json<Json>();
    expect(me).toMatchObject({
      subject: p.users.support.id,
      grants: [{ role: 'operator', partnerId: p.partnerId, organisationId: p.organisationId }],
      supportAccess: [
        {
          supportAccessId: created.id,
          organisationId: p.organisationId,
          access: 'read',
          expiresAt: created.expiresAt,
        },
      ],
    });

    // Only this organisation, and no writes.
    expect((await readProperties(p, support, p.otherOrganisationId)).statusCode).toBe(403);
    const org = (await kit.call('GET', `/v1/organisations/${p.organisationId}`, operator)).json<{
      version: number;
    }>();
    const write = await kit.call('PATCH', `/v1/organisations/${p.organisationId}`, support, {
      version: org.version,
      name: 'Umbenannt vom Support',
    });
    expect(write.statusCode, write.body).toBe(403);

    const log = await orgLog(p);
    const granted = log.find((e) => e.action === 'support-access.granted');
    expect(granted).toMatchObject({
      actor: { kind: 'user', id: p.users.operator.id },
      target: { type: 'support-access', id: created.id },
      after: { userId: p.users.support.id, access: 'read', reason: 'Ticket 4711: gateway offline' },
    });
    const used = log.filter((e) => e.action === 'support-access.used');
    expect(used.map((e) => (e.after as Json).route).sort()).toEqual([
      '/v1/organisations/:organisationId',
      '/v1/properties',
      '/v1/properties/:propertyId',
    ]);
    for (const entry of used) {
      expect(entry).toMatchObject({
        partnerId: p.partnerId,
        organisationId: p.organisationId,
        actor: { kind: 'user', id: p.users.support.id },
        target: { type: 'support-access', id: created.id },
        after: { access: 'read' },
      });
    }
    expect(used.map((e) => (e.after as Json).method).sort()).toEqual(['GET', 'GET', 'HEAD']);
    // GET /v1/me and the refused requests used nothing; nor did the operator's own reads.
    expect(used).toHaveLength(3);
  });

  it('lets an operate grant change things, audited with the support user as actor, but open no doors', async () => {
    const { p, operator, support } = await world();
    await grant(p, operator, { access: 'operate' });
    const org = (await kit.call('GET', `/v1/organisations/${p.organisationId}`, support)).json<{
      version: number;
    }>();
    const renamed = await kit.call('PATCH', `/v1/organisations/${p.organisationId}`, support, {
      version: org.version,
      name: 'Messdienst Nord (geprüft)',
    });
    expect(renamed.statusCode, renamed.body).toBe(200);

    // Credentials and access stay the organisation's own to hand out.
    const refused = [
      await kit.call('POST', '/v1/api-keys', support, {
        name: 'Support',
        organisationId: p.organisationId,
        grants: [{ role: 'operator', organisationId: p.organisationId }],
      }),
      await kit.call('POST', url(p), support, {
        userId: p.users.support.id,
        access: 'operate',
        reason: 'extend my own access',
        expiresAt: inHours(24 * 29),
      }),
      await kit.call('GET', url(p), support),
      await kit.call('POST', '/v1/embed-tokens', support, {
        propertyId: p.propertyId,
        allowedOrigins: ['https://www.example.org'],
      }),
    ];
    expect(refused.map((r) => r.statusCode)).toEqual([403, 403, 403, 403]);

    // The change is audited as any operator's, with the support user as actor.
    const log = await orgLog(p);
    expect(log.find((e) => e.action === 'organisation.updated')).toMatchObject({
      actor: { kind: 'user', id: p.users.support.id },
      changed: ['name'],
    });
    const used = log.filter((e) => e.action === 'support-access.used');
    expect(
      used.map((e) => `${(e.after as Json).method} ${(e.after as Json).route}`).sort(),
    ).toEqual(['GET /v1/organisations/:organisationId', 'PATCH /v1/organisations/:organisationId']);
  });

  it('ends at expiry from the next request on (the clock moved forward)', async () => {
    const { p, operator } = await world();
    const created = await grant(p, operator, { expiresAt: inHours(1) });
    const before = await kit.signIn(p.partnerId, p.users.support.email);
    expect((await readProperties(p, before.headers)).statusCode).toBe(200);

    kit.clock.advance(HOUR + 60_000);
    try {
      // A token issued now, at the moved clock: only the grant has run out.
      const after = await kit.signIn(p.partnerId, p.users.support.email);
      expect((await readProperties(p, after.headers)).statusCode).toBe(403);
      const me = (await kit.call('GET', '/v1/me', after.headers)).json<Json>();
      expect(me).not.toHaveProperty('supportAccess');
    } finally {
      kit.clock.advance(-(HOUR + 60_000));
    }
    // Still listed, for the organisation to see who was in.
    const list = (await kit.call('GET', url(p), operator)).json<{ items: Grant[] }>();
    expect(list.items.map((g) => g.id)).toEqual([created.id]);
  });

  it('ends at revocation from the next request on, by the grantor or the grantee', async () => {
    const { p, operator, support } = await world();
    const first = await grant(p, operator);
    expect((await readProperties(p, support)).statusCode).toBe(200);

    const revoked = await kit.call('DELETE', `${url(p)}/${first.id}`, operator);
    expect(revoked.statusCode, revoked.body).toBe(200);
    expect(revoked.json()).toMatchObject({
      id: first.id,
      status: 'revoked',
      revokedBy: { kind: 'user', id: p.users.operator.id },
    });
    expect((await readProperties(p, support)).statusCode).toBe(403);
    // Revoking again changes nothing and logs nothing.
    const again = await kit.call('DELETE', `${url(p)}/${first.id}`, operator);
    expect(again.json()).toMatchObject({ revokedAt: revoked.json<Json>().revokedAt });

    // The support user may end their own access early, even a read-only one.
    const second = await grant(p, operator);
    expect((await readProperties(p, support)).statusCode).toBe(200);
    const own = await kit.call('DELETE', `${url(p)}/${second.id}`, support);
    expect(own.statusCode, own.body).toBe(200);
    expect(own.json()).toMatchObject({
      status: 'revoked',
      revokedBy: { kind: 'user', id: p.users.support.id },
    });
    expect((await readProperties(p, support)).statusCode).toBe(403);

    const log = await orgLog(p);
    const revocations = log.filter((e) => e.action === 'support-access.revoked');
    expect(revocations.map((e) => [e.target.id, e.actor.id])).toEqual([
      [second.id, p.users.support.id],
      [first.id, p.users.operator.id],
    ]);
    expect(revocations[1]).toMatchObject({
      before: { id: first.id },
      after: { id: first.id, revokedAt: revoked.json<Json>().revokedAt },
      changed: ['revokedAt', 'revokedBy'],
    });

    const list = (await kit.call('GET', `${url(p)}?limit=1`, operator)).json<{
      items: Grant[];
      cursor: string | null;
    }>();
    expect(list.items.map((g) => [g.id, g.status])).toEqual([[second.id, 'revoked']]);
    const next = (await kit.call('GET', `${url(p)}?limit=1&cursor=${list.cursor}`, operator)).json<{
      items: Grant[];
    }>();
    expect(next.items.map((g) => [g.id, g.status])).toEqual([[first.id, 'revoked']]);
  });

  it('lets a support user revoke no one else’s access', async () => {
    const { p, operator, support } = await world();
    await grant(p, operator, { access: 'operate' });
    const colleague = await grant(p, operator, { userId: p.users.member.id });
    const res = await kit.call('DELETE', `${url(p)}/${colleague.id}`, support);
    expect(res.statusCode, res.body).toBe(403);
    expect(
      (await kit.call('GET', url(p), operator)).json<{ items: Grant[] }>().items[0],
    ).toMatchObject({ id: colleague.id, status: 'active' });
    // The colleague, whose own grants lie in another organisation, may end theirs.
    const member = (await kit.signIn(p.partnerId, p.users.member.email)).headers;
    const own = await kit.call('DELETE', `${url(p)}/${colleague.id}`, member);
    expect(own.statusCode, own.body).toBe(200);
    expect(own.json()).toMatchObject({ status: 'revoked' });
  });

  it('is for users of the same partner only, and for organisations the caller manages', async () => {
    const { p, operator } = await world();
    const other = await world();
    const admin = (await kit.signIn(p.partnerId, p.users.admin.email)).headers;
    const ofOther = await grant(other.p, other.operator);
    const body = (userId: string, extra: Json = {}) => ({
      userId,
      access: 'read',
      reason: 'Ticket 1',
      expiresAt: inHours(24),
      ...extra,
    });

    // Another partner's organisation and grant: as if they did not exist.
    const foreign = [
      await kit.call('POST', url(other.p), admin, body(p.users.support.id)),
      await kit.call('GET', url(other.p), admin),
      await kit.call('DELETE', `${url(other.p)}/${ofOther.id}`, admin),
      await kit.call('DELETE', `${url(p)}/${ofOther.id}`, admin),
    ];
    expect(foreign.map((r) => r.statusCode)).toEqual([404, 404, 404, 404]);
    expect(foreign.map((r) => r.json<{ error: { code: string } }>().error.code)).toEqual([
      'NOT_FOUND',
      'NOT_FOUND',
      'NOT_FOUND',
      'NOT_FOUND',
    ]);
    // Another partner's user (a non-member) cannot be let in: 404 as for no user at all.
    const nonMember = await kit.call('POST', url(p), operator, body(other.p.users.support.id));
    const nobody = await kit.call('POST', url(p), operator, body('usr_nobody'));
    expect([nonMember.statusCode, nobody.statusCode]).toEqual([404, 404]);
    expect(nonMember.body.includes(other.p.partnerId)).toBe(false);

    // An operator of another organisation of the same partner manages none of this.
    const member = (await kit.signIn(p.partnerId, p.users.member.email)).headers;
    expect((await kit.call('POST', url(p), member, body(p.users.support.id))).statusCode).toBe(403);
    expect((await kit.call('GET', url(p), member)).statusCode).toBe(403);
    // Partner admins may let support into any organisation of the partner.
    const byAdmin = await kit.call(
      'POST',
      url(p, p.otherOrganisationId),
      admin,
      body(p.users.support.id),
    );
    expect(byAdmin.statusCode, byAdmin.body).toBe(201);

    // The door is opened by a person, not by an API key.
    const key = await createApiKey(
      kit.services.apiKeys,
      {
        partnerId: p.partnerId,
        organisationId: p.organisationId,
        name: 'integration',
        scopes: [],
        grants: [{ role: 'operator', partnerId: p.partnerId, organisationId: p.organisationId }],
        createdBy: p.users.operator.id,
      },
      { now: new Date() },
    );
    const byKey = await kit.call(
      'POST',
      url(p),
      { 'x-api-key': key.apiKey },
      body(p.users.support.id),
    );
    expect(byKey.statusCode).toBe(401);
    expect((await kit.call('GET', url(p), { 'x-api-key': key.apiKey })).statusCode).toBe(200);
  });

  it('refuses a disabled grantee, an expiry past or more than 30 days ahead', async () => {
    const { p, operator } = await world();
    const user = await kit.services.stores.users.get(p.partnerId, p.users.member.id);
    await kit.services.stores.users.update(
      p.partnerId,
      p.users.member.id,
      { status: 'disabled' },
      user!.version,
      { kind: 'system', id: 'test' },
    );
    const attempt = (extra: Json) =>
      kit.call('POST', url(p), operator, {
        userId: p.users.support.id,
        access: 'read',
        reason: 'Ticket 2',
        expiresAt: inHours(24),
        ...extra,
      });
    const answers = [
      await attempt({ userId: p.users.member.id }),
      await attempt({ expiresAt: inHours(-1) }),
      await attempt({ expiresAt: new Date(Date.now() + 31 * DAY).toISOString() }),
      await attempt({ access: 'admin' }),
      await attempt({ reason: '' }),
    ];
    expect(answers.map((r) => r.statusCode)).toEqual([400, 400, 400, 400, 400]);
    const messages = answers.map((r) => r.json<{ error: { message: string } }>().error.message);
    expect(messages[0]).toMatch(/userId/);
    expect(messages[1]).toMatch(/expiresAt.*future/);
    expect(messages[2]).toMatch(/expiresAt.*30 days/);
    expect((await orgLog(p)).filter((e) => e.action.startsWith('support-access.'))).toEqual([]);
  });

  it('never lets a support user in where their own grants reach already, nor records it', async () => {
    const { p, operator } = await world();
    // The operator of the organisation gets support access to it: it adds nothing.
    const res = await kit.call('POST', url(p), operator, {
      userId: p.users.operator.id,
      access: 'operate',
      reason: 'redundant',
      expiresAt: inHours(2),
    });
    expect(res.statusCode).toBe(201);
    const fresh = (await kit.signIn(p.partnerId, p.users.operator.email)).headers;
    expect((await readProperties(p, fresh)).statusCode).toBe(200);
    const me = (await kit.call('GET', '/v1/me', fresh)).json<Json>();
    expect(me).not.toHaveProperty('supportAccess');
    const used: AuditEntry[] = (await orgLog(p)).filter((e) => e.action === 'support-access.used');
    expect(used).toEqual([]);
  });

  it('declares its access rules', () => {
    const rules = kit.app
      .accessTable()
      .filter((r) => r.url.includes('/support-access'))
      .map((r) => `${r.method} ${r.url} ${JSON.stringify(r.access)}`)
      .sort();
    expect(rules).toEqual([
      'DELETE /v1/organisations/:organisationId/support-access/:supportAccessId {"roles":["partner-admin","operator"],"support":"any"}',
      'GET /v1/organisations/:organisationId/support-access {"roles":["partner-admin","operator"],"support":"none"}',
      'POST /v1/organisations/:organisationId/support-access {"roles":["partner-admin","operator"],"apiKeys":false,"support":"none"}',
    ]);
  });
});
