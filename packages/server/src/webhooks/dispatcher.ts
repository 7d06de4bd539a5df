import { randomBytes } from 'node:crypto';
import { setTimeout as sleepFor } from 'node:timers/promises';
import {
  PING_EVENT_TYPE,
  retryDelayMs,
  RETRY_DELAYS_MS,
  wantsEvent,
  type DeliveredEventType,
  type Webhook,
  type WebhookDelivery,
  type WebhookEvent,
  type WebhookEventType,
  type WebhookStore,
} from '../domain/webhooks/webhook.js';
import { alarmView } from '../http/routes/alarms.js';
import { readingView } from '../http/routes/meter-readings.js';
import type { AlarmEvent, Reading } from '../ingest/ingest-store.js';
import type { KeyVault } from '../keys/key-vault.js';
import { postWebhook, resolveAll, type PostWebhookResult } from './deliver.js';
import { openWebhookSecret } from './webhook-secret.js';

export interface WebhookDispatcherOptions {
  store: WebhookStore;
  vault: Pick<KeyVault, 'open'>;
  /** Development and tests: deliveries to loopback and private addresses are allowed. */
  allowLocal: boolean;
  log: { warn(fields: object, message: string): void };
  fetch?: typeof globalThis.fetch;
  /** Every address of a host name; the system resolver when absent. */
  resolve?: (hostname: string) => Promise<string[]>;
  /** Milliseconds since the epoch. */
  now?: () => number;
  /** Waits before a retry; ends early (rejecting) when the signal aborts. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** The waits between attempts; RETRY_DELAYS_MS (six attempts over about an hour). */
  retryDelaysMs?: readonly number[];
  /** Per attempt; 5 s. */
  timeoutMs?: number;
  /** Readings stored within this window go out in one POST per subscription; 1 s. */
  batchWindowMs?: number;
  /** At most this many readings in one POST; 100. */
  maxBatchReadings?: number;
  /** Deliveries queued or waiting for a retry, over all subscriptions; 10 000. Beyond: dropped. */
  maxPending?: number;
  /** POSTs in flight at once; 8. */
  concurrency?: number;
  /** How long an organisation's subscriptions are reused before being read again; 5 s. */
  subscriptionTtlMs?: number;
}

interface WebhookRef {
  partnerId: string;
  organisationId: string;
  webhookId: string;
}

interface ReadingBuffer {
  ref: WebhookRef;
  readings: Record<string, unknown>[];
  timer: ReturnType<typeof setTimeout>;
}

export interface WebhookDispatcherStats {
  pending: number;
  delivered: number;
  failedAttempts: number;
  /** Gave up after the last attempt. */
  exhausted: number;
  /** Not queued: the queue was full. */
  dropped: number;
}

/** Organisations whose subscriptions are cached at once. */
const MAX_CACHED_ORGANISATIONS = 10_000;

function newId(prefix: string): string {
  return `${prefix}_${randomBytes(12).toString('base64url').replace(/[-_]/g, 'x')}`;
}

function refOf(webhook: Webhook): WebhookRef {
  return {
    partnerId: webhook.partnerId,
    organisationId: webhook.organisationId,
    webhookId: webhook.id,
  };
}

/**
 * Delivers what the ingest tells it to the organisations' webhooks. The ingest's
 * hooks only enqueue (they never wait and never throw); readings are gathered
 * per subscription for a moment and sent together; a failed attempt is retried
 * with growing waits. The queue lives in this process's memory, bounded by
 * `maxPending`: deliveries pending when it stops (a deploy, a crash) are lost.
 * Before every attempt the webhook is read again, so one disabled, deleted or
 * no longer subscribed gets nothing more, retries included.
 */
