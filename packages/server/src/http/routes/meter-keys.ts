import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyBaseLogger } from 'fastify';
import { Type } from 'typebox';
import type { Actor, AuditLog } from '../../domain/audit.js';
import { everyItem } from '../../domain/tenancy/every-item.js';
import { DomainError, isDomainError } from '../../domain/errors.js';
import type { Meter } from '../../domain/tenancy/meter.js';
import type { MeterStore, PropertyStore } from '../../domain/tenancy/ports.js';
import { mapLimited } from '../../iot/map-limited.js';
import { parseKemFile } from '../../keys/import/kem-file.js';
import {
  parseKeyImport,
  type KeyImportEntry,
  type KeyImportReport,
} from '../../keys/import/parse-key-import.js';
import type { KeyVault } from '../../keys/key-vault.js';
import { encodeSealedKey, type SealedKey } from '../../keys/sealed-key.js';
import {
  meterKeyIdentity,
  type MeterKeyStatus,
  type MeterKeyStore,
} from '../../store/dynamodb-meter-key-store.js';
import { actorOf } from '../actor.js';
import { ErrorRef } from '../schemas/common.js';
import {
  MeterKeyImportKem,
  MeterKeyImportQuery,
  MeterKeyImportText,
  SetMeterKeyRequest,
} from '../schemas/meter-keys.js';
import { MeterParams } from '../schemas/meters.js';
import { PropertyParams } from '../schemas/properties.js';
import { meterScope, meterView } from './meters.js';
import { loadProperty, MANAGERS, notFound, partnerOf, propertyScope } from './tenancy-access.js';

export interface MeterKeyRoutesOptions {
  properties: Pick<PropertyStore, 'get'>;
  meters: Pick<MeterStore, 'get' | 'listByProperty' | 'update'>;
  meterKeys: Pick<MeterKeyStore, 'put'>;
  vault: Pick<KeyVault, 'sealMany'>;
  audit: Pick<AuditLog, 'append'>;
  /** Lines stored at the same time; 8 when absent. */
  concurrency?: number;
}

/** A key file of 100 000 lines (the parser's limit) at about 80 bytes a line. */
const IMPORT_BODY_LIMIT = 10 * 1024 * 1024;
/** Meter ids named in one import's audit entry; the meters' own entries name every one. */
const AUDITED_METER_IDS = 1000;

type ReportLine = {
  line: number;
  status: 'accepted' | 'rejected';
  reason?: string;
  meter?: ReturnType<typeof importedMeter>;
  replacedKey?: boolean;
};

function importedMeter(meter: Meter) {
  return {
    id: meter.id,
    ...(meter.unitId === undefined ? {} : { unitId: meter.unitId }),
    manufacturer: meter.manufacturer,
    meterId: meter.meterId,
    deviceVersion: meter.deviceVersion,
    deviceType: meter.deviceType,
  };
}

/**
 * The installed meter of the property an entry names. A line without
 * manufacturer, version or device type names the one meter whose id matches
 * and whose other parts do not contradict the line; two such meters make it
 * ambiguous.
 */
function matchMeter(entry: KeyImportEntry, sameId: readonly Meter[]): Meter | string {
  const candidates = sameId.filter(
    (m) =>
      (entry.manufacturer === undefined || m.manufacturer === entry.manufacturer) &&
      (entry.version === undefined || m.deviceVersion === entry.version) &&
      (entry.deviceType === undefined || m.deviceType === entry.deviceType),
  );
  if (candidates.length === 1) return candidates[0]!;
  if (candidates.length > 1) {
    return (
      `ambiguous: ${candidates.length} installed meters of the property have this meter id; ` +
      'name manufacturer, version and device type'
    );
  }
  return sameId.length > 0
    ? 'no installed meter of the property has this meter id with the manufacturer, version and device type given'
    : 'no installed meter of the property has this meter id';
}

/**
 * The report's lines before anything is stored: the parser's rejections, then
 * each accepted entry matched to a meter, a second line for the same meter
 * rejected as a duplicate.
 */
