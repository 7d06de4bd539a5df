import { DomainError } from '../domain/errors.js';
import type { CertificateStatus } from '../domain/ports.js';
import type { CertificateRecord, IotRegistry, Page, ThingRecord } from './iot-registry.js';
import {
  assertKeyParts,
  decodeCursorFields,
  encodeCursor,
  invalidCursor,
  newThingRecord,
  resolvePageLimit,
} from './registry-rules.js';

/**
 * The registry in memory, for tests and for the local broker while the table is
 * not wired. It mirrors the DynamoDB adapter rule for rule (the contract suite in
 * test/ports runs against both), so a fake that passes cannot hide a bug the real
 * store would show.
 */
export function createMemoryIotRegistry(options: { now?: () => Date } = {}): IotRegistry {
  const now = options.now ?? (() => new Date());
  const things = new Map<string, ThingRecord>();
  const certificates = new Map<string, CertificateRecord>();

  return {
    async createThing(input) {
      const thing = newThingRecord(input);
      if (things.has(input.thingName)) {
        throw new DomainError('CONFLICT', `thing ${input.thingName} already exists`);
      }
      things.set(thing.thingName, thing);
      return { ...thing };
    },

    async getThing(thingName) {
      const thing = things.get(thingName);
      return thing ? { ...thing } : null;
    },

    async listThings(partnerId, listOptions = {}) {
      const limit = resolvePageLimit(listOptions.limit);
      const after =
        listOptions.cursor === undefined ? null : decodeCursor(listOptions.cursor, partnerId);
      const matching = [...things.values()]
        .filter(
          (t) =>
            t.partnerId === partnerId &&
            (listOptions.organisationId === undefined ||
              t.organisationId === listOptions.organisationId) &&
            (after === null || t.thingName > after),
        )
        // Code-unit order, which is DynamoDB's byte order for the ASCII names IoT Core allows.
        .sort((a, b) => (a.thingName < b.thingName ? -1 : a.thingName > b.thingName ? 1 : 0));
      const items = matching.slice(0, limit).map((t) => ({ ...t }));
      const last = items.at(-1);
      return {
        items,
        cursor:
          matching.length > limit && last
            ? encodeCursor({ p: partnerId, a: last.thingName })
            : null,
      } satisfies Page<ThingRecord>;
    },

    async recordConnection(thingName, at) {
      const thing = things.get(thingName);
      if (!thing) throw new DomainError('NOT_FOUND', `thing ${thingName} does not exist`);
      // Only forward: two CONNECTs racing must leave the later time, not the last writer's.
      if (thing.lastConnectedAt !== null && thing.lastConnectedAt >= at) return;
      things.set(thingName, { ...thing, lastConnectedAt: at, version: thing.version + 1 });
    },

    async createCertificate(input) {
      assertKeyParts({ certificateId: input.certificateId, partnerId: input.partnerId });
      if (input.thingName !== null) assertKeyParts({ thingName: input.thingName });
      if (certificates.has(input.certificateId)) {
        throw new DomainError('CONFLICT', `certificate ${input.certificateId} already exists`);
      }
      const cert: CertificateRecord = { ...input, updatedAt: input.createdAt };
      certificates.set(cert.certificateId, cert);
      return { ...cert };
    },

    async getCertificate(certificateId) {
      const cert = certificates.get(certificateId);
      return cert ? { ...cert } : null;
    },

    async listCertificates(thingName) {
      const thing = things.get(thingName);
      // Only the thing owner's certificates: a certificate of another partner that
      // names this thing must not surface in this partner's list.
      if (!thing) return [];
      return [...certificates.values()]
        .filter((c) => c.thingName === thingName && c.partnerId === thing.partnerId)
        .sort((a, b) => compareNewestFirst(a, b))
        .map((c) => ({ ...c }));
    },

    async setCertificateStatus(certificateId, status: CertificateStatus) {
      const cert = certificates.get(certificateId);
      if (!cert) {
        throw new DomainError('NOT_FOUND', `certificate ${certificateId} does not exist`);
      }
      if (cert.status === 'REVOKED') {
        // Revoking again is a retry, not a change; anything else would undo a revocation.
        if (status === 'REVOKED') return { ...cert };
        throw new DomainError('CONFLICT', `certificate ${certificateId} is revoked`);
      }
      const updated: CertificateRecord = { ...cert, status, updatedAt: now().toISOString() };
      certificates.set(certificateId, updated);
      return { ...updated };
    },
  };
}

function compareNewestFirst(a: CertificateRecord, b: CertificateRecord): number {
  const ka = `${a.createdAt}#${a.certificateId}`;
  const kb = `${b.createdAt}#${b.certificateId}`;
  return ka < kb ? 1 : ka > kb ? -1 : 0;
}

function decodeCursor(cursor: string, partnerId: string): string {
  const { p, a } = decodeCursorFields(cursor);
  if (p !== partnerId || typeof a !== 'string') throw invalidCursor();
  return a;
}
