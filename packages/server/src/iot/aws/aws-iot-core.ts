import { X509Certificate } from 'node:crypto';
import {
  AttachPolicyCommand,
  AttachThingPrincipalCommand,
  ConfirmTopicRuleDestinationCommand,
  CreateCertificateFromCsrCommand,
  CreateThingCommand,
  DeleteCertificateCommand,
  DeleteThingCommand,
  DescribeCertificateCommand,
  DescribeEndpointCommand,
  DescribeThingCommand,
  DetachPolicyCommand,
  DetachThingPrincipalCommand,
  IoTClient,
  ListThingPrincipalsCommand,
  ListThingsCommand,
  UpdateCertificateCommand,
  type CertificateDescription,
  type IoTClientConfig,
  type ThingAttribute,
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
  GatewayCertificate,
  GatewayPage,
  GatewayThing,
  IotCore,
  ListGatewaysOptions,
  TelegramBatchDelivery,
} from '../../domain/ports.js';
import { mapLimited } from '../map-limited.js';
import {
  decodeCursorFields,
  encodeCursor,
  invalidCursor,
  resolvePageLimit,
} from '../registry-rules.js';
import { assertRotationAllowed } from '../rotation-rules.js';
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
    const rollback = new Rollback();
    try {
      await this.#iot.send(
        new CreateThingCommand({
          thingName,
          attributePayload: { attributes: { partnerId, organisationId } },
        }),
      );
      rollback.add({ what: `thing ${thingName}`, run: () => this.#deleteThing(thingName) });
      const certificate = await this.#attachNewCertificate(thingName, input.csrPem, rollback);
      return {
        thingName,
        partnerId,
        organisationId,
        certificates: [certificate],
        lastConnectedAt: null,
      };
    } catch (err) {
      throw await rollback.undo(err, `registering gateway '${thingName}'`);
    }
  }

  /**
   * The steps of registration after the thing: certificate from the CSR, gateway
   * policy, attachment; undone on failure, the thing and its other certificates
   * untouched. AWS does not look at the CSR's subject, so the CN is not checked
   * here (the emulator's CA does check it).
   */
  async rotateCertificate(thingName: string, csrPem: string): Promise<GatewayCertificate> {
    const gateway = await this.getGateway(thingName);
    if (gateway === null) {
      throw new DomainError('NOT_FOUND', `gateway '${thingName}' is not registered`);
    }
    assertRotationAllowed(
      thingName,
      gateway.certificates.map((c) => c.status),
    );
    const rollback = new Rollback();
    try {
      return await this.#attachNewCertificate(thingName, csrPem, rollback);
    } catch (err) {
      throw await rollback.undo(err, `rotating the certificate of '${thingName}'`);
    }
  }

  /**
   * CreateCertificateFromCsr (ACTIVE), AttachPolicy, AttachThingPrincipal, each
   * with its undo step recorded in `rollback` before or as soon as it can be.
   */
  async #attachNewCertificate(
    thingName: string,
    csrPem: string,
    rollback: Rollback,
  ): Promise<GatewayCertificate> {
    const created = await this.#iot.send(
      new CreateCertificateFromCsrCommand({ certificateSigningRequest: csrPem, setAsActive: true }),
    );
    const { certificateId, certificateArn, certificatePem } = created;
    if (!certificateId || !certificateArn || !certificatePem) {
      throw new Error('CreateCertificateFromCsr answered without id, ARN or PEM');
    }
    // Deactivated before anything else is undone: should a delete below
    // fail, what is left can no longer connect.
    rollback.deactivateFirst({
      what: `active certificate ${certificateId}`,
      run: async () => {
        await this.#iot.send(
          new UpdateCertificateCommand({ certificateId, newStatus: 'INACTIVE' }),
        );
      },
    });
    rollback.add({
      what: `certificate ${certificateId}`,
      run: () =>
        this.#retryWhileAttached(() =>
          this.#iot.send(new DeleteCertificateCommand({ certificateId })),
        ),
    });
    const notAfter = new Date(new X509Certificate(certificatePem).validTo).toISOString();

    const policyName = this.#policyName;
    await this.#iot.send(new AttachPolicyCommand({ policyName, target: certificateArn }));
    rollback.add({
      what: `policy ${policyName} on certificate ${certificateId}`,
      run: async () => {
        await this.#iot.send(new DetachPolicyCommand({ policyName, target: certificateArn }));
      },
    });

    // Added before the call: a timeout may hide an attachment that did happen.
    rollback.add({
      what: `certificate ${certificateId} on thing ${thingName}`,
      run: async () => {
        // Errors are not reported here: if the attachment did happen and
        // stays, the certificate and thing deletes fail and say so.
        await this.#iot
          .send(new DetachThingPrincipalCommand({ thingName, principal: certificateArn }))
          .catch(() => undefined);
      },
    });
    await this.#iot.send(new AttachThingPrincipalCommand({ thingName, principal: certificateArn }));
    return { certificateId, certificatePem, status: 'ACTIVE', notAfter };
  }

  /**
   * DescribeThing, then the thing's certificates. A thing without our two
   * attributes was not registered through this port: null, as for no thing.
   */
  async getGateway(thingName: string): Promise<GatewayThing | null> {
    // AWS would refuse such a name with a 400; no gateway can have it.
    if (!isValidThingName(thingName)) return null;
    let attributes: Record<string, string> | undefined;
    try {
      ({ attributes } = await this.#iot.send(new DescribeThingCommand({ thingName })));
    } catch (err) {
      if (isAwsError(err, 'ResourceNotFoundException')) return null;
      throw toDomainError(err, `looking up thing '${thingName}' failed`);
    }
    const owner = ownerOf(attributes);
    return owner === null ? null : this.#gatewayOf(thingName, owner);
  }

  /**
   * Who owns a thing, from its attributes alone (one DescribeThing, no
   * certificate reads): what the ingest needs per batch, cached there.
   */
  async gatewayOwner(thingName: string): Promise<Owner | null> {
    if (!isValidThingName(thingName)) return null;
    try {
      const { attributes } = await this.#iot.send(new DescribeThingCommand({ thingName }));
      return ownerOf(attributes);
    } catch (err) {
      if (isAwsError(err, 'ResourceNotFoundException')) return null;
      throw toDomainError(err, `looking up thing '${thingName}' failed`);
    }
  }

  /**
   * ListThings takes one attribute filter. It filters on `organisationId` when
   * one is asked for (the narrower set, so pages come back full) and on
   * `partnerId` otherwise; every thing returned is then checked against both
   * here, so the partner boundary never rests on an organisation id being
   * unique across partners. Because of that check a page of AWS's may hold
   * things we drop, so the cursor names AWS's page (its token and size) and how
   * many of its things were used, rather than passing AWS's token through.
   */
  async listGateways(partnerId: string, options: ListGatewaysOptions = {}): Promise<GatewayPage> {
    const limit = resolvePageLimit(options.limit);
    const organisationId = options.organisationId;
    if (partnerId === '' || organisationId === '') {
      // An empty attribute value would not filter at all.
      throw new DomainError('VALIDATION_FAILED', 'partnerId and organisationId must be non-empty');
    }
    const filter =
      organisationId === undefined
        ? { attributeName: 'partnerId', attributeValue: partnerId }
        : { attributeName: 'organisationId', attributeValue: organisationId };
    const owned = (thing: ThingAttribute | undefined): Listed | null => {
      const owner = ownerOf(thing?.attributes);
      const thingName = thing?.thingName;
      if (thingName === undefined || owner?.partnerId !== partnerId) return null;
      if (organisationId !== undefined && owner.organisationId !== organisationId) return null;
      return { thingName, owner };
    };

    const scope = { partnerId, organisationId: organisationId ?? null };
    let position: ListPosition =
      options.cursor === undefined
        ? { token: null, skip: 0, size: limit }
        : decodeListCursor(options.cursor, scope);
    const found: Listed[] = [];
    let next: ListPosition | null = null;
    for (let round = 1; ; round++) {
      let out;
      try {
        out = await this.#iot.send(
          new ListThingsCommand({
            ...filter,
            maxResults: position.size,
            ...(position.token === null ? {} : { nextToken: position.token }),
          }),
        );
      } catch (err) {
        throw toDomainError(err, `listing the gateways of '${partnerId}' failed`);
      }
      const things = out.things ?? [];
      let index = position.skip;
      for (; index < things.length && found.length < limit; index++) {
        const listed = owned(things[index]);
        if (listed !== null) found.push(listed);
      }
      const token = out.nextToken ? out.nextToken : null;
      if (found.length === limit) {
        if (things.slice(index).some((thing) => owned(thing) !== null))
          next = { ...position, skip: index };
        else if (token !== null) next = { token, skip: 0, size: position.size };
        break;
      }
      if (token === null) break;
      position = { token, skip: 0, size: position.size };
      // A page of things we all drop is possible (a foreign organisation of the
      // same id); answering early with a cursor keeps one call bounded.
      if (round === MAX_LIST_ROUNDS) {
        next = position;
        break;
      }
    }

    const gateways = await mapLimited(found, CONTROL_PLANE_CALLS_IN_FLIGHT, (thing) =>
      this.#gatewayOf(thing.thingName, thing.owner),
    );
    const items = gateways.flatMap((gateway) => (gateway === null ? [] : [gateway]));
    return next === null ? { items } : { items, cursor: encodeListCursor(next, scope) };
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

  /**
   * AWS keeps no connection time in its registry: see README.md, "Last
   * connection". Null when the thing was deleted since it was looked up.
   */
  async #gatewayOf(thingName: string, owner: Owner): Promise<GatewayThing | null> {
    const certificates = await this.#certificatesOf(thingName);
    if (certificates === null) return null;
    return { thingName, ...owner, certificates, lastConnectedAt: null };
  }

  /**
   * ListThingPrincipals (every page), then DescribeCertificate for each
   * certificate among the principals; newest first, as the registry lists them.
   */
  async #certificatesOf(thingName: string): Promise<GatewayCertificate[] | null> {
    const principals: string[] = [];
    let nextToken: string | undefined;
    try {
      do {
        const out = await this.#iot.send(
          new ListThingPrincipalsCommand({ thingName, ...(nextToken ? { nextToken } : {}) }),
        );
        principals.push(...(out.principals ?? []));
        nextToken = out.nextToken ? out.nextToken : undefined;
      } while (nextToken !== undefined);
    } catch (err) {
      if (isAwsError(err, 'ResourceNotFoundException')) return null;
      throw toDomainError(err, `listing the certificates of '${thingName}' failed`);
    }
    // Other principal kinds (Cognito identities) can be attached too; a gateway has none.
    const ids = principals.flatMap((arn) => {
      const id = CERTIFICATE_ARN.exec(arn)?.[1];
      return id === undefined ? [] : [id];
    });
    const described = await mapLimited(ids, CONTROL_PLANE_CALLS_IN_FLIGHT, (certificateId) =>
      this.#describeCertificate(certificateId),
    );
    return described
      .flatMap((d) => (d === null ? [] : [d]))
      .sort((a, b) => b.order.localeCompare(a.order))
      .map((d) => d.certificate);
  }

  async #describeCertificate(
    certificateId: string,
  ): Promise<{ certificate: GatewayCertificate; order: string } | null> {
    let description: CertificateDescription | undefined;
    try {
      ({ certificateDescription: description } = await this.#iot.send(
        new DescribeCertificateCommand({ certificateId }),
      ));
    } catch (err) {
      // Deleted between the listing and now: no longer the thing's.
      if (isAwsError(err, 'ResourceNotFoundException')) return null;
      throw toDomainError(err, `describing certificate ${certificateId} failed`);
    }
    const pem = description?.certificatePem;
    if (description === undefined || pem === undefined) {
      throw new Error(`DescribeCertificate answered without the certificate ${certificateId}`);
    }
    const notAfter = description.validity?.notAfter ?? new Date(new X509Certificate(pem).validTo);
    const createdAt = description.creationDate?.toISOString() ?? '';
    return {
      certificate: {
        certificateId,
        certificatePem: pem,
        status: portStatus(description.status),
        notAfter: notAfter.toISOString(),
      },
      order: `${createdAt}#${certificateId}`,
    };
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