function matchLines(parsed: KeyImportReport, installed: readonly Meter[]) {
  const byMeterId = new Map<string, Meter[]>();
  for (const meter of installed) {
    byMeterId.set(meter.meterId, [...(byMeterId.get(meter.meterId) ?? []), meter]);
  }
  const lines: ReportLine[] = [];
  const matched: { index: number; entry: KeyImportEntry; meter: Meter }[] = [];
  const lineOfMeter = new Map<string, number>();
  for (const { line, status, reason, entry } of parsed.lines) {
    if (status === 'rejected' || entry === undefined) {
      lines.push({ line, status: 'rejected', reason: reason ?? '' });
      continue;
    }
    const meter = matchMeter(entry, byMeterId.get(entry.meterId) ?? []);
    if (typeof meter === 'string') {
      lines.push({ line, status: 'rejected', reason: meter });
      continue;
    }
    const first = lineOfMeter.get(meter.id);
    if (first !== undefined) {
      lines.push({ line, status: 'rejected', reason: `duplicate of line ${first} (same meter)` });
      continue;
    }
    lineOfMeter.set(meter.id, line);
    matched.push({ index: lines.length, entry, meter });
    lines.push({
      line,
      status: 'accepted',
      meter: importedMeter(meter),
      replacedKey: meter.keyRef !== undefined,
    });
  }
  return { lines, matched };
}

/** Every installed meter of the property: the import matches against all of them. */
async function installedMeters(
  meters: Pick<MeterStore, 'listByProperty'>,
  partnerId: string,
  propertyId: string,
): Promise<Meter[]> {
  const all: Meter[] = [];
  for await (const meter of everyItem((page) =>
    meters.listByProperty(partnerId, propertyId, page),
  )) {
    if (meter.removedAt === undefined) all.push(meter);
  }
  return all;
}

/** Hex as the schema admits it (pairs, optionally separated) to the 16 key bytes. */
function keyBytes(hex: string): Buffer {
  return Buffer.from(hex.replace(/[\s-]/g, ''), 'hex');
}

/** The request's key file read, whichever of the admitted bodies carried it. */
function parseImport(body: unknown): KeyImportReport {
  if (typeof body === 'string') return parseKeyImport(body);
  if (typeof body === 'object' && body !== null) {
    const fields = body as {
      text?: unknown;
      format?: unknown;
      fileBase64?: unknown;
      password?: unknown;
    };
    if (typeof fields.text === 'string') return parseKeyImport(fields.text);
    if (
      fields.format === 'kem' &&
      typeof fields.fileBase64 === 'string' &&
      typeof fields.password === 'string'
    ) {
      return parseKemFile(Buffer.from(fields.fileBase64, 'base64'), fields.password);
    }
  }
  throw new DomainError(
    'VALIDATION_FAILED',
    'send the key file as text/csv, text/plain, JSON {text} or JSON {format: "kem", fileBase64, password}',
  );
}

/** Why a line could not be stored, in words that hold no value of it. */
function storageReason(err: unknown): string {
  if (isDomainError(err) && err.code === 'CONFLICT') {
    return 'the meter or its key was changed meanwhile; import the line again';
  }
  if (isDomainError(err) && err.code === 'NOT_FOUND') return 'the meter was deleted meanwhile';
  return 'the key could not be stored; import the line again';
}

/**
 * Meter keys in, never out: an import of a key file (per-line report) and the
 * manual entry of one key. Keys are sealed by the vault before anything is
 * stored, stored as envelopes, and never returned, logged or audited; a meter
 * shows only whether it has one.
 */
