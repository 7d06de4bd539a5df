// Follows a property's new readings as the platform stores them (Server-Sent Events), until N
// readings came or T seconds passed. The client reconnects by itself if the connection drops.
//
// Against `npm start` (in another terminal; its simulated gateway sends readings every few
// seconds), after `npm run build -w @zaehlwerk/sdk`:
//   npx tsx examples/live-readings.ts [count] [seconds]
// Defaults: 10 readings, 60 seconds. Environment: ZW_BASE_URL (http://127.0.0.1:3000),
// ZW_API_KEY or ZW_EMAIL/ZW_PASSWORD/ZW_PARTNER (the demo operator), ZW_PROPERTY_ID (the
// organisation's first property).
import type { Reading } from '@zaehlwerk/sdk';
import {
  connect,
  connectionFromEnv,
  findProperty,
  isMain,
  runAsScript,
  type ExampleOptions,
} from './connect.js';

export interface LiveReadingsOptions extends ExampleOptions {
  propertyId?: string;
  /** Stop after this many readings; 10. */
  count?: number;
  /** Stop after this many seconds; 60. */
  seconds?: number;
}

export async function main(options: LiveReadingsOptions = {}): Promise<Reading[]> {
  const log = options.log ?? console.log;
  const count = options.count ?? 10;
  const zw = await connect(options.connection ?? connectionFromEnv());
  const property = await findProperty(zw, options.propertyId);
  log(`following property ${property.id} for ${count} readings or ${options.seconds ?? 60} s`);

  const readings: Reading[] = [];
  // The stream ends quietly when the signal aborts: here, when the time is up.
  const signal = AbortSignal.timeout((options.seconds ?? 60) * 1000);
  for await (const event of zw.live({ propertyId: property.id, signal })) {
    if (event.type === 'overflow') {
      // Too slow to keep up: the client reconnects, and the server replays what it can.
      log(`fell behind (${event.reason}); reconnecting`);
      continue;
    }
    if (event.type === 'reset') {
      // After a reconnect the server could not replay the gap: it is in listMeterReadings.
      log(`readings missed while away are not replayed (${event.reason})`);
      continue;
    }
    if (event.type === 'alarm') {
      // Only with `alarms: true` in live(): an alarm of a meter in scope raised or cleared.
      log(`alarm ${event.alarm.code} ${event.change} on meter ${event.alarm.meterId}`);
      continue;
    }
    const { reading } = event;
    readings.push(reading);
    const value = reading.register
      ? `${reading.register.value} ${reading.register.unit}`
      : 'no register';
    log(`${reading.at}  ${reading.kind.padEnd(19)}  meter ${reading.meterId}  ${value}`);
    if (readings.length >= count) break;
  }
  log(`${readings.length} readings`);
  return readings;
}

if (isMain(import.meta.url)) {
  const [count, seconds] = process.argv.slice(2).map(Number);
  runAsScript(() =>
    main({
      ...(count === undefined || Number.isNaN(count) ? {} : { count }),
      ...(seconds === undefined || Number.isNaN(seconds) ? {} : { seconds }),
      ...(process.env.ZW_PROPERTY_ID ? { propertyId: process.env.ZW_PROPERTY_ID } : {}),
    }),
  );
}
