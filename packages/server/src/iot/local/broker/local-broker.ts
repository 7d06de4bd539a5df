import { randomUUID } from 'node:crypto';
import type { EventEmitter } from 'node:events';
import type { AddressInfo, Socket } from 'node:net';
import { createServer, type TLSSocket } from 'node:tls';
import {
  Aedes,
  type AedesPublishPacket,
  type AuthenticateError,
  type Client,
  type PublishPacket,
  type Subscription,
} from 'aedes';
import { capturePayload, type CaptureLine } from '@zaehlwerk/firmware-contract';
import type { CertificateRecord, IotRegistry } from '../../iot-registry.js';
import { monitorCaptureTopic, parseMonitorDisconnectTopic } from '../monitor/monitor-topics.js';
import type { CertificateAuthority } from '../pki/index.js';
import { verifyClientCertificate } from '../pki/index.js';
import {
  buildArn,
  checkClientId,
  checkFiltersPerSubscribe,
  checkPayloadSize,
  checkQos,
  checkReservedTopic,
  checkRetain,
  checkSubscriptionCount,
  checkTopicSize,
  claimPolicy,
  connectionPolicyVariables,
  createRateLimiter,
  gatewayPolicy,
  ingestWorkerPolicy,
  IOT_CORE_LIMITS,
  isAllowed,
  monitorPolicy,
  negotiateKeepAlive,
  type ArnScope,
  type IotAction,
  type KeepAlive,
  type LimitViolationCode,
  type PolicyDocument,
  type PolicyVariables,
  type RateLimiter,
} from '../policy/index.js';
import { parseBasicIngestTopic } from './basic-ingest.js';
import {
  createSharedSubscriptions,
  parseSharedFilter,
  sharedFilterProblem,
  type MemberLink,
  type SharedFilter,
  type SharedGroup,
} from './shared-subscriptions.js';

/** A Basic Ingest publish, handed to the rule instead of to subscribers (IOT-CORE.md §1.13). */
export interface RuleMessage {
  rule: string;
  /** Without the `$aws/rules/<rule>/` prefix, as the rule's `topic()` sees it. */
  topic: string;
  payload: Buffer;
  /** From the verified connection (certificate attached to the thing), never from the payload. */
  thingName: string;
  clientId: string;
  /** The certificate the connection presented: the rule's `principal()`. */
  certificateId: string;
  qos: 0 | 1;
  /** ISO-8601 UTC. */
  receivedAt: string;
}

/**
 * A device's request to an IoT Core service after the policy allowed it: on
 * `$aws/things/<thing>/...` from a thing (Device Shadow, jobs; §1.8, §1.9), or on
 * the fleet-provisioning topics from a claim certificate (§1.10).
 */
export interface ServiceMessage {
  topic: string;
  payload: Buffer;
  /** From the verified connection, never from the topic or payload; null for a claim. */
  thingName: string | null;
  /** The certificate the connection was made with. */
  certificateId: string;
  clientId: string;
  qos: 0 | 1;
  /** ISO-8601 UTC. */
  receivedAt: string;
}

/**
 * Why a connection ended, as IoT Core names it in the `disconnectReason` of its
 * lifecycle event (IOT-CORE.md §1.4; the values of the SDK's
 * GetThingConnectivityData `disconnectReason`). `AUTH_ERROR` is AWS's "the
 * client failed to authenticate or authorization failed".
 */
export type DisconnectReason =
  | 'CLIENT_INITIATED_DISCONNECT'
  | 'API_INITIATED_DISCONNECT'
  | 'DUPLICATE_CLIENTID'
  | 'MQTT_KEEP_ALIVE_TIMEOUT'
  | 'AUTH_ERROR'
  | 'CLIENT_ERROR'
  | 'SERVER_ERROR'
  | 'CONNECTION_LOST';

/** Why the broker refused, dropped or cut something; stable, for logs and tests. */
export type BrokerEventCode =
  | LimitViolationCode
  | 'SNI_MISSING'
  | 'CERTIFICATE_MISSING'
  | 'CERTIFICATE_INVALID'
  | 'CERTIFICATE_UNKNOWN'
  | 'CERTIFICATE_INACTIVE'
  | 'CERTIFICATE_REVOKED'
  | 'THING_UNKNOWN'
  | 'NOT_AUTHORIZED'
  | 'SHARED_SUBSCRIPTION_INVALID'
  | 'SHARED_MESSAGE_DROPPED'
  | 'REGISTRY_UNAVAILABLE'
  | 'RULE_NOT_FOUND'
  | 'RULE_HANDLER_FAILED'
  | 'SERVICE_HANDLER_FAILED';

/**
 * What the broker did about it: refused the CONNECT, closed the connection,
 * discarded one message, or answered one filter with SUBACK 0x80.
 */
export type BrokerEventOutcome = 'connect-refused' | 'disconnected' | 'dropped' | 'suback-failure';

export interface BrokerEvent {
  outcome: BrokerEventOutcome;
  code: BrokerEventCode;
  /** The client id of the CONNECT; empty when the refusal came before one. */
  clientId: string;
  message: string;
}

