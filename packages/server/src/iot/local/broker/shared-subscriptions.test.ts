import { connect, type MqttClient } from 'mqtt';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { INGEST_SHARED_FILTER } from '../../ingest-republish.js';
import type { IotRegistry } from '../../iot-registry.js';
import { createMemoryIotRegistry } from '../../memory-iot-registry.js';
import { registerIngestWorker } from '../ingest-worker-credentials.js';
import { loadOrCreateCertificateAuthority, type CertificateAuthority } from '../pki/index.js';
import {
  closedBy,
  connectOrThrow,
  endAllClients,
  provisionGateway,
  subscribeGranted,
  tryConnect,
} from './broker-test-kit.js';
import { startLocalBroker, type BrokerEvent, type LocalBroker } from './local-broker.js';
import {
  createSharedSubscriptions,
  parseSharedFilter,
  sharedFilterProblem,
  topicMatchesFilter,
  type MemberLink,
  type SharedSubscriptionEvent,
} from './shared-subscriptions.js';

/** A member connection that records what it was sent and answers admit() as told. */
class FakeLink implements MemberLink {
  readonly sent: { topic: string; qos: 0 | 1; messageId?: number; payload: string }[] = [];
  verdict: ReturnType<MemberLink['admit']> = 'ok';
  #nextId = 1;
  constructor(readonly clientId: string) {}
  admit() {
    return this.verdict;
  }
  nextMessageId() {
    return this.#nextId++;
  }
  send(message: { topic: string; payload: Buffer; qos: 0 | 1; messageId?: number }) {
    this.sent.push({ ...message, payload: message.payload.toString() });
  }
  /** Acknowledges everything sent so far. */
  ackAll(router: ReturnType<typeof createSharedSubscriptions>) {
    for (const m of this.sent)
      if (m.messageId !== undefined) router.acknowledged(this, m.messageId);
  }
}

const GROUP = { shareName: 'workers', filter: 'jobs/+' };
const message = (n: number, qos: 0 | 1 = 1) => ({
  topic: `jobs/${n}`,
  payload: Buffer.from(`job ${n}`),
  qos,
});

describe('shared subscription filters', () => {
  it('splits $share/<name>/<filter> and leaves other filters alone', () => {
    expect(parseSharedFilter('$share/workers/zw/v1/ingest/+/telegrams')).toEqual({
      shareName: 'workers',
      filter: 'zw/v1/ingest/+/telegrams',
    });
    expect(parseSharedFilter('zw/v1/gw/+/status')).toBeNull();
    expect(parseSharedFilter('$share/workers')).toEqual({ shareName: 'workers', filter: '' });
  });

  it('keeps the share name rules of IOT-CORE.md §1.7', () => {
    expect(sharedFilterProblem({ shareName: 'w', filter: 'a' })).toBeNull();
    expect(sharedFilterProblem({ shareName: 'x'.repeat(128), filter: 'a' })).toBeNull();
    expect(sharedFilterProblem({ shareName: 'x'.repeat(129), filter: 'a' })).toMatch(/1-128/);
    expect(sharedFilterProblem({ shareName: '', filter: 'a' })).toMatch(/1-128/);
    expect(sharedFilterProblem({ shareName: 'a+b', filter: 'a' })).toMatch(/'\+'/);
    expect(sharedFilterProblem({ shareName: 'a#', filter: 'a' })).not.toBeNull();
    expect(sharedFilterProblem({ shareName: 'w', filter: '' })).toMatch(/without a topic filter/);
    expect(sharedFilterProblem({ shareName: 'w', filter: '$share/v/a' })).not.toBeNull();
  });

  it('matches topics as IoT Core does', () => {
    expect(topicMatchesFilter('zw/v1/ingest/+/telegrams', 'zw/v1/ingest/gw-1/telegrams')).toBe(
      true,
    );
    expect(topicMatchesFilter('zw/v1/ingest/+/telegrams', 'zw/v1/ingest/gw-1/status')).toBe(false);
    expect(topicMatchesFilter('zw/v1/ingest/+/telegrams', 'zw/v1/ingest/telegrams')).toBe(false);
    expect(topicMatchesFilter('a/#', 'a/b/c')).toBe(true);
    // §1.2: `sensor/#` does not match `sensor`.
    expect(topicMatchesFilter('a/#', 'a')).toBe(false);
    expect(topicMatchesFilter('#', 'a')).toBe(true);
    // [MQTT-4.7.2-1]: a leading wildcard never matches a `$` topic; a literal `$` level does.
    expect(topicMatchesFilter('#', '$aws/events/presence/connected/gw')).toBe(false);
    expect(topicMatchesFilter('+/events/#', '$aws/events/x')).toBe(false);
    expect(
      topicMatchesFilter('$aws/events/presence/+/+', '$aws/events/presence/connected/gw'),
    ).toBe(true);
  });
});

