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
  certificates: GatewayCertificate[];
  lastConnectedAt: string | null;
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
