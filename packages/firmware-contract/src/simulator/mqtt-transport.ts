import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import type { Link } from './link.js';

/** Where and how the simulated gateway connects: mutual TLS, as IoT Core requires. */
export interface MqttTransportOptions {
  kind: 'mqtt';
  /** `mqtts://host:port`, e.g. the emulator's `mqtts://127.0.0.1:8883` or an AWS ATS endpoint. */
  url: string;
  /** The TLS server name (SNI) when it is not the URL's host, e.g. `localhost` for an address. */
  servername?: string;
  /** The CA that signed the broker's certificate (PEM). */
  caPem: string;
  /** The gateway's client certificate and its private key (PEM). */
  certPem: string;
  keyPem: string;
}

export interface ConnectionHandlers {
  up(link: Link, sessionPresent: boolean): void;
  down(): void;
  message(topic: string, payload: Uint8Array): void;
  log(message: string): void;
}

/** Clause 2.3: 60-300 s recommended. */
const KEEPALIVE_S = 60;
/** Clause 2.5: backoff from 1 s, capped within 5-15 minutes, with jitter. */
const BACKOFF_FIRST_MS = 1000;
const BACKOFF_CAP_MS = 5 * 60_000;
const CONNECT_TIMEOUT_MS = 30_000;

/**
 * The gateway's MQTT side: one mqtt.js client per connection attempt, never
 * its automatic reconnect. The gateway keeps its own unacknowledged batches
 * and resends them itself (clause 7.2), so a client's own resend store must
 * die with its connection, and the reconnect follows the contract's backoff
 * (clause 2.5) rather than mqtt.js's fixed period.
 */
export class MqttConnector {
  readonly #options: MqttTransportOptions;
  readonly #clientId: string;
  readonly #handlers: ConnectionHandlers;
  #client: MqttClient | null = null;
  #timer: NodeJS.Timeout | null = null;
  #failures = 0;
  #stopped = false;

  constructor(options: MqttTransportOptions, clientId: string, handlers: ConnectionHandlers) {
    this.#options = options;
    this.#clientId = clientId;
    this.#handlers = handlers;
  }

  start(): void {
    this.#stopped = false;
    this.#attempt();
  }

  /** Ends the connection with a DISCONNECT (waiting briefly for in-flight PUBACKs) and stays off. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    const client = this.#client;
    this.#client = null;
    if (client === null) return;
    await Promise.race([
      client.endAsync(false),
      new Promise((resolve) => setTimeout(resolve, 2000).unref()),
    ]).catch(() => undefined);
    client.end(true);
  }

  /** The delay before the next attempt: exponential, with up to half again of jitter. */
  backoffMs(): number {
    const base = Math.min(BACKOFF_CAP_MS, BACKOFF_FIRST_MS * 2 ** Math.min(this.#failures, 20));
    return Math.round(base * (1 + 0.5 * Math.random()));
  }

  #attempt(): void {
    this.#timer = null;
    if (this.#stopped) return;
    const o = this.#options;
    const options: IClientOptions = {
      clientId: this.#clientId,
      protocolVersion: 4,
      keepalive: KEEPALIVE_S,
      clean: false,
      reconnectPeriod: 0,
      connectTimeout: CONNECT_TIMEOUT_MS,
      resubscribe: false,
      ca: o.caPem,
      cert: o.certPem,
      key: o.keyPem,
      rejectUnauthorized: true,
      ...(o.servername === undefined ? {} : { servername: o.servername }),
    };
    const client = connect(o.url, options);
    this.#client = client;
    let link: ClientLink | null = null;
    let closed = false;

    client.on('connect', (connack) => {
      this.#failures = 0;
      link = new ClientLink(client);
      this.#handlers.log(`connected to ${o.url} as ${this.#clientId}`);
      this.#handlers.up(link, connack.sessionPresent);
    });
    client.on('message', (topic, payload) => this.#handlers.message(topic, payload));
    client.on('error', (error) => this.#handlers.log(`mqtt: ${error.message}`));
    client.on('close', () => {
      if (closed) return;
      closed = true;
      if (link !== null) {
        link.fail();
        this.#handlers.down();
      }
      client.end(true);
      if (this.#client === client) this.#client = null;
      if (this.#stopped) return;
      if (link === null) this.#failures += 1;
      const delay = this.backoffMs();
      this.#handlers.log(
        `${link === null ? 'could not connect' : 'connection lost'}; next attempt in ${(delay / 1000).toFixed(1)} s`,
      );
      this.#timer = setTimeout(() => this.#attempt(), delay);
    });
  }
}

/** One connection's publishes: settled by their PUBACK or by the connection's end. */
class ClientLink implements Link {
  readonly #client: MqttClient;
  readonly #pending = new Set<{ reject: (error: Error) => void }>();

  constructor(client: MqttClient) {
    this.#client = client;
  }

  publish(topic: string, payload: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const entry = { reject };
      this.#pending.add(entry);
      this.#client.publish(topic, payload, { qos: 1, retain: false }, (error) => {
        if (!this.#pending.delete(entry)) return;
        if (error) reject(error);
        else resolve();
      });
    });
  }

  async subscribe(filters: readonly string[]): Promise<string[]> {
    const wanted = Object.fromEntries(filters.map((f) => [f, { qos: 1 as const }]));
    try {
      const granted = await this.#client.subscribeAsync(wanted);
      return granted.filter((g) => g.qos === 128).map((g) => g.topic);
    } catch (error) {
      // mqtt.js rejects a SUBACK with a refusal in it; the codes ride on the error.
      const codes = (error as { packet?: { granted?: unknown } }).packet?.granted;
      if (Array.isArray(codes)) return filters.filter((_, i) => codes[i] === 128);
      throw error;
    }
  }

  fail(): void {
    const error = new Error('connection lost before the PUBACK');
    for (const entry of this.#pending) entry.reject(error);
    this.#pending.clear();
  }
}
