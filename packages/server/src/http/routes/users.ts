import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { hashPassword, verifyPassword } from '../../auth/password-hash.js';
import { ROLES, type Role } from '../../auth/principal.js';
import { endUserSessions, type SessionDeps } from '../../auth/sessions.js';
import { DomainError, isDomainError } from '../../domain/errors.js';
import type { UserStore } from '../../domain/tenancy/ports.js';
import {
  toPublicUser,
  type NewUser,
  type User,
  type UserPatch,
} from '../../domain/tenancy/user.js';
import { actorOf } from '../actor.js';
import { ErrorRef } from '../schemas/common.js';
import { DeleteQuery, PageQuery } from '../schemas/tenancy-common.js';
import {
  ChangePasswordRequest,
  CreateUserRequest,
  UpdateProfileRequest,
  UpdateUserRequest,
  UserParams,
} from '../schemas/users.js';
import {
  checkGrantTargets,
  grantsWithin,
  type GrantInput,
  type GrantTargetStores,
} from './grant-targets.js';
import { pageOptions, partnerOf } from './tenancy-access.js';

export interface UserRoutesOptions extends GrantTargetStores {
  users: Pick<UserStore, 'create' | 'get' | 'list' | 'update' | 'delete'>;
  /** The sessions users sign in to: a change of password, grants or status ends them. */
  sessions: Pick<SessionDeps, 'refreshTokens' | 'fences' | 'now'>;
  /** Password changes per user and minute; each costs a scrypt run. Default 10. */
  passwordChangesPerMinute?: number;
}

/** Partner admins manage the partner's users. */
const ADMINS: readonly Role[] = ['partner-admin'];

