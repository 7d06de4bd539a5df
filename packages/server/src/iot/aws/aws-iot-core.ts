import { X509Certificate } from 'node:crypto';
import {
  AttachPolicyCommand,
  AttachThingPrincipalCommand,
  ConfirmTopicRuleDestinationCommand,
  CreateCertificateFromCsrCommand,
  CreateThingCommand,
  DeleteCertificateCommand,
  DeleteThingCommand,
  DescribeEndpointCommand,
  DescribeThingCommand,
  DetachPolicyCommand,
  DetachThingPrincipalCommand,
  IoTClient,
  UpdateCertificateCommand,
  type IoTClientConfig,
} from '@aws-sdk/client-iot';
import {
  GetThingShadowCommand,
  IoTDataPlaneClient,
  PublishCommand,
  UpdateThingShadowCommand,
} from '@aws-sdk/client-iot-data-plane';
import { isValidThingName } from '@zaehlwerk/firmware-contract';
import { DomainError } from '../../domain/errors.js';
import type {
  CertificateStatus,
  GatewayThing,
  IotCore,
  TelegramBatchDelivery,
} from '../../domain/ports.js';
import { isAwsError, toDomainError } from './aws-errors.js';
import { DEFAULT_GATEWAY_POLICY_NAME } from './provisioning-template.js';

export interface AwsClientOptions {
  region: string;
  /** Default: the SDK's provider chain (the task or instance role in production). */
  credentials?: IoTClientConfig['credentials'];
  /** Control-plane endpoint override (tests, VPC endpoints); AWS's regional one when absent. */
  endpoint?: string;
  /**
   * The account's `iot:Data-ATS` endpoint (`https://<prefix>-ats.iot.<region>.amazonaws.com`).
   * Looked up once with DescribeEndpoint when absent.
   */
  dataEndpoint?: string;
  /** SDK attempts per call, retries included (SDK default 3). */
  maxAttempts?: number;
}

export interface AwsIotClients {
  iot: IoTClient;
  data: IoTDataPlaneClient;
}

/** `https://…` of the account's ATS data endpoint, the one shadows are served from. */
export async function dataPlaneEndpoint(iot: IoTClient): Promise<string> {
  const { endpointAddress } = await iot.send(
    new DescribeEndpointCommand({ endpointType: 'iot:Data-ATS' }),
  );
  if (endpointAddress === undefined || endpointAddress === '') {
    throw new Error('DescribeEndpoint returned no iot:Data-ATS address');
  }
  return `https://${endpointAddress}`;
}

/**
 * Builds both SDK clients. The data plane has no regional endpoint of its own:
 * each account has one, so it is asked for once here rather than per call.
 */
export async function createAwsIotClients(options: AwsClientOptions): Promise<AwsIotClients> {
  const common = {
    region: options.region,
    ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
    ...(options.maxAttempts === undefined ? {} : { maxAttempts: options.maxAttempts }),
  };
  const iot = new IoTClient({
    ...common,
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
  });
  const endpoint = options.dataEndpoint ?? (await dataPlaneEndpoint(iot));
  return { iot, data: new IoTDataPlaneClient({ ...common, endpoint }) };
}

export interface AwsIotCoreOptions {
  /** The policy `ensureAwsResources` created; default `zw-gateway-v1`. */
  gatewayPolicyName?: string;
  /**
   * Waits before retrying a delete during rollback. Detaching a principal is
   * asynchronous in IoT Core ("might take several seconds to propagate"), so
   * the first DeleteCertificate or DeleteThing after it may still be refused.
   */
  rollbackRetryDelaysMs?: readonly number[];
}

type BatchHandler = (batch: TelegramBatchDelivery) => Promise<void>;

const utf8 = new TextDecoder();
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * The IoT Core port over AWS IoT Core. Registry, certificates and policies go
 * through the control plane (@aws-sdk/client-iot), shadows through the data
 * plane. Telegram batches do not: see `onTelegramBatch`.
 */
export class AwsIotCore implements IotCore {
  readonly #iot: IoTClient;
  readonly #data: IoTDataPlaneClient;
  readonly #policyName: string;
  readonly #retryDelays: readonly number[];
  readonly #handlers = new Set<BatchHandler>();

  constructor(clients: AwsIotClients, options: AwsIotCoreOptions = {}) {
    this.#iot = clients.iot;
    this.#data = clients.data;
    this.#policyName = options.gatewayPolicyName ?? DEFAULT_GATEWAY_POLICY_NAME;
    this.#retryDelays = options.rollbackRetryDelaysMs ?? [1000, 2000, 4000];
  }

