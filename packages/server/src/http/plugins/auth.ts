import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Authenticator } from '../../auth/authenticator.js';
import { authorize, grantsFor, type ResourceScope } from '../../auth/authorize.js';
import type { Principal, Role, RoleGrant } from '../../auth/principal.js';
import { DomainError } from '../../domain/errors.js';

/**
 * Who may call a route: declared once, on the route (`config.access`), and
 * enforced here for every request. A route under /v1 without a rule does not
 * register, so no route can be added that escapes the check (nor the
 * cross-tenant tests, which are generated from the table of these rules).
 */
export type AccessRule =
  | {
      /** Anyone, signed in or not; the reason is for reviewers of the route table. */
      public: string;
    }
  | {
      /** Roles of which the caller must hold at least one grant. */
      roles: readonly Role[];
      /** Whether a widget's embed token is admitted (read-only widget endpoints only). */
      embed?: boolean;
      /** Whether API keys are admitted; default true. */
      apiKeys?: boolean;
    };

export interface AccessTableEntry {
  method: string;
  url: string;
  access: AccessRule;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: AccessRule;
  }
  interface FastifyRequest {
    /** The authenticated caller; null on public routes. */
    principal: Principal | null;
    /**
     * The one authorisation check of a protected resource: NOT_FOUND across
     * partners, FORBIDDEN when no admitted grant reaches it. Returns the grants
     * that reach it. Call it with the scope of the stored resource.
     */
    authorize(target: ResourceScope): RoleGrant[];
  }
  interface FastifyInstance {
    /** Every route with its access rule, as registered. */
    accessTable(): AccessTableEntry[];
  }
}

/** Paths whose routes must declare a rule: the versioned API and the well-known documents. */
const GUARDED = /^\/(v\d+|\.well-known)\//;

const API_KEY_HEADER = 'x-api-key';

function bearerOf(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header === undefined) return undefined;
  const m = /^Bearer\s+(\S+)$/i.exec(header);
  if (!m) {
    throw new DomainError('UNAUTHENTICATED', 'the Authorization header is not a Bearer token', {
      details: { reason: 'malformed-authorization-header' },
    });
  }
  return m[1];
}

export interface AuthPluginOptions {
  authenticator: Authenticator;
}

const authPlugin: FastifyPluginAsync<AuthPluginOptions> = async (app, { authenticator }) => {
  const table: AccessTableEntry[] = [];

  app.addHook('onRoute', (route) => {
    const access = route.config?.access;
    if (access === undefined) {
      if (GUARDED.test(route.url)) {
        throw new Error(
          `route ${String(route.method)} ${route.url} declares no config.access rule`,
        );
      }
      return;
    }
    // The rule is also the OpenAPI document's security: one source for both.
    if (!('public' in access) && route.schema !== undefined) {
      route.schema.security = [
        { bearer: [] },
        ...(access.apiKeys === false ? [] : [{ apiKey: [] }]),
      ];
    }
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) {
      // HEAD is registered alongside GET by Fastify; it carries the same rule.
      if (method !== 'HEAD') table.push({ method, url: route.url, access });
    }
  });
  app.decorate('accessTable', () => table.map((entry) => ({ ...entry })));

  app.decorateRequest('principal', null);
  app.decorateRequest('authorize', function (this: FastifyRequest, target: ResourceScope) {
    const access = this.routeOptions.config.access;
    if (access === undefined || 'public' in access || this.principal === null) {
      // A public route that authorises is a bug in the route, not the caller's fault.
      throw new DomainError(
        'INTERNAL_ERROR',
        `route ${this.routeOptions.url} authorises without a rule`,
      );
    }
    return authorize(this.principal, access.roles, target);
  });

  // onRequest: a caller without credentials hears 401 before anything about its input.
  app.addHook('onRequest', async (request) => {
    const access = request.routeOptions.config?.access;
    if (access === undefined || 'public' in access) return;

    const apiKey = request.headers[API_KEY_HEADER];
    const bearer = bearerOf(request);
    if (typeof apiKey === 'string' && bearer !== undefined) {
      throw new DomainError(
        'UNAUTHENTICATED',
        'send either an API key or a bearer token, not both',
        {
          details: { reason: 'two-credentials' },
        },
      );
    }
    let principal: Principal;
    if (typeof apiKey === 'string') {
      if (access.apiKeys === false) {
        throw new DomainError(
          'UNAUTHENTICATED',
          'this route takes a signed-in user, not an API key',
          {
            details: { reason: 'api-key-not-admitted' },
          },
        );
      }
      principal = await authenticator.apiKey(apiKey);
    } else if (bearer !== undefined) {
      principal = await authenticator.bearer(bearer, {
        embed: access.embed === true,
        origin: request.headers.origin,
      });
    } else {
      throw new DomainError('UNAUTHENTICATED', 'this route needs credentials', {
        details: { reason: 'no-credentials' },
      });
    }

    // Embed principals hold no grants: the route admitted them, and authorize()
    // binds them to their unit or property.
    if (principal.kind !== 'embed' && grantsFor(principal, access.roles).length === 0) {
      throw new DomainError('FORBIDDEN', 'no role of the caller may use this route', {
        details: { roles: access.roles },
      });
    }
    request.principal = principal;
  });
};

export default fp(authPlugin, { name: 'zw-auth' });
