import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatCaptureLine } from '@zaehlwerk/firmware-contract';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { buildApp } from './app.js';
import type { Config } from './config.js';
import type { IotCore } from './domain/ports.js';
import type { LocalBroker } from './iot/local/broker/index.js';
import { fromShadowService, startLocalIotCore } from './iot/local/local-iot-core.js';
import { CA_CERTIFICATE_FILE } from './iot/local/pki/ca-store.js';
import {
  DEFAULT_SERVER_HOSTNAMES,
  INGEST_WORKER_CLIENT_ID_PREFIX,
  loadOrCreateCertificateAuthority,
} from './iot/local/pki/index.js';
import { createShadowService } from './iot/local/shadow/index.js';
import { createContractGate } from './ingest/contract-gate.js';
import {
  startIngestEventsSubscriber,
  type IngestEventsSubscriber,
} from './ingest/ingest-events-subscriber.js';
import { startIngestWorker, type RunningIngestWorker } from './ingest-worker.js';
import type { MqttTlsConnection } from './ingest/mqtt-worker.js';
import type { IngestStore } from './ingest/ingest-store.js';
import { LiveHub } from './ingest/live-hub.js';
import { createPlatformIngest, registryGatewayOwner } from './ingest/platform-ingest.js';
import type { GatewayOwner, IngestPipeline } from './ingest/pipeline.js';
import { createFleet } from '@zaehlwerk/firmware-contract/simulator';
import { prepareLab, type LabCredentials } from './demo/lab-credentials.js';
import { seedDemo, type DemoCredentials } from './demo/seed.js';
import { startSimulatedGateway, type SimulatedGateway } from './demo/simulated-gateway.js';
import {
  AwsIotCore,
  createAwsIotClients,
  dataPlaneEndpoint,
  type AwsIotClients,
} from './iot/aws/index.js';
import { provisioningTemplateName } from './iot/aws/provisioning-template.js';
import {
  createPlatformServices,
  platformServicesOptions,
  type PlatformServices,
} from './platform-services.js';
import { createDynamoClients, type DynamoClients } from './store/dynamodb-client.js';
import { createDynamoIngestStore } from './store/dynamodb-ingest-store.js';
import { createDynamoIotRegistry } from './store/dynamodb-iot-registry.js';
import { createDynamoShadowStore } from './store/dynamodb-shadow-store.js';
import { startEmbeddedDynamo, type EmbeddedDynamo } from './store/embedded-dynamodb.js';
import { dynamoStorageHealth, ensureTable } from './store/table.js';
import { createDynamoWebhookStore } from './store/dynamodb-webhook-store.js';
import { WebhookDispatcher } from './webhooks/dispatcher.js';

export interface Platform {
  app: FastifyInstance;
  /** Where the API listens, e.g. http://127.0.0.1:3000 */
  url: string;
  /** The DynamoDB endpoint in use (the embedded one, or the configured one). */
  dynamodbEndpoint: string;
  dynamo: DynamoClients;
  /**
   * The IoT Core port: over the local emulator (broker, CA, registry and shadows
   * in the table), or over AWS IoT Core with `--iot aws`.
   */
  iot: IotCore;
  /** Stores (tenancy, audit, API keys), the meter key vault and authentication. */
  services: PlatformServices;
  /** The `iss` of the platform's tokens. */
  issuer: string;
  /** The local emulator's parts; null with AWS IoT Core. */
  local: {
    /** Where gateways connect, e.g. mqtts://127.0.0.1:8883 (mutual TLS, SNI required). */
    mqttUrl: string;
    /** The local CA: gateways trust the broker through it, and it signs their certificates. */
    caCertificatePem: string;
    /** The CA certificate's file under `<dataDir>/pki`; null when the CA lives in memory. */
    caCertificatePath: string | null;
  } | null;
  /**
   * The local emulator's lab: the CA, a registered gateway's certificate and key
   * (the simulated gateway's), a monitor's for the live conformance checker,
   * written to `<dataDir>/lab` (or a temporary folder removed on close). Null with AWS.
   */
  lab: LabCredentials | null;
  /** The seeded demo's logins (`--demo true`); null otherwise. */
  demo: DemoCredentials | null;
  /** The lab's gateway, simulated in this process with `--simulate-meters N`; null otherwise. */
  simulatedGateway: SimulatedGateway | null;
  /** The telegram ingest: batches that keep the contract become readings here. */
  ingest: { pipeline: IngestPipeline; store: IngestStore; hub: LiveHub };
  /** Delivers the ingest's readings and alarms to the organisations' webhooks. */
  webhooks: WebhookDispatcher;
  /** With `--ingest mqtt`: the platform's own worker sessions (none with `--ingest-workers 0`). */
  ingestWorker: RunningIngestWorker | null;
  /** With `--ingest mqtt`: the subscription that feeds the live hub from the workers' events. */
  ingestEvents: IngestEventsSubscriber | null;
  /** Stops the broker, then serving, then the DynamoDB client and the embedded DynamoDB. Idempotent. */
  close(): Promise<void>;
}