describe('the shared subscription router', () => {
  let events: SharedSubscriptionEvent[];
  let router: ReturnType<typeof createSharedSubscriptions>;
  beforeEach(() => {
    events = [];
    router = createSharedSubscriptions({ onEvent: (e) => events.push(e), retryMs: 10 });
  });
  afterEach(() => router.close());

  it('gives each message to one member, round robin, and one copy to each group', () => {
    const a = new FakeLink('a');
    const b = new FakeLink('b');
    const other = new FakeLink('c');
    router.subscribe(a, GROUP, 1, true);
    router.subscribe(b, GROUP, 1, true);
    router.subscribe(other, { shareName: 'audit', filter: 'jobs/#' }, 1, false);
    for (let n = 1; n <= 4; n++) router.publish(message(n));
    expect(a.sent.map((m) => m.topic)).toEqual(['jobs/1', 'jobs/3']);
    expect(b.sent.map((m) => m.topic)).toEqual(['jobs/2', 'jobs/4']);
    expect(other.sent).toHaveLength(4);
    router.publish({ topic: 'other/1', payload: Buffer.from('x'), qos: 1 });
    expect(a.sent.length + b.sent.length + other.sent.length).toBe(8);
  });

  it("hands a member's unacknowledged copies to another member when it goes away", () => {
    const a = new FakeLink('a');
    const b = new FakeLink('b');
    router.subscribe(a, GROUP, 1, true);
    router.subscribe(b, GROUP, 1, true);
    for (let n = 1; n <= 4; n++) router.publish(message(n));
    router.acknowledged(a, a.sent[0]!.messageId!); // jobs/1 is done
    router.offline(a); // jobs/3 was not acknowledged
    expect(b.sent.map((m) => m.topic)).toEqual(['jobs/2', 'jobs/4', 'jobs/3']);
    expect(router.groups()[0]!.members).toEqual([
      expect.objectContaining({ clientId: 'a', online: false, persistent: true, delivered: 1 }),
      expect.objectContaining({ clientId: 'b', online: true, inFlight: 3 }),
    ]);
  });

  it('keeps QoS 1 copies while no member is online if one has a persistent session', () => {
    const a = new FakeLink('a');
    router.subscribe(a, GROUP, 1, true);
    router.offline(a);
    router.publish(message(1));
    router.publish(message(2, 0)); // QoS 0 is dropped on any failure (§1.7)
    expect(router.groups()[0]!.queued).toBe(1);
    const again = new FakeLink('a');
    router.online(again, true);
    expect(again.sent.map((m) => m.topic)).toEqual(['jobs/1']);
    expect(events.map((e) => e.code)).toEqual(['SHARED_MESSAGE_DROPPED']);
  });

  it('drops what nobody can take when no member has a persistent session', () => {
    const a = new FakeLink('a');
    router.subscribe(a, GROUP, 1, false);
    router.offline(a);
    router.publish(message(1));
    expect(router.groups()).toEqual([]);
    const b = new FakeLink('b');
    router.subscribe(b, GROUP, 1, false);
    router.offline(b);
    expect(b.sent).toEqual([]);
  });

  it('forgets the memberships of a session that starts clean', () => {
    const a = new FakeLink('a');
    router.subscribe(a, GROUP, 1, true);
    router.offline(a);
    router.online(new FakeLink('a'), false);
    expect(router.groups()).toEqual([]);
  });

  it('skips a member without iot:Receive and waits for one over its quota', async () => {
    const denied = new FakeLink('denied');
    const busy = new FakeLink('busy');
    denied.verdict = 'not-authorized';
    busy.verdict = 'rate-exceeded';
    router.subscribe(denied, GROUP, 1, true);
    router.subscribe(busy, GROUP, 1, true);
    router.publish(message(1));
    expect(events.map((e) => `${e.code}:${e.clientId}`)).toContain('NOT_AUTHORIZED:denied');
    expect(router.groups()[0]!.queued).toBe(1);
    busy.verdict = 'ok';
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(busy.sent.map((m) => m.topic)).toEqual(['jobs/1']);
    expect(denied.sent).toEqual([]);
  });

  it('holds at most the in-flight window per member', () => {
    const small = createSharedSubscriptions({ maxInFlightPerMember: 2 });
    const a = new FakeLink('a');
    small.subscribe(a, GROUP, 1, true);
    for (let n = 1; n <= 3; n++) small.publish(message(n));
    expect(a.sent).toHaveLength(2);
    small.acknowledged(a, 1);
    expect(a.sent.map((m) => m.topic)).toEqual(['jobs/1', 'jobs/2', 'jobs/3']);
    small.close();
  });

  it('resolves an acknowledged publish on the PUBACK, waiting for a group to appear', async () => {
    let done = false;
    const acknowledged = router.publishAcknowledged(message(1), 5000).then(() => (done = true));
    await Promise.resolve();
    expect(done).toBe(false);
    const a = new FakeLink('a');
    router.subscribe(a, GROUP, 1, true);
    expect(a.sent).toHaveLength(1);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(done).toBe(false);
    a.ackAll(router);
    await acknowledged;
    expect(done).toBe(true);
  });

  it('rejects an acknowledged publish after its deadline and withdraws its queued copy', async () => {
    const a = new FakeLink('a');
    router.subscribe(a, GROUP, 1, true);
    router.offline(a);
    await expect(router.publishAcknowledged(message(1), 20)).rejects.toThrow(/within 20 ms/);
    expect(router.groups()[0]!.queued).toBe(0);
    const back = new FakeLink('a');
    router.online(back, true);
    expect(back.sent).toEqual([]);
  });

  it('rejects what waits when it closes', async () => {
    const waiting = router.publishAcknowledged(message(1), 5000);
    router.close();
    await expect(waiting).rejects.toThrow(/closed/);
  });
});

