import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { errorFromResponse, isZaehlwerkError, ZaehlwerkError } from './errors.js';
import type { Alarm, Reading } from './models.js';
import { backoffDelay, RETRY_STATUSES, type ResolvedRetryPolicy } from './retry.js';
import type { Transport } from './transport.js';

/** What the stream is of: exactly one unit, property or meter. */
export type LiveTarget =
  | { unitId: string; propertyId?: undefined; meterId?: undefined }
  | { propertyId: string; unitId?: undefined; meterId?: undefined }
  | { meterId: string; unitId?: undefined; propertyId?: undefined };

export type LiveOptions = LiveTarget & {
  /** Ends the stream: the iteration then finishes without an error. */
  signal?: AbortSignal;
  /** Also alarms of the meters in scope, raised and cleared (events `alarm`); false. */
  alarms?: boolean;
  /** Resume after this event (sent as Last-Event-ID), e.g. the last id of an earlier stream. */
  lastEventId?: string;
  /** Connect again after the connection drops, with backoff; true. */
  reconnect?: boolean;
  /** How long a connection attempt may take; the client's `timeoutMs`. */
  timeoutMs?: number;
  /**
   * A connection that brings nothing, not even the server's keep-alive (every
   * 15 s), for this long is taken for dead and replaced; 45 s, 0: never.
   */
  idleTimeoutMs?: number;
};

/**
 * An event of `GET /v1/live`:
 * - `reading`: a new reading (or, after a reconnect, a missed one the server
 *   replays); `id` is the server's event id, `<at>#<digest>`.
 * - `overflow`: the server ended the stream, because the client fell too far
 *   behind (`reason: 'too-slow'`) or because the server may have missed
 *   readings (`'interrupted'`: its feed from the ingest workers was down); the
 *   iterator reconnects, and the server replays what it can.
 * - `alarm` (with `alarms: true`): an alarm raised or cleared, as
 *   listMeterAlarms shows it; it has no id and is not replayed after a
 *   reconnect.
 * - `reset`: the server could not replay what was missed since the last event
 *   (`reason`: `out-of-window`, `too-many`, `invalid-id`); read it from
 *   listMeterReadings. Servers without replay never send it.
 */
export type LiveEvent =
  | { type: 'reading'; id: string | undefined; reading: Reading }
  | { type: 'alarm'; change: 'raised' | 'cleared'; alarm: Alarm }
  | { type: 'overflow'; id: string | undefined; reason: string }
  | { type: 'reset'; id: string | undefined; reason: string };

export interface LiveDeps {
  baseUrl: string;
  /** The client's headers for every call (e.g. accept-language). */
  headers: Record<string, string> | undefined;
  transport: Transport;
  retryPolicy: ResolvedRetryPolicy;
}

const DEFAULT_IDLE_TIMEOUT_MS = 45_000;

function toLiveEvent(message: EventSourceMessage): LiveEvent | undefined {
  let data: unknown;
  try {
    data = JSON.parse(message.data);
  } catch {
    return undefined;
  }
  switch (message.event) {
    case 'reading':
      return { type: 'reading', id: message.id, reading: data as Reading };
    case 'alarm': {
      const { type: change, ...alarm } = data as Alarm & { type: 'raised' | 'cleared' };
      return { type: 'alarm', change, alarm };
    }
    case 'overflow':
    case 'reset': {
      const reason = (data as { reason?: unknown } | null)?.reason;
      return {
        type: message.event,
        id: message.id,
        reason: typeof reason === 'string' ? reason : '',
      };
    }
    default:
      // Events of later server versions: this client does not know them.
      return undefined;
  }
}

/** Whether a failure to connect is worth another attempt (the network, not the request). */
function isTransient(error: unknown): boolean {
  return isZaehlwerkError(error) && (error.code === 'NETWORK_ERROR' || error.code === 'TIMEOUT');
}

/**
 * New readings as the server stores them, over fetch (so that it sends the
 * client's credentials as headers, which EventSource cannot). Reconnects
 * with backoff after a dropped connection, an idle one, a 429 or a 503,
 * sending the last event's id; other refusals (401, 403, 404, 400) end it
 * with their ZaehlwerkError.
 */
