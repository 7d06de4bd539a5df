/**
 * Ports: what the domain and the HTTP layer need from the outside world.
 * Adapters (DynamoDB, IoT Core, key wrapping) implement them; app.ts wires them.
 */

export type StorageCheck =
  | { status: 'ok'; table: string; tableStatus: string }
  | { status: 'unavailable'; table: string; reason: string };

/** Tells whether the platform's one table can be reached right now. */
export interface StorageHealth {
  check(signal?: AbortSignal): Promise<StorageCheck>;
}

/** Status of a gateway's X.509 certificate, as AWS IoT Core names them. */
export type CertificateStatus = 'ACTIVE' | 'INACTIVE' | 'REVOKED';

export interface GatewayCertificate {
  certificateId: string;
  certificatePem: string;
  status: CertificateStatus;
  notAfter: string;
}

export interface GatewayThing {
  /** Thing name = MQTT client id = gateway serial. */
  thingName: string;
  partnerId: string;
  organisationId: string;
  /** Newest first. */
  certificates: GatewayCertificate[];
  /**
   * When the broker last accepted a connection of the gateway; null when it never
   * has, and always null on AWS, which keeps no such field in its registry.
   */
  lastConnectedAt: string | null;
}

export interface ListGatewaysOptions {
  /** Only this organisation's gateways (of the partner). */
  organisationId?: string;
  /** 1 to 100; 50 when absent. */
  limit?: number;
  /** From the previous page; valid only with the same partner and organisation. */
  cursor?: string;
}

export interface GatewayPage {
  items: GatewayThing[];
  /** Opaque; absent on the last page. The page it leads to may be empty. */
  cursor?: string;
}

/** A batch of telegrams published by a gateway, with the identity the broker verified. */
export interface TelegramBatchDelivery {
  /** From the client certificate of the connection, never from the payload. */
  thingName: string;
  topic: string;
  payload: Uint8Array;
  receivedAt: string;
}

/**
 * IoT Core as the rest of the server sees it: the local emulator and the AWS
 * adapter both implement it (packages/server/src/iot).
 */
export interface IotCore {
  registerGateway(input: {
    thingName: string;
    partnerId: string;
    organisationId: string;
    csrPem: string;
  }): Promise<GatewayThing>;
  /**
   * A gateway with its certificates (any status) and last connection; null for a
   * name that is no gateway. It does not check the caller's tenancy: the caller
   * compares `partnerId` (and `organisationId`) with the caller's own.
   */
  getGateway(thingName: string): Promise<GatewayThing | null>;
  /** One partner's gateways (nobody else's, whatever the cursor says), by thing name. */
  listGateways(partnerId: string, options?: ListGatewaysOptions): Promise<GatewayPage>;
  /**
   * Signs a new CSR for a registered gateway and attaches the certificate to the
   * same thing, ACTIVE, next to the ones it has. The flow:
   *
   * 1. the gateway makes a new key and CSR (CN = thing name, as at registration);
   * 2. `rotateCertificate` answers the new certificate, which goes to the gateway;
   * 3. the gateway reconnects with it; the old one still works meanwhile, so a
   *    gateway that fails to switch over is not cut off;
   * 4. the operator sets the old certificate INACTIVE or REVOKED with
   *    `setCertificateStatus`, which also closes connections still using it.
   *
   * A gateway may hold at most two ACTIVE certificates (old and new during one
   * rotation): a third is CONFLICT, because it means an earlier rotation was
   * never finished, and every extra active key is one more that can act as the
   * gateway. The check is made before the write, so two rotations of one
   * gateway racing each other can both pass it.
   *
   * Unknown gateway: NOT_FOUND. A gateway whose certificates are all REVOKED is
   * retired: CONFLICT, so that a rotation, which may run unattended, cannot bring
   * it back. To replace a lost or stolen key, set the old certificate INACTIVE
   * (the gateway is cut off at once), rotate, then revoke the old one.
   *
   * Not idempotent: after a lost answer, a retry adds another certificate or is
   * refused with CONFLICT; `getGateway` tells which certificates exist.
   */
  rotateCertificate(thingName: string, csrPem: string): Promise<GatewayCertificate>;
  setCertificateStatus(certificateId: string, status: CertificateStatus): Promise<void>;
  getShadow(thingName: string, shadowName?: string): Promise<Record<string, unknown> | null>;
  updateDesired(
    thingName: string,
    desired: Record<string, unknown>,
    shadowName?: string,
  ): Promise<Record<string, unknown>>;
  /**
   * At least once, end to end: the emulator withholds the PUBACK until the handler's
   * promise resolves, so the gateway publishes again; on AWS the topic rule's HTTPS
   * call is answered only after it, and gateways replay what was not acknowledged.
   * Handlers must therefore be idempotent.
   */
  onTelegramBatch(handler: (batch: TelegramBatchDelivery) => Promise<void>): () => void;
  /**
   * Publishes to a device's topic as the cloud does (the contract's error
   * responses, clause 13): QoS 1, never retained. The device needs iot:Receive.
   */
  publish(topic: string, payload: string): Promise<void>;
}
