import { Type } from 'typebox';
import { ACTOR_KINDS } from '../../domain/audit.js';
import { SUPPORT_ACCESS_LEVELS } from '../../domain/support-access.js';
import { StringEnum } from './common.js';
import { Id, listOf } from './tenancy-common.js';

// Shapes only: the domain (src/domain/support-access.ts) checks values and names the field.

const Level = StringEnum(SUPPORT_ACCESS_LEVELS, {
  description:
    '`read`: the support user may read what an operator of the organisation reads (GET only). ' +
    '`operate`: they may also change it, as an operator.',
});

const SupportAccessId = Type.String({
  pattern: '^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$',
  examples: ['sup_3kq9VwXh2mPb0c1d'],
});

const ActorRef = Type.Object(
  {
    kind: StringEnum(ACTOR_KINDS),
    id: Type.String({ description: 'A user id or an API key id (never the key).' }),
  },
  { additionalProperties: false },
);

export const SupportAccess = Type.Object(
  {
    id: SupportAccessId,
    partnerId: Type.String(),
    organisationId: Type.String(),
    userId: Type.String({ description: 'The support user let in.' }),
    access: Level,
    reason: Type.String(),
    grantedBy: ActorRef,
    createdAt: Type.String({ format: 'date-time' }),
    expiresAt: Type.String({ format: 'date-time' }),
    revokedAt: Type.Optional(Type.String({ format: 'date-time' })),
    revokedBy: Type.Optional(ActorRef),
    status: StringEnum(['active', 'expired', 'revoked'] as const, {
      description: 'Whether it lets its user in now.',
    }),
  },
  {
    $id: 'SupportAccess',
    additionalProperties: false,
    description: "An organisation's time-limited grant to a support user of its partner.",
  },
);

export const SupportAccessList = listOf('SupportAccess', 'SupportAccessList');

export const CreateSupportAccessRequest = Type.Object(
  {
    userId: Type.String({
      pattern: '^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$',
      description: 'The support user: an active user of the same partner.',
    }),
    access: Level,
    reason: Type.String({
      minLength: 1,
      maxLength: 500,
      description: 'Why support is let in (a ticket, a fault); shown in lists and the audit log.',
      examples: ['Ticket 4711: gateway in the boiler room offline since Monday'],
    }),
    expiresAt: Type.String({
      format: 'date-time',
      description: 'When the access ends by itself: in the future, at most 30 days ahead.',
    }),
  },
  { $id: 'CreateSupportAccessRequest', additionalProperties: false },
);

export const SupportAccessParams = Type.Object({
  organisationId: Id,
  supportAccessId: SupportAccessId,
});

export const OrganisationSupportParams = Type.Object({ organisationId: Id });

/** The $id'd schemas of support access, for app.addSchema (referenced ones first). */
export const supportAccessSchemas = [SupportAccess, SupportAccessList, CreateSupportAccessRequest];