export async function* liveEvents(
  deps: LiveDeps,
  options: LiveOptions,
): AsyncGenerator<LiveEvent, void, undefined> {
  const { signal, reconnect = true } = options;
  const idleTimeoutMs = options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
  const query = new URLSearchParams();
  for (const key of ['unitId', 'propertyId', 'meterId'] as const) {
    const value = options[key];
    if (value !== undefined) query.set(key, value);
  }
  if (options.alarms === true) query.set('alarms', 'true');
  const url = `${deps.baseUrl}/v1/live?${query.toString()}`;

  const stop = new AbortController();
  const onAbort = () => stop.abort(signal?.reason);
  if (signal?.aborted) return;
  signal?.addEventListener('abort', onAbort, { once: true });

  let lastEventId = options.lastEventId;
  /** The server's `retry:`, the pause it asks for before a reconnect. */
  let serverRetryMs: number | undefined;
  /** Failures since the last event: the backoff grows with them. */
  let failures = 0;
  /** Waits before the next connection; false when the stream was stopped meanwhile. */
  const pause = async (asked?: number): Promise<boolean> => {
    const policy = {
      ...deps.retryPolicy,
      baseDelayMs: serverRetryMs ?? deps.retryPolicy.baseDelayMs,
    };
    const delay = asked ?? backoffDelay(failures, policy);
    failures++;
    try {
      await deps.retryPolicy.sleep(delay, stop.signal);
      return true;
    } catch {
      return false;
    }
  };

  try {
    while (!stop.signal.aborted) {
      const connection = new AbortController();
      const endConnection = () => connection.abort(stop.signal.reason);
      stop.signal.addEventListener('abort', endConnection, { once: true });
      let idleTimer: ReturnType<typeof setTimeout> | undefined;
      const stillAlive = () => {
        if (idleTimeoutMs <= 0) return;
        clearTimeout(idleTimer);
        idleTimer = setTimeout(
          () => connection.abort(new DOMException('the live stream went quiet', 'TimeoutError')),
          idleTimeoutMs,
        );
      };
      try {
        let response: Response;
        try {
          const headers = new Headers(deps.headers);
          headers.set('accept', 'text/event-stream');
          if (lastEventId !== undefined) headers.set('last-event-id', lastEventId);
          response = await deps.transport.send(
            new Request(url, { headers, signal: connection.signal }),
            { timeoutMs: options.timeoutMs, timeoutUntilHeaders: true, retries: 0 },
          );
        } catch (error) {
          if (stop.signal.aborted) return;
          if (!reconnect || !isTransient(error)) throw error;
          if (!(await pause())) return;
          continue;
        }
        if (!response.ok) {
          const error = await errorFromResponse(response);
          if (!reconnect || !RETRY_STATUSES.has(response.status)) throw error;
          if (!(await pause(error.retryAfterMs))) return;
          continue;
        }
        if (response.body === null) {
          throw new ZaehlwerkError({
            status: response.status,
            code: 'UNEXPECTED_RESPONSE',
            message: 'the live stream has no body',
          });
        }

        const queue: LiveEvent[] = [];
        const parser = createParser({
          onEvent: (message) => {
            if (message.id !== undefined) lastEventId = message.id;
            const event = toLiveEvent(message);
            if (event !== undefined) queue.push(event);
          },
          onRetry: (ms) => {
            serverRetryMs = ms;
          },
        });
        const reader = response.body.getReader();
        const decoder = new TextDecoder();
        stillAlive();
        try {
          for (;;) {
            const { value, done } = await reader.read();
            if (done) break;
            stillAlive();
            parser.feed(decoder.decode(value, { stream: true }));
            while (queue.length > 0) {
              if (stop.signal.aborted) return;
              failures = 0;
              yield queue.shift()!;
            }
          }
        } catch (failure) {
          if (stop.signal.aborted) return;
          if (!reconnect) {
            throw new ZaehlwerkError({
              status: 0,
              code: 'NETWORK_ERROR',
              message: 'the live stream broke off',
              cause: failure,
            });
          }
        } finally {
          reader.cancel().catch(() => undefined);
        }
        if (!reconnect || stop.signal.aborted) return;
        if (!(await pause())) return;
      } finally {
        clearTimeout(idleTimer);
        stop.signal.removeEventListener('abort', endConnection);
        connection.abort();
      }
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
    stop.abort();
  }
}
