import type { TelegramBatch, TelegramFrame } from '@zaehlwerk/firmware-contract';
import { bytesToHex, encode, type RecordSpec } from '@zaehlwerk/wmbus';
import { beforeAll, describe, expect, it } from 'vitest';
import type { TelegramBatchDelivery } from '../src/domain/ports.js';
import type { Meter, MeterKind } from '../src/domain/tenancy/meter.js';
import type { AlarmEvent, IngestStore, StoredAlarm } from '../src/ingest/ingest-store.js';
import { createIngestPipeline, type IngestPipeline } from '../src/ingest/pipeline.js';
import { createDynamoIngestStore } from '../src/store/dynamodb-ingest-store.js';
import { useDynaliteTable } from './ports/dynalite-table.js';

const PARTNER = 'alarm-partner';
const ORGANISATION = 'org_alarms';
const GATEWAY = 'alarm-gw';
const KEY = '0123456789ABCDEF0123456789ABCDEF';
const WIDE_OPEN = { from: '2000-01-01T00:00:00.000Z', to: '2100-01-01T00:00:00.000Z' };
const T0 = Date.parse('2025-03-03T06:00:00.000Z');
const at = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();
/** The TPL status byte's power-low bit (EN 13757-7). */
const POWER_LOW = 0x04;

const DEVICE_TYPES: Record<MeterKind, number> = {
  'water-meter': 0x07,
  'warm-water-meter': 0x06,
  'heat-meter': 0x04,
  'heat-cost-allocator': 0x08,
};

let serial = 41_000_000;
function meterOf(kind: MeterKind): Meter {
  const n = serial++;
  return {
    id: `met_alarm${n}`,
    partnerId: PARTNER,
    organisationId: ORGANISATION,
    propertyId: 'prop_alarms',
    unitId: 'unit_alarms',
    kind,
    manufacturer: 'ZWM',
    meterId: String(n),
    deviceVersion: 1,
    deviceType: DEVICE_TYPES[kind],
    installedAt: '2025-01-01T00:00:00.000Z',
    keyRef: 'key-1',
    version: 1,
    createdAt: '2025-01-01T00:00:00.000Z',
    updatedAt: '2025-01-01T00:00:00.000Z',
  };
}

let access = 0;
/** One frame of the meter, as the meter sends it (mode 5, our key) and a gateway hands it on. */
function frameOf(meter: Meter, minute: number, register: number, status = 0): TelegramFrame {
  const records: RecordSpec[] =
    meter.kind === 'heat-cost-allocator'
      ? [{ vif: [0x6e], value: register, coding: 'int24' }]
      : // VIF 0x13: litres; the value goes in as m³.
        [{ vif: [0x13], value: register, coding: 'int32' }];
  const bytes = encode({
    meter: {
      manufacturer: meter.manufacturer,
      id: meter.meterId,
      version: meter.deviceVersion,
      deviceType: meter.deviceType,
    },
    accessNumber: access++ % 256,
    status,
    records,
    security: { mode: 5, key: KEY },
  });
  return {
    frame: bytesToHex(bytes),
    crc: 'stripped',
    receivedAt: at(minute),
    rssi: -70,
    mode: 'T1',
  };
}

let seq = 1;
function batchOf(frames: TelegramFrame[]): TelegramBatch {
  return { contractVersion: '1', gatewaySeq: seq++, sentAt: frames.at(-1)!.receivedAt, frames };
}

function delivery(batch: TelegramBatch): TelegramBatchDelivery {
  return {
    thingName: GATEWAY,
    topic: `$aws/rules/zw_ingest/zw/v1/gw/${GATEWAY}/telegrams`,
    payload: new TextEncoder().encode(JSON.stringify(batch)),
    receivedAt: batch.sentAt,
  };
}

