import { describe, expect, it } from 'vitest';
import { decodeIngestEvents, encodeIngestEvents } from './ingest-events.js';
import type { AlarmEvent, Reading } from './ingest-store.js';

function reading(i: number, extra: Partial<Reading> = {}): Reading {
  return {
    partnerId: 'p1',
    meterId: `met_${i}`,
    organisationId: 'org_1',
    propertyId: 'prop_1',
    unitId: 'unit_1',
    kind: 'water-meter',
    at: `2026-11-25T01:00:${String(i % 60).padStart(2, '0')}.000Z`,
    digest: `digest-${i}`,
    register: { value: 1000 + i, unit: 'm3' },
    values: { volume: { value: 1000 + i, unit: 'm3' } },
    status: null,
    accessNumber: i % 256,
    securityMode: 5,
    driver: 'test',
    ...extra,
  } as Reading;
}

const alarm: AlarmEvent = {
  type: 'raised',
  code: 'leak',
  severity: 'critical',
  source: 'meter',
  since: '2026-11-25T01:00:00.000Z',
  at: '2026-11-25T01:00:00.000Z',
  partnerId: 'p1',
  organisationId: 'org_1',
  propertyId: 'prop_1',
  meterId: 'met_1',
  kind: 'water-meter',
  digest: 'digest-1',
};

describe('ingest events', () => {
  it('round-trips readings and alarm changes', () => {
    const messages = encodeIngestEvents({ readings: [reading(1), reading(2)], alarms: [alarm] });
    expect(messages).toHaveLength(1);
    expect(decodeIngestEvents(messages[0]!)).toEqual({
      readings: [reading(1), reading(2)],
      alarms: [alarm],
      dropped: 0,
    });
  });

  it('sends nothing for nothing', () => {
    expect(encodeIngestEvents({ readings: [], alarms: [] })).toEqual([]);
  });

  it('splits into messages below the size limit and keeps every item, in order', () => {
    const readings = Array.from({ length: 500 }, (_, i) => reading(i));
    const messages = encodeIngestEvents({ readings }, 20_000);
    expect(messages.length).toBeGreaterThan(5);
    for (const message of messages) expect(Buffer.byteLength(message)).toBeLessThanOrEqual(20_000);
    const back = messages.flatMap((m) => decodeIngestEvents(m)!.readings);
    expect(back.map((r) => r.digest)).toEqual(readings.map((r) => r.digest));
  });

  it('gives an item larger than the limit a message of its own rather than lose it', () => {
    const big = reading(1, { driver: 'x'.repeat(3000) });
    const messages = encodeIngestEvents({ readings: [reading(0), big, reading(2)] }, 1000);
    expect(messages).toHaveLength(3);
    expect(decodeIngestEvents(messages[1]!)!.readings).toEqual([big]);
  });

  it('counts the items that lack their place and passes the others', () => {
    const { meterId: _, ...noMeter } = reading(3);
    const payload = JSON.stringify({
      v: 1,
      readings: [reading(1), noMeter, 'nonsense'],
      alarms: [alarm, { ...alarm, code: 'no-such-alarm' }],
    });
    const decoded = decodeIngestEvents(Buffer.from(payload));
    expect(decoded).toEqual({ readings: [reading(1)], alarms: [alarm], dropped: 3 });
  });

  it('refuses what is not an events message of this version', () => {
    expect(decodeIngestEvents('not json')).toBeNull();
    expect(decodeIngestEvents('[]')).toBeNull();
    expect(decodeIngestEvents(JSON.stringify({ v: 2, readings: [reading(1)] }))).toBeNull();
  });
});
