import type { RememberedFrame } from '../ingest/replay-guard.js';

/**
 * The replay guard's remembered frames as one string attribute of the meter's
 * stream item. The stream is rewritten with every telegram of its meter, and
 * at its 64 frames the list as DynamoDB maps was most of the item: about 4 KB
 * by DynamoDB's count (every entry repeats its attribute names and a 24
 * character time), 4 write units a telegram on Amazon DynamoDB, and the bulk
 * of each call's marshalling here. Packed it is under 2 KB.
 *
 * `1:` then entries joined by `;`, each `<digest>,<time>[,<counter>]`: the
 * time in milliseconds, base 36, since the epoch for the first entry and
 * since the entry before for the others (frames are kept in time order, a few
 * minutes apart: four or five digits instead of eight), or `!` and the string
 * as it came when it is not what Date.toISOString() gives back (a reading's
 * key is made of it, so it must come back exactly as it was); the mode-7
 * message counter in base 36. Digests are base64url, so `,` and `;` cannot
 * occur.
 */
const VERSION = '1:';
const SAFE_DIGEST = /^[A-Za-z0-9_-]+$/;

/**
 * What packing needs of a frame, worked out once per frame object: a meter's
 * stream is packed at every save, and its frames are the same objects from
 * save to save (the guard keeps them and never changes one), while parsing
 * all 64 at every save was a few per cent of the ingest's CPU. Null: the frame
 * cannot be packed.
 */
interface FramePacking {
  /** The digest and, after the time, the counter: `<digest>,` and `[,<counter>]`. */
  head: string;
  tail: string;
  /** Milliseconds since the epoch, or the time as it came (`!…`). */
  time: number | string;
}
const packings = new WeakMap<RememberedFrame, FramePacking | null>();

function packingOf(frame: RememberedFrame): FramePacking | null {
  const cached = packings.get(frame);
  if (cached !== undefined) return cached;
  let packing: FramePacking | null = null;
  const counter = frame.messageCounter;
  if (
    SAFE_DIGEST.test(frame.digest) &&
    !/[,;]/.test(frame.at) &&
    (counter === undefined || (Number.isSafeInteger(counter) && counter >= 0))
  ) {
    const ms = Date.parse(frame.at);
    packing = {
      head: `${frame.digest},`,
      tail: counter === undefined ? '' : `,${counter.toString(36)}`,
      time: Number.isFinite(ms) && new Date(ms).toISOString() === frame.at ? ms : `!${frame.at}`,
    };
  }
  packings.set(frame, packing);
  return packing;
}

/** The packed form, or null when a frame cannot be packed (then the list is kept as it is). */
export function packRecentFrames(recent: readonly RememberedFrame[]): string | null {
  const entries: string[] = [];
  let previous = 0;
  for (const frame of recent) {
    const packing = packingOf(frame);
    if (packing === null) return null;
    let time: string;
    if (typeof packing.time === 'number') {
      time = (packing.time - previous).toString(36);
      previous = packing.time;
    } else {
      time = packing.time;
    }
    entries.push(packing.head + time + packing.tail);
  }
  return VERSION + entries.join(';');
}

export function unpackRecentFrames(packed: string): RememberedFrame[] {
  if (!packed.startsWith(VERSION)) {
    throw new Error(`unknown packed frames format '${packed.slice(0, 8)}'`);
  }
  const body = packed.slice(VERSION.length);
  if (body === '') return [];
  let previous = 0;
  return body.split(';').map((entry) => {
    const [digest, time, counter] = entry.split(',');
    if (digest === undefined || digest === '' || time === undefined || time === '') {
      throw new Error('malformed packed frame');
    }
    let at: string;
    if (time.startsWith('!')) {
      at = time.slice(1);
    } else {
      previous += parseInt(time, 36);
      at = new Date(previous).toISOString();
    }
    return {
      digest,
      at,
      ...(counter === undefined ? {} : { messageCounter: parseInt(counter, 36) }),
    };
  });
}
