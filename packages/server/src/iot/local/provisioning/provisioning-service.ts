import { randomBytes } from 'node:crypto';
import { isDomainError } from '../../../domain/errors.js';
import type { CertificateRecord, IotRegistry } from '../../iot-registry.js';
import type { ServiceMessage } from '../broker/local-broker.js';
import { isPkiError, type CertificateAuthority } from '../pki/index.js';
import { assertThingName } from '../pki/certificate-names.js';
import { x509 } from '../pki/x509.js';
import { parseProvisioningTopic } from './provisioning-topics.js';

/** A fleet-provisioning template as far as the emulator runs it (IOT-CORE.md §1.10). */
export interface ProvisioningTemplate {
  /** Only this partner's claim certificates may use the template. */
  partnerId: string;
  /** Where the new thing goes. */
  organisationId: string;
  /** The RegisterThing parameter that names the thing, e.g. `SerialNumber`. */
  thingNameFrom: string;
  /**
   * The partner's serial format, checked on top of IoT Core's thing-name rule;
   * stands in for the pre-provisioning hook's allow-list (§1.10).
   */
  allowedThingNamePattern?: RegExp;
  /** The template's `DeviceConfiguration`, returned as `deviceConfiguration`. */
  deviceConfiguration?: Readonly<Record<string, string>>;
}

/**
 * A device publish as the provisioning service needs it: the broker's
 * ServiceMessage plus the certificate of the connection. The broker does not
 * hand provisioning topics or claim connections to its hook yet (see README.md).
 */
export type ProvisioningMessage = Pick<ServiceMessage, 'topic' | 'payload' | 'clientId'> & {
  /** The certificate the connection presented, verified in the TLS handshake. */
  certificateId: string;
};

export interface ProvisioningServiceOptions {
  registry: Pick<IotRegistry, 'getCertificate' | 'getThing' | 'createThing' | 'createCertificate'>;
  ca: Pick<CertificateAuthority, 'signGatewayCsr'>;
  /** The broker's service-side publish (`LocalBroker.publish`). */
  publish: (topic: string, payload: string) => Promise<void>;
  templates: Readonly<Record<string, ProvisioningTemplate>>;
  now?: () => Date;
  /** Certificates waiting for RegisterThing at once; beyond it requests are throttled. */
  maxPending?: number;
}

export interface ProvisioningService {
  /** For the broker's `onServiceMessage` (through `routeServiceMessages`). */
  handleMessage(message: ProvisioningMessage): Promise<void>;
  /** Certificates signed but not yet registered (PENDING_ACTIVATION on AWS). */
  pendingCount(): number;
}

/** §1.10: "The ownership token expires after 1 h", and the unused certificate goes with it. */
export const OWNERSHIP_TOKEN_TTL_MS = 60 * 60 * 1000;
const DEFAULT_MAX_PENDING = 10_000;

/** The `/rejected` payload of the fleet-provisioning API (§1.10). Codes are [verify]. */
export interface ProvisioningRejection {
  statusCode: number;
  errorCode: string;
  errorMessage: string;
}

const reject = (statusCode: number, errorCode: string, errorMessage: string) =>
  ({ statusCode, errorCode, errorMessage }) satisfies ProvisioningRejection;
const invalid = (message: string) => reject(400, 'InvalidRequest', message);
const denied = (message: string) => reject(403, 'AccessDenied', message);

/** A certificate signed for a claim and waiting for RegisterThing. */
interface PendingCertificate {
  certificateId: string;
  certificatePem: string;
  notAfter: string;
  claimCertificateId: string;
  partnerId: string;
  /** The CN the CA wrote: the CSR's own, or a stand-in when the CSR had none. */
  commonName: string;
  provisionalName: boolean;
  expiresAt: number;
  /** A RegisterThing with this token is running; a second one must not race it. */
  inUse: boolean;
}

type Answer =
  { ok: true; body: Record<string, unknown> } | { ok: false; body: ProvisioningRejection };

/**
 * The emulator's fleet provisioning by claim (IOT-CORE.md §1.10, contract C10):
 * CreateCertificateFromCsr and RegisterThing over MQTT for connections made
 * with a partner's claim certificate. The partner always comes from the
 * registry's record of that claim certificate, never from the payload.
 *
 * The registry cannot attach a stored certificate to a thing later, nor hold
 * PENDING_ACTIVATION, so a signed certificate waits here (in memory) until
 * RegisterThing stores it ACTIVE and attached; until then it cannot connect,
 * as on AWS, and after an hour it is forgotten with its token.
 */
