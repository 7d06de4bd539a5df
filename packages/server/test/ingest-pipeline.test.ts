import type { TelegramBatch, TelegramFrame } from '@zaehlwerk/firmware-contract';
import { createFleet, createSimulator } from '@zaehlwerk/firmware-contract/simulator';
import { beforeAll, describe, expect, it } from 'vitest';
import { seedDemo, type DemoCredentials } from '../src/demo/seed.js';
import type { TelegramBatchDelivery } from '../src/domain/ports.js';
import type { IngestStore, Reading } from '../src/ingest/ingest-store.js';
import { createPlatformIngest } from '../src/ingest/platform-ingest.js';
import type { IngestPipeline } from '../src/ingest/pipeline.js';
import { createPlatformServices, type PlatformServices } from '../src/platform-services.js';
import { useDynaliteTable } from './ports/dynalite-table.js';

const FLEET = { count: 6, seed: 1 };
const GATEWAY = 'sim-gw-0001';
const SECOND_GATEWAY = 'sim-gw-0002';
const FOREIGN_GATEWAY = 'other-org-gw';
const ORPHAN_GATEWAY = 'nobody-knows-me';
const WIDE_OPEN = { from: '2000-01-01T00:00:00.000Z', to: '2100-01-01T00:00:00.000Z' };

/** Telegram batches of the reference simulator, offline (deterministic for the seed). */
async function simulatedBatches(batches: number): Promise<TelegramBatch[]> {
  const out: TelegramBatch[] = [];
  const simulator = createSimulator({
    thingName: GATEWAY,
    fleet: FLEET,
    transport: { kind: 'offline' },
    framesPerSecond: 1,
    uploadIntervalS: 10,
    onCapture: (line) => {
      if (line.topic.endsWith('/telegrams')) out.push(line.payload as TelegramBatch);
    },
  });
  await simulator.run({ batches });
  return out;
}

function delivery(thingName: string, batch: TelegramBatch): TelegramBatchDelivery {
  return {
    thingName,
    topic: `$aws/rules/zw_ingest/zw/v1/gw/${thingName}/telegrams`,
    payload: new TextEncoder().encode(JSON.stringify(batch)),
    receivedAt: batch.sentAt,
  };
}

function withFrames(batch: TelegramBatch, frames: TelegramFrame[], gatewaySeq = batch.gatewaySeq) {
  return { ...batch, gatewaySeq, frames };
}