export class WebhookDispatcher {
  readonly #o: Required<Omit<WebhookDispatcherOptions, 'fetch'>> & {
    fetch: typeof globalThis.fetch;
  };
  readonly #subscriptions = new Map<string, { until: number; webhooks: Promise<Webhook[]> }>();
  readonly #buffers = new Map<string, ReadingBuffer>();
  readonly #tasks = new Set<Promise<void>>();
  readonly #closing = new AbortController();
  readonly #stats: WebhookDispatcherStats = {
    pending: 0,
    delivered: 0,
    failedAttempts: 0,
    exhausted: 0,
    dropped: 0,
  };
  #inFlight = 0;
  readonly #waiting: Array<() => void> = [];

  constructor(options: WebhookDispatcherOptions) {
    this.#o = {
      resolve: resolveAll,
      now: Date.now,
      sleep: (ms, signal) => sleepFor(ms, undefined, { signal, ref: false }),
      retryDelaysMs: RETRY_DELAYS_MS,
      timeoutMs: 5000,
      batchWindowMs: 1000,
      maxBatchReadings: 100,
      maxPending: 10_000,
      concurrency: 8,
      subscriptionTtlMs: 5000,
      ...options,
      fetch: options.fetch ?? globalThis.fetch,
    };
  }

  stats(): WebhookDispatcherStats {
    return { ...this.#stats };
  }

  /** The ingest's onReadings: enqueues, never waits, never throws. */
  onReadings(readings: readonly Reading[]): void {
    if (this.#closing.signal.aborted) return;
    for (const [, group] of groupByOrganisation(readings)) {
      const first = group[0]!;
      this.#track(
        this.#subscribers(first.partnerId, first.organisationId, 'reading.stored').then(
          (webhooks) => {
            for (const webhook of webhooks) this.#buffer(refOf(webhook), group);
          },
        ),
      );
    }
  }

  /** The ingest's onAlarms: one event per raise or clear, to each subscription that wants it. */
  onAlarms(events: readonly AlarmEvent[]): void {
    if (this.#closing.signal.aborted) return;
    for (const event of events) {
      const type: WebhookEventType = event.type === 'raised' ? 'alarm.raised' : 'alarm.cleared';
      const data = { alarm: alarmData(event) };
      this.#track(
        this.#subscribers(event.partnerId, event.organisationId, type).then((webhooks) => {
          for (const webhook of webhooks) {
            this.#enqueue(refOf(webhook), this.#event(type, event.organisationId, data));
          }
        }),
      );
    }
  }

  /**
   * Sends a `ping` now, once (no retries), whether or not the webhook is
   * enabled, and records the attempt: for the operator's test button.
   */
  async sendTest(webhook: Webhook): Promise<WebhookDelivery> {
    const event = this.#event(PING_EVENT_TYPE, webhook.organisationId, {
      webhookId: webhook.id,
      message: 'Zählwerk webhook test',
    });
    const body = JSON.stringify(event);
    const result = await this.#attempt(webhook, event, body, 1);
    const delivery = this.#delivery(webhook, event, 1, result, null);
    await this.#record(delivery);
    return delivery;
  }

  /** Forgets an organisation's cached subscriptions (after a change through the API). */
  invalidate(partnerId: string, organisationId: string): void {
    this.#subscriptions.delete(`${partnerId}\n${organisationId}`);
  }

  /** Sends every gathered batch now and waits until nothing is queued or waiting (tests). */
  async drain(): Promise<void> {
    for (;;) {
      for (const key of [...this.#buffers.keys()]) this.#flush(key);
      if (this.#tasks.size === 0) return;
      await Promise.allSettled([...this.#tasks]);
    }
  }

  /** Stops: gathered readings and pending retries are dropped, attempts in flight aborted. */
  async close(): Promise<void> {
    this.#closing.abort();
    for (const buffer of this.#buffers.values()) clearTimeout(buffer.timer);
    this.#buffers.clear();
    await Promise.allSettled([...this.#tasks]);
  }

  #track(task: Promise<unknown>): void {
    const tracked = task.then(
      () => undefined,
      (error: unknown) => this.#o.log.warn({ error: String(error) }, 'webhook dispatch failed'),
    );
    this.#tasks.add(tracked);
    void tracked.finally(() => this.#tasks.delete(tracked));
  }

  async #subscribers(
    partnerId: string,
    organisationId: string,
    type: WebhookEventType,
  ): Promise<Webhook[]> {
    const key = `${partnerId}\n${organisationId}`;
    const now = this.#o.now();
    let cached = this.#subscriptions.get(key);
    if (cached === undefined || cached.until <= now) {
      if (this.#subscriptions.size >= MAX_CACHED_ORGANISATIONS) this.#pruneSubscriptions(now);
      const webhooks = this.#o.store.listByOrganisation(partnerId, organisationId);
      cached = { until: now + this.#o.subscriptionTtlMs, webhooks };
      this.#subscriptions.set(key, cached);
      // A failed read is not cached: the next batch asks again.
      webhooks.catch(() => {
        if (this.#subscriptions.get(key) === cached) this.#subscriptions.delete(key);
      });
    }
    return (await cached.webhooks).filter((w) => wantsEvent(w, type));
  }

  /** Expired entries go; if all are fresh, all go: the cache must not grow with the deployment. */
  #pruneSubscriptions(now: number): void {
    for (const [key, entry] of this.#subscriptions) {
      if (entry.until <= now) this.#subscriptions.delete(key);
    }
    if (this.#subscriptions.size >= MAX_CACHED_ORGANISATIONS) this.#subscriptions.clear();
  }

  #buffer(ref: WebhookRef, readings: readonly Reading[]): void {
    if (this.#closing.signal.aborted) return;
    const key = `${ref.partnerId}\n${ref.organisationId}\n${ref.webhookId}`;
    for (const reading of readings) {
      let buffer = this.#buffers.get(key);
      if (buffer === undefined) {
        const timer = setTimeout(() => this.#flush(key), this.#o.batchWindowMs);
        timer.unref();
        buffer = { ref, readings: [], timer };
        this.#buffers.set(key, buffer);
      }
      buffer.readings.push(readingView(reading));
      if (buffer.readings.length >= this.#o.maxBatchReadings) this.#flush(key);
    }
  }

  #flush(key: string): void {
    const buffer = this.#buffers.get(key);
    if (buffer === undefined) return;
    this.#buffers.delete(key);
    clearTimeout(buffer.timer);
    const { ref, readings } = buffer;
    this.#enqueue(ref, this.#event('reading.stored', ref.organisationId, { readings }));
  }

  #event(type: DeliveredEventType, organisationId: string, data: unknown): WebhookEvent {
    return {
      id: newId('evt'),
      type,
      createdAt: new Date(this.#o.now()).toISOString(),
      organisationId,
      data,
    };
  }

  #enqueue(ref: WebhookRef, event: WebhookEvent): void {
    if (this.#stats.pending >= this.#o.maxPending) {
      this.#stats.dropped += 1;
      this.#o.log.warn(
        { webhookId: ref.webhookId, eventType: event.type, pending: this.#stats.pending },
        'webhook queue full: event dropped',
      );
      return;
    }
    this.#stats.pending += 1;
    this.#track(this.#run(ref, event).finally(() => (this.#stats.pending -= 1)));
  }

  /** Every attempt of one event to one subscription, with the waits between them. */
  async #run(ref: WebhookRef, event: WebhookEvent): Promise<void> {
    const body = JSON.stringify(event);
    for (let attempt = 1; ; attempt += 1) {
      if (this.#closing.signal.aborted) return;
      const webhook = await this.#o.store.get(ref.partnerId, ref.organisationId, ref.webhookId);
      if (webhook === null || !wantsEvent(webhook, event.type as WebhookEventType)) return;
      const result = await this.#limited(() => this.#attempt(webhook, event, body, attempt));
      if (this.#closing.signal.aborted) return;
      const delay = result.ok ? null : retryDelayMs(attempt, this.#o.retryDelaysMs);
      const nextRetryAt = delay === null ? null : new Date(this.#o.now() + delay).toISOString();
      await this.#record(this.#delivery(webhook, event, attempt, result, nextRetryAt));
      if (result.ok) {
        this.#stats.delivered += 1;
        return;
      }
      this.#stats.failedAttempts += 1;
      if (delay === null) {
        this.#stats.exhausted += 1;
        return;
      }
      try {
        await this.#o.sleep(delay, this.#closing.signal);
      } catch {
        return;
      }
    }
  }

  async #attempt(
    webhook: Webhook,
    event: WebhookEvent,
    body: string,
    attempt: number,
  ): Promise<PostWebhookResult> {
    let secret: string;
    try {
      secret = await openWebhookSecret(this.#o.vault, webhook);
    } catch (error) {
      this.#o.log.warn({ webhookId: webhook.id, error: String(error) }, 'webhook secret unusable');
      return {
        ok: false,
        statusCode: null,
        error: 'the signing secret could not be opened',
        durationMs: 0,
      };
    }
    return postWebhook(
      { url: webhook.url, body, secret, eventId: event.id, eventType: event.type, attempt },
      {
        fetch: this.#o.fetch,
        resolve: this.#o.resolve,
        allowLocal: this.#o.allowLocal,
        timeoutMs: this.#o.timeoutMs,
        now: this.#o.now,
        signal: this.#closing.signal,
      },
    );
  }

  #delivery(
    webhook: Webhook,
    event: WebhookEvent,
    attempt: number,
    result: PostWebhookResult,
    nextRetryAt: string | null,
  ): WebhookDelivery {
    return {
      id: newId('dlv'),
      ...refOf(webhook),
      eventId: event.id,
      eventType: event.type,
      attempt,
      at: new Date(this.#o.now() - result.durationMs).toISOString(),
      statusCode: result.statusCode,
      durationMs: result.durationMs,
      ok: result.ok,
      error: result.error,
      nextRetryAt,
    };
  }

  async #record(delivery: WebhookDelivery): Promise<void> {
    try {
      await this.#o.store.recordDelivery(delivery);
    } catch (error) {
      // The list is for debugging; losing an entry must not stop the delivery itself.
      this.#o.log.warn(
        { webhookId: delivery.webhookId, error: String(error) },
        'delivery not recorded',
      );
    }
  }

  async #limited<T>(run: () => Promise<T>): Promise<T> {
    while (this.#inFlight >= this.#o.concurrency) {
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    }
    this.#inFlight += 1;
    try {
      return await run();
    } finally {
      this.#inFlight -= 1;
      this.#waiting.shift()?.();
    }
  }
}

function groupByOrganisation(readings: readonly Reading[]): Map<string, Reading[]> {
  const groups = new Map<string, Reading[]>();
  for (const reading of readings) {
    const key = `${reading.partnerId}\n${reading.organisationId}`;
    const group = groups.get(key);
    if (group === undefined) groups.set(key, [reading]);
    else group.push(reading);
  }
  return groups;
}

/** The alarm as the alarms API shows it to its operator, and when this change happened. */
function alarmData(event: AlarmEvent): Record<string, unknown> {
  const view = alarmView(
    {
      partnerId: event.partnerId,
      organisationId: event.organisationId,
      propertyId: event.propertyId,
      ...(event.unitId === undefined ? {} : { unitId: event.unitId }),
      meterId: event.meterId,
      kind: event.kind,
      code: event.code,
      severity: event.severity,
      source: event.source,
      since: event.since,
      ...(event.type === 'cleared' ? { clearedAt: event.at } : {}),
      ...(event.detail === undefined ? {} : { detail: event.detail }),
    },
    'manager',
  );
  // Acknowledgements are the API's: an event is about the meter.
  const { acknowledged: _acknowledged, ...rest } = view;
  return { ...rest, at: event.at };
}
