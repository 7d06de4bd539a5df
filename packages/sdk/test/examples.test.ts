import { describe, expect, it } from 'vitest';
import { main as importMeters } from '../../../examples/import-meters.js';
import { main as liveReadings } from '../../../examples/live-readings.js';
import { main as registerWebhook } from '../../../examples/register-webhook.js';
import { main as monthlyInformation } from '../../../examples/monthly-information.js';
import { main as unitConsumption } from '../../../examples/unit-consumption.js';
import { demo } from './demo-context.js';

/** The examples run as integrators would run them against `npm start`: here, the suite's demo platform. */
describe('examples/ against the demo platform', { timeout: 90_000 }, () => {
  const output = () => {
    const lines: string[] = [];
    return { lines, log: (line: string) => void lines.push(line) };
  };

  it('import-meters: creates the CSV’s meters and imports their keys, reporting every line', async () => {
    const first = output();
    const result = await importMeters({
      connection: { baseUrl: demo().url, apiKey: demo().apiKey },
      propertyId: demo().propertyId,
      log: first.log,
    });
    expect(result.propertyId).toBe(demo().propertyId);
    expect(result.meters.map((m) => m.outcome)).toEqual(Array(6).fill('created'));
    expect(result.keys.summary).toEqual({ accepted: 5, rejected: 1, ignored: 5 });
    expect(result.keys.lines.filter((l) => l.status === 'rejected').map((l) => l.line)).toEqual([
      11,
    ]);
    expect(first.lines).toContain(`property ${demo().propertyId} (Musterstraße 5)`);
    expect(first.lines).toContainEqual(expect.stringMatching(/^line 11: key rejected: .+/));
    expect(first.lines.at(-1)).toBe('keys: 5 accepted, 1 rejected, 5 lines ignored');

    // The meters are there, in their units, with their keys.
    const { createClient } = await import('@zaehlwerk/sdk');
    const zw = createClient({ baseUrl: demo().url, apiKey: demo().apiKey });
    const created = await zw.get('/v1/meters/{meterId}', {
      params: { path: { meterId: result.meters[0]!.id! } },
    });
    expect(created).toMatchObject({
      meterId: '91000001',
      kind: 'heat-cost-allocator',
      hasKey: true,
    });
    expect(created.unitId).toBe(demo().unitIds[0]);

    // Run again (as against a long-running `npm start`): nothing is created twice.
    const again = await importMeters({
      connection: { baseUrl: demo().url, apiKey: demo().apiKey },
      propertyId: demo().propertyId,
      log: output().log,
    });
    expect(again.meters.map((m) => m.outcome)).toEqual(Array(6).fill('exists'));
    expect(again.keys.lines.filter((l) => l.replacedKey).length).toBe(5);
  });

  it(
    'unit-consumption: reads a unit by day and by month, signed in as the demo operator',
    {
      timeout: 90_000,
    },
    async () => {
      // A unit's registers appear with its meters' first readings (each meter sends every 20 s).
      const { createClient } = await import('@zaehlwerk/sdk');
      const zw = createClient({ baseUrl: demo().url, apiKey: demo().apiKey });
      const today = new Date();
      const day = today.toISOString().slice(0, 10);
      const deadline = Date.now() + 50_000;
      for (;;) {
        const now = await zw.get('/v1/units/{unitId}/consumption', {
          params: { path: { unitId: demo().unitIds[0]! }, query: { from: day, to: day } },
        });
        if (now.registers.length > 0 || Date.now() > deadline) break;
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }

      const out = output();
      const result = await unitConsumption({
        // No API key: the example signs in with the demo operator's login.
        connection: { baseUrl: demo().url, ...demo().operator },
        today,
        log: out.log,
      });
      expect(result.unitId).toBe(demo().unitIds[0]);
      expect(result.daily).toMatchObject({ unitId: result.unitId, granularity: 'day' });
      expect(result.monthly).toMatchObject({ unitId: result.unitId, granularity: 'month' });
      expect(result.daily.registers.length).toBeGreaterThan(0);
      for (const register of result.daily.registers) {
        expect(register.series).toHaveLength(14);
        expect(register.series.at(-1)!.period).toBe(day);
      }
      expect(out.lines).toContainEqual(
        expect.stringMatching(/^ {2}heat-cost-allocator, units: total /),
      );
      const month = today.toISOString().slice(0, 7);
      expect(result.monthly.registers[0]!.series.at(-1)!.period).toBe(month);
      expect(out.lines[0]).toBe(`unit ${result.unitId}`);
      expect(out.lines).toContainEqual(expect.stringMatching(/^By day, \d{4}-\d{2}-\d{2} to /));
      expect(out.lines).toContainEqual(expect.stringMatching(/^By month, \d{4}-01-01 to /));
    },
  );

  it('monthly-information: prints the last ended month of a unit, and refuses the current one', async () => {
    const out = output();
    const connection = { baseUrl: demo().url, apiKey: demo().apiKey };
    const unitId = demo().unitIds[0]!;
    const result = await monthlyInformation({ connection, unitId, log: out.log });
    const { information } = result;
    // The demo's property is in Europe/Berlin: its last ended month, a day either side of UTC's.
    const berlinMonth = new Intl.DateTimeFormat('en-CA', {
      timeZone: 'Europe/Berlin',
      year: 'numeric',
      month: '2-digit',
    })
      .format(new Date())
      .slice(0, 7);
    const [year, month] = berlinMonth.split('-').map(Number) as [number, number];
    const lastEnded =
      month === 1 ? `${year - 1}-12` : `${year}-${String(month - 1).padStart(2, '0')}`;
    expect(information).toMatchObject({ unitId, month: lastEnded, timeZone: 'Europe/Berlin' });
    expect(information.heating.benchmark.source).toBe('building-average');
    expect(out.lines[0]).toBe(
      `Consumption information ${lastEnded}, unit ${unitId} (Europe/Berlin)`,
    );
    expect(out.lines).toContainEqual(expect.stringMatching(/^Heating: /));
    expect(out.lines).toContainEqual(expect.stringMatching(/^Hot water: /));
    // The demo's meters report from its start on: no complete month before, so no kWh.
    expect(information.heating.current.kwh).toBeNull();

    await expect(
      monthlyInformation({ connection, unitId, month: berlinMonth, log: () => undefined }),
    ).rejects.toMatchObject({ name: 'ZaehlwerkError', code: 'MONTH_NOT_ENDED', status: 400 });
  });

  it('live-readings: follows a property for N readings', async () => {
    const out = output();
    const readings = await liveReadings({
      connection: { baseUrl: demo().url, apiKey: demo().apiKey },
      count: 2,
      seconds: 45,
      log: out.log,
    });
    expect(readings).toHaveLength(2);
    for (const reading of readings) expect(demo().meterIds).toContain(reading.meterId);
    expect(out.lines[0]).toBe(`following property ${demo().propertyId} for 2 readings or 45 s`);
    expect(out.lines.at(-1)).toBe('2 readings');
    expect(out.lines.filter((l) => l.includes(' meter '))).toHaveLength(2);
  });

  it('register-webhook: shows the secret once, pings, and verifies signed readings', async () => {
    const out = output();
    const result = await registerWebhook({
      connection: { baseUrl: demo().url, apiKey: demo().apiKey },
      seconds: 45,
      log: out.log,
    });
    expect(result.secret).toMatch(/^whsec_/);
    expect(result.webhook).toMatchObject({ organisationId: demo().organisationId, enabled: true });
    expect(result.ping).toMatchObject({ ok: true, eventType: 'ping', statusCode: 204 });
    // Every delivery verified with the SDK's verifyWebhook; none refused.
    expect(result.refused).toBe(0);
    expect(result.received[0]).toMatchObject({
      type: 'ping',
      data: { webhookId: result.webhook.id },
    });
    const batch = result.received.find((e) => e.type === 'reading.stored');
    expect(batch).toBeDefined();
    if (batch?.type === 'reading.stored') {
      expect(batch.organisationId).toBe(demo().organisationId);
      for (const reading of batch.data.readings) expect(demo().meterIds).toContain(reading.meterId);
    }
    expect(result.deliveries.map((d) => d.eventType)).toContain('ping');
    // The secret is printed once, and nowhere else in the output.
    expect(out.lines.filter((l) => l.includes(result.secret))).toHaveLength(1);
    expect(out.lines.at(-1)).toBe(
      `deleted webhook ${result.webhook.id}: the local receiver stops with this example`,
    );

    // Gone, and so are its deliveries to the stopped receiver.
    const { createClient } = await import('@zaehlwerk/sdk');
    const zw = createClient({ baseUrl: demo().url, apiKey: demo().apiKey });
    const { items } = await zw.get('/v1/organisations/{organisationId}/webhooks', {
      params: { path: { organisationId: demo().organisationId } },
    });
    expect(items.map((w) => w.id)).not.toContain(result.webhook.id);
  });

  it('live-readings: stops when the time is up', async () => {
    const started = Date.now();
    const readings = await liveReadings({
      connection: { baseUrl: demo().url, apiKey: demo().apiKey },
      count: 10_000,
      seconds: 1,
      log: () => undefined,
    });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(readings.length).toBeLessThan(10_000);
  });
});
