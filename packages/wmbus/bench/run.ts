// `npm run bench`: every benchmark of the codec, one after the other (never in parallel:
// they would share the two cores and measure each other).
await import('./crc.bench.js');
await import('./decode.bench.js');
