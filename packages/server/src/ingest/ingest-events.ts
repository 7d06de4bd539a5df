import { isAlarmCode } from '../domain/alarms/alarm.js';
import type { AlarmEvent, Reading } from './ingest-store.js';

/**
 * What an ingest worker tells the API servers after a batch is stored: the
 * fresh readings and the alarm changes, as the in-process ingest hands them
 * to the live hub. One JSON message per chunk on the ingest events topic
 * (`INGEST_EVENTS_TOPIC`); the topic's policy lets only ingest workers
 * publish, so what arrives is the platform's own, and the check on arrival
 * is against version skew and bugs rather than against an adversary.
 */
export interface IngestEvents {
  readings: Reading[];
  alarms: AlarmEvent[];
}

/** The envelope's version: an API server drops messages of a version it does not know. */
const VERSION = 1;

/**
 * IoT Core refuses payloads over 128 KiB (IOT-CORE.md §1.8); a margin below
 * it leaves room for the envelope and for multi-byte characters.
 */
export const MAX_EVENTS_MESSAGE_BYTES = 100_000;

/**
 * The events as messages of at most `maxBytes` each (a single item larger
 * than that still gets a message of its own: dropping it would lose it for
 * every subscriber, and a reading is a few hundred bytes).
 */
export function encodeIngestEvents(
  events: { readings?: readonly Reading[]; alarms?: readonly AlarmEvent[] },
  maxBytes = MAX_EVENTS_MESSAGE_BYTES,
): string[] {
  const messages: string[] = [];
  let readings: string[] = [];
  let alarms: string[] = [];
  let size = 0;
  const flush = () => {
    if (readings.length === 0 && alarms.length === 0) return;
    messages.push(
      `{"v":${VERSION},"readings":[${readings.join(',')}],"alarms":[${alarms.join(',')}]}`,
    );
    readings = [];
    alarms = [];
    size = 0;
  };
  const add = (into: 'readings' | 'alarms', item: unknown) => {
    const json = JSON.stringify(item);
    const bytes = Buffer.byteLength(json) + 1;
    if (size > 0 && size + bytes > maxBytes - 40) flush();
    (into === 'readings' ? readings : alarms).push(json);
    size += bytes;
  };
  for (const reading of events.readings ?? []) add('readings', reading);
  for (const alarm of events.alarms ?? []) add('alarms', alarm);
  flush();
  return messages;
}

const isString = (value: unknown): value is string => typeof value === 'string' && value !== '';
const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Where an item sits: what the hub filters on and the live event id is made of. */
function hasPlace(item: Record<string, unknown>): boolean {
  return (
    isString(item['partnerId']) &&
    isString(item['organisationId']) &&
    isString(item['propertyId']) &&
    isString(item['meterId']) &&
    isString(item['kind']) &&
    (item['unitId'] === undefined || isString(item['unitId'])) &&
    isString(item['digest'])
  );
}

function isReading(item: unknown): item is Reading {
  return (
    isRecord(item) &&
    hasPlace(item) &&
    isString(item['at']) &&
    isRecord(item['values']) &&
    typeof item['securityMode'] === 'number'
  );
}

function isAlarmEvent(item: unknown): item is AlarmEvent {
  return (
    isRecord(item) &&
    hasPlace(item) &&
    (item['type'] === 'raised' || item['type'] === 'cleared') &&
    typeof item['code'] === 'string' &&
    isAlarmCode(item['code']) &&
    isString(item['since']) &&
    isString(item['at'])
  );
}

/**
 * One message back into events; `null` when it is not one of ours at all.
 * Items that do not have the shape are left out and counted, so one bad item
 * does not cost the others.
 */
export function decodeIngestEvents(
  payload: Uint8Array | string,
): (IngestEvents & { dropped: number }) | null {
  let body: unknown;
  try {
    body = JSON.parse(
      typeof payload === 'string' ? payload : Buffer.from(payload).toString('utf8'),
    );
  } catch {
    return null;
  }
  if (!isRecord(body) || body['v'] !== VERSION) return null;
  const readingsIn = Array.isArray(body['readings']) ? (body['readings'] as unknown[]) : [];
  const alarmsIn = Array.isArray(body['alarms']) ? (body['alarms'] as unknown[]) : [];
  const readings = readingsIn.filter(isReading);
  const alarms = alarmsIn.filter(isAlarmEvent);
  const dropped = readingsIn.length - readings.length + alarmsIn.length - alarms.length;
  return { readings, alarms, dropped };
}
