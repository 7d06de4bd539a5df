import { describe, expect, it } from 'vitest';
import { expectExactlyOnce, until, useIngestRig } from './ingest-worker-kit.js';

/**
 * Issue 7's fault test for the MQTT driver: ingest workers in their own
 * processes (QoS 1, persistent sessions in the shared subscription) killed
 * with SIGKILL while the gateway keeps publishing; every telegram the gateway
 * published is stored exactly once.
 */

describe('an MQTT ingest worker killed mid-stream and started again', () => {
  const start = useIngestRig('ingest-kill');

  it('stores every published telegram exactly once after a restart with the same client id', async () => {
    const rig = await start();
    const first = await rig.startWorker('solo');
    rig.startGateway();
    await until(
      'a few batches stored',
      () => (rig.deliveredByWorker().get(first.clientId) ?? 0) >= 3,
    );
    first.child.kill('SIGKILL');
    expect(await first.exited).toBe('SIGKILL');
    const storedBefore = (await rig.stored()).length;
    // Meanwhile the gateway's batches wait in the worker's persistent session.
    await until(
      'a batch waiting for the worker',
      () => rig.broker().sharedSubscriptions()[0]!.queued > 0,
    );

    // The broker keeps the session's batches (and the gateway its PUBACKs) until it is back.
    const second = await rig.startWorker('solo');
    expect(second.clientId).toBe(first.clientId);
    await until('more batches stored after the restart', async () => {
      return (await rig.stored()).length >= storedBefore + 6;
    });
    await expectExactlyOnce(rig);
  }, 60_000);
});

describe('two MQTT ingest workers, one killed mid-stream', () => {
  const start = useIngestRig('ingest-kill-two');

  it('shares the work between them and loses nothing when one is killed', async () => {
    const rig = await start();
    const [a, b] = await Promise.all([rig.startWorker('a'), rig.startWorker('b')]);
    rig.startGateway();
    await until('both workers took batches', () => {
      const delivered = rig.deliveredByWorker();
      return (delivered.get(a.clientId) ?? 0) >= 2 && (delivered.get(b.clientId) ?? 0) >= 2;
    });
    a.child.kill('SIGKILL');
    await a.exited;
    const fromB = rig.deliveredByWorker().get(b.clientId)!;
    await until('b to carry on alone', () => rig.deliveredByWorker().get(b.clientId)! >= fromB + 4);
    await expectExactlyOnce(rig);

    // A clean stop: it says what it stored, and exits 0.
    b.child.kill('SIGTERM');
    expect(await b.exited).toBe(0);
    expect(b.output()).toMatch(/ingest worker stopped: \d+ batches stored, 0 failed/);
  }, 60_000);
});
