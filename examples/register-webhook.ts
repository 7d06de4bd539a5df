// Registers a webhook for the operator's organisation, prints its signing secret (shown this
// once), sends the test ping and lists the delivery attempts. With ZW_WEBHOOK_URL the webhook
// stays registered there; without it the example starts a tiny receiver on this machine, which
// verifies every delivery's signature with the SDK, waits for the platform's first readings,
// and deletes the webhook again when it stops (the platform would otherwise retry a receiver
// that is gone).
//
// Against `npm start` (in another terminal; its demo allows webhooks to http://127.0.0.1),
// after `npm run build -w @zaehlwerk/sdk`:
//   npx tsx examples/register-webhook.ts [seconds]
// Default: wait 30 seconds for events. Environment: ZW_BASE_URL (http://127.0.0.1:3000),
// ZW_API_KEY or ZW_EMAIL/ZW_PASSWORD/ZW_PARTNER (the demo operator), ZW_WEBHOOK_URL.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  verifyWebhook,
  WEBHOOK_SIGNATURE_HEADER,
  type Webhook,
  type WebhookDelivery,
  type WebhookEvent,
  type ZaehlwerkClient,
} from '@zaehlwerk/sdk';
import { connect, connectionFromEnv, isMain, runAsScript, type ExampleOptions } from './connect.js';

export interface RegisterWebhookOptions extends ExampleOptions {
  /** Where events go; a local receiver when absent. */
  url?: string;
  /** The organisation; the caller's (from its grants) when absent. */
  organisationId?: string;
  /** How long the local receiver waits for events besides the ping; 30. */
  seconds?: number;
}

export interface RegisterWebhookResult {
  webhook: Webhook;
  secret: string;
  ping: WebhookDelivery;
  deliveries: WebhookDelivery[];
  /** What the local receiver got and could verify (none with a URL of your own). */
  received: WebhookEvent[];
  /** Deliveries the local receiver refused: a wrong signature, or too old. */
  refused: number;
}

async function organisationOf(zw: ZaehlwerkClient, given?: string): Promise<string> {
  if (given !== undefined) return given;
  const me = await zw.get('/v1/me');
  const organisationId = me.grants.find((g) => g.organisationId !== undefined)?.organisationId;
  if (organisationId === undefined) throw new Error('no organisation in the grants');
  return organisationId;
}

/** A receiver as an integrator would write one: verify the raw body first, then act. */
async function startReceiver(log: (line: string) => void) {
  let secret = '';
  const received: WebhookEvent[] = [];
  let refused = 0;
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const header = request.headers[WEBHOOK_SIGNATURE_HEADER];
      void verifyWebhook({
        body: Buffer.concat(chunks).toString('utf8'),
        signature: typeof header === 'string' ? header : undefined,
        secret,
      }).then((result) => {
        if (!result.ok) {
          refused += 1;
          log(`  refused a delivery: ${result.reason}`);
          response.statusCode = 400;
          return response.end();
        }
        received.push(result.event);
        const { event } = result;
        if (event.type === 'reading.stored') {
          log(`  received ${event.type}: ${event.data.readings.length} readings`);
        } else if (event.type === 'ping') {
          log(`  received ping for ${event.data.webhookId}`);
        } else {
          log(
            `  received ${event.type}: ${event.data.alarm.code} at meter ${event.data.alarm.meterId}`,
          );
        }
        // Answer quickly (within 5 s); do slow work after answering.
        response.statusCode = 204;
        response.end();
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/zaehlwerk`,
    setSecret: (s: string) => void (secret = s),
    received,
    refused: () => refused,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export async function main(options: RegisterWebhookOptions = {}): Promise<RegisterWebhookResult> {
  const log = options.log ?? console.log;
  const zw = await connect(options.connection ?? connectionFromEnv());
  const organisationId = await organisationOf(zw, options.organisationId);
  const receiver = options.url === undefined ? await startReceiver(log) : null;
  const url = options.url ?? receiver!.url;

  try {
    const path = { organisationId };
    const { secret, webhook } = await zw.post('/v1/organisations/{organisationId}/webhooks', {
      params: { path },
      body: {
        url,
        events: ['reading.stored', 'alarm.raised', 'alarm.cleared'],
        description: 'register-webhook example',
      },
    });
    receiver?.setSecret(secret);
    log(`webhook ${webhook.id} of organisation ${organisationId} -> ${webhook.url}`);
    log(`secret (shown this once, keep it with the receiver): ${secret}`);

    const hook = { organisationId, webhookId: webhook.id };
    const ping = await zw.post('/v1/organisations/{organisationId}/webhooks/{webhookId}/test', {
      params: { path: hook },
    });
    log(`test ping: ${ping.ok ? `delivered (${ping.statusCode})` : `failed: ${ping.error}`}`);

    if (receiver !== null) {
      // The demo's simulated gateway uploads every few seconds: its readings come as one batch.
      const deadline = Date.now() + (options.seconds ?? 30) * 1000;
      while (
        Date.now() < deadline &&
        !receiver.received.some((event) => event.type === 'reading.stored')
      ) {
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }

    const { items: deliveries } = await zw.get(
      '/v1/organisations/{organisationId}/webhooks/{webhookId}/deliveries',
      { params: { path: hook, query: { limit: 10 } } },
    );
    log('recent deliveries:');
    for (const d of deliveries) {
      const outcome = d.ok ? `${d.statusCode}` : `failed (${d.error})`;
      log(
        `  ${d.at}  ${d.eventType.padEnd(14)}  attempt ${d.attempt}  ${outcome}  ${d.durationMs} ms`,
      );
    }

    if (receiver !== null) {
      const current = await zw.get('/v1/organisations/{organisationId}/webhooks/{webhookId}', {
        params: { path: hook },
      });
      await zw.delete('/v1/organisations/{organisationId}/webhooks/{webhookId}', {
        params: { path: hook, query: { version: current.version } },
      });
      log(`deleted webhook ${webhook.id}: the local receiver stops with this example`);
    }
    return {
      webhook,
      secret,
      ping,
      deliveries,
      received: receiver?.received ?? [],
      refused: receiver?.refused() ?? 0,
    };
  } finally {
    await receiver?.close();
  }
}

if (isMain(import.meta.url)) {
  const [seconds] = process.argv.slice(2).map(Number);
  runAsScript(() =>
    main({
      ...(seconds === undefined || Number.isNaN(seconds) ? {} : { seconds }),
      ...(process.env.ZW_WEBHOOK_URL ? { url: process.env.ZW_WEBHOOK_URL } : {}),
    }),
  );
}