  /**
   * Thing, certificate from the gateway's CSR, gateway policy, attachment: in
   * that order, and all undone if a step fails, so that a retry starts clean
   * and no active certificate is left without an owner.
   */
  async registerGateway(input: {
    thingName: string;
    partnerId: string;
    organisationId: string;
    csrPem: string;
  }): Promise<GatewayThing> {
    const { thingName, partnerId, organisationId } = input;
    if (!isValidThingName(thingName)) {
      throw new DomainError('VALIDATION_FAILED', `invalid thing name '${thingName}'`);
    }
    // CreateThing succeeds for an existing thing whose attributes are equal, so
    // it cannot tell us whether we made the thing. Asking first keeps a
    // rollback from deleting someone else's gateway; the window left is a
    // concurrent registration of the same serial, which AWS answers with 409
    // whenever the attributes differ.
    if (await this.#thingExists(thingName)) {
      throw new DomainError('CONFLICT', `thing '${thingName}' is already registered`);
    }
    // Undo steps, run newest first after the certificate is deactivated.
    const undo: UndoStep[] = [];
    let deactivate: UndoStep | undefined;
    try {
      await this.#iot.send(
        new CreateThingCommand({
          thingName,
          attributePayload: { attributes: { partnerId, organisationId } },
        }),
      );
      undo.push({ what: `thing ${thingName}`, run: () => this.#deleteThing(thingName) });

      const created = await this.#iot.send(
        new CreateCertificateFromCsrCommand({
          certificateSigningRequest: input.csrPem,
          setAsActive: true,
        }),
      );
      const { certificateId, certificateArn, certificatePem } = created;
      if (!certificateId || !certificateArn || !certificatePem) {
        throw new Error('CreateCertificateFromCsr answered without id, ARN or PEM');
      }
      // Deactivated before anything else is undone: should a delete below
      // fail, what is left can no longer connect.
      deactivate = {
        what: `active certificate ${certificateId}`,
        run: async () => {
          await this.#iot.send(
            new UpdateCertificateCommand({ certificateId, newStatus: 'INACTIVE' }),
          );
        },
      };
      undo.push({
        what: `certificate ${certificateId}`,
        run: () =>
          this.#retryWhileAttached(() =>
            this.#iot.send(new DeleteCertificateCommand({ certificateId })),
          ),
      });
      const notAfter = new Date(new X509Certificate(certificatePem).validTo).toISOString();

      const policyName = this.#policyName;
      await this.#iot.send(new AttachPolicyCommand({ policyName, target: certificateArn }));
      undo.push({
        what: `policy ${policyName} on certificate ${certificateId}`,
        run: async () => {
          await this.#iot.send(new DetachPolicyCommand({ policyName, target: certificateArn }));
        },
      });

