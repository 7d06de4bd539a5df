import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

/**
 * A bench part in its own Node process (the same loader as the bench, so
 * TypeScript runs as is): it receives `input` as one JSON line on stdin and
 * answers with JSON lines on stdout. Gateways and DynamoDB are not the
 * platform's CPU in production, so the bench gives them their own processes.
 */
export interface BenchChild<Message> {
  /** The next message the child writes. */
  next(): Promise<Message>;
  send(message: unknown): void;
  /** Waits for the child to end (after it was told to). */
  exited: Promise<number | null>;
  kill(): void;
}

export function startBenchChild<Message>(script: URL, input: unknown): BenchChild<Message> {
  const child: ChildProcess = spawn(process.execPath, [...process.execArgv, script.pathname], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const queue: Message[] = [];
  const waiting: Array<(m: Message) => void> = [];
  const failures: Array<(e: Error) => void> = [];
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const message = JSON.parse(line) as Message;
    const w = waiting.shift();
    failures.shift();
    if (w) w(message);
    else queue.push(message);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  void exited.then((code) => {
    for (const fail of failures.splice(0)) fail(new Error(`bench child exited (${code})`));
  });
  const send = (message: unknown) => child.stdin!.write(`${JSON.stringify(message)}\n`);
  send(input);
  return {
    next() {
      const m = queue.shift();
      if (m !== undefined) return Promise.resolve(m);
      return new Promise<Message>((resolve, reject) => {
        waiting.push(resolve);
        failures.push(reject);
      });
    },
    send,
    exited,
    kill: () => child.kill('SIGKILL'),
  };
}

/** In a child: the lines the parent sends, as parsed JSON. */
export function parentMessages(): AsyncIterable<unknown> {
  const lines = createInterface({ input: process.stdin });
  return (async function* () {
    for await (const line of lines) yield JSON.parse(line) as unknown;
  })();
}

export function tellParent(message: unknown): void {
  process.stdout.write(`${JSON.stringify(message)}\n`);
}
