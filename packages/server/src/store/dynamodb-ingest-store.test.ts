import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { useDynaliteTable } from '../../test/ports/dynalite-table.js';
import type { MeterStream } from '../ingest/ingest-store.js';
import { MAX_RECENT } from '../ingest/replay-guard.js';
import { createDynamoIngestStore } from './dynamodb-ingest-store.js';
import { meterStreamKey } from './keys.js';

function stream(meterId: string, frames: number): MeterStream {
  return {
    partnerId: 'p1',
    meterId,
    version: 0,
    guard: {
      recent: Array.from({ length: frames }, (_, i) => ({
        digest: `digest${String(i).padStart(16, '0')}`,
        at: new Date(Date.UTC(2026, 10, 25, 0, i * 4)).toISOString(),
        messageCounter: 500 + i,
      })),
      latest: { at: '2026-11-25T04:12:00.000Z', accessNumber: 17, messageCounter: 563 },
    },
    decoder: { formats: {} },
    radio: { 'gw-1': { at: '2026-11-25T04:12:00.000Z', rssi: -71 } },
  };
}

describe('the ingest store: meter streams', () => {
  const { table } = useDynaliteTable('zw-ingest-store');
  const storeOf = () => createDynamoIngestStore(table());

  it('keeps the guard’s frames packed in the item and gives them back as they were', async () => {
    const store = storeOf();
    const saved = await store.saveStream(stream('m1', MAX_RECENT));
    expect(saved.version).toBe(1);
    const { doc, tableName } = table();
    const raw = await doc.send(
      new GetCommand({ TableName: tableName, Key: meterStreamKey('p1', 'm1') }),
    );
    expect(typeof raw.Item?.['guardFrames']).toBe('string');
    expect(raw.Item?.['guard']).toEqual({ latest: stream('m1', 0).guard.latest });

    const expected = { ...stream('m1', MAX_RECENT), version: 1 };
    expect(await store.getStream('p1', 'm1')).toEqual(expected);
    expect((await store.loadStreams('p1', ['m1'])).get('m1')).toEqual(expected);
  });

  it('reads a stream saved with its frames as a list, and packs them at the next save', async () => {
    const store = storeOf();
    const { doc, tableName } = table();
    const old = { ...stream('m2', 5), version: 3 };
    await doc.send(
      new PutCommand({
        TableName: tableName,
        Item: { ...meterStreamKey('p1', 'm2'), entity: 'STREAM', ...old },
      }),
    );
    const read = await store.getStream('p1', 'm2');
    expect(read).toEqual(old);
    await store.saveStream(read!);
    const raw = await doc.send(
      new GetCommand({ TableName: tableName, Key: meterStreamKey('p1', 'm2') }),
    );
    expect(raw.Item?.['guardFrames']).toEqual(expect.any(String));
    expect(await store.getStream('p1', 'm2')).toEqual({ ...old, version: 4 });
  });

  it('still refuses a save over a version someone else wrote', async () => {
    const store = storeOf();
    const first = await store.saveStream(stream('m3', 2));
    await store.saveStream(first);
    await expect(store.saveStream(first)).rejects.toThrow();
  });
});
