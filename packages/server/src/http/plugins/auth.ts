import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Authenticator } from '../../auth/authenticator.js';
import { authorize, grantsFor, type ResourceScope } from '../../auth/authorize.js';
import type { Principal, Role, RoleGrant, SupportAccess } from '../../auth/principal.js';
import { supportUsed, type SupportMode } from '../../auth/support-access.js';
import type { AuditLog } from '../../domain/audit.js';
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
      /**
       * How support access (an organisation's time-limited grant to a support
       * user, src/auth/support-access.ts) counts here. By default as an
       * operator grant: `operate` on every method, `read` on GET and HEAD.
       * `none` on routes that mint credentials or open access, so that support
       * staff cannot make themselves something that outlasts their grant;
       * `any` lets both levels through on every method, for a route that
       * checks the support user itself.
       */
      support?: 'none' | 'any';
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
    /** Support access that authorised this request so far, by grant id; null when none. */
    supportUses: Map<string, SupportAccess> | null;
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
  /**
   * Where a request served through support access is recorded
   * (`support-access.used`, in the organisation's log). Without it, such a
   * request fails rather than go unrecorded.
   */
  audit?: Pick<AuditLog, 'append'>;
}

const READ_METHODS = new Set(['GET', 'HEAD']);

/** Which support access a request admits: the route's rule, then its method. */
function supportModeOf(
  access: Exclude<AccessRule, { public: string }>,
  method: string,
): SupportMode {
  // Support access adds operator grants: a route no operator may use gains nothing from it.
  if (access.support === 'none' || !access.roles.includes('operator')) return 'none';
  if (access.support === 'any') return 'any';
  return READ_METHODS.has(method) ? 'read' : 'write';
}

const authPlugin: FastifyPluginAsync<AuthPluginOptions> = async (app, { authenticator, audit }) => {
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
  app.decorateRequest('supportUses', null);
  app.decorateRequest('authorize', function (this: FastifyRequest, target: ResourceScope) {
    const access = this.routeOptions.config.access;
    if (access === undefined || 'public' in access || this.principal === null) {
      // A public route that authorises is a bug in the route, not the caller's fault.
      throw new DomainError(
        'INTERNAL_ERROR',
        `route ${this.routeOptions.url} authorises without a rule`,
      );
    }
    const reaching = authorize(this.principal, access.roles, target);
    for (const use of supportUsed(this.principal, reaching)) {
      this.supportUses ??= new Map();
      this.supportUses.set(use.grantId, use);
    }
    return reaching;
  });

  // Before the answer leaves: a request served through support access is not
  // served unrecorded. If the entry cannot be written, the caller gets an error.
  app.addHook('onSend', async (request, _reply, payload) => {
    // Loose checks: routes of plugins registered before this one (the docs) lack the decorations.
    const uses = request.supportUses;
    const principal = request.principal;
    if (!uses || uses.size === 0 || !principal) return payload;
    request.supportUses = null;
    if (audit === undefined) {
      throw new DomainError(
        'INTERNAL_ERROR',
        'support access was used with no audit log to record it',
      );
    }
    for (const use of uses.values()) {
      await audit.append({
        partnerId: principal.partnerId,
        organisationId: use.organisationId,
        actor: { kind: 'user', id: principal.subject },
        action: 'support-access.used',
        target: { type: 'support-access', id: use.grantId },
        after: { method: request.method, route: request.routeOptions.url, access: use.access },
      });
    }
    return payload;
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
        support: supportModeOf(access, request.method),
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