describe('shared subscriptions on the broker', { timeout: 20_000 }, () => {
  let ca: CertificateAuthority;
  let registry: IotRegistry;
  let broker: LocalBroker;
  let events: BrokerEvent[];

  beforeAll(async () => {
    ca = await loadOrCreateCertificateAuthority();
  });

  beforeEach(async () => {
    registry = createMemoryIotRegistry();
    events = [];
    broker = await startLocalBroker({
      registry,
      ca,
      port: 0,
      host: '127.0.0.1',
      onEvent: (event) => events.push(event),
    });
  });

  afterEach(async () => {
    await endAllClients();
    await broker.close();
  });

  const codes = () => events.map((e) => `${e.outcome}:${e.code}`);
  const topic = (thing: string) => `zw/v1/ingest/${thing}/telegrams`;

  async function worker(name: string, clientId?: string, clean = false): Promise<MqttClient> {
    const identity = await registerIngestWorker(ca, registry, { name });
    const client = await connectOrThrow(broker, identity, {
      clientId: clientId ?? identity.clientId,
      clean,
    });
    expect(await subscribeGranted(client, { [INGEST_SHARED_FILTER]: { qos: 1 } })).toEqual([1]);
    return client;
  }

  /** Collects the topics' payloads a client receives; `hold` keeps PUBACKs back. */
  function receive(client: MqttClient, hold = false) {
    const received: string[] = [];
    const release: (() => void)[] = [];
    client.handleMessage = (packet, callback) => {
      received.push(packet.payload.toString());
      if (hold) release.push(() => callback());
      else callback();
    };
    return { received, release };
  }

  async function until(what: string, check: () => boolean, ms = 5000): Promise<void> {
    const end = Date.now() + ms;
    while (!check()) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  it('admits an ingest worker only as its own CN and only to the ingest group', async () => {
    const identity = await registerIngestWorker(ca, registry, { name: 'w1' });
    expect(identity.clientId).toBe('zw-ingest-w1');
    const other = await tryConnect(broker, identity, { clientId: 'zw-ingest-w2' });
    expect(other.ok).toBe(false);
    const numbered = await connectOrThrow(broker, identity, { clientId: 'zw-ingest-w1-2' });
    expect(broker.connections()).toEqual([
      expect.objectContaining({ clientId: 'zw-ingest-w1-2', isIngestWorker: true }),
    ]);
    expect(
      await subscribeGranted(numbered, {
        [INGEST_SHARED_FILTER]: { qos: 1 },
        '$share/other/zw/v1/ingest/+/telegrams': { qos: 1 },
        'zw/v1/ingest/+/telegrams': { qos: 1 },
        [`$share/${'x'.repeat(129)}/zw/v1/ingest/+/telegrams`]: { qos: 1 },
      }),
    ).toEqual([1, 128, 128, 128]);
    expect(codes()).toEqual([
      'connect-refused:NOT_AUTHORIZED',
      'suback-failure:NOT_AUTHORIZED',
      'suback-failure:NOT_AUTHORIZED',
      'suback-failure:SHARED_SUBSCRIPTION_INVALID',
    ]);
  });

  it('refuses a gateway the ingest group: its policy has no such filter', async () => {
    const gw = await provisionGateway(ca, registry, 'gw-1000');
    const client = await connectOrThrow(broker, gw, { clientId: 'gw-1000' });
    expect(await subscribeGranted(client, { [INGEST_SHARED_FILTER]: { qos: 1 } })).toEqual([128]);
  });

  it('gives each message to one of two workers, and both get some', async () => {
    const one = receive(await worker('one'));
    const two = receive(await worker('two'));
    for (let n = 0; n < 20; n++) await broker.publish(topic(`gw-${n}`), `batch ${n}`);
    const delivered = () =>
      broker
        .sharedSubscriptions()
        .flatMap((g) => g.members)
        .reduce((sum, m) => sum + m.delivered, 0);
    await until('20 PUBACKs', () => delivered() === 20);
    expect(one.received.length).toBeGreaterThan(0);
    expect(two.received.length).toBeGreaterThan(0);
    expect(one.received.length + two.received.length).toBe(20);
    expect(new Set([...one.received, ...two.received]).size).toBe(20);
    expect(broker.sharedSubscriptions()).toEqual([
      expect.objectContaining({ shareName: 'zw-ingest', filter: 'zw/v1/ingest/+/telegrams' }),
    ]);
  });

  it("resolves an acknowledged publish only on the worker's PUBACK", async () => {
    const held = receive(await worker('one'), true);
    let acknowledged = false;
    const publishing = broker
      .publish(topic('gw-1'), 'batch', { untilAcknowledged: { timeoutMs: 5000 } })
      .then(() => (acknowledged = true));
    await until('the delivery', () => held.received.length === 1);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(acknowledged).toBe(false);
    held.release[0]!();
    await publishing;
    expect(acknowledged).toBe(true);
  });

  it('hands what a worker left unacknowledged to another when its connection ends', async () => {
    const quitter = await worker('quitter');
    const left = receive(quitter, true);
    const stays = receive(await worker('stays'));
    const publishes = [1, 2, 3, 4].map((n) =>
      broker.publish(topic(`gw-${n}`), `batch ${n}`, { untilAcknowledged: { timeoutMs: 5000 } }),
    );
    // A connection hands over one message at a time: the quitter holds its first, the second
    // waits behind it, and neither is acknowledged.
    await until('a share each', () => left.received.length === 1 && stays.received.length === 2);
    quitter.stream.destroy();
    await Promise.all(publishes);
    expect(left.received).toHaveLength(1);
    expect(stays.received.sort()).toEqual(['batch 1', 'batch 2', 'batch 3', 'batch 4']);
  });

  it("keeps the group's messages while its only, persistent worker is away", async () => {
    const identity = await registerIngestWorker(ca, registry, { name: 'solo' });
    const first = await connectOrThrow(broker, identity, {
      clientId: 'zw-ingest-solo',
      clean: false,
    });
    await subscribeGranted(first, { [INGEST_SHARED_FILTER]: { qos: 1 } });
    first.end(true);
    await closedBy(first);
    await until('the broker to see it go', () => broker.connectedClientIds().length === 0);
    const publishing = broker.publish(topic('gw-1'), 'while away', {
      untilAcknowledged: { timeoutMs: 5000 },
    });
    await broker.publish(topic('gw-2'), 'plain QoS 1');
    expect(broker.sharedSubscriptions()[0]!.queued).toBe(2);
    // The same client id with its session: no SUBSCRIBE needed. The handler is in place
    // before the CONNACK, since the queued messages follow it at once.
    const back = connect(`mqtts://127.0.0.1:${broker.port}`, {
      ca: broker.caCertificatePem,
      cert: identity.certificatePem,
      key: identity.privateKeyPem,
      servername: 'localhost',
      protocolVersion: 4,
      clientId: 'zw-ingest-solo',
      clean: false,
      reconnectPeriod: 0,
      manualConnect: true,
    });
    const got = receive(back);
    back.connect();
    try {
      await publishing;
      await until('both', () => got.received.length === 2);
    } finally {
      back.end(true);
    }
    expect(got.received.sort()).toEqual(['plain QoS 1', 'while away']);
  });

  it('sends a copy a persistent worker left unacknowledged once more, not twice', async () => {
    const identity = await registerIngestWorker(ca, registry, { name: 'again' });
    const options = {
      ca: broker.caCertificatePem,
      cert: identity.certificatePem,
      key: identity.privateKeyPem,
      servername: 'localhost',
      protocolVersion: 4 as const,
      clientId: identity.clientId,
      clean: false,
      reconnectPeriod: 0,
      manualConnect: true,
    };
    const first = connect(`mqtts://127.0.0.1:${broker.port}`, options);
    const held = receive(first, true);
    first.connect();
    await new Promise((resolve) => first.once('connect', resolve));
    await subscribeGranted(first, { [INGEST_SHARED_FILTER]: { qos: 1 } });
    const publishing = broker.publish(topic('gw-1'), 'once', {
      untilAcknowledged: { timeoutMs: 5000 },
    });
    await until('the first delivery', () => held.received.length === 1);
    first.stream.destroy();
    await until('the broker to see it go', () => broker.connectedClientIds().length === 0);
    // aedes would keep the delivery in the session's queue and send it again on reconnect;
    // the router has taken it back and sends it itself.
    const second = connect(`mqtts://127.0.0.1:${broker.port}`, options);
    const again = receive(second);
    second.connect();
    try {
      await publishing;
      // A repeat from aedes would come before anything published later.
      await broker.publish(topic('gw-2'), 'after', { untilAcknowledged: { timeoutMs: 5000 } });
      expect(again.received).toEqual(['once', 'after']);
    } finally {
      first.end(true);
      second.end(true);
    }
  });

  it('times out an acknowledged publish that nobody subscribed to', async () => {
    await expect(
      broker.publish(topic('gw-1'), 'lost', { untilAcknowledged: { timeoutMs: 100 } }),
    ).rejects.toThrow(/no shared subscriber acknowledged/);
  });
});