/** Control-plane calls one list makes at once: AWS throttles them per account. */
const CONTROL_PLANE_CALLS_IN_FLIGHT = 4;

/** ListThings calls one `listGateways` makes at most before answering with a cursor. */
const MAX_LIST_ROUNDS = 5;

/** The ARN of a certificate principal: `arn:aws:iot:<region>:<account>:cert/<id>`. */
const CERTIFICATE_ARN = /^arn:[^:]+:iot:[^:]*:[^:]*:cert\/([0-9a-f]+)$/;

interface Owner {
  partnerId: string;
  organisationId: string;
}

interface Listed {
  thingName: string;
  owner: Owner;
}

function ownerOf(attributes: Record<string, string> | undefined): Owner | null {
  const partnerId = attributes?.['partnerId'];
  const organisationId = attributes?.['organisationId'];
  if (!partnerId || !organisationId) return null;
  return { partnerId, organisationId };
}

/**
 * IoT Core's statuses beyond the port's three (PENDING_ACTIVATION,
 * PENDING_TRANSFER, REGISTER_INACTIVE) all mean "cannot connect": INACTIVE.
 */
function portStatus(status: string | undefined): CertificateStatus {
  return status === 'ACTIVE' || status === 'REVOKED' ? status : 'INACTIVE';
}

