import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { ROLES } from '../../auth/principal.js';
import {
  refreshSession,
  signIn,
  signOut,
  type SessionDeps,
  type SessionTokens,
} from '../../auth/sessions.js';
import { DomainError } from '../../domain/errors.js';
import { ErrorRef } from '../schemas/common.js';
import { Jwks, Me, SignInRequest, RefreshRequest, TokenPair } from '../schemas/auth.js';

export interface AuthRoutesOptions {
  sessions: SessionDeps;
  /** The partner a custom domain belongs to (white-label sign-in pages); null when none. */
  partnerForHost(host: string): Promise<string | null>;
  /** Sign-in attempts per IP and minute. */
  signInPerMinute?: number;
}

function tokenPair(tokens: SessionTokens, now: Date) {
  return {
    tokenType: 'Bearer' as const,
    accessToken: tokens.accessToken,
    expiresIn: Math.max(
      0,
      Math.round((tokens.accessTokenExpiresAt.getTime() - now.getTime()) / 1000),
    ),
    refreshToken: tokens.refreshToken,
    refreshTokenExpiresAt: tokens.refreshTokenExpiresAt.toISOString(),
  };
}

const NO_STORE = 'no-store';

const authRoutes: FastifyPluginAsyncTypebox<AuthRoutesOptions> = async (app, options) => {
  const { sessions } = options;
  const now = () => sessions.now?.() ?? new Date();

  app.get(
    '/.well-known/jwks.json',
    {
      config: { access: { public: 'the public keys that verify our tokens' } },
      schema: {
        operationId: 'getJwks',
        tags: ['auth'],
        summary: 'Public keys of the token signing ring',
        description:
          'The JSON Web Key Set that verifies access and embed tokens (ES256). It holds the ' +
          'current key and recently retired ones; fetch it again when a token names an unknown `kid`.',
        response: { 200: Jwks },
      },
    },
    async (_request, reply) => {
      // The ring makes only EC P-256 keys, so these members are always there.
      const keys = sessions.ring.publicJwks().keys.map((k) => ({
        kty: String(k.kty),
        crv: String(k.crv),
        x: String(k.x),
        y: String(k.y),
        kid: k.kid,
        alg: k.alg,
        use: k.use,
      }));
      return reply.header('cache-control', 'public, max-age=300').send({ keys });
    },
  );

  app.post(
    '/v1/auth/login',
    {
      config: {
        access: { public: 'signing in' },
        rateLimit: { max: options.signInPerMinute ?? 10, timeWindow: '1 minute' },
      },
      schema: {
        operationId: 'signIn',
        tags: ['auth'],
        summary: 'Sign in with e-mail and password',
        description:
          'Returns a short-lived access token (send it as `Authorization: Bearer …`) and a ' +
          'refresh token for `POST /v1/auth/refresh`. The partner is the one whose custom domain ' +
          'serves the request, or `partner` in the body. Every failure is the same 401, so that ' +
          'it does not tell which e-mails exist. Limited per IP.',
        body: SignInRequest,
        response: { 200: TokenPair, 400: ErrorRef, 401: ErrorRef, 429: ErrorRef },
      },
    },
    async (request, reply) => {
      const partnerId = request.body.partner ?? (await options.partnerForHost(request.hostname));
      if (partnerId === null) {
        throw new DomainError('VALIDATION_FAILED', 'name the partner: this host belongs to none', {
          details: { field: 'partner' },
        });
      }
      const tokens = await signIn(sessions, {
        partnerId,
        email: request.body.email,
        password: request.body.password,
      });
      return reply.header('cache-control', NO_STORE).send(tokenPair(tokens, now()));
    },
  );

  app.post(
    '/v1/auth/refresh',
    {
      config: { access: { public: 'the refresh token is the credential' } },
      schema: {
        operationId: 'refreshSession',
        tags: ['auth'],
        summary: 'Trade a refresh token for a new token pair',
        description:
          'The refresh token is used up: keep the new one. Presenting a used refresh token again ' +
          'ends the whole session (it may have been stolen), so refresh once at a time.',
        body: RefreshRequest,
        response: { 200: TokenPair, 400: ErrorRef, 401: ErrorRef },
      },
    },
    async (request, reply) => {
      const tokens = await refreshSession(sessions, request.body.refreshToken);
      return reply.header('cache-control', NO_STORE).send(tokenPair(tokens, now()));
    },
  );

  app.post(
    '/v1/auth/logout',
    {
      config: { access: { public: 'the refresh token is the credential' } },
      schema: {
        operationId: 'signOut',
        tags: ['auth'],
        summary: 'End the session of a refresh token',
        description:
          'Always 204: an unknown or used token ends nothing, and saying so would help no one. ' +
          'Access tokens already issued stay valid until they expire (minutes).',
        body: RefreshRequest,
        response: { 204: Type.Null(), 400: ErrorRef },
      },
    },
    async (request, reply) => {
      await signOut(sessions, request.body.refreshToken);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/v1/me',
    {
      config: { access: { roles: ROLES } },
      schema: {
        operationId: 'getMe',
        tags: ['auth'],
        summary: 'Who the caller is',
        description:
          'The signed-in user or API key: partner, roles with their scope, locale, and the ' +
          'support access organisations granted the user.',
        response: { 200: Me, 401: ErrorRef, 403: ErrorRef },
      },
    },
    async (request) => {
      const principal = request.principal!;
      return {
        kind: principal.kind,
        subject: principal.subject,
        partnerId: principal.partnerId,
        grants: principal.grants,
        ...(principal.locale === undefined ? {} : { locale: principal.locale }),
        ...(principal.scopes === undefined ? {} : { scopes: principal.scopes }),
        ...(principal.support === undefined
          ? {}
          : {
              supportAccess: principal.support.map((s) => ({
                supportAccessId: s.grantId,
                organisationId: s.organisationId,
                access: s.access,
                expiresAt: s.expiresAt,
              })),
            }),
      };
    },
  );
};

export default authRoutes;
