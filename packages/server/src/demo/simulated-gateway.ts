import { chmod, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import {
  createSimulator,
  metersCsv,
  type RunSummary,
} from '@zaehlwerk/firmware-contract/simulator';
import type { LabCredentials } from './lab-credentials.js';

export interface SimulatedGatewayOptions {
  lab: LabCredentials;
  /** The emulator's endpoint, e.g. mqtts://127.0.0.1:8883. */
  mqttUrl: string;
  meters: number;
  /** The same seed gives the same meters and keys at every start. Default 1. */
  seed?: number;
  uploadIntervalS?: number;
  /** How often each meter transmits, in seconds; the meters' own 2-15 minutes when absent. */
  meterIntervalS?: number;
  log(message: string): void;
}

export interface SimulatedGateway {
  thingName: string;
  meterCount: number;
  /** The meters and their keys in the platform's import format (mode 600: it holds keys). */
  metersCsvPath: string;
  /** Ends the run, disconnects, and keeps gatewaySeq and the buffer in the lab folder. */
  stop(): Promise<void>;
}

/**
 * The reference gateway simulator as the lab's gateway, in this process: it
 * connects to the emulator with the lab's certificate and sends its meters'
 * encrypted telegrams as a real gateway would, so `npm start` has data flowing.
 */
export async function startSimulatedGateway(
  options: SimulatedGatewayOptions,
): Promise<SimulatedGateway> {
  const { lab } = options;
  const url = new URL(options.mqttUrl);
  const simulator = createSimulator({
    thingName: lab.thingName,
    fleet: { count: options.meters, seed: options.seed ?? 1 },
    transport: {
      kind: 'mqtt',
      url: options.mqttUrl,
      // An IP address carries no SNI, which the broker (like IoT Core) requires.
      servername: isIpAddress(url.hostname) ? 'localhost' : url.hostname,
      caPem: lab.caPem,
      certPem: lab.gateway.certificatePem,
      keyPem: lab.gateway.privateKeyPem,
    },
    // Kept next to the gateway's key, so a restart with --data-dir never reuses a gatewaySeq.
    statePath: join(lab.dir, `${lab.thingName}.state.json`),
    ...(options.uploadIntervalS === undefined ? {} : { uploadIntervalS: options.uploadIntervalS }),
    ...(options.meterIntervalS === undefined
      ? {}
      : { framesPerSecond: options.meters / options.meterIntervalS }),
    log: (message) => options.log(`${lab.thingName}: ${message}`),
  });

  const metersCsvPath = join(lab.dir, `${lab.thingName}.meters.csv`);
  await writeFile(metersCsvPath, metersCsv(simulator.meters), { mode: 0o600 });
  await chmod(metersCsvPath, 0o600);

  const controller = new AbortController();
  const running: Promise<RunSummary | undefined> = simulator
    .run({ signal: controller.signal })
    .catch((err: unknown) => {
      options.log(`${lab.thingName} stopped: ${err instanceof Error ? err.message : String(err)}`);
      return undefined;
    });

  let stopping: Promise<void> | undefined;
  return {
    thingName: lab.thingName,
    meterCount: simulator.meters.length,
    metersCsvPath,
    stop: () =>
      (stopping ??= (async () => {
        controller.abort();
        await simulator.stop();
        await running;
      })()),
  };
}

function isIpAddress(hostname: string): boolean {
  return isIP(hostname.replace(/^\[|\]$/g, '')) !== 0;
}
