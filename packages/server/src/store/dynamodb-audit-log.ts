import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  redact,
  validateAuditEntry,
  type AuditEntry,
  type AuditLog,
  type AuditPage,
} from '../domain/audit.js';
import { DomainError } from '../domain/errors.js';
import { isConditionFailed } from './condition-failed.js';
import {
  auditEntryIndexKey,
  auditEntryKey,
  organisationAuditPartition,
  partnerAuditPartition,
} from './keys.js';
import {
  idOfSortKey,
  queryIndexPage,
  queryTablePage,
  randomId,
  type Item,
} from './tenancy-items.js';

/**
 * The append-only audit log in the single table (key design: ./README.md,
 * "Audit log"). The adapter has no update or delete: every write is a
 * PutItem conditional on the key being free, so not even a colliding id can
 * overwrite an entry.
 */
export function createDynamoAuditLog(options: {
  doc: DynamoDBDocumentClient;
  tableName: string;
  now?: () => Date;
  newId?: () => string;
}): AuditLog {
  const { doc, tableName: TableName } = options;
  const now = options.now ?? (() => new Date());
  const newId = options.newId ?? (() => randomId('aud'));
  const ctx = { doc, TableName };

  return {
    async append(input) {
      validateAuditEntry(input);
      const entry: AuditEntry = {
        id: newId(),
        partnerId: input.partnerId,
        ...(input.organisationId === undefined ? {} : { organisationId: input.organisationId }),
        at: now().toISOString(),
        actor: { kind: input.actor.kind, id: input.actor.id },
        action: input.action,
        target: { type: input.target.type, id: input.target.id },
        // Redacted here as well as by callers: whatever a store hands in, no
        // secret field reaches the table.
        ...(input.before === undefined ? {} : { before: redact(input.before) }),
        ...(input.after === undefined ? {} : { after: redact(input.after) }),
        ...(input.changed === undefined ? {} : { changed: input.changed.map(String) }),
      };
      try {
        await doc.send(
          new PutCommand({
            TableName,
            Item: {
              ...auditEntryKey(entry.partnerId, entry.at, entry.id),
              ...(entry.organisationId === undefined
                ? {}
                : auditEntryIndexKey(entry.partnerId, entry.organisationId, entry.at, entry.id)),
              entity: 'AUDIT',
              id: entry.id,
              partnerId: entry.partnerId,
              ...(entry.organisationId === undefined
                ? {}
                : { organisationId: entry.organisationId }),
              at: entry.at,
              actor: entry.actor,
              action: entry.action,
              target: entry.target,
              // As JSON text: kept exactly (numbers, key order, empty maps) and
              // never subject to DynamoDB's nesting limits.
              ...(entry.before === undefined ? {} : { beforeJson: JSON.stringify(entry.before) }),
              ...(entry.after === undefined ? {} : { afterJson: JSON.stringify(entry.after) }),
              ...(entry.changed === undefined ? {} : { changed: entry.changed }),
            },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        );
      } catch (err) {
        if (isConditionFailed(err)) {
          throw new DomainError('CONFLICT', 'audit entry id already taken', { cause: err });
        }
        throw err;
      }
      return entry;
    },

    async listByPartner(partnerId, listOptions = {}) {
      const page = await queryTablePage(ctx, partnerAuditPartition(partnerId), {
        ...listOptions,
        newestFirst: true,
      });
      return toAuditPage(page);
    },

    async listByOrganisation(partnerId, organisationId, listOptions = {}) {
      const page = await queryIndexPage(
        ctx,
        {
          partition: organisationAuditPartition(partnerId, organisationId),
          newestFirst: true,
          tableKeyOf: (gsi1sk) => {
            const id = idOfSortKey(gsi1sk);
            const at = gsi1sk.slice(0, gsi1sk.lastIndexOf('#'));
            return id === null ? null : auditEntryKey(partnerId, at, id);
          },
        },
        listOptions,
      );
      return toAuditPage(page);
    },
  };
}

function toAuditPage(page: { items: Item[]; cursor: string | null }): AuditPage {
  return { items: page.items.map(toEntry), cursor: page.cursor };
}

function toEntry(item: Item): AuditEntry {
  const actor = item.actor as AuditEntry['actor'];
  const target = item.target as AuditEntry['target'];
  return {
    id: String(item.id),
    partnerId: String(item.partnerId),
    ...(typeof item.organisationId === 'string' ? { organisationId: item.organisationId } : {}),
    at: String(item.at),
    actor: { kind: actor.kind, id: actor.id },
    action: String(item.action),
    target: { type: target.type, id: target.id },
    ...(typeof item.beforeJson === 'string' ? { before: JSON.parse(item.beforeJson) } : {}),
    ...(typeof item.afterJson === 'string' ? { after: JSON.parse(item.afterJson) } : {}),
    ...(Array.isArray(item.changed) ? { changed: item.changed.map(String) } : {}),
  };
}