/** Without the demo, the lab's gateway belongs to this (unseeded) owner. */
const LAB_PARTNER_ID = 'demo';
const LAB_ORGANISATION_ID = 'demo-operator';
/** Tried in order; a name held by someone else's gateway is skipped. */
const LAB_THING_NAMES = Array.from(
  { length: 9 },
  (_, i) => `sim-gw-${String(i + 1).padStart(4, '0')}`,
);

/** The lab gateway's meters each transmit this often, and the gateway uploads this often. */
const SIMULATED_METER_INTERVAL_S = 20;
const SIMULATED_UPLOAD_INTERVAL_S = 5;

/** Wildcard addresses mean "every interface": no client connects to them by that name. */
const WILDCARD_HOSTS = new Set(['0.0.0.0', '::']);

/**
 * Runs the platform for a configuration: the embedded DynamoDB unless an
 * endpoint is configured, the table, the local IoT Core (CA; registry and
 * shadows in the same table; MQTT broker), the API. Used by `zw-server start` and by tests.
 */
export async function startPlatform(config: Config): Promise<Platform> {
  let embedded: EmbeddedDynamo | undefined;
  if (!config.dynamodbEndpoint) {
    embedded = await startEmbeddedDynamo({ dataDir: config.dataDir, port: config.dynamodbPort });
  }
  const endpoint = config.dynamodbEndpoint ?? embedded?.endpoint;
  const dynamo = createDynamoClients({
    region: config.region,
    endpoint,
    localCredentials: embedded !== undefined,
  });

  let app: FastifyInstance | undefined;
  let broker: LocalBroker | undefined;
  let capture: WriteStream | undefined;
  let awsClients: AwsIotClients | undefined;
  let temporaryLabDir: string | undefined;
  let simulatedGateway: SimulatedGateway | null = null;
  let webhooks: WebhookDispatcher | undefined;
  let ingestWorker: RunningIngestWorker | undefined;
  let ingestEvents: IngestEventsSubscriber | undefined;
  const stop = async () => {
    // The simulated gateway first, so that it saves its state rather than see the broker vanish.
    await simulatedGateway?.stop();
    // Workers finish the batch in hand while the broker and the table are still there.
    await ingestWorker?.stop();
    await ingestEvents?.close();
    // The broker next: its rule handler may still be writing through the clients below,
    // and gateways should see the endpoint go away before the API does.
    await broker?.close();
    // Pending retries are in memory only: they end here (src/webhooks/README.md).
    await webhooks?.close();
    if (capture !== undefined) {
      capture.end();
      await once(capture, 'close').catch(() => undefined);
    }
    await app?.close();
    dynamo.client.destroy();
    awsClients?.iot.destroy();
    awsClients?.data.destroy();
    await embedded?.close();
    if (temporaryLabDir !== undefined) await rm(temporaryLabDir, { recursive: true, force: true });
  };

  const caDir = config.dataDir === undefined ? undefined : join(config.dataDir, 'pki');
  let iot: IotCore;
  let local: Platform['local'] = null;
  let lab: LabCredentials | null = null;
  let services: PlatformServices;
  let demo: DemoCredentials | null = null;
  let ingest: Platform['ingest'] | undefined;
  let gatewayOwner: (thingName: string) => Promise<GatewayOwner | null>;
  /** With `--ingest mqtt` locally: the worker certificate the platform issued itself. */
  let localIdentity: IngestWorkerIdentity | null = null;
  const servicesOptions = platformServicesOptions(config, dynamo.doc);
  try {
    await ensureTable(dynamo.client, config.table);
    const logger = config.logLevel === 'silent' ? false : { level: config.logLevel };
    const storage = dynamoStorageHealth(dynamo.client, config.table);
    services = await createPlatformServices(servicesOptions);
    const { stores } = services;
    const hub = new LiveHub();
    const ingestStore = createDynamoIngestStore({ doc: dynamo.doc, tableName: config.table });
    const webhookStore = createDynamoWebhookStore({ doc: dynamo.doc, tableName: config.table });
    // The demo runs on a developer's machine: its webhooks may go to a receiver there.
    const allowLocalUrls = config.webhookAllowLocalUrls || config.demo;
    const webhookLog: { log?: FastifyBaseLogger } = {};
    webhooks = new WebhookDispatcher({
      store: webhookStore,
      vault: services.vault,
      allowLocal: allowLocalUrls,
      log: { warn: (fields, message) => webhookLog.log?.warn(fields, message) },
    });
    const dispatcher = webhooks;
    if (config.demo) {
      // The demo's meters are the simulated gateway's (the same seed), so its frames decrypt.
      demo = await seedDemo({
        stores,
        apiKeys: services.apiKeys,
        vault: services.vault,
        meterKeys: services.meterKeys,
        fleet: createFleet({ count: config.simulateMeters, seed: 1 }),
      });
    }
    const common = {
      storage,
      logger,
      auth: services.auth,
      core: services,
      corsOrigins: services.corsOrigins,
      // The read routes use the store the pipeline writes, and its live feed.
      ingest: { store: ingestStore, hub },
      minAggregationUnits: config.minAggregationUnits,
      webhooks: { store: webhookStore, dispatcher, allowLocalUrls },
      ...(config.rateLimitPerMinute === undefined
        ? {}
        : { rateLimitPerMinute: config.rateLimitPerMinute }),
    };
    if (config.iot === 'aws') {
      awsClients = await createAwsIotClients({
        region: config.region,
        ...(config.awsIotEndpoint === undefined ? {} : { endpoint: config.awsIotEndpoint }),
        ...(config.awsIotDataEndpoint === undefined
          ? {}
          : { dataEndpoint: config.awsIotDataEndpoint }),
      });
      const aws = new AwsIotCore(awsClients);
      iot = aws;
      gatewayOwner = (thingName) => aws.gatewayOwner(thingName);
      app = await buildApp({
        ...common,
        gateways: { iot: aws, organisations: stores.organisations, audit: stores.audit },
        // parseConfig insists on the token with the HTTP action; with workers the route is off.
        ...(config.ingest === 'mqtt'
          ? {}
          : {
              ruleIngest: {
                token: config.ingestToken ?? '',
                deliver: (batch) => aws.deliver(batch),
                confirmDestination: (token) => aws.confirmIngestDestination(token),
              },
            }),
      });
    } else {
      // With a data dir the CA survives restarts, and so do the gateway certificates it signed.
      const ca = await loadOrCreateCertificateAuthority(caDir === undefined ? {} : { dir: caDir });
      // The broker starts before the app, whose routes need its port; its events wait for the log.
      const events: { log?: FastifyBaseLogger } = {};
      if (config.mqttCapture !== undefined) {
        capture = createWriteStream(config.mqttCapture, { flags: 'a' });
        await once(capture, 'open');
      }
      const captureFile = capture;
      const registry = createDynamoIotRegistry({ doc: dynamo.doc, tableName: config.table });
      gatewayOwner = registryGatewayOwner(registry);
      const started = await startLocalIotCore({
        registry,
        ca,
        shadows: (publish) =>
          fromShadowService(
            createShadowService({
              store: createDynamoShadowStore({ doc: dynamo.doc, tableName: config.table }),
              registry,
              publish,
            }),
          ),
        // With the demo, its partner's devices can onboard by claim, as on AWS.
        ...(demo === null
          ? {}
          : {
              provisioningTemplateName: provisioningTemplateName(demo.ids.demoPartnerId),
              provisioningTemplates: {
                [provisioningTemplateName(demo.ids.demoPartnerId)]: {
                  partnerId: demo.ids.demoPartnerId,
                  organisationId: demo.ids.demoOperatorOrganisationId,
                  thingNameFrom: 'SerialNumber',
                },
              },
            }),
        port: config.mqttPort,
        host: config.mqttHost,
        hostnames: serverHostnames(config.mqttHost),
        ruleAction: config.ingest === 'mqtt' ? 'republish' : 'in-process',
        onEvent: (event) => events.log?.info({ event }, `IoT Core: ${event.outcome} ${event.code}`),
        ...(captureFile === undefined
          ? {}
          : { onCapture: (line) => captureFile.write(`${formatCaptureLine(line)}\n`) }),
      }).catch((err: unknown) => {
        throw (err as NodeJS.ErrnoException).code === 'EADDRINUSE'
          ? new Error(
              `MQTT port ${config.mqttHost}:${config.mqttPort} is in use; choose another with ` +
                '--mqtt-port (0: any free port)',
              { cause: err },
            )
          : err;
      });
      broker = started.broker;
      iot = started.iot;
      app = await buildApp({
        ...common,
        caCertificatePem: ca.caCertificatePem,
        gateways: { iot: started.iot, organisations: stores.organisations, audit: stores.audit },
      });
      events.log = app.log;
      local = {
        mqttUrl: `mqtts://${urlHost(broker.host)}:${broker.port}`,
        caCertificatePem: ca.caCertificatePem,
        caCertificatePath: caDir === undefined ? null : join(caDir, CA_CERTIFICATE_FILE),
      };
      let labDir: string;
      if (config.dataDir === undefined) {
        labDir = temporaryLabDir = await mkdtemp(join(tmpdir(), 'zw-lab-'));
      } else {
        labDir = join(config.dataDir, 'lab');
      }
      lab = await prepareLab({
        dir: labDir,
        iot,
        registry,
        ca,
        thingNames: LAB_THING_NAMES,
        partnerId: demo?.ids.demoPartnerId ?? LAB_PARTNER_ID,
        organisationId: demo?.ids.demoOperatorOrganisationId ?? LAB_ORGANISATION_ID,
        ...(demo === null
          ? {}
          : { claimTemplateName: provisioningTemplateName(demo.ids.demoPartnerId) }),
        ingestWorker: config.ingest === 'mqtt',
      });
      if (lab.ingestWorker !== null) {
        // Registered like any worker's, so it shows (and can be revoked) in the registry.
        localIdentity = {
          connection: {
            url: local.mqttUrl,
            servername: 'localhost',
            caPem: ca.caCertificatePem,
            certPem: lab.ingestWorker.certificatePem,
            keyPem: lab.ingestWorker.privateKeyPem,
          },
          clientId: `${INGEST_WORKER_CLIENT_ID_PREFIX}platform`,
        };
      }
    }
    // Batches that break the contract are answered on the gateway's errors topic; the rest
    // become readings, and the PUBACK (or the rule's 200) waits until they are stored.
    const port = iot;
    const appLog = app.log;
    webhookLog.log = appLog;
    ingest = {
      ...createPlatformIngest({
        doc: dynamo.doc,
        tableName: config.table,
        store: ingestStore,
        stores,
        meterKeys: services.meterKeys,
        vault: services.vault,
        gatewayOwner,
        log: appLog,
        // The dispatcher first: it only enqueues and never throws, whatever the hub does.
        onReadings: (readings) => {
          dispatcher.onReadings(readings);
          hub.publish(readings);
        },
        onAlarms: (alarms) => {
          dispatcher.onAlarms(alarms);
          hub.publishAlarms(alarms);
        },
      }),
      hub,
    };
    const pipeline = ingest.pipeline;
    const gate = createContractGate({
      publish: (topic, payload) => port.publish(topic, payload),
      onBatch: async (batch, delivery) => {
        await pipeline.handle(batch, delivery);
      },
      log: appLog,
    });
    if (config.ingest === 'rule') {
      iot.onTelegramBatch(gate.handle);
    } else {
      // Workers store the batches; this server's live hub hears of them on the events topic.
      const identity =
        localIdentity ??
        (await readEventsIdentity(
          config,
          config.awsIotDataEndpoint ?? (await dataPlaneEndpoint(awsClients!.iot)),
        ));
      const { hub: liveHub } = ingest;
      ingestEvents = await startIngestEventsSubscriber({
        ...identity.connection,
        clientId: `${identity.clientId}-events-${randomBytes(4).toString('hex')}`,
        onEvents: ({ readings, alarms }) => {
          if (readings.length > 0) liveHub.publish(readings);
          if (alarms.length > 0) liveHub.publishAlarms(alarms);
        },
        onInterrupted: () => {
          const ended = liveHub.interrupt();
          appLog.warn({ subscribers: ended }, 'live subscribers told to catch up after a break');
        },
        log: appLog,
      });
      if (localIdentity !== null && config.ingestWorkers > 0) {
        ingestWorker = await startIngestWorker({
          mqtt: {
            ...localIdentity.connection,
            clientId: localIdentity.clientId,
            sessions: config.ingestWorkers,
          },
          doc: dynamo.doc,
          tableName: config.table,
          services,
          gatewayOwner,
          webhookAllowLocalUrls: allowLocalUrls,
          log: appLog,
        });
      }
    }
    await app.listen({ host: config.host, port: config.port });
    if (lab !== null && local !== null && config.simulateMeters > 0) {
      const log = app.log;
      simulatedGateway = await startSimulatedGateway({
        lab,
        mqttUrl: local.mqttUrl,
        meters: config.simulateMeters,
        // Faster than real meters, so that whoever runs `npm start` sees readings within a minute.
        meterIntervalS: SIMULATED_METER_INTERVAL_S,
        uploadIntervalS: SIMULATED_UPLOAD_INTERVAL_S,
        log: (message) => log.info(message),
      });
    }
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }

  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  let closing: Promise<void> | undefined;
  return {
    app,
    url: `http://${urlHost(config.host)}:${port}`,
    dynamodbEndpoint: endpoint ?? `dynamodb.${config.region}.amazonaws.com`,
    dynamo,
    iot,
    services,
    issuer: servicesOptions.issuer,
    local,
    lab,
    demo,
    simulatedGateway,
    // Assigned in the try block above, which throws rather than leave it unset.
    ingest: ingest!,
    webhooks: webhooks!,
    ingestWorker: ingestWorker ?? null,
    ingestEvents: ingestEvents ?? null,
    close: () => (closing ??= stop()),
  };
}

