import { mkdir } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import type { Server } from 'node:http';

const require = createRequire(import.meta.url);

export interface EmbeddedDynamo {
  /** http://127.0.0.1:PORT */
  endpoint: string;
  close(): Promise<void>;
}

/**
 * Starts dynalite, a DynamoDB-compatible server, in this process: in memory, or
 * on disk under `dataDir` (LevelDB) so that data survives a restart.
 */
export async function startEmbeddedDynamo(options: {
  dataDir?: string | undefined;
  port?: number;
}): Promise<EmbeddedDynamo> {
  // dynalite is CommonJS without types; required lazily so that a server
  // pointed at Amazon DynamoDB never loads it.
  const dynalite = require('dynalite') as (opts: Record<string, unknown>) => Server;
  if (options.dataDir) await mkdir(options.dataDir, { recursive: true });
  const server = dynalite({
    ...(options.dataDir ? { path: options.dataDir } : {}),
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close() {
      closing ??= new Promise<void>((resolve, reject) => {
        // Keep-alive sockets of the SDK would otherwise hold the close open.
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      });
      return closing;
    },
  };
}
