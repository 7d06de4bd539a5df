import {
  request as httpRequest,
  createServer,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the proxy does with one request. */
export type ProxyAction =
  /** Pass it to the real server and its answer back. */
  | {
      kind: 'forward';
      /** End the answer after this many body bytes' worth of SSE events. */ cutAfterEvents?: number;
    }
  /** Answer itself. */
  | { kind: 'answer'; status: number; headers?: Record<string, string>; body?: string }
  /** Close the connection without an answer: a network failure for the client. */
  | { kind: 'drop' }
  /** Send the headers of an event stream, then nothing. */
  | { kind: 'silent-stream' };

export interface SeenRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
}

export interface FaultyProxy {
  url: string;
  seen: SeenRequest[];
  close(): Promise<void>;
}

/**
 * A real HTTP proxy in front of the real server that misbehaves as told, for
 * the client's retries and reconnects: a network path, not a mocked fetch.
 * `plan` decides for the n-th request (0-based).
 */
export async function startFaultyProxy(
  target: string,
  plan: (request: SeenRequest, n: number) => ProxyAction,
): Promise<FaultyProxy> {
  const seen: SeenRequest[] = [];
  const open = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    const entry: SeenRequest = { method: req.method!, path: req.url!, headers: req.headers };
    const action = plan(entry, seen.length);
    seen.push(entry);
    open.add(res);
    res.on('close', () => open.delete(res));
    switch (action.kind) {
      case 'answer':
        req.resume();
        res.writeHead(action.status, action.headers ?? {});
        res.end(action.body ?? '');
        return;
      case 'drop':
        req.resume();
        req.socket.destroy();
        return;
      case 'silent-stream':
        req.resume();
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.flushHeaders();
        return;
      case 'forward':
        forward(target, req, res, action.cutAfterEvents);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: async () => {
      for (const res of open) res.destroy();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

function forward(
  target: string,
  req: IncomingMessage,
  res: ServerResponse,
  cutAfterEvents: number | undefined,
) {
  const url = new URL(req.url!, target);
  const headers = { ...req.headers, host: url.host };
  const upstream = httpRequest(url, { method: req.method, headers }, (answer) => {
    res.writeHead(answer.statusCode ?? 502, answer.headers);
    let events = 0;
    answer.on('data', (chunk: Buffer) => {
      if (cutAfterEvents === undefined) {
        res.write(chunk);
        return;
      }
      events += chunk.toString('utf8').split('\nevent: ').length - 1;
      if (events < cutAfterEvents) {
        res.write(chunk);
        return;
      }
      // The connection drops mid-stream, once this chunk is out, as a flaky network would drop it.
      answer.destroy();
      res.write(chunk, () => res.socket?.destroy());
    });
    answer.on('end', () => res.end());
    answer.on('error', () => res.destroy());
  });
  upstream.on('error', () => res.destroy());
  res.on('close', () => upstream.destroy());
  req.pipe(upstream);
}
