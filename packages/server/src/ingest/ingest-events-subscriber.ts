import { connect, type MqttClient } from 'mqtt';
import { INGEST_EVENTS_TOPIC } from '../iot/ingest-republish.js';
import { decodeIngestEvents, type IngestEvents } from './ingest-events.js';
import type { MqttTlsConnection } from './mqtt-worker.js';

/** The connection's certificate is an ingest worker's: its policy lets it read the events topic. */
export interface IngestEventsSubscriberOptions extends MqttTlsConnection {
  /** Unique per API server: two connections with one id take each other's place. */
  clientId: string;
  onEvents(events: IngestEvents): void;
  /**
   * The subscription is back after a break: events published meanwhile are
   * lost to this server (clean session, QoS 0), so its live subscribers
   * should catch up from the table.
   */
  onInterrupted?: () => void;
  log: {
    info(fields: object, message: string): void;
    warn(fields: object, message: string): void;
  };
  reconnectPeriodMs?: number;
}

export interface IngestEventsSubscriber {
  stats(): { messages: number; dropped: number; interruptions: number; connected: boolean };
  close(): Promise<void>;
}

/**
 * The API server's side of the ingest events: when workers in other
 * processes store the readings, this subscription feeds the server's live
 * hub. Clean session and QoS 0: live updates are for now, and a subscriber
 * that missed some resumes from the table with Last-Event-ID; a session kept
 * for an API server that is gone for good would only fill up on the broker.
 * Resolves once subscribed; rejects if the broker refuses the subscription.
 */
export async function startIngestEventsSubscriber(
  options: IngestEventsSubscriberOptions,
): Promise<IngestEventsSubscriber> {
  const { log } = options;
  const stats = { messages: 0, dropped: 0, interruptions: 0 };
  const client: MqttClient = connect(options.url, {
    clientId: options.clientId,
    protocolVersion: 4,
    clean: true,
    keepalive: 60,
    reconnectPeriod: options.reconnectPeriodMs ?? 1000,
    connectTimeout: 10_000,
    ca: options.caPem,
    cert: options.certPem,
    key: options.keyPem,
    rejectUnauthorized: true,
    ...(options.servername === undefined ? {} : { servername: options.servername }),
    // Subscribed below on every connect, so that a break is known once the subscription is back.
    resubscribe: false,
  });
  client.on('message', (topic, payload) => {
    if (topic !== INGEST_EVENTS_TOPIC) return;
    const events = decodeIngestEvents(payload);
    if (events === null) {
      stats.dropped += 1;
      log.warn({ bytes: payload.length }, 'ingest events message not understood; dropped');
      return;
    }
    stats.messages += 1;
    if (events.dropped > 0) {
      stats.dropped += events.dropped;
      log.warn({ dropped: events.dropped }, 'ingest events items not understood; dropped');
    }
    options.onEvents({ readings: events.readings, alarms: events.alarms });
  });
  client.on('offline', () =>
    log.warn({ clientId: options.clientId }, 'ingest events subscription lost; reconnecting'),
  );
  client.on('error', (error) =>
    log.warn({ clientId: options.clientId, error: error.message }, 'ingest events mqtt error'),
  );
  let started = false;
  const subscribed = new Promise<void>((resolve, reject) => {
    client.on('connect', () => {
      client.subscribe(INGEST_EVENTS_TOPIC, { qos: 0 }, (error, granted) => {
        if (error || granted?.some((grant) => grant.qos === 128) === true) {
          const refused = new Error(`the broker refused ${INGEST_EVENTS_TOPIC}`);
          if (!started) reject(refused);
          else log.warn({ clientId: options.clientId }, refused.message);
          return;
        }
        if (!started) {
          started = true;
          resolve();
          return;
        }
        stats.interruptions += 1;
        log.warn({ clientId: options.clientId }, 'ingest events subscribed again after a break');
        options.onInterrupted?.();
      });
    });
    client.once('error', (error) => {
      if (!started) reject(error);
    });
  });
  try {
    await subscribed;
  } catch (error) {
    client.end(true);
    throw error;
  }
  log.info({ clientId: options.clientId }, 'ingest events subscribed');
  return {
    stats: () => ({ ...stats, connected: client.connected }),
    async close() {
      await client.endAsync(true).catch(() => undefined);
    },
  };
}
