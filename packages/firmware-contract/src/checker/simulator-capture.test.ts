import { describe, expect, it } from 'vitest';
import type { CaptureLine } from '../capture.js';
import { createSimulator } from '../simulator.js';
import { checkCapture } from './check-capture.js';
import { clause, failed } from './checker-test-kit.js';

/** Three simulated hours of the reference gateway, with a 15-minute outage it replays after. */
async function simulatorCapture(): Promise<CaptureLine[]> {
  const lines: CaptureLine[] = [];
  const simulator = createSimulator({
    thingName: 'sim-gw-0001',
    fleet: { count: 30 },
    transport: { kind: 'offline', outages: [{ afterS: 600, durationS: 900 }] },
    onCapture: (line) => lines.push(line),
  });
  await simulator.run({ durationMs: 3 * 3600_000 });
  return lines;
}

describe('checkCapture on the reference simulator', () => {
  it('passes its capture, replay included', async () => {
    const report = checkCapture(await simulatorCapture());
    expect(failed(report)).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.thingName).toBe('sim-gw-0001');
    for (const id of ['6.2', '7.3', '10.1', '11.4', '12.1']) {
      expect(clause(report, id).status, id).toBe('pass');
    }
  });
});
