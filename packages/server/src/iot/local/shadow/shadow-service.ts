import { DomainError, type ErrorCode } from '../../../domain/errors.js';
import type { IotRegistry } from '../../iot-registry.js';
import type { ServiceMessage } from '../broker/local-broker.js';
import {
  applyShadowUpdate,
  buildDeleteAccepted,
  buildGetAccepted,
  buildRejected,
  epochSeconds,
  isValidShadowName,
  parseShadowQuery,
  parseShadowRequestTopic,
  parseShadowUpdate,
  salvageClientToken,
  SHADOW_ERRORS,
  SHADOW_LIMITS,
  shadowNotFound,
  shadowTopicPrefix,
  type JsonObject,
  type ShadowLimits,
  type ShadowRejection,
  type ShadowUpdateRequest,
} from './shadow-document.js';
import { SHADOW_TOMBSTONE_SECONDS, type ShadowRecord, type ShadowStore } from './shadow-store.js';

export interface ShadowServiceOptions {
  store: ShadowStore;
  /** Where a thing's owner comes from: written onto its shadows (store README). */
  registry: Pick<IotRegistry, 'getThing'>;
  /**
   * The broker's service-side publish (`LocalBroker.publish`, QoS 1). Every
   * response goes to the thing's own `$aws/things/<thing>/shadow/...` topics, so
   * the gateway policy's iot:Receive lets only that thing see it (§1.11).
   */
  publish: (topic: string, payload: string) => Promise<void>;
  now?: () => Date;
  limits?: ShadowLimits;
}

/** Options of the server-side calls, as UpdateThingShadow takes them. */
export interface ShadowWriteOptions {
  /** Optimistic locking: the update fails with CONFLICT unless this is the current version. */
  version?: number;
  clientToken?: string;
}

/**
 * The emulator's Device Shadow service (IOT-CORE.md §1.9): the broker hands it
 * device requests (`onServiceMessage`), the platform calls it directly, and it
 * answers on the response topics through the broker.
 */
export interface ShadowService {
  /** For `startLocalBroker({ onServiceMessage })`: answers one device request. */
  handleMessage(message: ServiceMessage): Promise<void>;
  /** The document as `get/accepted` carries it (delta included); null when there is none. */
  getShadow(thingName: string, shadowName?: string): Promise<JsonObject | null>;
  /**
   * Merges desired state (null deletes keys; `null` for the whole section
   * removes it), publishes `update/accepted`, `update/documents` and, when
   * desired now differs from reported, `update/delta` to the device. Returns the
   * accepted payload. Failures are DomainErrors: NOT_FOUND (no thing),
   * CONFLICT (version), PAYLOAD_TOO_LARGE (8 KB), VALIDATION_FAILED; the
   * shadow's own code is in `details.shadowCode`.
   */
  updateDesired(
    thingName: string,
    desired: JsonObject | null,
    shadowName?: string,
    options?: ShadowWriteOptions,
  ): Promise<JsonObject>;
  /** Deletes the shadow and publishes `delete/accepted`; NOT_FOUND when there is none. */
  deleteShadow(thingName: string, shadowName?: string): Promise<JsonObject>;
}

/** Attempts of an unversioned update against concurrent writers before giving up. */
const MAX_ATTEMPTS = 5;

type Result = { ok: true; value: JsonObject } | { ok: false; rejection: ShadowRejection };

const STATUS_TO_DOMAIN: Partial<Record<number, ErrorCode>> = {
  400: 'VALIDATION_FAILED',
  404: 'NOT_FOUND',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
};

