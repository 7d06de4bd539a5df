import { X509Certificate } from 'node:crypto';
import {
  createProvisioningService,
  PROVISIONING_TOPIC_PREFIXES,
  routeServiceMessages,
  type ProvisioningServiceOptions,
  type ServiceRoute,
} from './provisioning/index.js';
import { INGEST_RULE, isValidThingName, parseTopic } from '@zaehlwerk/firmware-contract';
import { DomainError, isDomainError } from '../../domain/errors.js';
import type {
  CertificateStatus,
  GatewayCertificate,
  GatewayThing,
  IotCore,
  TelegramBatchDelivery,
} from '../../domain/ports.js';
import { ingestRepublishTopic } from '../ingest-republish.js';
import type { CertificateRecord, IotRegistry, ThingRecord } from '../iot-registry.js';
import { mapLimited } from '../map-limited.js';
import { assertRotationAllowed } from '../rotation-rules.js';
import {
  startLocalBroker,
  type LocalBroker,
  type LocalBrokerOptions,
  type RuleMessage,
  type ServiceMessage,
} from './broker/index.js';
import { isPkiError, type CertificateAuthority, type SignedCertificate } from './pki/index.js';
import type { JsonObject, ShadowService } from './shadow/index.js';

type BatchHandler = (batch: TelegramBatchDelivery) => Promise<void>;

/**
 * What the adapter needs of the emulator's Device Shadow service
 * (`createShadowService` in ./shadow): the server-side reads and writes.
 */
export interface LocalShadows {
  getShadow(thingName: string, shadowName?: string): Promise<Record<string, unknown> | null>;
  updateDesired(
    thingName: string,
    desired: Record<string, unknown>,
    shadowName?: string,
  ): Promise<Record<string, unknown>>;
}

export interface LocalIotCoreOptions {
  registry: IotRegistry;
  ca: Pick<CertificateAuthority, 'signGatewayCsr'>;
  /** What the adapter needs of the broker: who is connected, and cutting a connection. */
  broker: Pick<LocalBroker, 'connections' | 'closeConnection' | 'publish'>;
  /** The Device Shadow service; without it the shadow calls answer SERVICE_UNAVAILABLE. */
  shadows?: LocalShadows;
  /** Clock for the registry's `createdAt`. */
  now?: () => Date;
}

/** The IoT Core port over the emulator, plus the entry the broker's Basic Ingest calls. */
export interface LocalIotCore extends IotCore {
  /**
   * The broker's `onRuleMessage`: hands a `zw_ingest` batch to every handler and
   * resolves when all of them have it, so the broker's PUBACK follows the ingest.
   */
  handleRuleMessage(message: RuleMessage): Promise<void>;
}

/** How many gateways' certificates a list reads at once. */
const CERTIFICATE_READS_IN_FLIGHT = 8;

/** PKI codes that describe the caller's CSR or names; the rest are the CA's own trouble. */
const CALLER_PKI_CODES = new Set([
  'CSR_INVALID',
  'CSR_SIGNATURE_INVALID',
  'KEY_TOO_WEAK',
  'KEY_UNSUPPORTED',
  'CN_MISMATCH',
  'THING_NAME_INVALID',
  'PARTNER_ID_INVALID',
  'VALIDITY_INVALID',
]);

/**
 * The IoT Core port over the local emulator: the local CA signs, the registry
 * remembers, the broker enforces. The broker takes its rule handler when it is
 * started, so wire the two with `startLocalIotCore`, or pass `handleRuleMessage`
 * to `startLocalBroker` yourself.
 *
 * @example
 * const { iot, broker } = await startLocalIotCore({ registry, ca, port: 0 });
 * const stop = iot.onTelegramBatch(async (batch) => ingest(batch));
 */