      // Pushed before the call: a timeout may hide an attachment that did happen.
      undo.push({
        what: `certificate ${certificateId} on thing ${thingName}`,
        run: async () => {
          // Errors are not reported here: if the attachment did happen and
          // stays, the certificate and thing deletes fail and say so.
          await this.#iot
            .send(new DetachThingPrincipalCommand({ thingName, principal: certificateArn }))
            .catch(() => undefined);
        },
      });
      await this.#iot.send(
        new AttachThingPrincipalCommand({ thingName, principal: certificateArn }),
      );

      return {
        thingName,
        partnerId,
        organisationId,
        certificates: [{ certificateId, certificatePem, status: 'ACTIVE', notAfter }],
        lastConnectedAt: null,
      };
    } catch (err) {
      const steps = [...(deactivate ? [deactivate] : []), ...undo.reverse()];
      const left = await runUndo(steps);
      const failure = toDomainError(err, `registering gateway '${thingName}' failed`);
      if (left.length === 0) throw failure;
      throw new DomainError(
        'INTERNAL_ERROR',
        `registering gateway '${thingName}' failed and could not be fully undone`,
        { cause: failure, details: { leftBehind: left } },
      );
    }
  }

  /** Takes effect within minutes; IoT Core then disconnects clients using the certificate. */
  async setCertificateStatus(certificateId: string, status: CertificateStatus): Promise<void> {
    try {
      await this.#iot.send(new UpdateCertificateCommand({ certificateId, newStatus: status }));
    } catch (err) {
      throw toDomainError(err, `setting certificate ${certificateId} to ${status} failed`);
    }
  }

  /** The whole shadow document (state, metadata, version); null when there is none. */
  async getShadow(thingName: string, shadowName?: string): Promise<Record<string, unknown> | null> {
    try {
      const { payload } = await this.#data.send(
        new GetThingShadowCommand({ thingName, ...(shadowName ? { shadowName } : {}) }),
      );
      return payload === undefined ? null : parseDocument(payload);
    } catch (err) {
      if (isAwsError(err, 'ResourceNotFoundException')) return null;
      throw toDomainError(err, `reading the shadow of '${thingName}' failed`);
    }
  }

  /** Merges `desired` (null deletes a key, as in IoT Core); answers the update's response document. */
  async updateDesired(
    thingName: string,
    desired: Record<string, unknown>,
    shadowName?: string,
  ): Promise<Record<string, unknown>> {
    const body = new TextEncoder().encode(JSON.stringify({ state: { desired } }));
    try {
      const { payload } = await this.#data.send(
        new UpdateThingShadowCommand({
          thingName,
          payload: body,
          ...(shadowName ? { shadowName } : {}),
        }),
      );
      return payload === undefined ? {} : parseDocument(payload);
    } catch (err) {
      throw toDomainError(err, `updating the shadow of '${thingName}' failed`);
    }
  }

  async publish(topic: string, payload: string): Promise<void> {
    try {
      await this.#data.send(
        new PublishCommand({
          topic,
          qos: 1,
          retain: false,
          payload: new TextEncoder().encode(payload),
        }),
      );
    } catch (err) {
      throw toDomainError(err, `publishing to '${topic}' failed`);
    }
  }

  /**
   * On AWS no batch reaches this process through the SDK: the `zw_ingest`
   * topic rule POSTs each one to the ingest route, which parses it
   * (`parseRuleRequest`) and calls `deliver`. Registering here keeps the
   * port the same for both adapters. At-least-once holds as far as the route
   * answers 2xx only after `deliver` resolved: a failed POST is the rule's
   * failure (its error action fires) and the gateway replays from its own
   * buffer (contract C8); IoT Core itself does not queue for HTTP actions.
   */
  onTelegramBatch(handler: BatchHandler): () => void {
    this.#handlers.add(handler);
    return () => {
      this.#handlers.delete(handler);
    };
  }

  /** Hands one batch from the ingest route to every registered handler. */
  async deliver(batch: TelegramBatchDelivery): Promise<void> {
    if (this.#handlers.size === 0) {
      throw new DomainError('SERVICE_UNAVAILABLE', 'no telegram batch handler is registered');
    }
    await Promise.all([...this.#handlers].map((handler) => handler(batch)));
  }

  /**
   * Enables the rule's HTTP destination with the token AWS POSTed to the
   * ingest URL; until then the rule delivers nothing.
   */
  async confirmIngestDestination(confirmationToken: string): Promise<void> {
    try {
      await this.#iot.send(new ConfirmTopicRuleDestinationCommand({ confirmationToken }));
    } catch (err) {
      throw toDomainError(err, 'confirming the ingest destination failed');
    }
  }

  async #thingExists(thingName: string): Promise<boolean> {
    try {
      await this.#iot.send(new DescribeThingCommand({ thingName }));
      return true;
    } catch (err) {
      if (isAwsError(err, 'ResourceNotFoundException')) return false;
      throw toDomainError(err, `looking up thing '${thingName}' failed`);
    }
  }

  async #deleteThing(thingName: string): Promise<void> {
    await this.#retryWhileAttached(() => this.#iot.send(new DeleteThingCommand({ thingName })));
  }

  async #retryWhileAttached(step: () => Promise<unknown>): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await step();
        return;
      } catch (err) {
        const delay = this.#retryDelays[attempt];
        // DeleteCertificate answers DeleteConflictException while a detach
        // propagates; for DeleteThing the exception is not pinned down in the
        // API reference, so InvalidRequestException is retried as well.
        const attached = isAwsError(err, 'DeleteConflictException', 'InvalidRequestException');
        if (delay === undefined || !attached) throw err;
        await sleep(delay);
      }
    }
  }
}

interface UndoStep {
  /** What stays behind if the step fails, for the operator. */
  what: string;
  run: () => Promise<void>;
}

/** Runs every step even when one fails; answers what could not be removed. */
async function runUndo(steps: readonly UndoStep[]): Promise<string[]> {
  const left: string[] = [];
  for (const step of steps) {
    try {
      await step.run();
    } catch {
      left.push(step.what);
    }
  }
  return left;
}

function parseDocument(payload: Uint8Array): Record<string, unknown> {
  const value: unknown = JSON.parse(utf8.decode(payload));
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error('shadow document is not a JSON object');
  }
  return value as Record<string, unknown>;
}
