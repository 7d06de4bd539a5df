import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { formatCaptureLine } from '../capture.js';
import { EXIT, type CommandIo } from '../cli-io.js';
import { isValidThingName } from '../topics.js';
import {
  createSimulator,
  DEFAULT_OFFLINE_START,
  type Outage,
  type RunOptions,
  type SimulatorOptions,
} from './create-simulator.js';
import { MAX_FLEET_SIZE } from './fleet.js';
import { metersCsv } from './meters-csv.js';

const USAGE = `Usage: zw-contract simulate (--offline | --url mqtts://HOST:PORT --cert FILE --key FILE --ca FILE) [options]

The reference gateway: virtual meters (heat cost allocators, heat and water
meters of several makes, each with its own AES-128 key, OMS security modes 5
and 7) heard by a gateway that batches their frames and publishes them by the
firmware contract.

Where it publishes:
  --offline               no broker: simulated time, for a capture (--capture)
  --url URL               live, over mutual TLS: the local emulator or an AWS IoT Core endpoint
  --cert FILE             the gateway's client certificate (PEM)
  --key FILE              its private key (PEM)
  --ca FILE               the CA that signed the broker's certificate (PEM)
  --servername NAME       TLS server name (SNI) when the URL names an address, e.g. localhost

What it simulates:
  --thing NAME            thing name = MQTT client id (default sim-gw-0001)
  --meters N              meters in the fleet (default 20)
  --seed N                seed of the fleet, its keys and its consumption (default 1)
  --start ISO             offline: when the simulated gateway boots (default ${DEFAULT_OFFLINE_START})
  --frames-per-second N   pack the air: about N frames a second instead of the meters' own
                          2-15 minutes (at most one frame per meter every 2 s)
  --upload-interval S     the gateway's upload interval, 5-3600 s (default 60)
  --outage AFTER:FOR      offline: no connection from AFTER seconds after the start for FOR
                          seconds (repeatable), so the capture shows buffering and replay

When it stops (offline needs one of them; live runs until Ctrl-C without):
  --batches N             after N new batches are acknowledged
  --duration S            after S seconds (simulated offline, real live)

Files (relative to the current folder):
  --capture FILE          write everything published, in the capture format (JSON lines)
  --keys-out FILE         write the meters and keys as the platform imports them (CSV)
  --state FILE            keep gatewaySeq and unsent frames across runs (JSON)

  -h, --help              show this text

Example:
  zw-contract simulate --offline --meters 20 --batches 10 --capture good.jsonl --keys-out keys.csv
`;

const OPTIONS = {
  offline: { type: 'boolean' },
  url: { type: 'string' },
  cert: { type: 'string' },
  key: { type: 'string' },
  ca: { type: 'string' },
  servername: { type: 'string' },
  thing: { type: 'string' },
  meters: { type: 'string' },
  seed: { type: 'string' },
  start: { type: 'string' },
  'frames-per-second': { type: 'string' },
  'upload-interval': { type: 'string' },
  outage: { type: 'string', multiple: true },
  batches: { type: 'string' },
  duration: { type: 'string' },
  capture: { type: 'string' },
  'keys-out': { type: 'string' },
  state: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

class UsageError extends Error {}

function usage(message: string): never {
  throw new UsageError(message);
}

function wholeNumber(flag: string, text: string | undefined, min: number, max: number) {
  if (text === undefined) return undefined;
  if (!/^[0-9]+$/.test(text) || Number(text) < min || Number(text) > max) {
    usage(`--${flag} must be a whole number from ${min} to ${max}, got '${text}'`);
  }
  return Number(text);
}

function positive(flag: string, text: string | undefined) {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value <= 0) {
    usage(`--${flag} must be a number above 0, got '${text}'`);
  }
  return value;
}

function outage(text: string): Outage {
  const match = /^([0-9]+(?:\.[0-9]+)?):([0-9]+(?:\.[0-9]+)?)$/.exec(text);
  if (match === null || Number(match[2]) <= 0) {
    usage(`--outage takes AFTER:FOR in seconds, e.g. 300:600, got '${text}'`);
  }
  return { afterS: Number(match[1]), durationS: Number(match[2]) };
}

/** `zw-contract simulate`: the reference gateway, offline into a capture or live over MQTT. */
export async function runSimulateCommand(argv: string[], io: CommandIo): Promise<number> {
  let plan: Awaited<ReturnType<typeof planRun>>;
  try {
    plan = await planRun(argv, io);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.stderr(
      `zw-contract simulate: ${error.message}\n\nRun zw-contract simulate --help for the options.\n`,
    );
    return EXIT.usage;
  }
  if (plan === 'help') {
    io.stdout(USAGE);
    return EXIT.ok;
  }

  let capture: WriteStream | undefined;
  let captureLines = 0;
  try {
    if (plan.capturePath !== undefined) {
      capture = createWriteStream(plan.capturePath, { flags: 'w' });
      await once(capture, 'open');
    }
    const out = capture;
    const simulator = createSimulator({
      ...plan.options,
      ...(out === undefined
        ? {}
        : {
            onCapture: (line) => {
              captureLines += 1;
              out.write(`${formatCaptureLine(line)}\n`);
            },
          }),
      log: (message) => io.stderr(`${message}\n`),
    });
    if (plan.keysPath !== undefined) {
      // Before the first frame: the platform can import the keys while the gateway starts.
      await writeFile(plan.keysPath, metersCsv(simulator.meters));
    }
    const summary = await simulator.run({ ...plan.run, signal: io.signal });
    const s = summary;
    io.stdout(
      `${plan.options.thingName}: ${s.batches} batches acknowledged (gatewaySeq up to ${s.lastGatewaySeq}), ` +
        `${s.framesForwarded} frames forwarded (${s.framesReplayed} replayed), ` +
        `${s.framesInvalid} invalid, ${s.framesFiltered} filtered, ${s.framesDropped} dropped\n` +
        `gateway clock ${s.startedAt} to ${s.endedAt}; stopped by ${s.stoppedBy}\n`,
    );
    if (plan.capturePath !== undefined)
      io.stdout(`capture: ${plan.capturePath} (${captureLines} messages)\n`);
    if (plan.keysPath !== undefined) {
      io.stdout(`keys: ${plan.keysPath} (${simulator.meters.length} meters)\n`);
    }
    return EXIT.ok;
  } catch (error) {
    io.stderr(`zw-contract simulate: ${error instanceof Error ? error.message : String(error)}\n`);
    return EXIT.failed;
  } finally {
    if (capture !== undefined) {
      capture.end();
      await once(capture, 'close').catch(() => undefined);
    }
  }
}