const meterKeyRoutes: FastifyPluginAsyncTypebox<MeterKeyRoutesOptions> = async (app, options) => {
  const { properties, meters, meterKeys, vault, audit } = options;
  const concurrency = options.concurrency ?? 8;

  // Encapsulated: CSV is a body type of these routes only.
  app.addContentTypeParser('text/csv', { parseAs: 'string' }, (_request, body, done) =>
    done(null, body),
  );

  /**
   * Stores one sealed key and points the meter at it, or leaves nothing:
   * the key is stored under a new keyRef first, then set on the meter on
   * the version just read; when that fails, the key write is taken back.
   */
  async function storeKey(
    partnerId: string,
    meterId: string,
    sealed: SealedKey,
    actor: Actor,
    log: FastifyBaseLogger,
  ): Promise<{ meter: Meter; replaced: boolean; key: MeterKeyStatus }> {
    // Read again, consistently: the list the import matched on comes from an index.
    const meter = await meters.get(partnerId, meterId);
    if (meter === null) throw notFound(`meter ${meterId}`);
    if (meter.removedAt !== undefined) {
      throw new DomainError('CONFLICT', `meter ${meterId} is removed`);
    }
    const put = await meterKeys.put(partnerId, meter.id, {
      sealedKey: encodeSealedKey(sealed),
      masterKeyId: sealed.masterKeyId,
      meterIdentity: meterKeyIdentity(meter),
      ...(meter.keyRef === undefined ? {} : { liveKeyRef: meter.keyRef }),
    });
    try {
      const updated = await meters.update(
        partnerId,
        meter.id,
        { keyRef: put.keyRef },
        meter.version,
        actor,
      );
      return { meter: updated, replaced: meter.keyRef !== undefined, key: put };
    } catch (err) {
      // The update may be stored although it failed (its audit entry did not
      // follow, an answer was lost): the meter as stored decides.
      const after = await meters.get(partnerId, meter.id).catch(() => undefined);
      if (after?.keyRef === put.keyRef) {
        return { meter: after, replaced: meter.keyRef !== undefined, key: put };
      }
      // Unknown (storage unreachable): a key the meter does not name is harmless
      // and replaced by the next one; taking back one it does name would not be.
      if (after !== undefined) {
        await put.undo().catch((undoErr: unknown) => {
          log.warn({ meterId, error: (undoErr as Error).name }, 'meter key write not taken back');
        });
      }
      throw err;
    }
  }

  app.post(
    '/v1/properties/:propertyId/meter-keys/import',
    {
      bodyLimit: IMPORT_BODY_LIMIT,
      config: { access: { roles: MANAGERS } },
      schema: {
        operationId: 'importMeterKeys',
        tags: ['meter-keys'],
        summary: 'Import a key file for the meters of a property',
        description:
          'CSV or text (`;`, `,` or tab; with or without header, manufacturer, version and ' +
          'device type; 8-digit meter ids or 16-hex-digit secondary addresses) as text/csv, ' +
          'text/plain or JSON `{text}`. Each line is matched to an installed meter of the ' +
          'property by its identity; a line without manufacturer or version matches when ' +
          'exactly one meter has its meter id. Kamstrup KEM/KEM2 files (the `*.zip.kem(2)` ' +
          'download or its `.kem`) come as JSON `{format: "kem", fileBase64, password}`; each ' +
          'meter of the file is a line (manufacturer KAM, serial number as meter id), and a ' +
          'wrong password refuses the file with `fileRejected.code` `kem-password-wrong`. The ' +
          'password is only used to decrypt: never stored, logged, audited or returned. ' +
          'Matched keys are sealed and stored, each line ' +
          'completely or not at all, and the meter then names its key. The answer reports ' +
          'every line. Keys are never returned. `dryRun=true` stores nothing.',
        params: PropertyParams,
        querystring: MeterKeyImportQuery,
        body: {
          content: {
            'text/csv': { schema: Type.String({ maxLength: IMPORT_BODY_LIMIT }) },
            'text/plain': { schema: Type.String({ maxLength: IMPORT_BODY_LIMIT }) },
            'application/json': { schema: Type.Union([MeterKeyImportText, MeterKeyImportKem]) },
          },
        },
        response: {
          200: Type.Ref('MeterKeyImportReport'),
          400: ErrorRef,
          401: ErrorRef,
          403: ErrorRef,
          404: ErrorRef,
          413: ErrorRef,
          415: ErrorRef,
          503: ErrorRef,
        },
      },
    },
    async (request) => {
      const partnerId = partnerOf(request);
      const property = await loadProperty(properties, partnerId, request.params.propertyId);
      request.authorize(propertyScope(property));
      const dryRun = request.query.dryRun === true;
      const parsed: KeyImportReport = parseImport(request.body);
      const report = {
        dryRun,
        format: parsed.summary.format,
        ...(parsed.fileRejected === undefined ? {} : { fileRejected: parsed.fileRejected }),
      };

      const installed = parsed.fileRejected
        ? []
        : await installedMeters(meters, partnerId, property.id);
      const { lines, matched } = matchLines(parsed, installed);

      if (!dryRun && matched.length > 0) {
        const actor = actorOf(request);
        const plain = matched.map((m) => keyBytes(m.entry.key));
        let sealed: SealedKey[];
        try {
          sealed = await vault.sealMany(
            partnerId,
            matched.map((m, i) => ({
              meterKey: plain[i]!,
              meterIdentity: meterKeyIdentity(m.meter),
            })),
          );
        } finally {
          for (const bytes of plain) bytes.fill(0);
        }
        const work = matched.map((m, i) => ({ ...m, sealed: sealed[i]! }));
        await mapLimited(work, concurrency, async (m) => {
          try {
            const stored = await storeKey(partnerId, m.meter.id, m.sealed, actor, request.log);
            lines[m.index] = { ...lines[m.index]!, replacedKey: stored.replaced };
          } catch (err) {
            request.log.warn(
              { meterId: m.meter.id, error: (err as Error).name },
              'meter key line not stored',
            );
            lines[m.index] = {
              line: lines[m.index]!.line,
              status: 'rejected',
              reason: storageReason(err),
            };
          }
        });
      }

      const accepted = lines.filter((l) => l.status === 'accepted');
      if (!dryRun && !parsed.fileRejected) {
        const meterIds = accepted.map((l) => l.meter!.id);
        await audit.append({
          partnerId,
          organisationId: property.organisationId,
          actor: actorOf(request),
          action: 'meter-key.imported',
          target: { type: 'property', id: property.id },
          after: {
            format: parsed.summary.format,
            accepted: accepted.length,
            rejected: lines.length - accepted.length,
            meterIds: meterIds.slice(0, AUDITED_METER_IDS),
            ...(meterIds.length > AUDITED_METER_IDS ? { meterIdsTruncated: true } : {}),
          },
        });
      }
      return {
        ...report,
        summary: {
          accepted: accepted.length,
          rejected: lines.length - accepted.length,
          ignored: parsed.summary.ignored,
        },
        lines,
      };
    },
  );

  app.put(
    '/v1/meters/:meterId/key',
    {
      config: { access: { roles: MANAGERS } },
      schema: {
        operationId: 'setMeterKey',
        tags: ['meter-keys'],
        summary: 'Enter or replace one meter’s AES key',
        description:
          'The key is sealed and stored; the meter then says `hasKey: true`. The key is never ' +
          'returned. 409 when the meter is removed or was changed meanwhile.',
        params: MeterParams,
        body: SetMeterKeyRequest,
        response: {
          200: Type.Ref('Meter'),
          400: ErrorRef,
          401: ErrorRef,
          403: ErrorRef,
          404: ErrorRef,
          409: ErrorRef,
          503: ErrorRef,
        },
      },
    },
    async (request) => {
      const partnerId = partnerOf(request);
      const meter = await meters.get(partnerId, request.params.meterId);
      if (meter === null) throw notFound(`meter ${request.params.meterId}`);
      const grants = request.authorize(meterScope(meter));
      if (meter.removedAt !== undefined) {
        throw new DomainError('CONFLICT', `meter ${meter.id} is removed`);
      }
      const plain = keyBytes(request.body.key);
      let sealed: SealedKey;
      try {
        [sealed] = (await vault.sealMany(partnerId, [
          { meterKey: plain, meterIdentity: meterKeyIdentity(meter) },
        ])) as [SealedKey];
      } finally {
        plain.fill(0);
      }
      const actor = actorOf(request);
      const stored = await storeKey(partnerId, meter.id, sealed, actor, request.log);
      await audit.append({
        partnerId,
        organisationId: meter.organisationId,
        actor,
        action: 'meter-key.set',
        target: { type: 'meter', id: meter.id },
        after: {
          keyRef: stored.key.keyRef,
          masterKeyId: stored.key.masterKeyId,
          replaced: stored.replaced,
        },
      });
      return meterView(stored.meter, grants, stored.key);
    },
  );
};

export default meterKeyRoutes;