/** Where a listing resumes: AWS's page (token, size) and how many of its things were used. */
interface ListPosition {
  token: string | null;
  skip: number;
  size: number;
}

interface ListScope {
  partnerId: string;
  organisationId: string | null;
}

function encodeListCursor(position: ListPosition, scope: ListScope): string {
  return encodeCursor({
    p: scope.partnerId,
    o: scope.organisationId,
    t: position.token,
    k: position.skip,
    m: position.size,
  });
}

/**
 * A cursor comes back from a client: it must be one of ours for the same
 * partner and organisation, so it can never start a listing of someone else's.
 */
function decodeListCursor(cursor: string, scope: ListScope): ListPosition {
  const { p, o, t, k, m } = decodeCursorFields(cursor);
  const wholeNumber = (n: unknown, min: number, max: number): n is number =>
    typeof n === 'number' && Number.isInteger(n) && n >= min && n <= max;
  if (
    p !== scope.partnerId ||
    o !== scope.organisationId ||
    !(t === null || (typeof t === 'string' && t !== '')) ||
    !wholeNumber(m, 1, MAX_AWS_PAGE) ||
    !wholeNumber(k, 0, m)
  ) {
    throw invalidCursor();
  }
  return { token: t, skip: k, size: m };
}

/** ListThings' own bound on `maxResults`. */
const MAX_AWS_PAGE = 250;

