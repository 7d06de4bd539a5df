import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCaptureLine, type TelegramBatch } from '@zaehlwerk/firmware-contract';
import { peekFrame } from '@zaehlwerk/wmbus';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config.js';
import { frameDigest } from '../src/ingest/frame-identity.js';
import { startPlatform, type Platform } from '../src/main.js';

const WIDE_OPEN = { from: '2000-01-01T00:00:00.000Z', to: '2100-01-01T00:00:00.000Z' };

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 60_000) {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Every distinct frame the broker accepted in a telegram batch, by its digest. */
async function publishedDigests(captureFile: string): Promise<Set<string>> {
  const digests = new Set<string>();
  for (const text of (await readFile(captureFile, 'utf8')).split('\n')) {
    if (text.trim() === '') continue;
    const parsed = parseCaptureLine(text);
    if (!parsed.ok) continue;
    const line = parsed.value;
    if (!line.topic.endsWith('/telegrams') || line.outcome !== 'accepted') continue;
    for (const frame of (line.payload as TelegramBatch).frames) {
      digests.add(frameDigest(peekFrame(frame.frame, { crc: frame.crc }).canonical));
    }
  }
  return digests;
}

describe('the platform stopped and started again mid-stream (data dir kept)', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it('stores every telegram the gateway published exactly once across the restart', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'zw-restart-'));
    dirs.push(dataDir);
    const captureFile = join(dataDir, 'capture.jsonl');
    const config = parseConfig(
      [
        ...['--port', '0', '--mqtt-port', '0', '--log-level', 'silent'],
        ...['--data-dir', dataDir, '--demo', 'true', '--simulate-meters', '4'],
        ...['--mqtt-capture', captureFile],
      ],
      {},
    );
    let platform: Platform = await startPlatform(config);
    try {
      await until('the first readings', () => platform.ingest.pipeline.stats().outcomes.stored > 0);
      // Stopped while the gateway keeps sending: it buffers what is not acknowledged.
      await platform.close();
      platform = await startPlatform(config);
      const first = platform.ingest.pipeline.stats();
      await until('readings after the restart', () => {
        const stats = platform.ingest.pipeline.stats();
        return stats.outcomes.stored > first.outcomes.stored + 3;
      });
      const demo = platform.demo!;
      await platform.close();

      const published = await publishedDigests(captureFile);
      expect(published.size).toBeGreaterThan(4);
      platform = await startPlatform(
        parseConfig(
          ['--port', '0', '--mqtt-port', '0', '--log-level', 'silent', '--data-dir', dataDir],
          {},
        ),
      );
      const stored: string[] = [];
      for (const meterId of demo.ids.meterIds) {
        const page = await platform.ingest.store.listReadings(
          demo.ids.demoPartnerId,
          meterId,
          WIDE_OPEN,
          { limit: 100 },
        );
        stored.push(...page.items.map((r) => r.digest));
      }
      // Exactly once: no digest twice, and every published frame is there.
      expect(new Set(stored).size).toBe(stored.length);
      expect([...published].filter((d) => !stored.includes(d))).toEqual([]);
      expect(stored.filter((d) => !published.has(d))).toEqual([]);
    } finally {
      await platform.close();
    }
  }, 150_000);
});