interface Plan {
  options: Omit<SimulatorOptions, 'onCapture' | 'log'>;
  run: Omit<RunOptions, 'signal'>;
  capturePath?: string;
  keysPath?: string;
}

async function planRun(argv: string[], io: CommandIo): Promise<Plan | 'help'> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: OPTIONS,
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    usage(error instanceof Error ? error.message : String(error));
  }
  if (values.help === true) return 'help';

  const path = (file: string | undefined) =>
    file === undefined ? undefined : resolve(io.cwd, file);
  const offline = values.offline === true;
  if (offline === (values.url !== undefined)) usage('give either --offline or --url');

  const thingName = values.thing ?? 'sim-gw-0001';
  if (!isValidThingName(thingName)) {
    usage(`--thing must be 1-64 characters of A-Z a-z 0-9 : _ -, got '${thingName}'`);
  }
  const meters = wholeNumber('meters', values.meters, 1, MAX_FLEET_SIZE) ?? 20;
  const seed = wholeNumber('seed', values.seed, 0, 0xffff_ffff) ?? 1;
  const batches = wholeNumber('batches', values.batches, 1, Number.MAX_SAFE_INTEGER);
  const durationS = positive('duration', values.duration);
  const framesPerSecond = positive('frames-per-second', values['frames-per-second']);
  if (framesPerSecond !== undefined && framesPerSecond > meters / 2) {
    usage(
      `--frames-per-second ${framesPerSecond} is more than ${meters} meters send (at most ${meters / 2}: one frame per meter every 2 s)`,
    );
  }
  const uploadIntervalS = wholeNumber('upload-interval', values['upload-interval'], 5, 3600);
  const outages = (values.outage ?? []).map(outage);

  let transport: SimulatorOptions['transport'];
  let start: string | undefined;
  if (offline) {
    for (const flag of ['cert', 'key', 'ca', 'servername'] as const) {
      if (values[flag] !== undefined) usage(`--${flag} goes with --url, not --offline`);
    }
    if (batches === undefined && durationS === undefined) {
      usage('an offline run needs --batches or --duration to end');
    }
    if (values.start !== undefined) {
      if (!/^\d{4}-\d{2}-\d{2}T/.test(values.start) || Number.isNaN(Date.parse(values.start))) {
        usage(
          `--start must be an ISO 8601 time such as 2025-01-15T06:00:00Z, got '${values.start}'`,
        );
      }
      start = values.start;
    }
    transport = { kind: 'offline', outages };
  } else {
    const url = values.url!;
    if (!/^mqtts:\/\/[^/]+:\d+\/?$/.test(url)) {
      usage(`--url must be mqtts://HOST:PORT (the contract requires TLS), got '${url}'`);
    }
    if (values.start !== undefined)
      usage('--start is for --offline: a live gateway keeps real time');
    if (outages.length > 0)
      usage('--outage is for --offline; live, cut the connection at the broker');
    const missing = (['cert', 'key', 'ca'] as const).filter((f) => values[f] === undefined);
    if (missing.length > 0) {
      usage(`--url needs ${missing.map((f) => `--${f} FILE`).join(', ')} (mutual TLS)`);
    }
    const read = async (flag: 'cert' | 'key' | 'ca') => {
      const file = path(values[flag]);
      if (file === undefined) usage(`--url needs --${flag} FILE`);
      try {
        return await readFile(file, 'utf8');
      } catch (error) {
        usage(`cannot read --${flag} ${file}: ${(error as Error).message}`);
      }
    };
    transport = {
      kind: 'mqtt',
      url,
      certPem: await read('cert'),
      keyPem: await read('key'),
      caPem: await read('ca'),
      ...(values.servername === undefined ? {} : { servername: values.servername }),
    };
  }

  const statePath = path(values.state);
  const capturePath = path(values.capture);
  const keysPath = path(values['keys-out']);
  return {
    options: {
      thingName,
      fleet: { count: meters, seed },
      seed,
      transport,
      ...(start === undefined ? {} : { start }),
      ...(framesPerSecond === undefined ? {} : { framesPerSecond }),
      ...(uploadIntervalS === undefined ? {} : { uploadIntervalS }),
      ...(statePath === undefined ? {} : { statePath }),
    },
    run: {
      ...(batches === undefined ? {} : { batches }),
      ...(durationS === undefined ? {} : { durationMs: durationS * 1000 }),
    },
    ...(capturePath === undefined ? {} : { capturePath }),
    ...(keysPath === undefined ? {} : { keysPath }),
  };
}