interface UndoStep {
  /** What stays behind if the step fails, for the operator. */
  what: string;
  run: () => Promise<void>;
}

/** Undo steps, run newest first after the certificate is deactivated. */
class Rollback {
  #deactivate: UndoStep | undefined;
  readonly #steps: UndoStep[] = [];

  add(step: UndoStep): void {
    this.#steps.push(step);
  }

  deactivateFirst(step: UndoStep): void {
    this.#deactivate = step;
  }

  /**
   * Runs every step even when one fails, and answers the error to throw: the
   * failure itself, or INTERNAL_ERROR naming what could not be removed.
   */
  async undo(err: unknown, what: string): Promise<unknown> {
    const steps = [...(this.#deactivate ? [this.#deactivate] : []), ...this.#steps.reverse()];
    const left: string[] = [];
    for (const step of steps) {
      try {
        await step.run();
      } catch {
        left.push(step.what);
      }
    }
    const failure = toDomainError(err, `${what} failed`);
    if (left.length === 0) return failure;
    return new DomainError('INTERNAL_ERROR', `${what} failed and could not be fully undone`, {
      cause: failure,
      details: { leftBehind: left },
    });
  }
}

function parseDocument(payload: Uint8Array): Record<string, unknown> {
  const value: unknown = JSON.parse(utf8.decode(payload));
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error('shadow document is not a JSON object');
  }
  return value as Record<string, unknown>;
}
