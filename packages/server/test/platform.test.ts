import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config.js';
import { startPlatform } from '../src/main.js';

describe('startPlatform', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  });

  it('serves /health over HTTP with the embedded DynamoDB in memory', async () => {
    const platform = await startPlatform(parseConfig(['--port', '0', '--log-level', 'silent'], {}));
    try {
      const res = await fetch(`${platform.url}/health`);
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({
        status: 'ok',
        checks: { table: { table: 'zaehlwerk' } },
      });
      const docs = await fetch(`${platform.url}/docs/`);
      expect(docs.status).toBe(200);
      expect(await docs.text()).toContain('swagger');
    } finally {
      await platform.close();
    }
  });

  it('keeps data across restarts with --data-dir', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'zw-data-'));
    dirs.push(dataDir);
    const config = parseConfig(['--port', '0', '--log-level', 'silent', '--data-dir', dataDir], {});
    const item = { pk: 'TEST#persist', sk: 'A', value: 42 };

    const first = await startPlatform(config);
    await first.dynamo.doc.send(new PutCommand({ TableName: config.table, Item: item }));
    await first.close();

    const second = await startPlatform(config);
    try {
      const out = await second.dynamo.doc.send(
        new GetCommand({ TableName: config.table, Key: { pk: item.pk, sk: item.sk } }),
      );
      expect(out.Item).toEqual(item);
    } finally {
      await second.close();
    }
  });

  it('loses the data without --data-dir', async () => {
    const config = parseConfig(['--port', '0', '--log-level', 'silent'], {});
    const first = await startPlatform(config);
    await first.dynamo.doc.send(
      new PutCommand({ TableName: config.table, Item: { pk: 'X', sk: 'Y' } }),
    );
    await first.close();
    const second = await startPlatform(config);
    try {
      const out = await second.dynamo.doc.send(
        new GetCommand({ TableName: config.table, Key: { pk: 'X', sk: 'Y' } }),
      );
      expect(out.Item).toBeUndefined();
    } finally {
      await second.close();
    }
  });
});