export function createLocalIotCore(options: LocalIotCoreOptions): LocalIotCore {
  const { registry, ca, broker, shadows } = options;
  const now = options.now ?? (() => new Date());
  // One entry per subscription, so the same function subscribed twice is two subscriptions.
  const handlers = new Set<{ handler: BatchHandler }>();

  async function sign(csrPem: string, thingName: string): Promise<SignedCertificate> {
    try {
      return await ca.signGatewayCsr(csrPem, { thingName });
    } catch (err) {
      if (!isPkiError(err)) throw err;
      // The CA's code rides along in details, so callers can say exactly what was wrong.
      const code = CALLER_PKI_CODES.has(err.code) ? 'VALIDATION_FAILED' : 'INTERNAL_ERROR';
      throw new DomainError(code, err.message, { cause: err, details: { pkiCode: err.code } });
    }
  }

  /**
   * A thing of this name exists already. It is ours to complete when it is the
   * remains of a registration whose certificate write failed (same owner, no
   * certificate at all: it can never have connected), or the answer to a retry
   * of a registration that did succeed (same owner, an ACTIVE certificate for the
   * same key). Anything else is someone's gateway: CONFLICT, and nothing written.
   */
  async function resolveExisting(
    input: { thingName: string; partnerId: string; organisationId: string },
    signed: SignedCertificate,
    conflict: DomainError,
  ): Promise<{ resume: ThingRecord } | { done: GatewayThing }> {
    const thing = await registry.getThing(input.thingName);
    if (
      thing === null ||
      thing.partnerId !== input.partnerId ||
      thing.organisationId !== input.organisationId
    ) {
      throw conflict;
    }
    const certificates = await registry.listCertificates(input.thingName);
    if (certificates.length === 0) return { resume: thing };
    const key = publicKeyOf(signed.certificatePem);
    const same = certificates.find(
      (c) => !c.isClaim && c.status === 'ACTIVE' && publicKeyOf(c.certificatePem).equals(key),
    );
    if (same === undefined) throw conflict;
    // The certificate signed for this retry is dropped: never registered, the broker refuses it.
    return { done: toGatewayThing(thing, certificates) };
  }

  return {
    /**
     * Signs first (a CSR the CA refuses leaves no trace), then writes the thing,
     * then its ACTIVE certificate. The registry cannot delete a thing, so a
     * failed certificate write cannot be compensated; instead the order makes a
     * retry safe: the thing left behind has no certificate, so nothing can
     * connect as it, and registering it again with the same owner completes it.
     */
    async registerGateway(input) {
      const { thingName, partnerId, organisationId, csrPem } = input;
      if (!isValidThingName(thingName)) {
        throw new DomainError('VALIDATION_FAILED', `invalid thing name '${thingName}'`);
      }
      const signed = await sign(csrPem, thingName);
      const createdAt = now().toISOString();

      let thing: ThingRecord;
      try {
        thing = await registry.createThing({ thingName, partnerId, organisationId, createdAt });
      } catch (err) {
        if (!isDomainError(err) || err.code !== 'CONFLICT') throw err;
        const conflict = new DomainError('CONFLICT', `thing '${thingName}' is already registered`, {
          cause: err,
        });
        const existing = await resolveExisting(input, signed, conflict);
        if ('done' in existing) return existing.done;
        thing = existing.resume;
      }

      let certificate: CertificateRecord;
      try {
        certificate = await registry.createCertificate({
          certificateId: signed.certificateId,
          certificatePem: signed.certificatePem,
          status: 'ACTIVE',
          partnerId,
          thingName,
          isClaim: false,
          notAfter: signed.notAfter,
          createdAt,
        });
      } catch (err) {
        if (isDomainError(err)) throw err;
        throw new DomainError(
          'SERVICE_UNAVAILABLE',
          `storing the certificate of '${thingName}' failed; registering it again completes it`,
          { cause: err },
        );
      }
      return toGatewayThing(thing, [certificate]);
    },

    async getGateway(thingName) {
      const thing = await registry.getThing(thingName);
      if (thing === null) return null;
      return toGatewayThing(thing, await registry.listCertificates(thingName));
    },

    /**
     * The registry pages the things (its cursor is passed through unchanged);
     * each thing's certificates are one more read, a few at a time.
     */
    async listGateways(partnerId, listOptions = {}) {
      // As the AWS adapter answers, where an empty value would not filter at all.
      if (partnerId === '' || listOptions.organisationId === '') {
        throw new DomainError(
          'VALIDATION_FAILED',
          'partnerId and organisationId must be non-empty',
        );
      }
      const page = await registry.listThings(partnerId, {
        ...(listOptions.organisationId === undefined
          ? {}
          : { organisationId: listOptions.organisationId }),
        ...(listOptions.limit === undefined ? {} : { limit: listOptions.limit }),
        ...(listOptions.cursor === undefined ? {} : { cursor: listOptions.cursor }),
      });
      const items = await mapLimited(page.items, CERTIFICATE_READS_IN_FLIGHT, async (thing) =>
        toGatewayThing(thing, await registry.listCertificates(thing.thingName)),
      );
      return page.cursor === null ? { items } : { items, cursor: page.cursor };
    },

    /**
     * Checks, then signs (the CA checks the CSR's CN against the thing, as at
     * registration), then writes. A failed write leaves nothing: the signed
     * certificate was never registered, so the broker refuses it.
     */
    async rotateCertificate(thingName, csrPem) {
      const thing = await registry.getThing(thingName);
      if (thing === null) {
        throw new DomainError('NOT_FOUND', `gateway '${thingName}' is not registered`);
      }
      const existing = await registry.listCertificates(thingName);
      assertRotationAllowed(
        thingName,
        existing.filter((c) => !c.isClaim).map((c) => c.status),
      );
      const signed = await sign(csrPem, thingName);
      let certificate: CertificateRecord;
      try {
        certificate = await registry.createCertificate({
          certificateId: signed.certificateId,
          certificatePem: signed.certificatePem,
          status: 'ACTIVE',
          partnerId: thing.partnerId,
          thingName,
          isClaim: false,
          notAfter: signed.notAfter,
          createdAt: now().toISOString(),
        });
      } catch (err) {
        if (isDomainError(err)) throw err;
        throw new DomainError(
          'SERVICE_UNAVAILABLE',
          `storing the new certificate of '${thingName}' failed; nothing was changed`,
          { cause: err },
        );
      }
      return toGatewayCertificate(certificate);
    },

    /**
     * The registry first, so that a reconnect is refused from then on; then the
     * broker cuts the connections that use this certificate, as IoT Core does
     * after a revocation (the broker's periodic re-check would as well, later;
     * this makes it immediate in this process). A thing connected with another
     * of its certificates (during a rotation) stays connected.
     */
    async setCertificateStatus(certificateId: string, status: CertificateStatus) {
      await registry.setCertificateStatus(certificateId, status);
      if (status === 'ACTIVE') return;
      const holders = broker
        .connections()
        .flatMap((c) => (c.certificateId === certificateId && c.thingName !== null ? [c] : []));
      await Promise.all(
        holders.map((c) => broker.closeConnection(c.thingName as string, 'AUTH_ERROR')),
      );
    },

    // Without a shadow service, say so rather than pretend there is no shadow.
    async getShadow(thingName, shadowName) {
      if (shadows === undefined) throw shadowUnavailable();
      return shadows.getShadow(thingName, shadowName);
    },

    async updateDesired(thingName, desired, shadowName) {
      if (shadows === undefined) throw shadowUnavailable();
      return shadows.updateDesired(thingName, desired, shadowName);
    },

    onTelegramBatch(handler) {
      const entry = { handler };
      handlers.add(entry);
      return () => {
        handlers.delete(entry);
      };
    },

    publish(topic, payload) {
      return broker.publish(topic, payload, { qos: 1 });
    },

    async handleRuleMessage(message) {
      // Another rule does not exist here, and the ingest rule only selects the
      // telegram topics (its FROM clause): IoT Core acknowledges and drops the rest.
      if (message.rule !== INGEST_RULE) return;
      if (parseTopic(message.topic)?.kind !== 'telegrams') return;
      if (handlers.size === 0) {
        // Throwing keeps the PUBACK back, so the gateway sends the batch again later
        // rather than the batch being acknowledged into nowhere.
        throw new DomainError('SERVICE_UNAVAILABLE', 'no telegram batch handler is registered');
      }
      const delivery: TelegramBatchDelivery = {
        thingName: message.thingName,
        topic: message.topic,
        payload: message.payload,
        receivedAt: message.receivedAt,
      };
      await Promise.all([...handlers].map(({ handler }) => handler(delivery)));
    },
  };
}

