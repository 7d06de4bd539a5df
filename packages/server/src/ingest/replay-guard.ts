/**
 * The replay guard: per meter, what the ingest remembers of the frames it
 * accepted, and the judgement of the next one. Pure: the caller loads the
 * state, judges, stores the returned state (only when it changed) with a
 * conditional write, and judges again when another worker won.
 *
 * The rules:
 *
 * 1. **The digest names the transmission.** `frameDigest` of the canonical
 *    frame is the same for every gateway that heard one transmission and for
 *    every resend of a batch. A digest already remembered whose first-seen
 *    time lies within `sameTransmissionMs` (default 5 minutes) of this
 *    frame's `receivedAt`, either side, is that transmission heard again:
 *    `duplicate`, with `firstSeenAt` the remembered time, so that every
 *    writer, in any order, derives the same reading time. The state does not
 *    change, and the first-seen time is never moved (not even to an earlier
 *    copy that arrives later), since readings may already be stored under it.
 * 2. **The same bytes much later are a recording played back.** A remembered
 *    digest whose first-seen time is further away than `sameTransmissionMs`:
 *    `replay` (`digest-seen-before`). A meter never sends the same bytes
 *    twice within that span; its access number moves with every
 *    transmission.
 * 3. **Mode 7: the message counter moves with time.** The AFL counter (MCR)
 *    increases with every message. A frame later than a remembered frame
 *    needs a greater counter, an earlier one (late delivery from a gateway's
 *    store-and-forward buffer) a smaller one. The same counter with another
 *    digest is `replay` (`counter-repeated`); the order broken is `replay`
 *    (`counter-out-of-order`). The frame is compared with every remembered
 *    frame that had a counter and with `latest`, so a late frame is checked
 *    against its neighbours in time, not only against the newest.
 * 4. **A meter that sent counters keeps sending them.** A frame without a
 *    counter after frames with one is `replay` (`counter-missing`): a
 *    mode-7 meter does not fall back to an unauthenticated mode on its own,
 *    and a frame that does is someone else's.
 * 5. **Without a counter the digest is all there is.** The access number has
 *    8 bits and wraps every 256 transmissions (hours for most meters), and
 *    gateways deliver late, so it cannot order frames: modes 0 and 5 are
 *    judged by rules 1 and 2 alone. It follows that a frame byte-identical
 *    to one 256 access numbers earlier (a meter whose values did not move)
 *    is judged `replay` while its twin is still remembered; it carries the
 *    same values, so nothing is lost.
 * 6. **`new` frames are remembered**: their digest with `receivedAt` as the
 *    first-seen time (and their counter). `latest` moves only to a frame
 *    later than it, so a late delivery never turns the meter's clock back.
 *    `duplicate` and `replay` leave the state as it was.
 * 7. **The state is bounded**: the `MAX_RECENT` (64) remembered frames
 *    latest in time. A copy of a transmission delivered after 64 later ones
 *    were accepted (a gateway offline for hours while others heard the
 *    meter) is no longer recognised by its digest: for modes 0 and 5 it is
 *    `new` again, and the reading store should therefore write readings
 *    idempotently by digest; in mode 7 it is caught only if its counter
 *    breaks the order of what is still remembered.
 *
 * Counters are unsigned 32-bit and are not expected to wrap in a meter's
 * life (one message a minute takes 8000 years). Judge with the counter that
 * peekFrame read in clear, but store the returned state only once the frame
 * has been opened and its MAC verified: an unverified counter must never
 * move the state.
 */

import { DomainError } from '../domain/errors.js';

/** Remembered frames per meter. */
export const MAX_RECENT = 64;

/** Copies of one transmission arrive within this span (gateways, resends after a reconnect). */
export const SAME_TRANSMISSION_MS = 5 * 60 * 1000;

export interface RememberedFrame {
  digest: string;
  /** First-seen time: the `receivedAt` of the copy that was judged `new`. */
  at: string;
  /** Mode 7: the frame's message counter. */
  messageCounter?: number;
}

export interface MeterStreamState {
  /** Frames accepted, ordered by first-seen time, newest last; at most MAX_RECENT. */
  recent: RememberedFrame[];
  /** The accepted frame latest in time. */
  latest?: { at: string; accessNumber: number | null; messageCounter?: number };
}