export function createProvisioningService(
  options: ProvisioningServiceOptions,
): ProvisioningService {
  const { registry, ca, publish, templates } = options;
  const now = options.now ?? (() => new Date());
  const maxPending = options.maxPending ?? DEFAULT_MAX_PENDING;
  const pending = new Map<string, PendingCertificate>();

  function prune(at: number): void {
    for (const [token, entry] of pending) {
      if (entry.expiresAt <= at && !entry.inUse) pending.delete(token);
    }
  }

  async function createFromCsr(claim: CertificateRecord, payload: unknown): Promise<Answer> {
    const csrPem = field(payload, 'certificateSigningRequest');
    if (typeof csrPem !== 'string') {
      return { ok: false, body: invalid('certificateSigningRequest must be a PEM string') };
    }
    const at = now().getTime();
    prune(at);
    if (pending.size >= maxPending) {
      return { ok: false, body: reject(429, 'Throttling', 'Too many pending certificates') };
    }
    // The thing is not known yet. signGatewayCsr writes CN = thing name and refuses a CSR
    // naming another CN, so a CSR's own CN (if a valid thing name) is kept and checked
    // against the serial at RegisterThing; without one the CN is a stand-in.
    const requested = csrCommonName(csrPem);
    const provisionalName = requested === null;
    const commonName = requested ?? `pending-${randomBytes(8).toString('hex')}`;
    let signed;
    try {
      signed = await ca.signGatewayCsr(csrPem, { thingName: commonName });
    } catch (error) {
      if (isPkiError(error)) return { ok: false, body: invalid(`${error.code}: ${error.message}`) };
      throw error;
    }
    const token = randomBytes(32).toString('base64url');
    pending.set(token, {
      certificateId: signed.certificateId,
      certificatePem: signed.certificatePem,
      notAfter: signed.notAfter,
      claimCertificateId: claim.certificateId,
      partnerId: claim.partnerId,
      commonName,
      provisionalName,
      expiresAt: at + OWNERSHIP_TOKEN_TTL_MS,
      inUse: false,
    });
    return {
      ok: true,
      body: {
        certificateId: signed.certificateId,
        certificatePem: signed.certificatePem,
        certificateOwnershipToken: token,
      },
    };
  }

  async function provision(
    claim: CertificateRecord,
    templateName: string,
    payload: unknown,
  ): Promise<Answer> {
    const template = Object.hasOwn(templates, templateName) ? templates[templateName] : undefined;
    if (template === undefined) {
      return { ok: false, body: reject(404, 'ResourceNotFound', `No template ${templateName}`) };
    }
    // One partner's claim must never register things under another partner's template.
    if (template.partnerId !== claim.partnerId) {
      return { ok: false, body: denied(`Template ${templateName} is not available to this claim`) };
    }
    const token = field(payload, 'certificateOwnershipToken');
    const parameters = field(payload, 'parameters') ?? {};
    if (typeof token !== 'string' || !isStringRecord(parameters)) {
      return {
        ok: false,
        body: invalid('certificateOwnershipToken (string) and parameters (strings) are required'),
      };
    }
    const at = now().getTime();
    const entry = pending.get(token);
    if (entry !== undefined && entry.expiresAt <= at && !entry.inUse) pending.delete(token);
    // Unknown, used, expired and another claim's tokens look alike: nothing to probe.
    if (
      entry === undefined ||
      entry.expiresAt <= at ||
      entry.claimCertificateId !== claim.certificateId
    ) {
      return { ok: false, body: invalid('The certificate ownership token is not valid') };
    }
    if (entry.inUse) {
      return { ok: false, body: reject(409, 'ResourceConflict', 'The token is being used') };
    }

    const thingName = Object.hasOwn(parameters, template.thingNameFrom)
      ? parameters[template.thingNameFrom]
      : undefined;
    if (thingName === undefined) {
      return { ok: false, body: invalid(`Parameter ${template.thingNameFrom} is required`) };
    }
    try {
      assertThingName(thingName);
    } catch (error) {
      if (isPkiError(error)) return { ok: false, body: invalid(error.message) };
      throw error;
    }
    if (template.allowedThingNamePattern !== undefined) {
      template.allowedThingNamePattern.lastIndex = 0;
      if (!template.allowedThingNamePattern.test(thingName)) {
        return {
          ok: false,
          body: invalid(`${thingName} is not allowed by template ${templateName}`),
        };
      }
    }
    // signGatewayCsr's rule: a certificate's CN is its thing's name.
    if (!entry.provisionalName && entry.commonName !== thingName) {
      return {
        ok: false,
        body: invalid(`The CSR was made for ${entry.commonName}, not for ${thingName}`),
      };
    }

    entry.inUse = true;
    try {
      const createdAt = now().toISOString();
      let thing = await registry.getThing(thingName);
      if (thing === null) {
        try {
          thing = await registry.createThing({
            thingName,
            partnerId: template.partnerId,
            organisationId: template.organisationId,
            createdAt,
          });
        } catch (error) {
          // Another RegisterThing made it meanwhile: judge that one like any existing thing.
          if (!isDomainError(error) || error.code !== 'CONFLICT') throw error;
          thing = await registry.getThing(thingName);
          if (thing === null) throw error;
        }
      }
      // A thing of the same name is reused, as RegisterThing does with an existing thing,
      // but only within the partner that owns it (serials are unique per deployment, §1.4).
      if (thing.partnerId !== claim.partnerId) {
        return {
          ok: false,
          body: denied(`Thing ${thingName} cannot be provisioned by this claim`),
        };
      }
      await registry.createCertificate({
        certificateId: entry.certificateId,
        certificatePem: entry.certificatePem,
        status: 'ACTIVE',
        partnerId: claim.partnerId,
        thingName,
        isClaim: false,
        notAfter: entry.notAfter,
        createdAt,
      });
      pending.delete(token); // single use
      return {
        ok: true,
        body: { deviceConfiguration: { ...template.deviceConfiguration }, thingName },
      };
    } finally {
      entry.inUse = false;
    }
  }

  async function answerRequest(
    claim: CertificateRecord,
    request: NonNullable<ReturnType<typeof parseProvisioningTopic>>,
    raw: Buffer,
  ): Promise<Answer> {
    // The broker refuses INACTIVE claims at CONNECT, but not one deactivated while connected.
    if (claim.status !== 'ACTIVE') {
      return { ok: false, body: denied('The claim certificate is not active') };
    }
    const payload = parseJson(raw);
    if (payload === undefined) {
      return { ok: false, body: invalid('The payload is not a JSON object') };
    }
    return request.operation === 'create-from-csr'
      ? createFromCsr(claim, payload)
      : provision(claim, request.templateName, payload);
  }

  return {
    async handleMessage(message) {
      const request = parseProvisioningTopic(message.topic);
      if (request === null) return;
      // CBOR payloads are not emulated: there is no CBOR codec in the server, and the claim
      // policy allows only the json topics, so the broker refuses these before they get here.
      if (request.format !== 'json') return;
      const claim = await registry.getCertificate(message.certificateId);
      // Only claim certificates provision; gateways have no business here (§1.10).
      if (claim === null || !claim.isClaim) return;

      const respond = (answer: Answer) =>
        publish(
          `${message.topic}/${answer.ok ? 'accepted' : 'rejected'}`,
          JSON.stringify(answer.body),
        );
      let answer: Answer;
      try {
        answer = await answerRequest(claim, request, message.payload);
      } catch (error) {
        // The device still hears something; the broker reports the cause (SERVICE_HANDLER_FAILED).
        await respond({ ok: false, body: reject(500, 'InternalFailure', 'Internal error') });
        throw error;
      }
      await respond(answer);
    },

    pendingCount() {
      prune(now().getTime());
      return pending.size;
    },
  };
}

function parseJson(payload: Buffer): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(payload.toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function field(payload: unknown, name: string): unknown {
  return typeof payload === 'object' && payload !== null && Object.hasOwn(payload, name)
    ? (payload as Record<string, unknown>)[name]
    : undefined;
}

function isStringRecord(value: unknown): value is Record<string, string> {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.values(value).every((v) => typeof v === 'string')
  );
}

/**
 * The CN a CSR asks for, or null when it names none. Parsing errors are left to
 * signGatewayCsr, which reports them as CSR_INVALID.
 */
function csrCommonName(csrPem: string): string | null {
  try {
    return new x509.Pkcs10CertificateRequest(csrPem).subjectName.getField('CN')[0] ?? null;
  } catch {
    return null;
  }
}