/** The shadow service as the broker feeds it: device requests in, responses out through `publish`. */
export type LocalShadowService = LocalShadows & {
  handleMessage(message: ServiceMessage): Promise<void>;
};

/** The emulator's shadow service in the shape `startLocalIotCore({ shadows })` takes. */
export function fromShadowService(service: ShadowService): LocalShadowService {
  return {
    handleMessage: (message) => service.handleMessage(message),
    getShadow: (thingName, shadowName) => service.getShadow(thingName, shadowName),
    // The port takes any object; the service reads it back through the device
    // request parser (a JSON round trip), which refuses what is not JSON.
    updateDesired: (thingName, desired, shadowName) =>
      service.updateDesired(thingName, desired as JsonObject, shadowName),
  };
}

/**
 * What the `zw_ingest` rule does with a gateway's batch. `in-process`: hands
 * it to `onTelegramBatch`'s handlers in this process. `republish`: publishes
 * it, payload unchanged, to `zw/v1/ingest/<thing>/telegrams` (QoS 1) for
 * ingest workers sharing a subscription (src/ingest/mqtt-worker.ts).
 */
export type IngestRuleAction = 'in-process' | 'republish';

/**
 * How long a republished batch may wait for a worker's PUBACK. Below the 90 s
 * after which a gateway with the contract's 60 s keep-alive is cut off.
 */
