import { isIP } from 'node:net';
import { PkiError } from './pki-error.js';

/** Subject CN of the root; shown by openssl, browsers and `zw-server` logs. */
export const CA_COMMON_NAME = 'Zählwerk local IoT CA';

/**
 * OU that marks a claim certificate. The CA writes every subject itself and
 * ignores what a CSR asks for, so no gateway can obtain a certificate with this
 * OU; the CN `claim-…` alone would not do, since a thing could be named so.
 * ASCII, so that it reads the same in IoT policy variables
 * (`iot:Certificate.Subject.OrganizationalUnit`) and in openssl output.
 */
export const CLAIM_ORGANIZATIONAL_UNIT = 'zw-provisioning-claim';

/**
 * OU that marks a monitor certificate: the cloud-side observer of the
 * emulator (the live conformance checker). Like the claim OU, only the CA
 * writes it. A monitor may watch any gateway, cut its connection and write its
 * shadow, which is what the cloud side can do on IoT Core too.
 */
export const MONITOR_ORGANIZATIONAL_UNIT = 'zw-emulator-monitor';

/** Every monitor's client id and CN start so; the monitor policy allows nothing else. */
export const MONITOR_CLIENT_ID_PREFIX = 'zw-monitor-';

/**
 * OU that marks an ingest worker certificate: the cloud side reading the
 * gateways' batches from the ingest rule's republish topics over a shared
 * subscription. Like the monitor OU, only the CA writes it.
 */
export const INGEST_WORKER_ORGANIZATIONAL_UNIT = 'zw-emulator-ingest-worker';

/** Every ingest worker's CN starts so; its client ids are the CN or `<CN>-<n>`. */
export const INGEST_WORKER_CLIENT_ID_PREFIX = 'zw-ingest-';

/**
 * IoT Core's thing-name charset, capped at 64 characters: the thing name is
 * the certificate's CN, and X.520 bounds a CN at 64 (ub-common-name), which
 * openssl enforces when it builds names. Contract clause C1 asks for ≤ 64 too.
 */
const THING_NAME = /^[A-Za-z0-9:_-]{1,64}$/;

/** `claim-` + partner id must still fit the 64-character CN bound. */
const PARTNER_ID = /^[A-Za-z0-9_-]{1,58}$/;

/** A DNS name as TLS clients match it: LDH labels, optionally a leading `*.` wildcard. */
const DNS_NAME =
  /^(\*\.)?([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

export function assertThingName(thingName: string): void {
  if (!THING_NAME.test(thingName)) {
    throw new PkiError(
      'THING_NAME_INVALID',
      `Thing name "${thingName}" must be 1 to 64 characters of A-Z a-z 0-9 : _ -.`,
    );
  }
}

export function claimCommonName(partnerId: string): string {
  if (!PARTNER_ID.test(partnerId)) {
    throw new PkiError(
      'PARTNER_ID_INVALID',
      `Partner id "${partnerId}" must be 1 to 58 characters of A-Z a-z 0-9 _ -.`,
    );
  }
  return `claim-${partnerId}`;
}

export function monitorCommonName(name: string): string {
  if (!/^[A-Za-z0-9_-]{1,52}$/.test(name)) {
    throw new PkiError(
      'MONITOR_NAME_INVALID',
      `Monitor name "${name}" must be 1 to 52 characters of A-Z a-z 0-9 _ -.`,
    );
  }
  return `${MONITOR_CLIENT_ID_PREFIX}${name}`;
}

/** Leaves room within the 64-character CN for the prefix, and in client ids for `-<n>`. */
export function ingestWorkerCommonName(name: string): string {
  if (!/^[A-Za-z0-9_-]{1,48}$/.test(name)) {
    throw new PkiError(
      'INGEST_WORKER_NAME_INVALID',
      `Ingest worker name "${name}" must be 1 to 48 characters of A-Z a-z 0-9 _ -.`,
    );
  }
  return `${INGEST_WORKER_CLIENT_ID_PREFIX}${name}`;
}

/** Sorts host names into the SAN entry types TLS clients compare them against. */
export function subjectAltNames(
  hostnames: readonly string[],
): { type: 'dns' | 'ip'; value: string }[] {
  if (hostnames.length === 0) {
    throw new PkiError('HOSTNAME_INVALID', 'A server certificate needs at least one host name.');
  }
  return hostnames.map((value) => {
    if (isIP(value) !== 0) return { type: 'ip', value };
    if (value.length <= 253 && DNS_NAME.test(value)) return { type: 'dns', value };
    throw new PkiError('HOSTNAME_INVALID', `"${value}" is neither an IP address nor a DNS name.`);
  });
}