describe('alarms in the ingest pipeline, on dynalite', () => {
  const db = useDynaliteTable('ingest-alarms');
  let store: IngestStore;
  const meters: Meter[] = [];
  let told: AlarmEvent[] = [];

  beforeAll(() => {
    store = createDynamoIngestStore(db.table());
  });

  function pipelineOver(over: IngestStore = store): IngestPipeline {
    return createIngestPipeline({
      store: over,
      gatewayOwner: async () => ({ partnerId: PARTNER, organisationId: ORGANISATION }),
      findMeters: async (_partner, identities) =>
        identities.map((identity) => meters.find((m) => m.meterId === identity.meterId) ?? null),
      propertyTimeZone: async () => 'Europe/Berlin',
      meterKeys: async (wanted) =>
        new Map(wanted.map((m) => [m.id, Uint8Array.from(Buffer.from(KEY, 'hex'))])),
      onAlarms: (events) => told.push(...events),
      log: { warn: () => undefined, debug: () => undefined },
    });
  }

  function newMeter(kind: MeterKind): Meter {
    const meter = meterOf(kind);
    meters.push(meter);
    return meter;
  }

  const historyOf = async (meter: Meter): Promise<StoredAlarm[]> =>
    (await store.listMeterAlarms(PARTNER, meter.id, WIDE_OPEN)).items;

  async function organisationAlarms(state: 'active' | 'all'): Promise<StoredAlarm[]> {
    return (await store.listOrganisationAlarms(PARTNER, ORGANISATION, { state, range: WIDE_OPEN }))
      .items;
  }

  it('raises battery-low once for the episode, however often it is sent and resent, and clears it', async () => {
    const pipeline = pipelineOver();
    const meter = newMeter('water-meter');
    told = [];
    const low = batchOf([
      frameOf(meter, 0, 12.345, POWER_LOW),
      frameOf(meter, 2, 12.346, POWER_LOW),
      frameOf(meter, 4, 12.347, POWER_LOW),
    ]);
    expect((await pipeline.handle(low, delivery(low))).outcomes.stored).toBe(3);
    // The gateway resends the same batch (its PUBACK was lost).
    expect((await pipeline.handle(low, delivery(low))).outcomes.duplicate).toBe(3);

    expect(pipeline.stats().alarms).toEqual({ raised: 1, cleared: 0 });
    expect(told.map((e) => [e.type, e.code, e.meterId, e.since])).toEqual([
      ['raised', 'battery-low', meter.id, at(0)],
    ]);
    const [active] = await historyOf(meter);
    expect(await historyOf(meter)).toHaveLength(1);
    expect(active).toEqual({
      partnerId: PARTNER,
      organisationId: ORGANISATION,
      propertyId: meter.propertyId,
      unitId: meter.unitId,
      meterId: meter.id,
      kind: 'water-meter',
      code: 'battery-low',
      severity: 'warning',
      source: 'meter',
      since: at(0),
      detail: { signals: 'status.powerLow' },
    });
    expect((await organisationAlarms('active')).map((a) => [a.meterId, a.code])).toContainEqual([
      meter.id,
      'battery-low',
    ]);

    const fine = batchOf([frameOf(meter, 6, 12.348), frameOf(meter, 8, 12.349)]);
    await pipeline.handle(fine, delivery(fine));
    expect(pipeline.stats().alarms).toEqual({ raised: 1, cleared: 1 });
    expect(told.map((e) => [e.type, e.code, e.since, e.at])).toEqual([
      ['raised', 'battery-low', at(0), at(0)],
      ['cleared', 'battery-low', at(0), at(6)],
    ]);
    expect(await historyOf(meter)).toEqual([{ ...active, clearedAt: at(6) }]);
    const stillActive = await organisationAlarms('active');
    expect(stillActive.filter((a) => a.meterId === meter.id)).toEqual([]);
    expect((await organisationAlarms('all')).filter((a) => a.meterId === meter.id)).toEqual([
      { ...active, clearedAt: at(6) },
    ]);
  });

  it('raises burst once when a water meter’s register runs 360 l/h for an hour', async () => {
    const pipeline = pipelineOver();
    const meter = newMeter('water-meter');
    told = [];
    // 60 l every 10 minutes: after an hour, 360 l in that hour.
    const frames = Array.from({ length: 9 }, (_, i) => frameOf(meter, 10 * i, 20 + 0.06 * i));
    const first = batchOf(frames.slice(0, 5));
    const second = batchOf(frames.slice(5));
    await pipeline.handle(first, delivery(first));
    expect(told).toEqual([]);
    await pipeline.handle(second, delivery(second));
    await pipeline.handle(second, delivery(second));
    expect(told.map((e) => [e.type, e.code, e.source, e.since, e.detail])).toEqual([
      ['raised', 'burst', 'platform', at(60), { litresPerHour: 360, minutes: 60 }],
    ]);
    expect((await historyOf(meter)).map((a) => [a.code, a.since, a.clearedAt])).toEqual([
      ['burst', at(60), undefined],
    ]);
  });

  it('writes an alarm exactly once although the batch’s writes were lost after the stream was saved', async () => {
    let crash = true;
    // A process that dies between saving the stream and writing the batch's items.
    const crashing: IngestStore = {
      ...store,
      async write(writes) {
        if (crash) {
          crash = false;
          throw new Error('process killed');
        }
        await store.write(writes);
      },
    };
    const meter = newMeter('water-meter');
    const batch = batchOf([frameOf(meter, 0, 3.5, POWER_LOW)]);
    await expect(pipelineOver(crashing).handle(batch, delivery(batch))).rejects.toThrow(
      'process killed',
    );
    expect(await historyOf(meter)).toEqual([]);
    // Another worker takes the resend: the stream knows the frame, and its alarm is written now.
    const again = pipelineOver(crashing);
    expect((await again.handle(batch, delivery(batch))).outcomes.duplicate).toBe(1);
    expect((await historyOf(meter)).map((a) => [a.code, a.since, a.clearedAt])).toEqual([
      ['battery-low', at(0), undefined],
    ]);
    const stream = await store.getStream(PARTNER, meter.id);
    expect(stream?.alarms?.active['battery-low']?.since).toBe(at(0));
  });

  it('does not let a late frame of an earlier time turn the alarms back', async () => {
    const pipeline = pipelineOver();
    const meter = newMeter('water-meter');
    const newer = batchOf([frameOf(meter, 10, 7.0, POWER_LOW)]);
    await pipeline.handle(newer, delivery(newer));
    // From a gateway's store-and-forward buffer: older, and without the flag.
    const late = batchOf([{ ...frameOf(meter, 5, 6.9), replayed: true }]);
    expect((await pipeline.handle(late, delivery(late))).outcomes.stored).toBe(1);
    expect((await historyOf(meter)).map((a) => [a.code, a.clearedAt])).toEqual([
      ['battery-low', undefined],
    ]);
  });

  it('raises nothing when a heat cost allocator falls back to zero at its set day', async () => {
    const pipeline = pipelineOver();
    const meter = newMeter('heat-cost-allocator');
    const batch = batchOf([frameOf(meter, 0, 812), frameOf(meter, 10, 0), frameOf(meter, 20, 1)]);
    expect((await pipeline.handle(batch, delivery(batch))).outcomes.stored).toBe(3);
    expect(await historyOf(meter)).toEqual([]);
    // A water meter whose register goes down is another matter.
    const water = newMeter('water-meter');
    const down = batchOf([frameOf(water, 0, 40), frameOf(water, 10, 39.5)]);
    await pipeline.handle(down, delivery(down));
    expect((await historyOf(water)).map((a) => [a.code, a.detail])).toEqual([
      ['register-decreased', { before: 40, after: 39.5 }],
    ]);
  });

  it('keeps on the stream only the alarm changes of frames the replay guard still remembers', async () => {
    const pipeline = pipelineOver();
    const meter = newMeter('water-meter');
    // Flapping battery: every frame raises or clears, 80 frames, more than the guard's 64.
    for (let i = 0; i < 80; i += 10) {
      const frames = Array.from({ length: 10 }, (_, j) =>
        frameOf(meter, i + j, 1 + (i + j) / 1000, (i + j) % 2 === 0 ? POWER_LOW : 0),
      );
      const batch = batchOf(frames);
      await pipeline.handle(batch, delivery(batch));
    }
    const stream = await store.getStream(PARTNER, meter.id);
    const remembered = new Set(stream!.guard.recent.map((r) => r.digest));
    expect(stream!.alarmFrames!.length).toBeLessThanOrEqual(remembered.size);
    expect(stream!.alarmFrames!.every((f) => remembered.has(f.digest))).toBe(true);
    expect(await historyOf(meter)).toHaveLength(40);
  });
});
