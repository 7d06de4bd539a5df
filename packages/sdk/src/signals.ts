/** A signal that aborts with the first of `signals` (AbortSignal.any where the runtime has it). */
export function anySignal(signals: readonly AbortSignal[]): AbortSignal {
  if (typeof AbortSignal.any === 'function') return AbortSignal.any([...signals]);
  // Browsers before 2024 (Safari < 17.4): the same, by hand.
  const controller = new AbortController();
  for (const signal of signals) {
    if (signal.aborted) {
      controller.abort(signal.reason);
      break;
    }
    signal.addEventListener('abort', () => controller.abort(signal.reason), {
      once: true,
      signal: controller.signal,
    });
  }
  return controller.signal;
}

export interface Timeout {
  signal: AbortSignal;
  /** A stream's: it ends with the headers, when it is cleared. */
  untilHeaders: boolean;
  clear(): void;
}

function timeoutError(ms: number): DOMException {
  return new DOMException(`no answer within ${ms} ms`, 'TimeoutError');
}

/**
 * A signal that aborts with a TimeoutError after `ms`. A call's lasts while
 * its body is read, so it is AbortSignal.timeout, whose timer does not keep
 * Node running; a stream's stops when cleared.
 */
export function timeoutSignal(ms: number, untilHeaders: boolean): Timeout {
  if (!untilHeaders && typeof AbortSignal.timeout === 'function') {
    return { signal: AbortSignal.timeout(ms), untilHeaders, clear: () => undefined };
  }
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(timeoutError(ms)), ms);
  return { signal: controller.signal, untilHeaders, clear: () => clearTimeout(timer) };
}
