import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { createMemoryAuth } from '../src/auth/app-auth.js';
import { issueAccessToken } from '../src/auth/access-token.js';
import { ROLES } from '../src/auth/principal.js';
import {
  createMemorySigningKeyStore,
  openKeyRing,
  type KeyRing,
} from '../src/auth/signing-keys.js';
import { DomainError } from '../src/domain/errors.js';

const ISSUER = 'https://zw.example';

describe('the language of an answer', () => {
  let app: FastifyInstance;
  let ring: KeyRing;
  beforeAll(async () => {
    ring = await openKeyRing(createMemorySigningKeyStore());
    app = await buildApp({
      storage: { check: async () => ({ status: 'ok', table: 't', tableStatus: 'ACTIVE' }) },
      auth: await createMemoryAuth({ ring, issuer: ISSUER }),
    });
    app.get('/v1/probe', { config: { access: { roles: ROLES } } }, async () => {
      throw new DomainError('FORBIDDEN', 'probe');
    });
  });
  afterAll(() => app.close());

  const token = async (locale?: string) =>
    (
      await issueAccessToken(
        ring,
        {
          userId: 'u',
          partnerId: 'acme',
          grants: [{ role: 'partner-admin', partnerId: 'acme' }],
          ...(locale ? { locale } : {}),
        },
        { now: new Date(), issuer: ISSUER },
      )
    ).token;
  const probe = async (headers: Record<string, string>) =>
    (await app.inject({ url: '/v1/probe', headers })).json<{
      error: { code: string; message: string };
    }>().error;

  it("follows the user's own setting over the browser's", async () => {
    const error = await probe({
      authorization: `Bearer ${await token('de')}`,
      'accept-language': 'en',
    });
    expect(error).toMatchObject({ code: 'FORBIDDEN', message: 'Dazu sind Sie nicht berechtigt.' });
  });

  it('follows Accept-Language for a user without a setting, and before sign-in', async () => {
    const error = await probe({
      authorization: `Bearer ${await token()}`,
      'accept-language': 'fr, en;q=0.5',
    });
    expect(error.message).toBe('Vous n’êtes pas autorisé à faire cela.');
    const anonymous = await probe({ 'accept-language': 'pl' });
    expect(anonymous.code).toBe('UNAUTHENTICATED');
    expect(anonymous.message).not.toBe('You need to sign in to do this.');
  });
});
