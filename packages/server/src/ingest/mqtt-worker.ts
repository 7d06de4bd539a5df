import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import type { TelegramBatchDelivery } from '../domain/ports.js';
import {
  INGEST_SHARED_FILTER,
  ingestSourceTopic,
  parseIngestRepublishTopic,
} from '../iot/ingest-republish.js';

/** How an ingest worker certificate reaches the broker (mutual TLS). */
export interface MqttTlsConnection {
  /** `mqtts://host:port`: the emulator's broker, or the account's AWS IoT Core ATS endpoint. */
  url: string;
  /** TLS server name (SNI, which IoT Core requires) when it is not the URL's host. */
  servername?: string;
  caPem: string;
  /** An ingest worker certificate and its key (the ingest worker policy). */
  certPem: string;
  keyPem: string;
}

export interface MqttIngestWorkerOptions extends MqttTlsConnection {
  /**
   * The worker's fixed client id: its persistent session on the broker, so
   * batches for it wait there while it restarts. With several sessions, each
   * one's id is `<clientId>-<n>`.
   */
  clientId: string;
  /**
   * How many batches are worked on at once. Each is one MQTT session of the
   * shared subscription group: an MQTT connection hands its messages over one
   * at a time, and MQTT 3.1.1 wants its PUBACKs in order [MQTT-4.6.0-2], so
   * a batch can be acknowledged only after it is stored and before the next.
   * Default 1.
   */
  sessions?: number;
  /** The ingest: resolves once the batch is stored (or refused for good). */
  handle(delivery: TelegramBatchDelivery): Promise<void>;
  log: {
    info(fields: object, message: string): void;
    warn(fields: object, message: string): void;
    error(fields: object, message: string): void;
  };
  /** Default 1000: how soon a lost connection is tried again. */
  reconnectPeriodMs?: number;
  /** Default 60 (contract clause 2.3's range, also right for a cloud client). */
  keepaliveS?: number;
  now?: () => Date;
}

export interface MqttIngestWorkerStats {
  /** Batches handled and acknowledged. */
  acknowledged: number;
  /** Batches whose handling failed: not acknowledged, so the broker delivers them again. */
  failed: number;
  /** Messages on the republish topics that named no thing: acknowledged and dropped. */
  ignored: number;
  inFlight: number;
  /** Sessions connected now. */
  connected: number;
}

export interface MqttIngestWorker {
  /** Connects every session; resolves once each has its subscription, rejects if one is refused. */
  start(): Promise<void>;
  /**
   * Publishes through a session: QoS 1 by default (the contract gate's error
   * responses), QoS 0 for the ingest events, which are for now or never.
   * Resolves once handed over, not on the PUBACK: a connection reads its
   * packets one after the other, so a PUBACK awaited while a batch is being
   * handled could only arrive after that batch, and mqtt.js keeps the publish
   * and sends it again after a reconnect anyway.
   */
  publish(topic: string, payload: string, qos?: 0 | 1): Promise<void>;
  stats(): MqttIngestWorkerStats;
  /**
   * Stops taking messages, lets the batches in hand finish and be
   * acknowledged (at most `graceMs`, default 30 000), then disconnects.
   * Messages not taken stay with the broker, for the next worker.
   */
  stop(graceMs?: number): Promise<void>;
}

/** mqtt.js' reason for the SUBACK it refused. */
const SUBACK_FAILURE = 128;

/**
 * The ingest driver for workers that read over MQTT: one or more persistent
 * sessions (clean session 0, fixed client ids) in the shared subscription
 * `$share/zw-ingest/zw/v1/ingest/+/telegrams`, fed by the ingest rule's
 * republish action. Each batch is handed to `handle`, and only once that
 * resolves is it acknowledged; a batch whose handling fails is never
 * acknowledged: the session's connection is dropped, and the broker gives the
 * batch to a member again. The thing comes from the topic, which the rule
 * builds from the policy-pinned source topic, never from the payload.
 */
