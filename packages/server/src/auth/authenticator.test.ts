import { describe, expect, it } from 'vitest';
import type { SupportGrant } from '../domain/support-access.js';
import { issueAccessToken } from './access-token.js';
import { refusal } from './auth-test-kit.js';
import { createAuthenticator } from './authenticator.js';
import { createMemoryApiKeyStore } from './memory-api-key-store.js';
import type { RoleGrant } from './principal.js';
import { createMemorySessionFenceStore } from './session-fence.js';
import { createMemorySigningKeyStore, openKeyRing } from './signing-keys.js';

const ISSUER = 'https://zw.example';
const NOW = new Date('2025-03-10T12:00:00.000Z');

describe('the authenticator', () => {
  async function setUp(grants: SupportGrant[] = []) {
    const ring = await openKeyRing(createMemorySigningKeyStore());
    const fences = createMemorySessionFenceStore();
    const reads: string[] = [];
    const authenticator = createAuthenticator({
      ring,
      issuer: ISSUER,
      apiKeys: createMemoryApiKeyStore(),
      fences,
      supportGrants: {
        activeForUser: async (partnerId, userId) => {
          reads.push(`${partnerId}/${userId}`);
          return grants.filter((g) => g.partnerId === partnerId && g.userId === userId);
        },
      },
      now: () => NOW,
    });
    const token = async (userId: string, roles: RoleGrant[] = [], sessionFence?: number) =>
      (
        await issueAccessToken(
          ring,
          {
            userId,
            partnerId: 'acme',
            grants: roles,
            ...(sessionFence === undefined ? {} : { sessionFence }),
          },
          { now: NOW, issuer: ISSUER },
        )
      ).token;
    return { authenticator, fences, token, reads };
  }

  const grant = (overrides: Partial<SupportGrant> = {}): SupportGrant => ({
    id: 'sup_1',
    partnerId: 'acme',
    organisationId: 'org_1',
    userId: 'usr_support',
    access: 'read',
    reason: 'Ticket',
    grantedBy: { kind: 'user', id: 'usr_op' },
    createdAt: '2025-03-10T00:00:00.000Z',
    expiresAt: '2025-03-11T00:00:00.000Z',
    ...overrides,
  });
  const bearer = { embed: false, origin: undefined };

  it('refuses an access token issued under a lower session fence than the user’s', async () => {
    const { authenticator, fences, token } = await setUp();
    const old = await token('usr_a');
    await expect(authenticator.bearer(old, bearer)).resolves.toMatchObject({ subject: 'usr_a' });
    const fence = await fences.raise('acme', 'usr_a', NOW.getTime());
    expect(await refusal(authenticator.bearer(old, bearer))).toBe('session-ended');
    // Issued under the fence (as sign-in after the change does), or for another user: fine.
    await expect(
      authenticator.bearer(await token('usr_a', [], fence), bearer),
    ).resolves.toBeTruthy();
    await expect(authenticator.bearer(await token('usr_b'), bearer)).resolves.toBeTruthy();
  });

  it('adds the operator grant of active support access the request admits', async () => {
    const read = grant();
    const operate = grant({ id: 'sup_2', organisationId: 'org_2', access: 'operate' });
    const { authenticator, token, reads } = await setUp([read, operate]);
    const t = await token('usr_support');

    const none = await authenticator.bearer(t, bearer);
    expect(none.grants).toEqual([]);
    expect(reads).toEqual([]);

    const onRead = await authenticator.bearer(t, { ...bearer, support: 'read' });
    expect(onRead.grants).toEqual([
      { role: 'operator', partnerId: 'acme', organisationId: 'org_1' },
      { role: 'operator', partnerId: 'acme', organisationId: 'org_2' },
    ]);
    expect(onRead.support?.map((s) => s.grantId)).toEqual(['sup_1', 'sup_2']);

    const onWrite = await authenticator.bearer(t, { ...bearer, support: 'write' });
    expect(onWrite.grants).toEqual([
      { role: 'operator', partnerId: 'acme', organisationId: 'org_2' },
    ]);
    const onAny = await authenticator.bearer(t, { ...bearer, support: 'any' });
    expect(onAny.support).toHaveLength(2);
    expect(reads).toEqual(['acme/usr_support', 'acme/usr_support', 'acme/usr_support']);
  });
});