export const DEFAULT_REPUBLISH_TIMEOUT_MS = 30_000;

export type StartLocalIotCoreOptions = Omit<
  LocalBrokerOptions,
  'onRuleMessage' | 'onServiceMessage'
> & {
  ca: LocalIotCoreOptions['ca'];
  /** Default `in-process`. */
  ruleAction?: IngestRuleAction;
  /**
   * `republish` only: how long the gateway's PUBACK waits for an ingest
   * worker's; after it the gateway's connection is closed without PUBACK and
   * the gateway sends the batch again. Default DEFAULT_REPUBLISH_TIMEOUT_MS.
   */
  republishTimeoutMs?: number;
  /** Builds the Device Shadow service over the broker's publish; no shadows without it. */
  shadows?: (publish: LocalBroker['publish']) => LocalShadowService;
  /** Fleet-provisioning templates by name; every provisioning request is refused without one. */
  provisioningTemplates?: ProvisioningServiceOptions['templates'];
};

/**
 * Starts the broker with the adapter as its Basic Ingest rule and the shadow
 * service behind `$aws/things/...`. The broker needs both handlers before the
 * adapter and the service can exist (they need the broker), so the handlers
 * are bound once all are there; a batch arriving in between is refused without
 * PUBACK and sent again by the gateway.
 */
