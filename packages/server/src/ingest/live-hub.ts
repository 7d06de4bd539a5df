import type { AlarmEvent, Reading } from './ingest-store.js';

/** Which readings a subscriber gets; the route fills it in after authorising the caller. */
export interface LiveFilter {
  partnerId: string;
  organisationId?: string;
  propertyId?: string;
  unitId?: string;
  meterId?: string;
  /** Readings first heard before this instant are not sent (a tenant's tenancy start). */
  notBefore?: string;
  /** Readings first heard at or after this instant are not sent (a tenancy's end). */
  notAfter?: string;
  /** Whether the subscriber may see one unit's values (landlords may not). */
  unitValues?: boolean;
  /** Whether alarms raised and cleared come too; readings only when absent. */
  alarms?: boolean;
}

/** What a subscriber is sent: a reading stored, or an alarm raised or cleared. */
export type LiveItem = { type: 'reading'; reading: Reading } | { type: 'alarm'; alarm: AlarmEvent };

/**
 * Why the hub ended a subscription: `too-slow`, its client did not keep up;
 * `interrupted`, the hub's own feed was down and it may have missed readings.
 */
export type LiveEndReason = 'too-slow' | 'interrupted';

export interface LiveSubscription {
  /** Items in the order they were stored; ends when closed or when the subscriber fell behind. */
  [Symbol.asyncIterator](): AsyncIterator<LiveItem>;
  /** Set when the hub ended the subscription (see endedBecause). */
  readonly overflowed: boolean;
  /** Why the hub ended it; null while it runs or when the client closed it. */
  readonly endedBecause: LiveEndReason | null;
  close(): void;
}

export interface LiveHubOptions {
  /** Readings queued per subscriber before it is dropped as too slow; 1000 when absent. */
  maxQueue?: number;
  /** Subscribers at once; beyond it subscribe throws. 10 000 when absent. */
  maxSubscribers?: number;
}

/**
 * The event id of a reading in a live stream: its sort key in the meter's
 * readings partition, so that a reconnecting client's Last-Event-ID is where
 * a replay from the store starts.
 */
export function liveEventId(reading: Pick<Reading, 'at' | 'digest'>): string {
  return `${reading.at}#${reading.digest}`;
}

export function matchesFilter(
  filter: LiveFilter,
  reading: Pick<
    Reading,
    'partnerId' | 'organisationId' | 'propertyId' | 'unitId' | 'meterId' | 'at'
  >,
): boolean {
  if (reading.partnerId !== filter.partnerId) return false;
  if (filter.organisationId !== undefined && reading.organisationId !== filter.organisationId) {
    return false;
  }
  if (filter.propertyId !== undefined && reading.propertyId !== filter.propertyId) return false;
  if (filter.unitId !== undefined && reading.unitId !== filter.unitId) return false;
  if (filter.meterId !== undefined && reading.meterId !== filter.meterId) return false;
  if (filter.notBefore !== undefined && reading.at < filter.notBefore) return false;
  if (filter.notAfter !== undefined && reading.at >= filter.notAfter) return false;
  if (filter.unitValues === false && reading.unitId !== undefined) return false;
  return true;
}

/**
 * As matchesFilter, on the alarm's meter; a tenant is told of episodes that
 * began in the tenancy only (what the meter's alarms route shows them).
 */
export function matchesAlarmFilter(filter: LiveFilter, alarm: AlarmEvent): boolean {
  if (filter.alarms !== true) return false;
  if (filter.notBefore !== undefined && alarm.since < filter.notBefore) return false;
  return matchesFilter(filter, {
    partnerId: alarm.partnerId,
    organisationId: alarm.organisationId,
    propertyId: alarm.propertyId,
    ...(alarm.unitId === undefined ? {} : { unitId: alarm.unitId }),
    meterId: alarm.meterId,
    at: alarm.at,
  });
}

/**
 * In-process fan-out of freshly stored readings to live subscribers (SSE).
 * Each subscriber has a bounded queue; one that does not keep up is dropped
 * (its client reconnects and reads what it missed from the API) rather than
 * letting memory grow with a stalled connection.
 */
export class LiveHub {
  readonly #subscribers = new Set<Subscriber>();
  readonly #maxQueue: number;
  readonly #maxSubscribers: number;

  constructor(options: LiveHubOptions = {}) {
    this.#maxQueue = options.maxQueue ?? 1000;
    this.#maxSubscribers = options.maxSubscribers ?? 10_000;
  }

  get size(): number {
    return this.#subscribers.size;
  }

  publish(readings: readonly Reading[]): void {
    for (const subscriber of this.#subscribers) {
      for (const reading of readings) {
        if (matchesFilter(subscriber.filter, reading)) {
          subscriber.push({ type: 'reading', reading });
        }
      }
    }
  }

  publishAlarms(alarms: readonly AlarmEvent[]): void {
    for (const subscriber of this.#subscribers) {
      for (const alarm of alarms) {
        if (matchesAlarmFilter(subscriber.filter, alarm)) subscriber.push({ type: 'alarm', alarm });
      }
    }
  }

  /**
   * Ends every subscription as one that fell behind: readings were stored
   * that this hub may not have heard of (its feed from the ingest workers was
   * down), so each client is told to reconnect and catch up from the table.
   * Returns how many were ended.
   */
  interrupt(): number {
    const subscribers = [...this.#subscribers];
    for (const subscriber of subscribers) subscriber.end('interrupted');
    return subscribers.length;
  }

  subscribe(filter: LiveFilter): LiveSubscription {
    if (this.#subscribers.size >= this.#maxSubscribers) {
      throw new Error('too many live subscribers');
    }
    const subscriber = new Subscriber(filter, this.#maxQueue, () =>
      this.#subscribers.delete(subscriber),
    );
    this.#subscribers.add(subscriber);
    return subscriber;
  }
}

class Subscriber implements LiveSubscription {
  readonly #queue: LiveItem[] = [];
  #waiting: ((result: IteratorResult<LiveItem>) => void) | null = null;
  #closed = false;
  #endedBecause: LiveEndReason | null = null;

  constructor(
    readonly filter: LiveFilter,
    private readonly maxQueue: number,
    private readonly onClose: () => void,
  ) {}

  get overflowed(): boolean {
    return this.#endedBecause !== null;
  }

  get endedBecause(): LiveEndReason | null {
    return this.#endedBecause;
  }

  end(reason: LiveEndReason): void {
    if (this.#closed) return;
    this.#endedBecause = reason;
    this.close();
  }

  push(item: LiveItem): void {
    if (this.#closed) return;
    if (this.#waiting !== null) {
      const resolve = this.#waiting;
      this.#waiting = null;
      resolve({ value: item, done: false });
      return;
    }
    if (this.#queue.length >= this.maxQueue) {
      this.end('too-slow');
      return;
    }
    this.#queue.push(item);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.onClose();
    if (this.#waiting !== null) {
      const resolve = this.#waiting;
      this.#waiting = null;
      resolve({ value: undefined, done: true });
    }
  }

  [Symbol.asyncIterator](): AsyncIterator<LiveItem> {
    return {
      next: () => {
        const queued = this.#queue.shift();
        if (queued !== undefined) return Promise.resolve({ value: queued, done: false });
        if (this.#closed) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => {
          this.#waiting = resolve;
        });
      },
      return: () => {
        this.close();
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}