export interface LocalBrokerOptions {
  registry: IotRegistry;
  /** The local CA: it issues the broker's certificate and is the only CA clients may come from. */
  ca: Pick<CertificateAuthority, 'caCertificatePem' | 'issueServerCertificate'>;
  /** 8883 in production use (IOT-CORE.md §1.1); 0 picks a free port (tests). */
  port: number;
  /** Defaults to 127.0.0.1: the emulator is for this machine unless told otherwise. */
  host?: string;
  /** Names in the server certificate's SAN; the CA's defaults (localhost, 127.0.0.1, ::1) otherwise. */
  hostnames?: readonly string[];
  /** Region and account of the ARNs the policies are evaluated with. */
  arnScope?: ArnScope;
  /** The fleet-provisioning template claim certificates may use (claimPolicy). */
  provisioningTemplateName?: string;
  /**
   * Basic Ingest: awaited before the PUBACK of a QoS 1 publish, so a batch is
   * acknowledged only once the rule has it (at least once). A throw closes the
   * connection without PUBACK and the client sends the batch again.
   * Without a handler every rule is unknown: the message is acknowledged and
   * dropped, as IoT Core does for a missing rule (§1.13 `RuleNotFound`).
   */
  onRuleMessage?: (message: RuleMessage) => Promise<void> | void;
  /**
   * The services behind `$aws/things/<thing>/...` (the Device Shadow): an
   * authorised device publish there goes to this handler instead of to
   * subscribers, and is awaited before the PUBACK. The service answers through
   * `publish()`. A throw is reported (`SERVICE_HANDLER_FAILED`) and the message
   * dropped; the connection stays. Without a handler such publishes are
   * delivered as before.
   */
  onServiceMessage?: (message: ServiceMessage) => Promise<void> | void;
  /** Every refusal, disconnect and drop, with the reason; IoT Core logs these to CloudWatch. */
  onEvent?: (event: BrokerEvent) => void;
  /**
   * Every publish a device (gateway or claim) made, accepted or refused, as a
   * capture line: for `zw-server start --mqtt-capture FILE`. Monitors get the
   * same lines on their topics without it.
   */
  onCapture?: (line: CaptureLine) => void;
  /**
   * How often, in ms, the certificates of open connections are read again from
   * the registry; a connection whose certificate is no longer there or no longer
   * ACTIVE is closed (`AUTH_ERROR`). This is how a revocation written by another
   * process into the same table (an operator CLI) ends a connection, as IoT Core
   * ends it "within a few minutes" of UpdateCertificate (§1.12). Each round reads
   * one registry item per distinct certificate connected. Default 10 000; 0 turns
   * it off.
   */
  certificateRecheckMs?: number;
  /** IoT Core refuses connections without SNI (§1.1); default true. */
  requireSni?: boolean;
  /** Clock for `recordConnection`, `receivedAt` and certificate validity. */
  now?: () => Date;
}

export interface BrokerConnection {
  clientId: string;
  /** The thing the certificate is attached to; null for a claim certificate. */
  thingName: string | null;
  certificateId: string;
  isClaim: boolean;
  /** The emulator's cloud-side observer (monitor certificate). */
  isMonitor: boolean;
  /** A cloud-side ingest worker reading the shared subscription (ingest worker certificate). */
  isIngestWorker: boolean;
  /** The keep-alive the broker enforces after IoT Core's adjustment (§1.3). */
  keepAliveSeconds: number;
  connectedAt: string;
}

export interface LocalBroker {
  readonly port: number;
  readonly host: string;
  /** What clients must trust to verify the broker. */
  readonly caCertificatePem: string;
  /** Client ids with an open, accepted connection. */
  connectedClientIds(): string[];
  connections(): BrokerConnection[];
  /**
   * Closes the open connection of a thing, as `DeleteConnection` does after a
   * certificate was revoked (§1.4, §1.12). False when it was not connected.
   */
  closeConnection(thingName: string, reason?: DisconnectReason): Promise<boolean>;
  /**
   * Publishes as IoT Core's own services do (shadow and provisioning responses,
   * a rule's republish action): no client policy applies to the sender, each
   * subscriber still needs iot:Receive. With `untilAcknowledged` (QoS 1) it
   * resolves only once a member of every shared subscription group the topic
   * matches has acknowledged it, waiting for a group if none matches yet, and
   * rejects after `timeoutMs`.
   */
  publish(
    topic: string,
    payload: Buffer | string,
    options?: { qos?: 0 | 1; untilAcknowledged?: { timeoutMs: number } },
  ): Promise<void>;
  /** The shared subscription groups (§1.7): members, what they took, what waits. */
  sharedSubscriptions(): SharedGroup[];
  close(): Promise<void>;
}

const DEFAULT_SCOPE: ArnScope = { region: 'eu-central-1', account: '000000000000' };
const DEFAULT_CERTIFICATE_RECHECK_MS = 10_000;
const DEFAULT_TEMPLATE = 'zw-gateway';

/**
 * Where the broker sends a publish it has dealt with itself (Basic Ingest,
 * discarded). Clients cannot subscribe to it: `$` topics outside IoT Core's
 * families are refused and wildcards never match `$` topics [MQTT-4.7.2-1].
 */
const SINK_TOPIC = '$zw-emulator/handled';

/** CONNACK return codes of MQTT 3.1.1 the broker uses. */
const IDENTIFIER_REJECTED = 2;
const SERVER_UNAVAILABLE = 3;
const NOT_AUTHORIZED = 5;

interface Session {
  clientId: string;
  thingName: string | null;
  certificateId: string;
  isClaim: boolean;
  isMonitor: boolean;
  isIngestWorker: boolean;
  policies: PolicyDocument[];
  variables: PolicyVariables;
  keepAlive: KeepAlive;
  limiter: RateLimiter;
  /** Distinct filters held, for the 50-per-connection quota. */
  filters: Set<string>;
  connectedAt: string;
}

interface PendingConnect {
  clientId: string;
  keepAlive: KeepAlive;
}

class Refusal extends Error {
  constructor(
    readonly code: BrokerEventCode,
    message: string,
    readonly returnCode: number = NOT_AUTHORIZED,
  ) {
    super(message);
  }
}

/**
 * The IoT Core emulator's message broker: aedes (MQTT 3.1.1) behind mutual
 * TLS, with IoT Core's identity rules, policies and quotas applied in aedes'
 * hooks. See README.md in this folder for what is and is not emulated.
 */