export async function startLocalIotCore(
  options: StartLocalIotCoreOptions,
): Promise<{ iot: LocalIotCore; broker: LocalBroker }> {
  const {
    shadows: makeShadows,
    provisioningTemplates,
    ruleAction = 'in-process',
    republishTimeoutMs = DEFAULT_REPUBLISH_TIMEOUT_MS,
    ...brokerOptions
  } = options;
  let handleRuleMessage: LocalIotCore['handleRuleMessage'] = async () => {
    throw new DomainError('SERVICE_UNAVAILABLE', 'IoT Core is starting');
  };
  let handleServiceMessage: LocalShadowService['handleMessage'] = async () => {
    throw new DomainError('SERVICE_UNAVAILABLE', 'IoT Core is starting');
  };
  const broker = await startLocalBroker({
    ...brokerOptions,
    onRuleMessage: (message) => handleRuleMessage(message),
    onServiceMessage: (message: ServiceMessage) => handleServiceMessage(message),
  });
  const shadows = makeShadows?.((topic, payload, publishOptions) =>
    broker.publish(topic, payload, publishOptions),
  );
  // Claims get answers on the provisioning topics even without templates: "not found".
  const provisioning = createProvisioningService({
    registry: options.registry,
    ca: options.ca,
    publish: (topic, payload) => broker.publish(topic, payload, { qos: 1 }),
    templates: provisioningTemplates ?? {},
    ...(options.now === undefined ? {} : { now: options.now }),
  });
  const iot = createLocalIotCore({
    registry: options.registry,
    ca: options.ca,
    broker,
    ...(shadows === undefined ? {} : { shadows }),
    ...(options.now === undefined ? {} : { now: options.now }),
  });
  handleRuleMessage =
    ruleAction === 'in-process'
      ? iot.handleRuleMessage
      : (message) => republishBatch(broker, message, republishTimeoutMs);
  const routes: ServiceRoute<ServiceMessage>[] = [
    { prefixes: PROVISIONING_TOPIC_PREFIXES, handle: (m) => provisioning.handleMessage(m) },
  ];
  if (shadows !== undefined) {
    routes.push({ prefixes: ['$aws/things/'], handle: (m) => shadows.handleMessage(m) });
  }
  handleServiceMessage = routeServiceMessages(routes);
  return { iot, broker };
}

/**
 * The rule's republish action as the emulator runs it. AWS acknowledges a
 * Basic Ingest publish once the rules engine has it and then republishes
 * durably. The emulator's broker keeps its sessions in memory, so a broker
 * restart would lose a batch it had acknowledged; instead the gateway's PUBACK
 * waits until an ingest worker has acknowledged the republished copy (after
 * storing it), end to end. Whatever goes wrong in between, the gateway still
 * holds the batch and sends it again.
 */
async function republishBatch(
  broker: LocalBroker,
  message: RuleMessage,
  timeoutMs: number,
): Promise<void> {
  if (message.rule !== INGEST_RULE) return;
  // As the rule's FROM clause: only telegram batches; topic(4) is the policy-pinned thing.
  const source = parseTopic(message.topic);
  if (source?.kind !== 'telegrams') return;
  await broker.publish(ingestRepublishTopic(source.thingName), message.payload, {
    untilAcknowledged: { timeoutMs },
  });
}

function shadowUnavailable(): DomainError {
  return new DomainError('SERVICE_UNAVAILABLE', 'device shadow not available');
}

function publicKeyOf(certificatePem: string): Buffer {
  return new X509Certificate(certificatePem).publicKey.export({ type: 'spki', format: 'der' });
}

function toGatewayThing(thing: ThingRecord, certificates: CertificateRecord[]): GatewayThing {
  return {
    thingName: thing.thingName,
    partnerId: thing.partnerId,
    organisationId: thing.organisationId,
    // A claim certificate is never a gateway's, whatever thing a record names.
    certificates: certificates.filter((c) => !c.isClaim).map(toGatewayCertificate),
    lastConnectedAt: thing.lastConnectedAt,
  };
}

function toGatewayCertificate(certificate: CertificateRecord): GatewayCertificate {
  return {
    certificateId: certificate.certificateId,
    certificatePem: certificate.certificatePem,
    status: certificate.status,
    notAfter: certificate.notAfter,
  };
}