export interface JudgedFrame {
  /** frameDigest of the canonical frame. */
  digest: string;
  /** ISO-8601 UTC, as the gateway stamped it. */
  receivedAt: string;
  accessNumber: number | null;
  /** Mode 7: the AFL message counter. */
  messageCounter?: number;
}

export type ReplayReason =
  'digest-seen-before' | 'counter-repeated' | 'counter-out-of-order' | 'counter-missing';

export interface Judgement {
  verdict: 'new' | 'duplicate' | 'replay';
  /** Set for `replay`. */
  reason?: ReplayReason;
  /**
   * The reading's time: `receivedAt` of a new frame, the remembered first-seen
   * time of a duplicate. Of a replay: the original's time when its digest is
   * remembered, else `receivedAt`.
   */
  firstSeenAt: string;
  /** The state to store: a new object for `new`, the given one (or an empty one) otherwise. */
  state: MeterStreamState;
}

export interface JudgeOptions {
  sameTransmissionMs?: number;
}

function instant(iso: string, what: string): number {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) {
    throw new DomainError('VALIDATION_FAILED', `${what} is not an ISO-8601 time: '${iso}'`);
  }
  return ms;
}

/** The first frame whose counter contradicts this one's place in time, and how. */
function counterConflict(
  remembered: ReadonlyArray<{ at: string; messageCounter?: number }>,
  at: number,
  counter: number,
): ReplayReason | null {
  for (const other of remembered) {
    if (other.messageCounter === undefined) continue;
    if (other.messageCounter === counter) return 'counter-repeated';
    const otherAt = instant(other.at, 'a remembered time');
    if (otherAt < at && other.messageCounter > counter) return 'counter-out-of-order';
    if (otherAt > at && other.messageCounter < counter) return 'counter-out-of-order';
  }
  return null;
}

/** Inserts by time (after equal times), keeping the MAX_RECENT latest. */
function remember(recent: readonly RememberedFrame[], entry: RememberedFrame): RememberedFrame[] {
  const at = instant(entry.at, 'receivedAt');
  let i = recent.length;
  while (i > 0 && instant(recent[i - 1]!.at, 'a remembered time') > at) i -= 1;
  const next = [...recent.slice(0, i), entry, ...recent.slice(i)];
  return next.length > MAX_RECENT ? next.slice(next.length - MAX_RECENT) : next;
}

/** Judges one frame of a meter against what is remembered of it; see the rules above. */
export function judgeFrame(
  state: MeterStreamState | undefined,
  frame: JudgedFrame,
  options: JudgeOptions = {},
): Judgement {
  const window = options.sameTransmissionMs ?? SAME_TRANSMISSION_MS;
  const current: MeterStreamState = state ?? { recent: [] };
  const at = instant(frame.receivedAt, 'receivedAt');

  const seen = current.recent.find((r) => r.digest === frame.digest);
  if (seen !== undefined) {
    const apart = Math.abs(at - instant(seen.at, 'a remembered time'));
    return apart <= window
      ? { verdict: 'duplicate', firstSeenAt: seen.at, state: current }
      : {
          verdict: 'replay',
          reason: 'digest-seen-before',
          firstSeenAt: seen.at,
          state: current,
        };
  }

  const latest = current.latest;
  const counted = [...current.recent, ...(latest === undefined ? [] : [latest])];
  const replay = (reason: ReplayReason): Judgement => ({
    verdict: 'replay',
    reason,
    firstSeenAt: frame.receivedAt,
    state: current,
  });
  if (frame.messageCounter === undefined) {
    if (counted.some((r) => r.messageCounter !== undefined)) return replay('counter-missing');
  } else {
    const conflict = counterConflict(counted, at, frame.messageCounter);
    if (conflict !== null) return replay(conflict);
  }

  const counter =
    frame.messageCounter === undefined ? {} : { messageCounter: frame.messageCounter };
  const later = latest === undefined || at > instant(latest.at, 'latest.at');
  return {
    verdict: 'new',
    firstSeenAt: frame.receivedAt,
    state: {
      recent: remember(current.recent, { digest: frame.digest, at: frame.receivedAt, ...counter }),
      ...(later
        ? { latest: { at: frame.receivedAt, accessNumber: frame.accessNumber, ...counter } }
        : latest === undefined
          ? {}
          : { latest }),
    },
  };
}
