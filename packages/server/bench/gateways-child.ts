// A bench child: the simulated gateways in their own process, as gateways are their own devices.
import { createFleet, createSimulator } from '@zaehlwerk/firmware-contract/simulator';
import { parentMessages, tellParent } from './bench-child.js';

export interface GatewaysInput {
  brokerUrl: string;
  caPem: string;
  fleet: { count: number; seed: number };
  uploadIntervalS: number;
  /** Stop after this long; otherwise when the parent says so. */
  durationMs?: number;
  gateways: Array<{
    thingName: string;
    certPem: string;
    keyPem: string;
    /** The fleet's meters [from, to) this gateway hears. */
    meters: [number, number];
    framesPerSecond: number;
    seed: number;
  }>;
}

const messages = parentMessages()[Symbol.asyncIterator]();
const input = (await messages.next()).value as GatewaysInput;
const fleet = createFleet(input.fleet);
const simulators = input.gateways.map((g) =>
  createSimulator({
    thingName: g.thingName,
    meters: fleet.slice(g.meters[0], g.meters[1]),
    seed: g.seed,
    framesPerSecond: g.framesPerSecond,
    uploadIntervalS: input.uploadIntervalS,
    transport: {
      kind: 'mqtt',
      url: input.brokerUrl,
      servername: 'localhost',
      caPem: input.caPem,
      certPem: g.certPem,
      keyPem: g.keyPem,
    },
  }),
);
const controller = new AbortController();
const runs = simulators.map((s) =>
  s
    .run({
      signal: controller.signal,
      ...(input.durationMs === undefined ? {} : { durationMs: input.durationMs }),
    })
    .catch(() => undefined),
);
tellParent({ started: simulators.length });
if (input.durationMs === undefined) {
  await messages.next();
  controller.abort();
}
await Promise.all(runs);
await Promise.all(simulators.map((s) => s.stop().catch(() => undefined)));
tellParent({ stopped: true });
process.exit(0);