export function createMqttIngestWorker(options: MqttIngestWorkerOptions): MqttIngestWorker {
  const sessions = options.sessions ?? 1;
  if (!Number.isInteger(sessions) || sessions < 1 || sessions > 64) {
    throw new RangeError(`sessions must be a whole number 1-64, got ${sessions}`);
  }
  const now = options.now ?? (() => new Date());
  const { log } = options;
  const clientIds =
    sessions === 1
      ? [options.clientId]
      : Array.from({ length: sessions }, (_, i) => `${options.clientId}-${i + 1}`);
  const clients: MqttClient[] = [];
  const stats = { acknowledged: 0, failed: 0, ignored: 0, inFlight: 0 };
  let stopping = false;
  let idle: (() => void) | null = null;

  function settled(): void {
    if (stats.inFlight === 0) idle?.();
  }

  function session(clientId: string): { client: MqttClient; subscribed: Promise<void> } {
    const mqttOptions: IClientOptions = {
      clientId,
      protocolVersion: 4,
      // §1.5: the broker keeps the subscription and the unacknowledged batches while we are away.
      clean: false,
      keepalive: options.keepaliveS ?? 60,
      reconnectPeriod: options.reconnectPeriodMs ?? 1000,
      connectTimeout: 10_000,
      // Subscribed below whenever the broker has no session for us (first start, broker restart).
      resubscribe: false,
      ca: options.caPem,
      cert: options.certPem,
      key: options.keyPem,
      rejectUnauthorized: true,
      ...(options.servername === undefined ? {} : { servername: options.servername }),
      manualConnect: true,
    };
    const client = connect(options.url, mqttOptions);
    let resolveSubscribed!: () => void;
    let rejectSubscribed!: (error: Error) => void;
    const subscribed = new Promise<void>((resolve, reject) => {
      resolveSubscribed = resolve;
      rejectSubscribed = reject;
    });

    client.handleMessage = (packet, callback) => {
      // Once stopping, nothing new is started and nothing acknowledged: the broker keeps it.
      if (stopping) return;
      const thingName = parseIngestRepublishTopic(packet.topic);
      if (thingName === null) {
        stats.ignored += 1;
        log.warn(
          { clientId, topic: packet.topic },
          'message on a topic that is not a republished batch',
        );
        callback();
        return;
      }
      const delivery: TelegramBatchDelivery = {
        thingName,
        topic: ingestSourceTopic(thingName),
        payload: new Uint8Array(packet.payload as Buffer),
        // MQTT 3.1.1 carries no time of the broker's; the worker's own is the next best.
        receivedAt: now().toISOString(),
      };
      stats.inFlight += 1;
      const stream = client.stream;
      options.handle(delivery).then(
        () => {
          stats.inFlight -= 1;
          // A PUBACK belongs to the connection the message came on: on a newer one its packet
          // id may name another message. The broker gives a message whose connection ended to
          // a member again, so the batch comes back and is stored again, harmlessly.
          if (client.stream === stream) {
            stats.acknowledged += 1;
            // Sends the PUBACK, and lets mqtt.js read the next packet.
            callback();
          }
          settled();
        },
        (error: unknown) => {
          stats.inFlight -= 1;
          stats.failed += 1;
          log.error(
            { clientId, thingName, error: error instanceof Error ? error.message : String(error) },
            'batch not stored; left unacknowledged for the broker to deliver again',
          );
          // Without a PUBACK the broker keeps the batch as ours until the connection ends, and
          // mqtt.js would not read further: ending the connection hands the batch back.
          stream.destroy();
          settled();
        },
      );
    };

    client.on('connect', (connack) => {
      log.info({ clientId, sessionPresent: connack.sessionPresent }, 'ingest worker connected');
      if (connack.sessionPresent) {
        resolveSubscribed();
        return;
      }
      client.subscribe({ [INGEST_SHARED_FILTER]: { qos: 1 } }, (error, granted) => {
        const refused = error !== null && error !== undefined;
        if (refused || granted?.some((grant) => grant.qos === SUBACK_FAILURE) === true) {
          const reason = `the broker refused ${INGEST_SHARED_FILTER}`;
          log.error({ clientId, error: refused ? String(error) : undefined }, reason);
          rejectSubscribed(new Error(reason));
          return;
        }
        resolveSubscribed();
      });
    });
    client.on('error', (error) => log.warn({ clientId, error: error.message }, 'mqtt error'));
    client.on('offline', () => log.warn({ clientId }, 'ingest worker disconnected; reconnecting'));
    return { client, subscribed };
  }

  return {
    async start() {
      const started = clientIds.map((clientId) => session(clientId));
      clients.push(...started.map((s) => s.client));
      for (const { client } of started) client.connect();
      await Promise.all(started.map((s) => s.subscribed));
    },

    async publish(topic, payload, qos = 1) {
      const client = clients.find((c) => c.connected) ?? clients[0];
      if (client === undefined) throw new Error('the ingest worker is not started');
      client.publish(topic, payload, { qos }, (error) => {
        if (error) log.warn({ topic, error: error.message }, 'publish not acknowledged');
      });
    },

    stats: () => ({ ...stats, connected: clients.filter((c) => c.connected).length }),

    async stop(graceMs = 30_000) {
      stopping = true;
      if (stats.inFlight > 0) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, graceMs);
          timer.unref();
          idle = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
      await Promise.all(
        clients.map(async (client) => {
          // A clean DISCONNECT; the PUBACKs just sent go out before it.
          await Promise.race([
            client.endAsync(false),
            new Promise((resolve) => setTimeout(resolve, 2000).unref()),
          ]).catch(() => undefined);
          client.end(true);
        }),
      );
    },
  };
}
