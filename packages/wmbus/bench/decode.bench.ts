// Telegrams decoded per second into records and named values, on one core
// (this process's main thread), for plain, mode-5 and mode-7 frames.
// Method: a water meter frame of 9 records built with encode(); each run decodes
// it from bytes (link, transport, security, records, driver) in a loop for 1 s;
// the best of 5 runs after a warm-up is printed.
import { decode, emptyDecoderState, encode, hexToBytes, type EncodeInput } from '../src/index.js';

const meter = { manufacturer: 'ZWK', id: '12345678', version: 0x01, deviceType: 0x07 };
const key = '000102030405060708090A0B0C0D0E0F';
const records: EncodeInput['records'] = [
  { quantity: 'volume', unit: 'm3', value: 1234.567, coding: 'int32' },
  { quantity: 'volume', unit: 'm3', value: 1100.5, coding: 'int32', storage: 1 },
  { quantity: 'date', value: '2025-12-31', coding: 'dateG', storage: 1 },
  { quantity: 'volumeFlow', unit: 'm3/h', value: 0.012, coding: 'int16' },
  { quantity: 'volumeFlow', unit: 'm3/h', value: 1.2, coding: 'int16', function: 'maximum' },
  { quantity: 'flowTemperature', unit: '°C', value: 12.5, coding: 'int16' },
  { quantity: 'externalTemperature', unit: '°C', value: 19.1, coding: 'int16' },
  { quantity: 'dateTime', value: '2026-11-24 14:15', coding: 'dateTimeF' },
  { quantity: 'volume', unit: 'm3', value: 1200.001, coding: 'int32', storage: 8 },
];

const cases = [
  {
    name: 'plain ',
    frame: encode({ meter, accessNumber: 1, records, security: { mode: 0 } }),
    key: null,
  },
  {
    name: 'mode 5',
    frame: encode({ meter, accessNumber: 1, records, security: { mode: 5, key } }),
    key,
  },
  {
    name: 'mode 7',
    frame: encode({
      meter,
      accessNumber: 1,
      records,
      security: { mode: 7, key, messageCounter: 7 },
    }),
    key,
  },
];

let sink = 0;
// As the ingest does: the key as bytes (unwrapped once per meter) and the decoder state kept.
function run(frame: Uint8Array, k: string | null, ms: number): number {
  const key = k === null ? null : hexToBytes(k);
  let state = emptyDecoderState();
  const end = performance.now() + ms;
  let n = 0;
  while (performance.now() < end) {
    for (let i = 0; i < 200; i++) {
      const result = decode(frame, { key, state });
      state = result.state;
      sink += result.telegram.records.length;
    }
    n += 200;
  }
  return n / (ms / 1000);
}

console.log(
  `decode: ${records.length}-record water meter frame, best of 5 x 1 s, one core, Node ${process.version}`,
);
for (const c of cases) {
  run(c.frame, c.key, 300);
  const best = Math.max(...Array.from({ length: 5 }, () => run(c.frame, c.key, 1000)));
  console.log(
    `decode ${c.name}: ${Math.round(best).toLocaleString('en')} telegrams/s (${c.frame.length} bytes)`,
  );
}
if (sink < 0) console.log(sink);
