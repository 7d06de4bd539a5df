import { Type } from 'typebox';
import { ACTOR_KINDS } from '../../domain/audit.js';
import { StringEnum } from './common.js';
import { listOf } from './tenancy-common.js';

export const AuditEntry = Type.Object(
  {
    id: Type.String(),
    partnerId: Type.String(),
    organisationId: Type.Optional(
      Type.String({ description: 'The organisation the changed record belongs to, if any.' }),
    ),
    at: Type.String({ format: 'date-time', description: 'When the change was made (UTC).' }),
    actor: Type.Object(
      {
        kind: StringEnum(ACTOR_KINDS),
        id: Type.String({
          description: 'A user id, an API key id (never the key), or a system job’s name.',
        }),
      },
      { additionalProperties: false, description: 'Who made the change.' },
    ),
    action: Type.String({
      description: '`<entity>.<verb>`.',
      examples: ['user.updated', 'api-key.revoked'],
    }),
    target: Type.Object(
      {
        type: Type.String({ examples: ['user'] }),
        id: Type.String(),
      },
      { additionalProperties: false, description: 'What was changed.' },
    ),
    before: Type.Optional(
      Type.Unknown({
        description: 'The record before the change, secrets removed; not on create.',
      }),
    ),
    after: Type.Optional(
      Type.Unknown({ description: 'The record after the change, secrets removed; not on delete.' }),
    ),
    changed: Type.Optional(
      Type.Array(Type.String(), {
        description:
          'The fields an update changed, by name: a new password shows up here as `passwordHash` ' +
          'although its value is in neither before nor after.',
      }),
    ),
  },
  {
    $id: 'AuditEntry',
    additionalProperties: false,
    description: 'One change, as the append-only audit log keeps it.',
  },
);

export const AuditEntryList = listOf('AuditEntry', 'AuditEntryList');

export const AuditQuery = Type.Object(
  {
    organisationId: Type.Optional(
      Type.String({
        pattern: '^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$',
        description: "Only this organisation's entries (operators must name theirs).",
      }),
    ),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 50 })),
    cursor: Type.Optional(
      Type.String({ maxLength: 2048, description: 'From the previous page of the same list.' }),
    ),
  },
  { additionalProperties: false },
);

/** The $id'd schemas of the audit log, for app.addSchema (referenced ones first). */
export const auditSchemas = [AuditEntry, AuditEntryList];