function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/** The broker's certificate must name the address clients are told to use. */
function serverHostnames(mqttHost: string): readonly string[] {
  if (WILDCARD_HOSTS.has(mqttHost) || DEFAULT_SERVER_HOSTNAMES.includes(mqttHost)) {
    return DEFAULT_SERVER_HOSTNAMES;
  }
  return [...DEFAULT_SERVER_HOSTNAMES, mqttHost];
}

/** How an ingest worker certificate connects: the platform's own workers and its events subscriber. */
interface IngestWorkerIdentity {
  connection: MqttTlsConnection;
  clientId: string;
}

/**
 * On AWS the API server reads the ingest events with an ingest worker
 * certificate from `zw-server ingest-worker credentials --iot aws`; its client
 * id starts with the workers' prefix, which their policy admits.
 */
async function readEventsIdentity(
  config: Config,
  dataEndpoint: string,
): Promise<IngestWorkerIdentity> {
  const read = (path: string | undefined) => readFile(path!, 'utf8');
  const [certPem, keyPem, caPem] = await Promise.all([
    read(config.ingestEventsCert),
    read(config.ingestEventsKey),
    read(config.ingestEventsCa),
  ]);
  return {
    connection: { url: `mqtts://${new URL(dataEndpoint).host}:8883`, caPem, certPem, keyPem },
    clientId: `${INGEST_WORKER_CLIENT_ID_PREFIX}api`,
  };
}
