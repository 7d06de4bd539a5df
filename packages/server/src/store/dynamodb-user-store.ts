import { grantProblem, type RoleGrant } from '../auth/principal.js';
import { DomainError } from '../domain/errors.js';
import type { UserStore } from '../domain/tenancy/ports.js';
import {
  applyUserPatch,
  PLATFORM_PARTNER_ID,
  toPublicUser,
  validateNewUser,
  type GrantRule,
  type User,
} from '../domain/tenancy/user.js';
import { partnerKey, partnerUsersPartition, userEmailKey, userIndexKey, userKey } from './keys.js';
import {
  changedFields,
  checkActor,
  checkKeyParts,
  claimMarker,
  deleteVersioned,
  getItem,
  idOfSortKey,
  markerOwner,
  notFound,
  putNew,
  queryIndexPage,
  readForChange,
  recordChange,
  recordOf,
  releaseMarker,
  storeContext,
  undoClaims,
  writeVersioned,
  type Claim,
  type Item,
  type StoreContext,
  type TenancyStoreOptions,
} from './tenancy-items.js';

/** The role rules of the auth core, applied to the domain's copy of the grant shape. */
const roleRules: GrantRule = (grant) => grantProblem(grant as RoleGrant);

/**
 * Users in the single table (key design: ./README.md, "Users"): one item per
 * user under its partner, and a marker per e-mail address that keeps it
 * unique within the partner and finds the user at sign-in.
 */
export function createDynamoUserStore(options: TenancyStoreOptions): UserStore {
  const ctx = storeContext(options);
  const what = (id: string) => `user ${id}`;

  async function read(partnerId: string, userId: string): Promise<User | null> {
    const item = await getItem(ctx, userKey(partnerId, userId));
    return item ? recordOf<User>(item) : null;
  }

  return {
    async create(partnerId, input, actor) {
      checkActor(actor);
      checkKeyParts({ partnerId });
      const fields = validateNewUser(partnerId, input, roleRules);
      if (partnerId !== PLATFORM_PARTNER_ID && !(await getItem(ctx, partnerKey(partnerId)))) {
        throw notFound(`partner ${partnerId}`, 'partnerId');
      }
      const at = ctx.now().toISOString();
      const user: User = {
        id: ctx.newId('usr'),
        partnerId,
        ...fields,
        version: 1,
        createdAt: at,
        updatedAt: at,
      };
      checkKeyParts({ userId: user.id });
      const claim = await claimEmail(ctx, partnerId, user.email, user.id);
      try {
        await putNew(
          ctx,
          toItem(user),
          () => new DomainError('CONFLICT', `${what(user.id)} already exists`),
        );
      } catch (err) {
        await undoClaims(ctx, [claim]);
        throw err;
      }
      await recordChange(ctx, {
        partnerId,
        actor,
        action: 'user.created',
        target: { type: 'user', id: user.id },
        after: toPublicUser(user),
      });
      return user;
    },

    async get(partnerId, userId) {
      checkKeyParts({ partnerId, userId });
      return read(partnerId, userId);
    },

    async list(partnerId, listOptions) {
      checkKeyParts({ partnerId });
      const page = await queryIndexPage(
        ctx,
        {
          partition: partnerUsersPartition(partnerId),
          tableKeyOf: (sk) => {
            const id = idOfSortKey(sk);
            return id === null ? null : userKey(partnerId, id);
          },
        },
        listOptions,
      );
      return { items: page.items.map((i) => toPublicUser(recordOf<User>(i))), cursor: page.cursor };
    },

    async findByEmail(partnerId, email) {
      checkKeyParts({ partnerId });
      if (typeof email !== 'string') return null;
      const address = email.trim().toLowerCase();
      if (address.length === 0 || address.length > 254) return null;
      const owner = await markerOwner(ctx, userEmailKey(partnerId, address));
      if (owner === null) return null;
      const user = await read(partnerId, owner);
      // The marker may be a leftover of a crash or of a change in flight: the user decides.
      return user && user.email === address ? user : null;
    },

    async update(partnerId, userId, patch, expectedVersion, actor) {
      checkActor(actor);
      const key = userKey(partnerId, userId);
      const item = await readForChange(ctx, key, expectedVersion, what(userId));
      const current = recordOf<User>(item);
      const next: User = {
        id: current.id,
        partnerId: current.partnerId,
        ...applyUserPatch(current, patch, roleRules),
        version: current.version + 1,
        createdAt: current.createdAt,
        updatedAt: ctx.now().toISOString(),
      };
      const emailChanged = next.email !== current.email;
      const claims: Claim[] = emailChanged
        ? [await claimEmail(ctx, partnerId, next.email, userId)]
        : [];
      try {
        await writeVersioned(ctx, key, item, toItem(next), expectedVersion, what(userId));
      } catch (err) {
        await undoClaims(ctx, claims);
        throw err;
      }
      if (emailChanged) await releaseMarker(ctx, userEmailKey(partnerId, current.email), userId);
      await recordChange(ctx, {
        partnerId,
        actor,
        action: 'user.updated',
        target: { type: 'user', id: userId },
        before: toPublicUser(current),
        after: toPublicUser(next),
        // From the full records: a new password hash shows as `passwordHash` by name.
        changed: changedFields(current, next),
      });
      return next;
    },

    async delete(partnerId, userId, expectedVersion, actor) {
      checkActor(actor);
      const key = userKey(partnerId, userId);
      const item = await readForChange(ctx, key, expectedVersion, what(userId));
      const current = recordOf<User>(item);
      await deleteVersioned(ctx, key, expectedVersion, what(userId));
      await releaseMarker(ctx, userEmailKey(partnerId, current.email), userId);
      await recordChange(ctx, {
        partnerId,
        actor,
        action: 'user.deleted',
        target: { type: 'user', id: userId },
        before: toPublicUser(current),
      });
    },
  };
}

function toItem(user: User): Item {
  return {
    ...userKey(user.partnerId, user.id),
    ...userIndexKey(user.partnerId, user.createdAt, user.id),
    entity: 'USER',
    ...user,
  };
}

function claimEmail(
  ctx: StoreContext,
  partnerId: string,
  email: string,
  userId: string,
): Promise<Claim> {
  return claimMarker(ctx, userEmailKey(partnerId, email), userId, {
    async ownerHolds(ownerId) {
      const owner = await getItem(ctx, userKey(partnerId, ownerId));
      return owner?.email === email;
    },
    conflict: () =>
      new DomainError('CONFLICT', 'a user with this e-mail address exists', {
        details: { field: 'email', reason: 'duplicate' },
      }),
  });
}
