import {
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { queryAllOfIndexPartition } from './query-all.js';
import { DomainError } from '../domain/errors.js';
import type { CertificateRecord, IotRegistry, ThingRecord } from '../iot/iot-registry.js';
import {
  assertKeyParts,
  decodeCursorFields,
  encodeCursor,
  invalidCursor,
  newThingRecord,
  resolvePageLimit,
} from '../iot/registry-rules.js';
import {
  certificateIndexKey,
  certificateKey,
  GSI1,
  partnerThingsPartition,
  thingCertificatesPartition,
  thingIndexKey,
  thingKey,
} from './keys.js';

type Item = Record<string, unknown>;

/** Page key of the things index: the table key plus the index key, as DynamoDB returns it. */
interface ThingPageKey {
  pk: string;
  sk: string;
  gsi1pk: string;
  gsi1sk: string;
}

/** An org-filtered list reads this many index entries per round trip at least. */
const FILTERED_READ_BATCH = 100;

/**
 * The IoT registry in the single table (key design: ./README.md, "IoT registry").
 * One item per thing and one per certificate; each write touches one item, so
 * a conditional write is the whole concurrency story and no transaction is needed
 * (dynalite has no TransactWriteItems).
 */
export function createDynamoIotRegistry(options: {
  doc: DynamoDBDocumentClient;
  tableName: string;
  now?: () => Date;
}): IotRegistry {
  const { doc, tableName: TableName } = options;
  const now = options.now ?? (() => new Date());

  async function getItem(key: { pk: string; sk: string }): Promise<Item | undefined> {
    // Strongly consistent: the broker decides on CONNECT with it, and a revocation
    // must hold from the moment it was acknowledged.
    const out = await doc.send(new GetCommand({ TableName, Key: key, ConsistentRead: true }));
    return out.Item;
  }

  return {
    async createThing(input) {
      const thing = newThingRecord(input);
      try {
        await doc.send(
          new PutCommand({
            TableName,
            Item: {
              ...thingKey(thing.thingName),
              ...thingIndexKey(thing.partnerId, thing.thingName),
              entity: 'THING',
              thingName: thing.thingName,
              partnerId: thing.partnerId,
              organisationId: thing.organisationId,
              createdAt: thing.createdAt,
              version: thing.version,
            },
            // The name is unique deployment-wide: the pk holds only the name.
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        );
      } catch (err) {
        if (isConditionFailed(err)) {
          throw new DomainError('CONFLICT', `thing ${thing.thingName} already exists`, {
            cause: err,
          });
        }
        throw err;
      }
      return thing;
    },

    async getThing(thingName) {
      const item = await getItem(thingKey(thingName));
      return item ? toThing(item) : null;
    },

    async listThings(partnerId, listOptions = {}) {
      const limit = resolvePageLimit(listOptions.limit);
      const partition = partnerThingsPartition(partnerId);
      let start: Item | undefined =
        listOptions.cursor === undefined
          ? undefined
          : { ...decodeCursor(listOptions.cursor, partition) };
      const org = listOptions.organisationId;
      const found: ThingRecord[] = [];
      // Read one more than the page so that the last page says so (cursor null),
      // as the memory registry does; an org filter reads in larger batches so
      // that a sparse organisation does not cost one round trip per entry.
      do {
        const wanted = limit + 1 - found.length;
        const out = await doc.send(
          new QueryCommand({
            TableName,
            IndexName: GSI1,
            KeyConditionExpression: 'gsi1pk = :p',
            ...(org === undefined
              ? { ExpressionAttributeValues: { ':p': partition } }
              : {
                  FilterExpression: 'organisationId = :o',
                  ExpressionAttributeValues: { ':p': partition, ':o': org },
                }),
            Limit: org === undefined ? wanted : Math.max(wanted, FILTERED_READ_BATCH),
            ...(start ? { ExclusiveStartKey: start } : {}),
          }),
        );
        for (const item of out.Items ?? []) found.push(toThing(item));
        start = out.LastEvaluatedKey;
      } while (start !== undefined && found.length <= limit);

      const items = found.slice(0, limit);
      const last = items.at(-1);
      return {
        items,
        // Built from the last item returned, not from DynamoDB's LastEvaluatedKey,
        // which may lie beyond it when a batch was read past the page.
        cursor:
          found.length > limit && last
            ? encodeCursor({
                ...thingKey(last.thingName),
                ...thingIndexKey(partnerId, last.thingName),
              })
            : null,
      };
    },

    async recordConnection(thingName, at) {
      try {
        await doc.send(
          new UpdateCommand({
            TableName,
            Key: thingKey(thingName),
            UpdateExpression: 'SET #last = :at, #version = #version + :one',
            // Only forward: of two racing CONNECTs the later time stays, whatever
            // order the writes land in; the version is bumped atomically, so no
            // read-modify-write can lose an update.
            ConditionExpression:
              'attribute_exists(pk) AND (attribute_not_exists(#last) OR #last < :at)',
            ExpressionAttributeNames: { '#last': 'lastConnectedAt', '#version': 'version' },
            ExpressionAttributeValues: { ':at': at, ':one': 1 },
          }),
        );
      } catch (err) {
        if (!isConditionFailed(err)) throw err;
        if (!(await getItem(thingKey(thingName)))) {
          throw new DomainError('NOT_FOUND', `thing ${thingName} does not exist`, { cause: err });
        }
        // The thing exists and already has a later connection: nothing to do.
      }
    },

    async createCertificate(input) {
      assertKeyParts({ certificateId: input.certificateId, partnerId: input.partnerId });
      if (input.thingName !== null) assertKeyParts({ thingName: input.thingName });
      const cert: CertificateRecord = { ...input, updatedAt: input.createdAt };
      try {
        await doc.send(
          new PutCommand({
            TableName,
            Item: {
              ...certificateKey(cert.certificateId),
              // Unattached and claim certificates stay out of the index (sparse):
              // no thing lists them.
              ...(cert.thingName === null
                ? {}
                : certificateIndexKey(
                    cert.partnerId,
                    cert.thingName,
                    cert.createdAt,
                    cert.certificateId,
                  )),
              entity: 'CERT',
              ...cert,
            },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        );
      } catch (err) {
        if (isConditionFailed(err)) {
          throw new DomainError('CONFLICT', `certificate ${cert.certificateId} already exists`, {
            cause: err,
          });
        }
        throw err;
      }
      return cert;
    },

    async getCertificate(certificateId) {
      const item = await getItem(certificateKey(certificateId));
      return item ? toCertificate(item) : null;
    },

    async listCertificates(thingName) {
      // The partition is the owner's: a certificate of another partner naming
      // this thing lives in that partner's partition and never shows here.
      const thing = await getItem(thingKey(thingName));
      if (!thing) return [];
      const partition = thingCertificatesPartition(String(thing.partnerId), thingName);
      const items = await queryAllOfIndexPartition(doc, {
        tableName: TableName,
        partition,
        newestFirst: true,
      });
      return items.map(toCertificate);
    },

    async setCertificateStatus(certificateId, status) {
      try {
        const out = await doc.send(
          new UpdateCommand({
            TableName,
            Key: certificateKey(certificateId),
            UpdateExpression: 'SET #status = :status, updatedAt = :now',
            // REVOKED is final, enforced by the store itself: a writer that read
            // ACTIVE before a concurrent revocation loses here.
            ConditionExpression: 'attribute_exists(pk) AND #status <> :revoked',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: {
              ':status': status,
              ':now': now().toISOString(),
              ':revoked': 'REVOKED',
            },
            ReturnValues: 'ALL_NEW',
          }),
        );
        return toCertificate(out.Attributes ?? {});
      } catch (err) {
        if (!isConditionFailed(err)) throw err;
        const item = await getItem(certificateKey(certificateId));
        if (!item) {
          throw new DomainError('NOT_FOUND', `certificate ${certificateId} does not exist`, {
            cause: err,
          });
        }
        const current = toCertificate(item);
        // Revoking again is a retry, not a change.
        if (current.status === 'REVOKED' && status === 'REVOKED') return current;
        throw new DomainError('CONFLICT', `certificate ${certificateId} is revoked`, {
          cause: err,
        });
      }
    },
  };
}

function isConditionFailed(err: unknown): boolean {
  // By name: the SDK's error classes may come from another copy of the package.
  return err instanceof Error && err.name === 'ConditionalCheckFailedException';
}

function toThing(item: Item): ThingRecord {
  return {
    thingName: String(item.thingName),
    partnerId: String(item.partnerId),
    organisationId: String(item.organisationId),
    createdAt: String(item.createdAt),
    lastConnectedAt: typeof item.lastConnectedAt === 'string' ? item.lastConnectedAt : null,
    version: Number(item.version),
  };
}

function toCertificate(item: Item): CertificateRecord {
  return {
    certificateId: String(item.certificateId),
    certificatePem: String(item.certificatePem),
    status: item.status as CertificateRecord['status'],
    partnerId: String(item.partnerId),
    thingName: typeof item.thingName === 'string' ? item.thingName : null,
    isClaim: item.isClaim === true,
    notAfter: String(item.notAfter),
    createdAt: String(item.createdAt),
    updatedAt: String(item.updatedAt),
  };
}

/**
 * A cursor comes back from a client, so it is input like any other: it must be
 * exactly a page key of this partner's things partition, with a table key that
 * belongs to its index key. Anything else is VALIDATION_FAILED; it never reaches
 * DynamoDB, so it can neither crash the query nor start it in another partition.
 */
function decodeCursor(cursor: string, partition: string): ThingPageKey {
  const invalid = invalidCursor;
  const fields = decodeCursorFields(cursor);
  const names = Object.keys(fields).sort();
  if (names.join(',') !== 'gsi1pk,gsi1sk,pk,sk') throw invalid();
  const { pk, sk, gsi1pk, gsi1sk } = fields;
  if (typeof gsi1sk !== 'string' || gsi1pk !== partition) throw invalid();
  const expected = thingKey(gsi1sk);
  if (pk !== expected.pk || sk !== expected.sk) throw invalid();
  return { pk, sk, gsi1pk, gsi1sk };
}
