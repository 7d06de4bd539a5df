import { formatReport, checkLive } from '@zaehlwerk/firmware-contract/checker';
import { createSimulator, type Simulator } from '@zaehlwerk/firmware-contract/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config.js';
import { startPlatform, type Platform } from '../src/main.js';

/**
 * The firmware contract's "done": the reference simulator, as a gateway on the
 * IoT Core emulator, passes the live conformance checker, which watches it as
 * the cloud does, cuts its connection and changes its desired configuration.
 */
describe('the reference gateway simulator against the live conformance checker', () => {
  let platform: Platform;
  let simulator: Simulator;
  let running: Promise<unknown>;

  beforeAll(async () => {
    platform = await startPlatform(
      parseConfig(['--port', '0', '--mqtt-port', '0', '--log-level', 'silent'], {}),
    );
    const { lab, local } = platform;
    if (lab === null || local === null) throw new Error('expected the emulator');
    simulator = createSimulator({
      thingName: lab.thingName,
      fleet: { count: 8 },
      seed: 7,
      // Packed air and short uploads, so that a few seconds show several batches.
      framesPerSecond: 4,
      uploadIntervalS: 5,
      transport: {
        kind: 'mqtt',
        url: local.mqttUrl,
        servername: 'localhost',
        caPem: lab.caPem,
        certPem: lab.gateway.certificatePem,
        keyPem: lab.gateway.privateKeyPem,
      },
    });
    running = simulator.run();
  });

  afterAll(async () => {
    await simulator?.stop();
    await running;
    await platform?.close();
  });

  it(
    'conforms: no clause fails, and the live clauses are judged, not skipped',
    { timeout: 90_000 },
    async () => {
      const { lab, local } = platform;
      const report = await checkLive({
        url: local!.mqttUrl,
        servername: 'localhost',
        caPem: lab!.caPem,
        certPem: lab!.monitor.certificatePem,
        keyPem: lab!.monitor.privateKeyPem,
        thingName: lab!.thingName,
        observeSeconds: 12,
        timeoutSeconds: 30,
      });
      const text = formatReport(report);
      if (process.env.ZW_SHOW_REPORT) console.log(text);
      expect(report.summary.fail, text).toBe(0);
      expect(report.ok, text).toBe(true);
      const status = Object.fromEntries(report.clauses.map((c) => [c.clause, c.status]));
      // Batches through Basic Ingest, sequence, replay after the forced disconnect,
      // backoff, and the answer to the configuration change were all seen.
      for (const clause of ['3.1', '5.1', '6.2', '2.5', '7.3', '11.4']) {
        expect(status[clause], `${clause}\n${text}`).toBe('pass');
      }
    },
  );
});
