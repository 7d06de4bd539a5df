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

/** The packed form, or null when a frame cannot be packed (then the list is kept as it is). */
export function packRecentFrames(recent: readonly RememberedFrame[]): string | null {
  const entries: string[] = [];
  let previous = 0;
  for (const frame of recent) {
    if (!SAFE_DIGEST.test(frame.digest) || /[,;]/.test(frame.at)) return null;
    const counter = frame.messageCounter;
    if (counter !== undefined && (!Number.isSafeInteger(counter) || counter < 0)) return null;
    const ms = Date.parse(frame.at);
    let time: string;
    if (Number.isFinite(ms) && new Date(ms).toISOString() === frame.at) {
      time = (ms - previous).toString(36);
      previous = ms;
    } else {
      time = `!${frame.at}`;
    }
    entries.push(
      `${frame.digest},${time}${counter === undefined ? '' : `,${counter.toString(36)}`}`,
    );
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