describe('ingest pipeline on dynalite', () => {
  const db = useDynaliteTable('ingest');
  let services: PlatformServices;
  let demo: DemoCredentials;
  let batches: TelegramBatch[];
  const live: Reading[] = [];

  function ingest(): { pipeline: IngestPipeline; store: IngestStore } {
    const { doc, tableName } = db.table();
    return createPlatformIngest({
      doc,
      tableName,
      stores: services.stores,
      meterKeys: services.meterKeys,
      vault: services.vault,
      // The registry's answer for the gateways of this test: two of the demo operator's, one of
      // another organisation of the same partner, and none for the orphan.
      async gatewayOwner(thingName) {
        if (thingName === ORPHAN_GATEWAY) return null;
        const organisationId =
          thingName === FOREIGN_GATEWAY ? 'org_elsewhere' : demo.ids.demoOperatorOrganisationId;
        return { partnerId: demo.ids.demoPartnerId, organisationId };
      },
      log: { warn: () => undefined, debug: () => undefined },
      onReadings: (readings) => live.push(...readings),
    });
  }

  async function readingsOf(store: IngestStore, meterId: string): Promise<Reading[]> {
    return (await store.listReadings(demo.ids.demoPartnerId, meterId, WIDE_OPEN, { limit: 100 }))
      .items;
  }

  async function allReadings(store: IngestStore): Promise<Reading[]> {
    const all: Reading[] = [];
    for (const id of demo.ids.meterIds) all.push(...(await readingsOf(store, id)));
    return all;
  }

  beforeAll(async () => {
    const { doc, tableName } = db.table();
    services = await createPlatformServices({
      doc,
      tableName,
      issuer: 'urn:zaehlwerk:test',
      region: 'eu-central-1',
    });
    demo = await seedDemo({
      stores: services.stores,
      apiKeys: services.apiKeys,
      vault: services.vault,
      meterKeys: services.meterKeys,
      fleet: createFleet(FLEET),
    });
    batches = await simulatedBatches(4);
  }, 60_000);

  it('stores every frame of the simulated gateway once, decrypted, with its register', async () => {
    const { pipeline, store } = ingest();
    const frames = batches.flatMap((b) => b.frames);
    expect(frames.length).toBeGreaterThan(5);
    for (const batch of batches) await pipeline.handle(batch, delivery(GATEWAY, batch));

    const stats = pipeline.stats();
    expect(stats.outcomes).toMatchObject({
      stored: frames.length,
      duplicate: 0,
      undecryptable: 0,
      malformed: 0,
      replay: 0,
      unregistered: 0,
    });
    const readings = await allReadings(store);
    expect(readings).toHaveLength(frames.length);
    expect(new Set(readings.map((r) => r.digest)).size).toBe(frames.length);
    for (const reading of readings) {
      expect(reading.register).not.toBeNull();
      expect(reading.register!.value).toBeGreaterThanOrEqual(0);
      expect(['kWh', 'm3', 'units']).toContain(reading.register!.unit);
    }
    expect(live.map((r) => r.digest).sort()).toEqual(readings.map((r) => r.digest).sort());
  });

  it('looks up the meters a batch names in one read per batch, and keeps what the cache had while it waits', async () => {
    // A fresh meter set per test run would be cleaner; the resend below makes these frames
    // duplicates of the first test's, which is all this test needs: found, not unregistered.
    let clock = Date.parse('2025-01-15T06:00:00Z');
    const asked: number[] = [];
    const { doc, tableName } = db.table();
    const meters = services.stores.meters;
    const { pipeline } = createPlatformIngest({
      doc,
      tableName,
      stores: {
        properties: services.stores.properties,
        meters: {
          ...meters,
          async findManyByIdentity(partnerId, identities) {
            asked.push(identities.length);
            // The lookup outlasts the cache's 30 s: what was cached before must still count.
            clock += 31_000;
            return meters.findManyByIdentity(partnerId, identities);
          },
        },
      },
      meterKeys: services.meterKeys,
      vault: services.vault,
      now: () => clock,
      gatewayOwner: async () => ({
        partnerId: demo.ids.demoPartnerId,
        organisationId: demo.ids.demoOperatorOrganisationId,
      }),
      log: { warn: () => undefined, debug: () => undefined },
    });
    const frames = batches.flatMap((b) => b.frames);
    const first = withFrames(batches[0]!, frames.slice(0, 2));
    const rest = withFrames(batches[1]!, frames);
    const one = await pipeline.handle(first, delivery(GATEWAY, first));
    const two = await pipeline.handle(rest, delivery(GATEWAY, rest));
    expect(one.outcomes.unregistered + two.outcomes.unregistered).toBe(0);
    expect(one.outcomes.duplicate + one.outcomes.stored).toBe(2);
    expect(two.outcomes.duplicate + two.outcomes.stored).toBe(frames.length);
    const meterCount = (frames: readonly TelegramFrame[]) =>
      new Set(frames.map((f) => f.frame.slice(4, 20))).size;
    // One lookup per batch, of the identities the cache lacked (by link address, enough here).
    expect(asked).toEqual([
      meterCount(first.frames),
      meterCount(frames) - meterCount(first.frames),
    ]);
  });

  it('keeps the same frames from a resend and from a second gateway once, with every reception', async () => {
    const { pipeline, store } = ingest();
    const before = await allReadings(store);
    const batch = batches[0]!;
    const resent = await pipeline.handle(batch, delivery(GATEWAY, batch));
    expect(resent.outcomes.duplicate).toBe(batch.frames.length);
    // Another gateway hears the same transmissions a little later.
    const heardAgain = withFrames(
      batch,
      batch.frames.map((f) => ({
        ...f,
        receivedAt: new Date(Date.parse(f.receivedAt) + 150).toISOString(),
        rssi: -90,
      })),
    );
    const second = await pipeline.handle(heardAgain, delivery(SECOND_GATEWAY, heardAgain));
    expect(second.outcomes.duplicate).toBe(batch.frames.length);
    expect(second.outcomes.stored).toBe(0);

    const after = await allReadings(store);
    expect(after).toEqual(before);
    const meterId = after.find((r) => r.digest === before[0]!.digest)!.meterId;
    const receptions = await store.listReceptions(demo.ids.demoPartnerId, meterId, WIDE_OPEN, {
      limit: 100,
    });
    const ofFirst = receptions.items.filter((r) => r.digest === before[0]!.digest);
    expect(ofFirst.map((r) => r.thingName).sort()).toEqual([GATEWAY, SECOND_GATEWAY].sort());
  });

  it('refuses a frame played back a day later and records it as a replay', async () => {
    const { pipeline, store } = ingest();
    const frame = batches[0]!.frames[0]!;
    const played = withFrames(batches[0]!, [
      { ...frame, receivedAt: new Date(Date.parse(frame.receivedAt) + 86_400_000).toISOString() },
    ]);
    const result = await pipeline.handle(played, delivery(GATEWAY, played));
    expect(result.outcomes).toMatchObject({ replay: 1, stored: 0 });
    const rejected = await store.listRejected(
      demo.ids.demoPartnerId,
      demo.ids.demoOperatorOrganisationId,
    );
    expect(rejected.items.find((r) => r.reason === 'replay')).toMatchObject({
      frame: frame.frame,
      thingName: GATEWAY,
    });
  });

  it('keeps malformed frames, unknown meters and another operator’s meters apart, never as readings', async () => {
    const { pipeline, store } = ingest();
    const before = (await allReadings(store)).length;
    const frame = batches[1]!.frames[0]!;
    const broken = withFrames(batches[1]!, [{ ...frame, frame: frame.frame.slice(0, 30) }], 900);
    expect((await pipeline.handle(broken, delivery(GATEWAY, broken))).outcomes.malformed).toBe(1);

    // The same meter's frame heard by a gateway of another organisation is not that one's meter.
    const foreign = withFrames(batches[1]!, [frame], 1);
    const heard = await pipeline.handle(foreign, delivery(FOREIGN_GATEWAY, foreign));
    expect(heard.outcomes).toMatchObject({ unregistered: 1, stored: 0 });
    const unregistered = await store.listUnregistered(demo.ids.demoPartnerId, 'org_elsewhere');
    expect(unregistered.items).toHaveLength(1);
    expect(unregistered.items[0]).toMatchObject({ frames: 1, lastThingName: FOREIGN_GATEWAY });

    const orphan = await pipeline.handle(foreign, delivery(ORPHAN_GATEWAY, foreign));
    expect(orphan.outcomes.stored).toBe(0);
    expect(pipeline.stats().orphanBatches).toBe(1);
    expect((await allReadings(store)).length).toBe(before);
  });

  it('counts batches the gateway sequence skipped as lost', async () => {
    const { pipeline, store } = ingest();
    const base = batches[0]!;
    for (const seq of [5000, 5001, 5004]) {
      await pipeline.handle(
        withFrames(base, [], seq),
        delivery('seq-gw', withFrames(base, [], seq)),
      );
    }
    const health = await store.getGatewayHealth('seq-gw');
    expect(health).toMatchObject({ lastSeq: 5004, lostBatches: 2, batches: 3 });
  });

  it('keeps the day aggregate of each meter at its newest register', async () => {
    const { store } = ingest();
    const readings = await allReadings(store);
    const days = await store.propertyDays(demo.ids.demoPartnerId, demo.ids.propertyId, {
      from: '2000-01-01',
      to: '2100-01-01',
    });
    for (const meterId of new Set(readings.map((r) => r.meterId))) {
      const ofMeter = readings
        .filter((r) => r.meterId === meterId)
        .sort((a, b) => (a.at < b.at ? -1 : 1));
      const newest = ofMeter.at(-1)!;
      const day = days.find((d) => d.meterId === meterId && d.lastAt === newest.at);
      expect(day, `day item of ${meterId}`).toBeDefined();
      expect(day!.lastValue).toBe(newest.register!.value);
      expect(day!.readings).toBeGreaterThanOrEqual(1);
    }
  });
});
