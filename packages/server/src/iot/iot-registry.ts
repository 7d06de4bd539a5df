import type { CertificateStatus } from '../domain/ports.js';

/** A gateway as IoT Core's registry knows it: a thing with its owner. */
export interface ThingRecord {
  /** Thing name = MQTT client id = gateway serial; unique in the whole deployment, as in IoT Core. */
  thingName: string;
  partnerId: string;
  organisationId: string;
  createdAt: string;
  /** Set by the broker on each accepted connection. */
  lastConnectedAt: string | null;
  /** Optimistic version for conditional updates. */
  version: number;
}

export interface CertificateRecord {
  /** SHA-256 fingerprint of the DER, lower-case hex (how IoT Core names certificates). */
  certificateId: string;
  certificatePem: string;
  status: CertificateStatus;
  partnerId: string;
  /** The thing this certificate is attached to; null for claim certificates and unattached ones. */
  thingName: string | null;
  /** A fleet-provisioning claim certificate of the partner: may do nothing but provision. */
  isClaim: boolean;
  notAfter: string;
  createdAt: string;
  updatedAt: string;
}

export interface Page<T> {
  items: T[];
  /** Opaque; pass back to get the next page. Null on the last page. */
  cursor: string | null;
}

/**
 * The emulator's registry of things and certificates (what IoT Core keeps for
 * AWS deployments). The broker asks it at every CONNECT; the operator API
 * registers, lists, revokes and rotates through it. Implemented over DynamoDB
 * (store/) and in memory (tests); one contract test suite runs against both.
 */
export interface IotRegistry {
  /** Creates the thing; a thing of that name already there is CONFLICT (DomainError). */
  createThing(thing: Omit<ThingRecord, 'version' | 'lastConnectedAt'>): Promise<ThingRecord>;
  getThing(thingName: string): Promise<ThingRecord | null>;
  /** A partner's things, optionally of one organisation, by thing name. */
  listThings(
    partnerId: string,
    options?: { organisationId?: string; limit?: number; cursor?: string },
  ): Promise<Page<ThingRecord>>;
  recordConnection(thingName: string, at: string): Promise<void>;

  /** Stores a new certificate; the same id twice is CONFLICT. */
  createCertificate(cert: Omit<CertificateRecord, 'updatedAt'>): Promise<CertificateRecord>;
  getCertificate(certificateId: string): Promise<CertificateRecord | null>;
  /** The certificates attached to a thing, newest first. */
  listCertificates(thingName: string): Promise<CertificateRecord[]>;
  /** REVOKED is final: changing a revoked certificate is CONFLICT. */
  setCertificateStatus(
    certificateId: string,
    status: CertificateStatus,
  ): Promise<CertificateRecord>;
}
