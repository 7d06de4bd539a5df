import { describe, expect, it } from 'vitest';
import { expectExactlyOnce, THING, until, useIngestRig } from './ingest-worker-kit.js';

/**
 * Issue 7's second fault test for the MQTT driver: the emulator's broker,
 * whose sessions live in memory, stops mid-stream and starts again on the same
 * port, with the same registry and CA. Every telegram the gateway published is
 * stored exactly once. It holds because the emulator acknowledges a batch to
 * the gateway only once a worker has acknowledged it (after storing): what the
 * broker loses, the gateway still has and sends again.
 */
describe('the broker restarted while a stalled worker holds a batch', () => {
  const start = useIngestRig('ingest-broker-restart');

  it('stores every published telegram exactly once; gateway and worker reconnect by themselves', async () => {
    const rig = await start();
    const worker = await rig.startWorker('solo');
    rig.startGateway();
    await until(
      'a few batches stored',
      () => (rig.deliveredByWorker().get(worker.clientId) ?? 0) >= 3,
    );

    // The worker stalls (a long pause, a slow table) with a batch unacknowledged, and the
    // broker goes meanwhile.
    worker.child.kill('SIGSTOP');
    await until('a batch unacknowledged by the stalled worker', () =>
      rig
        .broker()
        .sharedSubscriptions()[0]!
        .members.some((m) => m.inFlight > 0),
    );
    const port = rig.broker().port;
    await rig.broker().close();
    const storedBefore = (await rig.stored()).length;
    const restarted = await rig.startBroker(port);
    expect(restarted.port).toBe(port);
    worker.child.kill('SIGCONT');

    await until('the gateway and the worker back', () =>
      [THING, worker.clientId].every((id) => restarted.connectedClientIds().includes(id)),
    );
    await until('more batches stored after the restart', async () => {
      return (await rig.stored()).length >= storedBefore + 6;
    });
    await expectExactlyOnce(rig);
    expect(worker.output()).toMatch(/ingest worker disconnected; reconnecting/);
  }, 60_000);
});

describe('the broker restarted while batches wait in it for a worker', () => {
  const start = useIngestRig('ingest-broker-restart-queued');

  it('loses none of them: the gateway never had their PUBACK', async () => {
    const rig = await start();
    const first = await rig.startWorker('solo');
    rig.startGateway();
    await until(
      'a few batches stored',
      () => (rig.deliveredByWorker().get(first.clientId) ?? 0) >= 3,
    );
    // Down with its persistent session: the broker keeps the gateway's batches for it.
    first.child.kill('SIGKILL');
    await first.exited;
    await until(
      'batches waiting in the broker',
      () => rig.broker().sharedSubscriptions()[0]!.queued >= 2,
    );

    const port = rig.broker().port;
    await rig.broker().close();
    await rig.startBroker(port);
    const storedBefore = (await rig.stored()).length;
    await rig.startWorker('solo');
    await until('more batches stored after the restart', async () => {
      return (await rig.stored()).length >= storedBefore + 6;
    });
    await expectExactlyOnce(rig);
  }, 60_000);
});