export async function startLocalBroker(options: LocalBrokerOptions): Promise<LocalBroker> {
  const { registry, ca } = options;
  const host = options.host ?? '127.0.0.1';
  const now = options.now ?? (() => new Date());
  const scope = options.arnScope ?? DEFAULT_SCOPE;
  const requireSni = options.requireSni ?? true;
  const gatewayPolicies = [gatewayPolicy(scope)];
  const claimPolicies = [
    claimPolicy({ ...scope, templateName: options.provisioningTemplateName ?? DEFAULT_TEMPLATE }),
  ];
  const monitorPolicies = [monitorPolicy(scope)];
  const ingestWorkerPolicies = [ingestWorkerPolicy(scope)];
  const emit = (event: BrokerEvent) => options.onEvent?.(event);
  const recheckMs = options.certificateRecheckMs ?? DEFAULT_CERTIFICATE_RECHECK_MS;
  if (!Number.isFinite(recheckMs) || recheckMs < 0) {
    throw new RangeError(`certificateRecheckMs must be 0 or more, not ${recheckMs}`);
  }

  const pending = new WeakMap<Client, PendingConnect>();
  const sessions = new WeakMap<Client, Session>();
  /** Subscription objects of a SUBSCRIBE with too many filters (see watchSubscribePackets). */
  const oversizedSubscribes = new WeakSet<object>();
  const open = new Map<string, Client>();
  /** Why each connection is about to end, set where the broker or the client ends it. */
  const endings = new WeakMap<Client, DisconnectReason>();
  /** Per client id, as IoT Core's `versionNumber` of lifecycle events. */
  const presenceVersions = new Map<string, number>();
  let monitorsConnected = 0;
  // §1.7: aedes has no `$share`. It keeps such a subscription as a literal filter that no
  // topic can match (nobody may publish to `$share/...`, §1.8), which costs nothing and
  // survives in a persistent session; the delivery is this router's.
  const shared = createSharedSubscriptions({
    onEvent: (event) => emit({ outcome: 'dropped', ...event }),
  });
  /** Packets the router hands to aedes for one member: already authorised, see forward(). */
  const sharedDeliveries = new WeakSet<object>();
  /** Publishes of the broker's own whose shared delivery publish() handles. */
  const routedAlready = new WeakSet<object>();
  const memberLinks = new WeakMap<Client, MemberLink>();
  const restoredMemberships = new WeakMap<Client, { shared: SharedFilter; qos: 0 | 1 }[]>();
  let sharedCounter = 0;

  const allowed = (
    session: Session,
    action: IotAction,
    kind: 'topic' | 'topicfilter',
    name: string,
  ) =>
    isAllowed(session.policies, {
      action,
      resource: buildArn(kind, name, scope),
      variables: session.variables,
    });

  async function admit(client: Client, connect: PendingConnect): Promise<Session> {
    const { clientId } = connect;
    const socket = client.conn as TLSSocket;
    const der = socket.getPeerCertificate?.()?.raw;
    if (der === undefined) throw new Refusal('CERTIFICATE_MISSING', 'no client certificate');
    const verified = await verifyClientCertificate(der, {
      caCertificatePem: ca.caCertificatePem,
      now: now(),
    });
    if (!verified.ok)
      throw new Refusal('CERTIFICATE_INVALID', `${verified.code}: ${verified.message}`);
    const { certificateId } = verified.value;

    // §1.3: 128 bytes, no `$`; MQTT's "identifier rejected" is the fitting CONNACK.
    const idViolation = checkClientId(clientId);
    if (idViolation !== null) {
      throw new Refusal(idViolation.code, idViolation.message, IDENTIFIER_REJECTED);
    }

    const record = await lookup(() => registry.getCertificate(certificateId));
    // §1.12: only ACTIVE certificates connect; IoT Core answers the rest "not authorized".
    if (record === null)
      throw new Refusal('CERTIFICATE_UNKNOWN', `certificate ${certificateId} is not registered`);
    if (record.status === 'INACTIVE')
      throw new Refusal('CERTIFICATE_INACTIVE', `certificate ${certificateId} is inactive`);
    if (record.status === 'REVOKED')
      throw new Refusal('CERTIFICATE_REVOKED', `certificate ${certificateId} is revoked`);

    // The certificate's OU and the registry must both say gateway; either saying claim restricts it.
    // A monitor's or ingest worker's OU only counts for a certificate registered as neither
    // claim nor gateway.
    const isMonitor = verified.value.isMonitor;
    const isIngestWorker = !isMonitor && verified.value.isIngestWorker;
    if ((isMonitor || isIngestWorker) && (record.isClaim || record.thingName !== null)) {
      throw new Refusal(
        'NOT_AUTHORIZED',
        `${isMonitor ? 'monitor' : 'ingest worker'} certificate ${certificateId} is misregistered`,
      );
    }
    const isClaim = !isMonitor && !isIngestWorker && (record.isClaim || verified.value.isClaim);
    let attached: string[] = [];
    if (!isClaim && record.thingName !== null) {
      const thingName = record.thingName;
      const thing = await lookup(() => registry.getThing(thingName));
      if (thing === null)
        throw new Refusal('THING_UNKNOWN', `thing ${thingName} is not registered`);
      attached = [thingName];
    }
    const variables = connectionPolicyVariables({
      clientId,
      certificateCommonName: verified.value.commonName,
      attachedThingNames: attached,
    });
    const session: Session = {
      clientId,
      thingName: isClaim ? null : (variables['iot:Connection.Thing.ThingName'] ?? null),
      certificateId,
      isClaim,
      isMonitor,
      isIngestWorker,
      policies: isMonitor
        ? monitorPolicies
        : isIngestWorker
          ? ingestWorkerPolicies
          : isClaim
            ? claimPolicies
            : gatewayPolicies,
      variables,
      keepAlive: connect.keepAlive,
      limiter: createRateLimiter({ perSecond: IOT_CORE_LIMITS.maxPublishesPerSecond }),
      filters: new Set(),
      connectedAt: now().toISOString(),
    };
    // §1.4, §1.11: the gateway policy lets a certificate connect only as the thing it is
    // attached to (client id = thing name); a claim may use any client id.
    const connectArn = buildArn('client', clientId, scope);
    if (!isAllowed(session.policies, { action: 'iot:Connect', resource: connectArn, variables })) {
      throw new Refusal(
        'NOT_AUTHORIZED',
        isClaim || isMonitor || isIngestWorker
          ? `${isClaim ? 'claim' : isMonitor ? 'monitor' : 'ingest worker'} certificate may not connect as ${clientId}`
          : `certificate ${certificateId} is attached to ${record.thingName ?? 'no thing'}, not to client id ${clientId}`,
      );
    }
    if (session.thingName !== null) {
      const thingName = session.thingName;
      await lookup(() => registry.recordConnection(thingName, session.connectedAt));
    }
    return session;
  }

  /**
   * Runs one hook's decision and hands aedes the outcome. Errors from here
   * close the connection (aedes destroys the socket on a hook error).
   */
  function settle(task: Promise<void>, done: (error?: Error | null) => void): void {
    task.then(
      () => done(null),
      (error: unknown) => done(error instanceof Error ? error : new Error(String(error))),
    );
  }

  // Before the broker exists, so a failure here leaves nothing running.
  const serverCertificate = await ca.issueServerCertificate(
    options.hostnames === undefined ? {} : { hostnames: options.hostnames },
  );

  const broker = await Aedes.createBroker({
    // §1.3 allows 128-byte client ids; aedes' default of 23 applies to MQTT 3.1 only, but say it.
    maxClientsIdLength: IOT_CORE_LIMITS.maxClientIdBytes,

    preConnect(client, packet, callback) {
      // §1.3: keep-alive is adjusted, never refused. aedes arms its timer (1.5 × keep-alive)
      // from the CONNECT packet, so the adjusted value goes there.
      const keepAlive = negotiateKeepAlive(packet.keepalive ?? 0);
      packet.keepalive = keepAlive.seconds;
      pending.set(client, { clientId: packet.clientId, keepAlive });
      watchSubscribePackets(client);
      callback(null, true);
    },

    authenticate(client, _username, _password, done) {
      // The username (AWS SDKs send `?SDK=...`) and password carry nothing here: the
      // certificate is the identity (§1.1, §1.4).
      const connect = pending.get(client) ?? {
        clientId: client.id,
        keepAlive: negotiateKeepAlive(0),
      };
      admit(client, connect).then(
        (session) => {
          sessions.set(client, session);
          const previous = open.get(session.clientId);
          // aedes closes the older connection of the same id once this one is admitted (§1.4).
          if (previous !== undefined) endings.set(previous, 'DUPLICATE_CLIENTID');
          done(null, true);
        },
        (error: unknown) => {
          const refusal =
            error instanceof Refusal
              ? error
              : new Refusal('REGISTRY_UNAVAILABLE', String(error), SERVER_UNAVAILABLE);
          emit({
            outcome: 'connect-refused',
            code: refusal.code,
            clientId: connect.clientId,
            message: refusal.message,
          });
          const failure = new Error(refusal.message) as AuthenticateError;
          failure.returnCode = refusal.returnCode as AuthenticateError['returnCode'];
          done(failure, null);
        },
      );
    },

    authorizePublish(client, packet, callback) {
      if (client === null) return callback(null);
      const session = sessions.get(client);
      if (session === undefined) return callback(new Error('publish before an accepted CONNECT'));
      settle(observePublish(session, packet), callback);
    },

    authorizeSubscribe(client, subscription, callback) {
      const session = sessions.get(client);
      if (session === undefined) return callback(new Error('subscribe before an accepted CONNECT'));
      if (oversizedSubscribes.has(subscription)) {
        // Reported once per packet in watchSubscribePackets.
        return callback(new Error('too many filters in one SUBSCRIBE'));
      }
      const refusal = refuseFilter(session, subscription);
      if (refusal !== null) {
        emit({ outcome: 'suback-failure', clientId: session.clientId, ...refusal });
        return callback(null, null); // aedes answers SUBACK 0x80 for this filter
      }
      session.filters.add(subscription.topic);
      const sharedFilter = parseSharedFilter(subscription.topic);
      if (sharedFilter !== null) {
        const membership = { shared: sharedFilter, qos: subscription.qos === 0 ? 0 : 1 } as const;
        // aedes restores a persistent session's subscriptions before its CONNACK, when nothing
        // may be sent yet: the membership waits for clientReady.
        if (client.connected) {
          shared.subscribe(linkOf(client), membership.shared, membership.qos, !client.clean);
        } else {
          restoredMemberships.set(client, [...(restoredMemberships.get(client) ?? []), membership]);
        }
      }
      callback(null, subscription);
    },

    authorizeForward(client, packet) {
      return forward(client, packet);
    },
  });

  /**
   * IoT Core's quota of 8 filters per SUBSCRIBE (§1.3) needs the whole packet,
   * but aedes asks about one filter at a time. Its parser emits the packet
   * before aedes handles it; a listener put in front marks the packet's filters
   * so authorizeSubscribe can refuse them. `_parser` is aedes-internal (1.x);
   * the tests catch a change.
   */
  function watchSubscribePackets(client: Client): void {
    const parser = (client as unknown as { _parser?: EventEmitter })._parser;
    type Packet = { cmd: string; subscriptions?: object[]; messageId?: number };
    parser?.prependListener('packet', (packet: Packet) => {
      // The lifecycle event tells a DISCONNECT packet from a lost connection (§1.4).
      if (packet.cmd === 'disconnect') endings.set(client, 'CLIENT_INITIATED_DISCONNECT');
      // A shared subscription's copy is the group's until its member acknowledges it (§1.7).
      if (packet.cmd === 'puback' && packet.messageId !== undefined && memberLinks.has(client)) {
        shared.acknowledged(linkOf(client), packet.messageId);
      }
      if (packet.cmd !== 'subscribe' || packet.subscriptions === undefined) return;
      const violation = checkFiltersPerSubscribe(packet.subscriptions.length);
      if (violation === null) return;
      for (const subscription of packet.subscriptions) oversizedSubscribes.add(subscription);
      emit({
        outcome: 'disconnected',
        code: violation.code,
        clientId: sessions.get(client)?.clientId ?? client.id,
        message: violation.message,
      });
    });
  }

  /**
   * Decides on a publish and, for devices, reports it as a capture line to the
   * monitors and `onCapture`, with the outcome. The line is built only when
   * someone is listening: most brokers run without a monitor.
   */
  async function observePublish(session: Session, packet: PublishPacket): Promise<void> {
    const watched =
      !session.isMonitor &&
      !session.isIngestWorker &&
      (monitorsConnected > 0 || options.onCapture !== undefined);
    if (!watched) return authorizePublish(session, packet);
    const original = {
      topic: packet.topic,
      payload: typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload,
      qos: packet.qos,
      retain: packet.retain,
    };
    const receivedAt = now().toISOString();
    const report = (reason: string | null) =>
      captureLine(session, {
        topic: original.topic,
        payload: capturePayload(original.payload),
        qos: original.qos,
        receivedAt,
        retain: original.retain,
        clientId: session.clientId,
        outcome: reason === null ? 'accepted' : 'refused',
        ...(reason === null ? {} : { reason }),
      });
    let dropped: string | null = null;
    try {
      await authorizePublish(session, packet, (reason) => {
        dropped = reason;
      });
    } catch (error) {
      report(error instanceof Error ? error.message : String(error));
      throw error;
    }
    report(dropped);
  }

  function captureLine(session: Session, line: CaptureLine): void {
    options.onCapture?.(line);
    if (monitorsConnected === 0) return;
    broker.publish(
      {
        cmd: 'publish',
        topic: monitorCaptureTopic(session.thingName ?? session.clientId),
        payload: Buffer.from(JSON.stringify(line)),
        qos: 1,
        retain: false,
        dup: false,
      },
      () => undefined,
    );
  }

  async function authorizePublish(
    session: Session,
    packet: PublishPacket,
    onDropped?: (reason: string) => void,
  ): Promise<void> {
    const { topic } = packet;
    const payload =
      typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
    const disconnect = (code: BrokerEventCode, message: string) => {
      emit({ outcome: 'disconnected', code, clientId: session.clientId, message });
      const client = open.get(session.clientId);
      if (client !== undefined && sessions.get(client) === session) {
        endings.set(
          client,
          code === 'NOT_AUTHORIZED'
            ? 'AUTH_ERROR'
            : code === 'RULE_HANDLER_FAILED'
              ? 'SERVER_ERROR'
              : 'CLIENT_ERROR',
        );
      }
      return new Error(message);
    };
    const discard = (code: BrokerEventCode, message: string) => {
      onDropped?.(`${code}: ${message}`);
      emit({ outcome: 'dropped', code, clientId: session.clientId, message });
      // QoS 0 towards aedes: no PUBACK/PUBREC is written; the sink has no subscribers.
      packet.qos = 0;
      packet.retain = false;
      packet.topic = SINK_TOPIC;
    };

    // §1.2: "When QoS level 2 is requested, the message broker doesn't send a PUBACK":
    // the message goes nowhere and the connection stays.
    const qos = checkQos(packet.qos);
    if (qos !== null) return discard(qos.code, qos.message);

    // §1.3 "Larger requests are rejected"; MQTT 3.1.1 has no negative PUBACK, so the
    // connection is closed (CLIENT_ERROR) [verify against a live endpoint].
    const violation =
      checkPayloadSize(payload.length) ??
      checkTopicSize(topic) ??
      // §1.8: "Unsupported publish ... to reserved topics can result in a terminated connection".
      checkReservedTopic(topic, 'publish') ??
      // §1.6: no retained messages on `$` topics.
      checkRetain(topic, packet.retain);
    if (violation !== null) throw disconnect(violation.code, violation.message);

    // Policy (§1.11). A denied publish closes an MQTT 3.1.1 connection on IoT Core: it has
    // no other way to say no [verify]. Retaining needs iot:RetainPublish besides (§1.6).
    if (!allowed(session, 'iot:Publish', 'topic', topic)) {
      throw disconnect('NOT_AUTHORIZED', `not authorized to publish to ${topic}`);
    }
    if (packet.retain && !allowed(session, 'iot:RetainPublish', 'topic', topic)) {
      throw disconnect('NOT_AUTHORIZED', `not authorized to retain on ${topic}`);
    }

    // §1.3: 100 publishes/s per connection, "Publish requests that exceed that quota are
    // discarded". No PUBACK either, so a QoS 1 sender keeps the message and retries.
    const rate = session.limiter.take();
    if (rate !== null) return discard(rate.code, rate.message);

    if (session.isMonitor) return monitorRequest(session, topic, payload, packet);

    const forService =
      (topic.startsWith('$aws/things/') && session.thingName !== null) ||
      (session.isClaim &&
        (topic.startsWith('$aws/certificates/') ||
          topic.startsWith('$aws/provisioning-templates/')));
    if (forService && options.onServiceMessage !== undefined) {
      // Requests are for the service, which answers on the response topics (§1.9).
      packet.topic = SINK_TOPIC;
      try {
        await options.onServiceMessage({
          topic,
          payload,
          thingName: session.thingName,
          certificateId: session.certificateId,
          clientId: session.clientId,
          qos: packet.qos === 1 ? 1 : 0,
          receivedAt: now().toISOString(),
        });
      } catch (error) {
        emit({
          outcome: 'dropped',
          code: 'SERVICE_HANDLER_FAILED',
          clientId: session.clientId,
          message: `service for ${topic} failed: ${String(error)}`,
        });
      }
      return;
    }

    const ingest = parseBasicIngestTopic(topic);
    if (ingest === null) return;
    // §1.13: Basic Ingest bypasses the pub/sub broker; nobody receives it.
    packet.topic = SINK_TOPIC;
    packet.retain = false;
    if (options.onRuleMessage === undefined || session.thingName === null) {
      emit({
        outcome: 'dropped',
        code: 'RULE_NOT_FOUND',
        clientId: session.clientId,
        message: `no rule handler for ${ingest.rule}`,
      });
      return;
    }
    try {
      await options.onRuleMessage({
        rule: ingest.rule,
        topic: ingest.topic,
        payload,
        thingName: session.thingName,
        clientId: session.clientId,
        certificateId: session.certificateId,
        qos: packet.qos === 1 ? 1 : 0,
        receivedAt: now().toISOString(),
      });
    } catch (error) {
      // The PUBACK would claim the rule has the batch; closing instead makes the
      // gateway send it again after reconnecting (§1.13: PUBACK = reached the rules engine).
      throw disconnect('RULE_HANDLER_FAILED', `rule ${ingest.rule} failed: ${String(error)}`);
    }
  }

  /**
   * A monitor's publish: shadow requests for any thing go to the service as the
   * thing's own would (the policy allowed them), a disconnect request cuts the
   * gateway's connection. Nothing of it reaches other subscribers directly.
   */
  async function monitorRequest(
    session: Session,
    topic: string,
    payload: Buffer,
    packet: PublishPacket,
  ): Promise<void> {
    packet.topic = SINK_TOPIC;
    const thingName = topic.startsWith('$aws/things/') ? (topic.split('/')[2] ?? '') : null;
    if (thingName !== null && options.onServiceMessage !== undefined) {
      try {
        await options.onServiceMessage({
          topic,
          payload,
          thingName,
          certificateId: session.certificateId,
          clientId: session.clientId,
          qos: packet.qos === 1 ? 1 : 0,
          receivedAt: now().toISOString(),
        });
      } catch (error) {
        emit({
          outcome: 'dropped',
          code: 'SERVICE_HANDLER_FAILED',
          clientId: session.clientId,
          message: `service for ${topic} failed: ${String(error)}`,
        });
      }
      return;
    }
    const target = parseMonitorDisconnectTopic(topic);
    if (target !== null) await closeThing(target, 'API_INITIATED_DISCONNECT');
  }

  async function closeThing(thingName: string, reason: DisconnectReason): Promise<boolean> {
    const client = open.get(thingName);
    if (client === undefined || sessions.get(client)?.thingName !== thingName) return false;
    await closeClient(client, reason);
    return true;
  }

  async function closeClient(client: Client, reason: DisconnectReason): Promise<void> {
    endings.set(client, reason);
    await new Promise<void>((resolve) => client.close(() => resolve()));
  }

  /**
   * One round of the certificate re-check (`certificateRecheckMs`). A registry
   * that cannot be read keeps the connections: the next round asks again, and a
   * broker that cut every gateway off whenever the table hiccuped would do more
   * harm than a revocation taking one more round.
   */
  async function recheckCertificates(): Promise<void> {
    const byCertificate = new Map<string, Client[]>();
    for (const client of open.values()) {
      const session = sessions.get(client);
      if (session === undefined) continue;
      byCertificate.set(session.certificateId, [
        ...(byCertificate.get(session.certificateId) ?? []),
        client,
      ]);
    }
    for (const [certificateId, clients] of byCertificate) {
      let status: CertificateRecord['status'] | 'UNKNOWN';
      try {
        status = (await registry.getCertificate(certificateId))?.status ?? 'UNKNOWN';
      } catch {
        continue;
      }
      if (status === 'ACTIVE') continue;
      for (const client of clients) {
        const session = sessions.get(client);
        // Gone, or taken over by a newer connection, while the registry answered.
        if (session === undefined || open.get(session.clientId) !== client) continue;
        emit({
          outcome: 'disconnected',
          code: `CERTIFICATE_${status}`,
          clientId: session.clientId,
          message: `certificate ${certificateId} is ${status === 'UNKNOWN' ? 'no longer registered' : status.toLowerCase()}`,
        });
        await closeClient(client, 'AUTH_ERROR');
      }
    }
  }

  /**
   * IoT Core's lifecycle events (§1.4) on `$aws/events/presence/…/<clientId>`,
   * for accepted connections only, as AWS sends them.
   */
  function publishPresence(client: Client, session: Session, connected: boolean): void {
    if (broker.closed) return;
    const versionNumber = presenceVersions.get(session.clientId) ?? 0;
    if (connected) presenceVersions.set(session.clientId, versionNumber + 1);
    const reason = endings.get(client) ?? 'CONNECTION_LOST';
    const event = {
      clientId: session.clientId,
      timestamp: now().getTime(),
      eventType: connected ? 'connected' : 'disconnected',
      sessionIdentifier: sessionIds.get(session) ?? '',
      principalIdentifier: session.certificateId,
      ...(connected
        ? { ipAddress: remoteAddress(client) }
        : {
            clientInitiatedDisconnect: reason === 'CLIENT_INITIATED_DISCONNECT',
            disconnectReason: reason,
          }),
      versionNumber: connected ? versionNumber : Math.max(0, versionNumber - 1),
    };
    broker.publish(
      {
        cmd: 'publish',
        topic: `$aws/events/presence/${connected ? 'connected' : 'disconnected'}/${session.clientId}`,
        payload: Buffer.from(JSON.stringify(event)),
        qos: 1,
        retain: false,
        dup: false,
      },
      () => undefined,
    );
  }

  function refuseFilter(
    session: Session,
    subscription: Subscription,
  ): { code: BrokerEventCode; message: string } | null {
    const filter = subscription.topic;
    // §1.2: QoS 2 is not supported. IoT Core sends no SUBACK at all; aedes cannot withhold
    // one without stalling the connection, so the filter is refused instead.
    const violation =
      checkQos(subscription.qos) ??
      checkTopicSize(filter) ??
      // §1.8: only the families a device may subscribe to; Basic Ingest never.
      checkReservedTopic(filter, 'subscribe');
    if (violation !== null) return violation;
    const sharedFilter = parseSharedFilter(filter);
    const sharedProblem = sharedFilter === null ? null : sharedFilterProblem(sharedFilter);
    if (sharedProblem !== null)
      return { code: 'SHARED_SUBSCRIPTION_INVALID', message: sharedProblem };
    // A shared subscription is authorised as the whole `$share/<name>/<filter>`, as AWS's
    // policy examples name it (`topicfilter/$share/<name>/<filter>`); Receive is checked on
    // the real topic of each message.
    if (!allowed(session, 'iot:Subscribe', 'topicfilter', filter)) {
      return { code: 'NOT_AUTHORIZED', message: `not authorized to subscribe to ${filter}` };
    }
    // §1.3: at most 50 per connection; "excess may close the connection. Check SUBACK".
    if (!session.filters.has(filter)) {
      const count = checkSubscriptionCount(session.filters.size + 1);
      if (count !== null) return count;
    }
    return null;
  }

  function forward(client: Client, packet: AedesPublishPacket): AedesPublishPacket | null {
    // The router checked Receive and took the quota when it chose this member.
    if (sharedDeliveries.has(packet)) return packet;
    if (packet.topic === SINK_TOPIC || packet.topic.startsWith('$aws/rules/')) return null;
    const session = sessions.get(client);
    if (session === undefined) return null;
    // §1.11: delivering needs iot:Receive on the topic, checked per message.
    if (!allowed(session, 'iot:Receive', 'topic', packet.topic)) {
      emit({
        outcome: 'dropped',
        code: 'NOT_AUTHORIZED',
        clientId: session.clientId,
        message: `not authorized to receive ${packet.topic}`,
      });
      return null;
    }
    // §1.3: the 100/s quota counts inbound and outbound publishes of the connection.
    const rate = session.limiter.take();
    if (rate !== null) {
      emit({
        outcome: 'dropped',
        code: rate.code,
        clientId: session.clientId,
        message: rate.message,
      });
      return null;
    }
    return packet;
  }

  /** Marks the router's deliveries, as aedes' `brokerId` marks its own. */
  const sharedBrokerId = `${broker.id}:shared`;
  // aedes insists that a persistent session's QoS 1 delivery is in the session's outgoing queue,
  // to send it again at the session's next connection. The router's copies are the router's to
  // send again, to whichever member it picks, so they never go into that queue; the lookup that
  // expects them there answers without it. (aedes-persistence's documented interface; the
  // shared subscription tests catch a change.)
  const persistence = (broker as unknown as { persistence: AedesOutgoingUpdate }).persistence;
  const outgoingUpdate = persistence.outgoingUpdate.bind(persistence);
  persistence.outgoingUpdate = (client, packet, done) => {
    if (packet.brokerId !== sharedBrokerId) return outgoingUpdate(client, packet, done);
    if (done === undefined) return Promise.resolve();
    done(null, client, packet);
  };

  /**
   * A member's connection as the shared subscription router sees it. aedes
   * offers no public way to write one PUBLISH to one client and hear of its
   * PUBACK, so this uses what aedes 1.x itself delivers with: `deliverQoS` and
   * `deliver0` (both ask authorizeForward, see forward()) and the client's
   * packet id counter `_nextId`, so that an id never collides with one of
   * aedes' own deliveries. The PUBACK is seen in watchSubscribePackets.
   * Internal to aedes 1.x; the shared subscription tests catch a change.
   */
  function linkOf(client: Client): MemberLink {
    const known = memberLinks.get(client);
    if (known !== undefined) return known;
    const internals = client as unknown as AedesClientInternals;
    const link: MemberLink = {
      clientId: client.id,
      admit(topic) {
        const session = sessions.get(client);
        if (session === undefined || !allowed(session, 'iot:Receive', 'topic', topic)) {
          return 'not-authorized';
        }
        // §1.3: outbound publishes count against the connection's 100/s too.
        return session.limiter.take() === null ? 'ok' : 'rate-exceeded';
      },
      nextMessageId() {
        const id = internals._nextId;
        internals._nextId = id >= 65535 ? 1 : id + 1;
        return id;
      },
      send({ topic, payload, qos, messageId }) {
        const packet = {
          cmd: 'publish' as const,
          topic,
          payload,
          qos,
          retain: false,
          dup: false,
          // aedes drops a delivery whose counter is below one it sent the client before; the
          // calls here come in counter order.
          brokerId: sharedBrokerId,
          brokerCounter: ++sharedCounter,
          ...(messageId === undefined ? {} : { messageId }),
        };
        sharedDeliveries.add(packet);
        // A write that fails ends the connection; the router then gives the copy to another member.
        if (qos === 0) internals.deliver0(packet, () => undefined);
        else internals.deliverQoS(packet, () => undefined);
      },
    };
    memberLinks.set(client, link);
    return link;
  }

  const sessionIds = new WeakMap<Session, string>();
  broker.on('client', (client) => {
    open.set(client.id, client);
    const session = sessions.get(client);
    if (session === undefined) return;
    sessionIds.set(session, randomUUID());
    if (session.isMonitor) monitorsConnected += 1;
    publishPresence(client, session, true);
  });
  broker.on('clientDisconnect', (client) => {
    // After a takeover the new client is registered under the same id; keep it.
    if (open.get(client.id) === client) open.delete(client.id);
    const session = sessions.get(client);
    if (session === undefined) return;
    if (session.isMonitor) monitorsConnected -= 1;
    publishPresence(client, session, false);
  });
  // After the CONNACK: a resumed persistent session's shared memberships are served again.
  broker.on('clientReady', (client) => {
    if (!sessions.has(client)) return;
    const link = linkOf(client);
    shared.online(link, !client.clean);
    for (const { shared: filter, qos } of restoredMemberships.get(client) ?? []) {
      shared.subscribe(link, filter, qos, !client.clean);
    }
    restoredMemberships.delete(client);
  });
  broker.on('clientDisconnect', (client) => {
    const link = memberLinks.get(client);
    if (link !== undefined) shared.offline(link);
  });
  broker.on('keepaliveTimeout', (client) => {
    endings.set(client, 'MQTT_KEEP_ALIVE_TIMEOUT');
  });
  // Also the end of a clean session, whose subscriptions end with its connection.
  broker.on('unsubscribe', (filters, client) => {
    const session = sessions.get(client);
    for (const filter of filters) {
      session?.filters.delete(filter);
      const sharedFilter = parseSharedFilter(filter);
      if (sharedFilter !== null) shared.unsubscribe(client.id, sharedFilter);
    }
  });
  broker.on('publish', (packet) => {
    if (routedAlready.has(packet)) return;
    if (packet.topic === SINK_TOPIC || packet.topic.startsWith('$SYS/')) return;
    shared.publish({
      topic: packet.topic,
      payload: typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload,
      qos: packet.qos === 0 ? 0 : 1,
    });
  });

  const sockets = new Set<Socket>();
  const server = createServer(
    {
      key: serverCertificate.privateKeyPem,
      cert: serverCertificate.certificatePem,
      ca: [ca.caCertificatePem],
      // Mutual TLS: a certificate from another CA fails in the handshake (§1.1).
      requestCert: true,
      rejectUnauthorized: true,
      minVersion: 'TLSv1.2',
    },
    (socket) => {
      if (requireSni && !socket.servername) {
        emit({
          outcome: 'connect-refused',
          code: 'SNI_MISSING',
          clientId: '',
          message: 'TLS connection without SNI',
        });
        socket.destroy();
        return;
      }
      broker.handle(socket);
    },
  );
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  // A failed handshake is the client's problem, not the broker's: no crash, no noise.
  server.on('tlsClientError', () => undefined);

  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    await new Promise<void>((resolve) => broker.close(() => resolve()));
    throw error;
  }
  const address = server.address() as AddressInfo;

  let rechecking = false;
  const recheckTimer =
    recheckMs === 0
      ? null
      : setInterval(() => {
          // A slow registry must not stack rounds on top of each other.
          if (rechecking) return;
          rechecking = true;
          // Only a throwing onEvent can reject; a timer has no one to report it to.
          void recheckCertificates()
            .catch(() => undefined)
            .finally(() => {
              rechecking = false;
            });
        }, recheckMs);
  // The listening server keeps the process alive; the timer alone should not.
  recheckTimer?.unref();

  let closing: Promise<void> | null = null;
  return {
    port: address.port,
    host,
    caCertificatePem: ca.caCertificatePem,

    connectedClientIds: () => [...open.keys()].sort(),

    connections: () =>
      [...open.values()].flatMap((client) => {
        const session = sessions.get(client);
        if (session === undefined) return [];
        return [
          {
            clientId: session.clientId,
            thingName: session.thingName,
            certificateId: session.certificateId,
            isClaim: session.isClaim,
            isMonitor: session.isMonitor,
            isIngestWorker: session.isIngestWorker,
            keepAliveSeconds: session.keepAlive.seconds,
            connectedAt: session.connectedAt,
          },
        ];
      }),

    closeConnection(thingName, reason = 'API_INITIATED_DISCONNECT') {
      return closeThing(thingName, reason);
    },

    async publish(topic, payload, publishOptions = {}) {
      const { untilAcknowledged } = publishOptions;
      const packet = {
        cmd: 'publish' as const,
        topic,
        payload: typeof payload === 'string' ? Buffer.from(payload) : payload,
        qos: untilAcknowledged === undefined ? (publishOptions.qos ?? 1) : 1,
        retain: false,
        dup: false,
      };
      // Ordinary subscribers get it from aedes; the shared groups from the router, below.
      if (untilAcknowledged !== undefined) routedAlready.add(packet);
      await new Promise<void>((resolve, reject) => {
        broker.publish(packet, (error) => (error ? reject(error) : resolve()));
      });
      if (untilAcknowledged === undefined) return;
      await shared.publishAcknowledged(
        { topic, payload: packet.payload, qos: 1 },
        untilAcknowledged.timeoutMs,
      );
    },

    sharedSubscriptions: () => shared.groups(),

    close() {
      closing ??= (async () => {
        if (recheckTimer !== null) clearInterval(recheckTimer);
        // Held publishes fail now, so hooks waiting on them let aedes close.
        shared.close();
        const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
        await new Promise<void>((resolve) => broker.close(() => resolve()));
        // Sockets still in the handshake or before CONNECT are not aedes clients yet.
        for (const socket of sockets) socket.destroy();
        await serverClosed;
      })();
      return closing;
    },
  };
}

/** What linkOf uses of an aedes 1.x client beyond its typings (lib/client.js). */
interface AedesClientInternals {
  _nextId: number;
  deliverQoS(packet: object, done: () => void): void;
  deliver0(packet: object, done: () => void): void;
}

/** The lookup of aedes' persistence (aedes-persistence) that linkOf answers for its own copies. */
interface AedesOutgoingUpdate {
  outgoingUpdate(
    client: { id: string },
    packet: { brokerId?: string },
    done?: (error: Error | null, client: unknown, packet: unknown) => void,
  ): Promise<void> | void;
}

async function lookup<T>(read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (cause) {
    throw new Refusal(
      'REGISTRY_UNAVAILABLE',
      `registry: ${cause instanceof Error ? cause.message : String(cause)}`,
      SERVER_UNAVAILABLE,
    );
  }
}

function remoteAddress(client: Client): string {
  const socket = client.conn as Partial<Socket>;
  return typeof socket.remoteAddress === 'string' ? socket.remoteAddress : '';
}