const userRoutes: FastifyPluginAsyncTypebox<UserRoutesOptions> = async (app, options) => {
  const { users } = options;

  /** The user, if the caller may see it: another partner's is NOT_FOUND, as a missing one is. */
  async function reachable(request: FastifyRequest, userId: string): Promise<User> {
    const user = await users.get(partnerOf(request), userId);
    if (user === null) throw new DomainError('NOT_FOUND', `no user '${userId}'`);
    request.authorize({ partnerId: user.partnerId });
    return user;
  }

  /** The caller's own record: found by who the token names, so no other grant is asked for. */
  async function self(request: FastifyRequest): Promise<User> {
    const principal = request.principal!;
    const user = await users.get(principal.partnerId, principal.subject);
    // Deleted since the token was issued: the account is gone for its owner too.
    if (user === null) throw new DomainError('NOT_FOUND', 'your user no longer exists');
    return user;
  }

  const isSelf = (request: FastifyRequest, user: User) =>
    request.principal?.kind === 'user' && request.principal.subject === user.id;

  /**
   * After the change is stored: a session begun with the old password, under
   * the old grants or while the user was active must not go on. Grants travel
   * in access tokens, so a changed grant needs a new sign-in to show anyway.
   */
  const endSessions = (user: User) =>
    endUserSessions(options.sessions, { partnerId: user.partnerId, userId: user.id });

  /**
   * Runs a change that ends the user's sessions. A failure that is no refusal
   * (the audit entry could not be written, say) may come after the change was
   * stored: the sessions end all the same, and the caller hears the error.
   */
  async function endingSessions<T>(user: User, change: () => Promise<T>): Promise<T> {
    try {
      return await change();
    } catch (err) {
      if (!isDomainError(err)) await endSessions(user).catch(() => undefined);
      throw err;
    }
  }

  /** Whether a change reaches what a session was granted on. */
  const credentialsChanged = (before: User, after: User) =>
    before.passwordHash !== after.passwordHash ||
    before.status !== after.status ||
    JSON.stringify(before.grants) !== JSON.stringify(after.grants);

  async function checkedGrants(partnerId: string, inputs: unknown) {
    return checkGrantTargets(options, partnerId, grantsWithin(partnerId, inputs as GrantInput[]));
  }

  app.post(
    '/v1/users',
    {
      config: { access: { roles: ADMINS } },
      schema: {
        operationId: 'createUser',
        tags: ['users'],
        summary: 'Create a user, with an initial password or invited',
        description:
          "Partner admins only; the user belongs to the caller's partner. Grants lie within the " +
          'partner and name organisations, properties and units that exist (404 otherwise). 409 ' +
          'when the e-mail address is taken within the partner.',
        body: CreateUserRequest,
        response: {
          201: Type.Ref('User'),
          400: ErrorRef,
          401: ErrorRef,
          403: ErrorRef,
          404: ErrorRef,
          409: ErrorRef,
        },
      },
    },
    async (request, reply) => {
      const partnerId = partnerOf(request);
      request.authorize({ partnerId });
      const { email, name, locale, password, grants, status } = request.body;
      const input: NewUser = {
        email,
        name,
        ...(locale === undefined ? {} : { locale }),
        ...(grants === undefined ? {} : { grants: await checkedGrants(partnerId, grants) }),
        ...(status === undefined ? {} : { status }),
        // Last: the hash costs the most, and is wasted on input refused above.
        ...(password === undefined ? {} : { passwordHash: await hashPassword(password) }),
      };
      const user = await users.create(partnerId, input, actorOf(request));
      return reply.code(201).send(toPublicUser(user));
    },
  );

  app.get(
    '/v1/users',
    {
      config: { access: { roles: ADMINS } },
      schema: {
        operationId: 'listUsers',
        tags: ['users'],
        summary: "List the partner's users",
        description: 'Partner admins only; oldest first, paginated.',
        querystring: PageQuery,
        response: { 200: Type.Ref('UserList'), 400: ErrorRef, 401: ErrorRef, 403: ErrorRef },
      },
    },
    async (request) => {
      const partnerId = partnerOf(request);
      request.authorize({ partnerId });
      const page = await users.list(partnerId, pageOptions(request.query));
      // The store lists public views already; mapped again so that no later field slips out.
      return {
        items: page.items.map(({ hasPassword, ...user }) => ({
          ...toPublicUser(user),
          hasPassword,
        })),
        cursor: page.cursor,
      };
    },
  );

  app.get(
    '/v1/users/:userId',
    {
      config: { access: { roles: ADMINS } },
      schema: {
        operationId: 'getUser',
        tags: ['users'],
        summary: 'A user with their grants',
        params: UserParams,
        response: { 200: Type.Ref('User'), 401: ErrorRef, 403: ErrorRef, 404: ErrorRef },
      },
    },
    async (request) => toPublicUser(await reachable(request, request.params.userId)),
  );

  app.patch(
    '/v1/users/:userId',
    {
      config: { access: { roles: ADMINS } },
      schema: {
        operationId: 'updateUser',
        tags: ['users'],
        summary: "Change a user's address, name, language, password, grants or status",
        description:
          'Send the `version` last read (409 when stale). Grants are replaced as a whole and ' +
          'checked as on creation. Partner admins cannot take their own admin grant away or ' +
          'disable themselves (403): another admin must. A change of password, grants or ' +
          'status ends every session of the user: their access tokens are refused from the ' +
          'next request on, their refresh tokens too; they sign in again.',
        params: UserParams,
        body: UpdateUserRequest,
        response: {
          200: Type.Ref('User'),
          400: ErrorRef,
          401: ErrorRef,
          403: ErrorRef,
          404: ErrorRef,
          409: ErrorRef,
        },
      },
    },
    async (request) => {
      const user = await reachable(request, request.params.userId);
      const { version, email, name, locale, password, grants, status } = request.body;
      const patch: UserPatch = {
        ...(email === undefined ? {} : { email }),
        ...(name === undefined ? {} : { name }),
        ...(locale === undefined ? {} : { locale }),
        ...(status === undefined ? {} : { status }),
      };
      if (grants !== undefined) patch.grants = await checkedGrants(user.partnerId, grants);
      // A partner whose last admin locked themselves out needs the platform to get back in.
      if (
        isSelf(request, user) &&
        (patch.status === 'disabled' ||
          (patch.grants !== undefined && !patch.grants.some((g) => g.role === 'partner-admin')))
      ) {
        throw new DomainError(
          'FORBIDDEN',
          'you cannot remove your own admin grant or disable yourself; ask another admin',
        );
      }
      if (password !== undefined) patch.passwordHash = await hashPassword(password);
      const update = () => users.update(user.partnerId, user.id, patch, version, actorOf(request));
      const touches = ['passwordHash', 'grants', 'status'].some((f) => f in patch);
      const updated = touches ? await endingSessions(user, update) : await update();
      if (credentialsChanged(user, updated)) await endSessions(updated);
      return toPublicUser(updated);
    },
  );

  app.delete(
    '/v1/users/:userId',
    {
      config: { access: { roles: ADMINS } },
      schema: {
        operationId: 'deleteUser',
        tags: ['users'],
        summary: 'Delete a user',
        description:
          'With the `version` last read (409 when stale). Every session of the user ends: ' +
          'their access and refresh tokens are refused from the next request on. Partner admins ' +
          'cannot delete themselves (403).',
        params: UserParams,
        querystring: DeleteQuery,
        response: {
          204: Type.Null({ description: 'Deleted.' }),
          400: ErrorRef,
          401: ErrorRef,
          403: ErrorRef,
          404: ErrorRef,
          409: ErrorRef,
        },
      },
    },
    async (request, reply) => {
      const user = await reachable(request, request.params.userId);
      if (isSelf(request, user)) {
        throw new DomainError('FORBIDDEN', 'you cannot delete yourself; ask another admin');
      }
      await endingSessions(user, () =>
        users.delete(user.partnerId, user.id, request.query.version, actorOf(request)),
      );
      await endSessions(user);
      return reply.code(204).send(null);
    },
  );

  // ---- The signed-in user's own account ------------------------------------------

  /** Any signed-in person; API keys are not users and have no profile. */
  const SELF = { roles: ROLES, apiKeys: false } as const;

  app.get(
    '/v1/me/profile',
    {
      config: { access: SELF },
      schema: {
        operationId: 'getMyProfile',
        tags: ['users'],
        summary: 'The signed-in user’s own account',
        response: { 200: Type.Ref('User'), 401: ErrorRef, 404: ErrorRef },
      },
    },
    async (request) => toPublicUser(await self(request)),
  );

  app.patch(
    '/v1/me/profile',
    {
      config: { access: SELF },
      schema: {
        operationId: 'updateMyProfile',
        tags: ['users'],
        summary: 'Change one’s own name or language',
        description: 'Send the `version` last read (409 when stale).',
        body: UpdateProfileRequest,
        response: {
          200: Type.Ref('User'),
          400: ErrorRef,
          401: ErrorRef,
          404: ErrorRef,
          409: ErrorRef,
        },
      },
    },
    async (request) => {
      const user = await self(request);
      const { version, name, locale } = request.body;
      const patch: UserPatch = {
        ...(name === undefined ? {} : { name }),
        ...(locale === undefined ? {} : { locale }),
      };
      return toPublicUser(
        await users.update(user.partnerId, user.id, patch, version, actorOf(request)),
      );
    },
  );

  app.put(
    '/v1/me/password',
    {
      config: {
        access: SELF,
        // Each attempt runs scrypt, and a stolen access token must not buy a fast guesser.
        rateLimit: { max: options.passwordChangesPerMinute ?? 10, timeWindow: '1 minute' },
      },
      schema: {
        operationId: 'changeMyPassword',
        tags: ['users'],
        summary: 'Change one’s own password',
        description:
          'Needs the current password: 401 INVALID_CREDENTIALS when it is wrong. Every session ' +
          'ends, this one too (the access token cannot tell which refresh session is the ' +
          'caller’s, and a password is changed when a session may be in the wrong hands): ' +
          'sign in again with the new password. A few attempts a minute at most.',
        body: ChangePasswordRequest,
        response: {
          204: Type.Null({ description: 'Changed.' }),
          400: ErrorRef,
          401: ErrorRef,
          404: ErrorRef,
          409: ErrorRef,
          429: ErrorRef,
        },
      },
    },
    async (request, reply) => {
      const user = await self(request);
      const { currentPassword, newPassword } = request.body;
      const matches =
        user.passwordHash !== undefined &&
        (await verifyPassword(currentPassword, user.passwordHash));
      if (!matches) {
        throw new DomainError('INVALID_CREDENTIALS', 'the current password is wrong', {
          details: { field: 'currentPassword' },
        });
      }
      const passwordHash = await hashPassword(newPassword);
      const updated = await endingSessions(user, () =>
        users.update(user.partnerId, user.id, { passwordHash }, user.version, actorOf(request)),
      );
      await endSessions(updated);
      return reply.code(204).send(null);
    },
  );
};

export default userRoutes;