export function createShadowService(options: ShadowServiceOptions): ShadowService {
  const { store, registry, publish } = options;
  const now = options.now ?? (() => new Date());
  const limits = options.limits ?? SHADOW_LIMITS;

  const send = (topic: string, payload: JsonObject) => publish(topic, JSON.stringify(payload));
  const isConflict = (err: unknown) =>
    err instanceof Error && err.name === 'DomainError' && (err as DomainError).code === 'CONFLICT';

  async function owner(thingName: string): Promise<string | null> {
    const thing = await registry.getThing(thingName);
    return thing?.partnerId ?? null;
  }

  async function update(
    thingName: string,
    shadowName: string | null,
    request: ShadowUpdateRequest,
  ): Promise<Result> {
    const partnerId = await owner(thingName);
    if (partnerId === null)
      return { ok: false, rejection: { code: 404, message: 'Thing not found' } };
    const prefix = shadowTopicPrefix(thingName, shadowName);
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt += 1) {
      const stored = await store.get(thingName, shadowName);
      const at = now();
      const outcome = applyShadowUpdate(
        { document: stored?.document ?? null, version: stored?.version ?? 0 },
        request,
        epochSeconds(at),
        limits,
      );
      if (!outcome.ok) return outcome;
      const { next, accepted, delta, documents } = outcome.value;
      try {
        await store.put(
          {
            thingName,
            shadowName,
            partnerId,
            version: next.version,
            document: next.document,
            updatedAt: at.toISOString(),
            expiresAt: null,
          },
          stored?.version ?? null,
        );
      } catch (err) {
        if (!isConflict(err)) throw err;
        // Someone wrote in between. With a version the client asked for exactly
        // that one: 409 (§1.9). Without, AWS would have serialised the two; read again.
        if (request.version !== undefined)
          return { ok: false, rejection: SHADOW_ERRORS.versionConflict };
        continue;
      }
      await send(`${prefix}/update/accepted`, accepted);
      if (delta !== undefined) await send(`${prefix}/update/delta`, delta);
      await send(`${prefix}/update/documents`, documents);
      return { ok: true, value: accepted };
    }
    return { ok: false, rejection: SHADOW_ERRORS.versionConflict };
  }

  async function get(
    thingName: string,
    shadowName: string | null,
    clientToken?: string,
  ): Promise<Result> {
    const stored = await store.get(thingName, shadowName);
    if (stored === null || stored.document === null) {
      return { ok: false, rejection: shadowNotFound(thingName, shadowName) };
    }
    return {
      ok: true,
      value: buildGetAccepted(
        { document: stored.document, version: stored.version },
        epochSeconds(now()),
        clientToken,
      ),
    };
  }

  async function remove(
    thingName: string,
    shadowName: string | null,
    clientToken?: string,
  ): Promise<Result> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt += 1) {
      const stored = await store.get(thingName, shadowName);
      if (stored === null || stored.document === null) {
        return { ok: false, rejection: shadowNotFound(thingName, shadowName) };
      }
      const at = now();
      // A tombstone keeps the version for 48 h, so a shadow created again
      // follows it (AWS, Interacting with shadows: DELETE).
      const tombstone: ShadowRecord = {
        ...stored,
        document: null,
        updatedAt: at.toISOString(),
        expiresAt: epochSeconds(at) + SHADOW_TOMBSTONE_SECONDS,
      };
      try {
        await store.put(tombstone, stored.version);
      } catch (err) {
        if (!isConflict(err)) throw err;
        continue;
      }
      const accepted = buildDeleteAccepted(stored.version, epochSeconds(at), clientToken);
      await send(`${shadowTopicPrefix(thingName, shadowName)}/delete/accepted`, accepted);
      return { ok: true, value: accepted };
    }
    return { ok: false, rejection: SHADOW_ERRORS.versionConflict };
  }

  function toDomainError(thingName: string, rejection: ShadowRejection): DomainError {
    return new DomainError(
      STATUS_TO_DOMAIN[rejection.code] ?? 'INTERNAL_ERROR',
      `shadow of ${thingName}: ${rejection.message}`,
      { details: { shadowCode: rejection.code, shadowMessage: rejection.message } },
    );
  }

  function checkedName(shadowName: string | undefined): string | null {
    if (shadowName === undefined) return null;
    if (!isValidShadowName(shadowName)) {
      throw new DomainError('VALIDATION_FAILED', SHADOW_ERRORS.invalidShadowName.message);
    }
    return shadowName;
  }

  return {
    async handleMessage(message) {
      const request = parseShadowRequestTopic(message.topic);
      // Jobs and the other `$aws/things` families have no service here yet.
      if (request === null) return;
      // The policy already restricts a gateway to its own shadow topics (§1.11);
      // the verified thing must still be the one the topic names.
      if (request.thingName !== message.thingName) return;
      const { thingName, shadowName, operation } = request;
      const prefix = shadowTopicPrefix(thingName, shadowName);
      const reject = (rejection: ShadowRejection, clientToken?: string) =>
        send(
          `${prefix}/${operation}/rejected`,
          buildRejected(rejection, epochSeconds(now()), clientToken),
        );

      if (shadowName !== null && !isValidShadowName(shadowName)) {
        return reject(SHADOW_ERRORS.invalidShadowName, salvageClientToken(message.payload, limits));
      }
      let result: Result;
      let clientToken: string | undefined;
      try {
        if (operation === 'update') {
          const parsed = parseShadowUpdate(message.payload, limits);
          clientToken = parsed.ok
            ? parsed.value.clientToken
            : salvageClientToken(message.payload, limits);
          result = parsed.ok ? await update(thingName, shadowName, parsed.value) : parsed;
        } else {
          const parsed = parseShadowQuery(message.payload, limits);
          clientToken = parsed.ok ? parsed.value.clientToken : undefined;
          if (!parsed.ok) result = parsed;
          else if (operation === 'get') result = await get(thingName, shadowName, clientToken);
          else result = await remove(thingName, shadowName, clientToken);
        }
      } catch {
        // The store failed: the device hears 500 and may retry (§1.9 error codes).
        result = { ok: false, rejection: SHADOW_ERRORS.internal };
      }
      if (!result.ok) return reject(result.rejection, clientToken);
      // update and delete published their accepted responses themselves.
      if (operation === 'get') await send(`${prefix}/get/accepted`, result.value);
    },

    async getShadow(thingName, shadowName) {
      const result = await get(thingName, checkedName(shadowName));
      return result.ok ? result.value : null;
    },

    async updateDesired(thingName, desired, shadowName, writeOptions = {}) {
      const name = checkedName(shadowName);
      // Through the same parser as a device request: one set of rules for both.
      const parsed = parseShadowUpdate(
        Buffer.from(JSON.stringify({ state: { desired }, ...writeOptions })),
        limits,
      );
      if (!parsed.ok) throw toDomainError(thingName, parsed.rejection);
      const result = await update(thingName, name, parsed.value);
      if (!result.ok) throw toDomainError(thingName, result.rejection);
      return result.value;
    },

    async deleteShadow(thingName, shadowName) {
      const result = await remove(thingName, checkedName(shadowName));
      if (!result.ok) throw toDomainError(thingName, result.rejection);
      return result.value;
    },
  };
}
