/**
 * The Device Shadow service's rules as pure functions: parse a request, apply
 * an update to the stored document, and build the response payloads in the
 * shape AWS publishes them. No I/O; the service (shadow-service.ts) reads and
 * writes the store and publishes what these functions return.
 *
 * Section numbers refer to `shared/design/IOT-CORE.md` (§1.9 Device Shadow
 * protocol). Where AWS's behaviour is only inferred, the comment says [verify].
 */

export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

export type ShadowOperation = 'get' | 'update' | 'delete';

/** desired and reported; either may be absent (`"desired": null` removes it, §1.9). */
export interface ShadowState {
  desired?: JsonObject;
  reported?: JsonObject;
}

/** A stored shadow: state plus per-leaf metadata timestamps mirroring it (§1.9). */
export interface ShadowDocument {
  state: ShadowState;
  metadata: ShadowState;
}

/** What the service keeps between requests: the document (null once deleted) and its version. */
export interface ShadowSnapshot {
  document: ShadowDocument | null;
  /** 0 when no shadow was ever stored (or its tombstone expired). */
  version: number;
}

export interface ShadowLimits {
  /**
   * "Document size 8 KB (state only, metadata excluded)" for classic and named
   * shadows alike (IOT-CORE.md §1.9, AWS quota L-A295A064, listed as
   * adjustable [verify]): 8192 bytes of `{"desired":…,"reported":…}` as
   * compact JSON.
   */
  maxStateBytes: number;
  /**
   * Levels of nesting inside desired/reported: `{"a":1}` is 1. IOT-CORE.md
   * §1.9 has 5 in older docs and 8 in current summaries [verify]; the error
   * page's message says 6. We take the current 8 and keep it configurable.
   */
  maxDepth: number;
  /** "clientToken: ≤ 64 bytes … longer gives 400 Invalid clientToken" (§1.9). */
  maxClientTokenBytes: number;
}

export const SHADOW_LIMITS: ShadowLimits = {
  maxStateBytes: 8 * 1024,
  maxDepth: 8,
  maxClientTokenBytes: 64,
};

/** The HTTP-style codes AWS puts on `/rejected` (§1.9 error codes). */
export type ShadowErrorCode = 400 | 401 | 403 | 404 | 409 | 413 | 415 | 429 | 500;

export interface ShadowRejection {
  code: ShadowErrorCode;
  message: string;
}

/**
 * The messages of AWS's "Device Shadow error messages" page, word for word,
 * so a gateway that matches on them here matches on AWS too. The two marked
 * "emulator" are cases that page does not list.
 */
export const SHADOW_ERRORS = {
  invalidJson: { code: 400, message: 'Invalid JSON' },
  missingState: { code: 400, message: 'Missing required node: state' },
  stateNotObject: { code: 400, message: 'State node must be an object' },
  desiredNotObject: { code: 400, message: 'Desired node must be an object' },
  reportedNotObject: { code: 400, message: 'Reported node must be an object' },
  invalidVersion: { code: 400, message: 'Invalid version' },
  invalidClientToken: { code: 400, message: 'Invalid clientToken' },
  invalidNode: { code: 400, message: 'State contains an invalid node' },
  // Emulator: the brief for this service treats `{"state":{}}` as a bad request [verify].
  emptyState: { code: 400, message: 'State node must contain desired or reported' },
  // Emulator: shadow names are `[a-zA-Z0-9:_-]{1,64}` (§1.9) [verify the AWS wording].
  invalidShadowName: { code: 400, message: 'Invalid shadow name' },
  versionConflict: { code: 409, message: 'Version conflict' },
  payloadTooLarge: { code: 413, message: 'The payload exceeds the maximum size allowed' },
  unsupportedEncoding: {
    code: 415,
    message: 'Unsupported documented encoding; supported encoding is UTF-8',
  },
  internal: { code: 500, message: 'Internal service failure' },
} as const satisfies Record<string, ShadowRejection>;

export function tooDeep(limits: ShadowLimits): ShadowRejection {
  return {
    code: 400,
    message: `JSON contains too many levels of nesting; maximum is ${limits.maxDepth}`,
  };
}

/** 404 as AWS words it; named shadows are shown as `thing~shadow` [verify]. */
export function shadowNotFound(thingName: string, shadowName: string | null): ShadowRejection {
  const name = shadowName === null ? thingName : `${thingName}~${shadowName}`;
  return { code: 404, message: `No shadow exists with name: '${name}'` };
}

// ---- topics -----------------------------------------------------------------

export interface ShadowTopic {
  thingName: string;
  /** null for the classic (unnamed) shadow. */
  shadowName: string | null;
  operation: ShadowOperation;
}

/**
 * `$aws/things/{thing}/shadow/{op}` or `…/shadow/name/{shadow}/{op}` (§1.9);
 * null for anything else, responses included.
 */
export function parseShadowRequestTopic(topic: string): ShadowTopic | null {
  const match = /^\$aws\/things\/([^/]+)\/shadow\/(?:name\/([^/]+)\/)?(get|update|delete)$/.exec(
    topic,
  );
  if (match === null) return null;
  return {
    thingName: match[1] as string,
    shadowName: match[2] ?? null,
    operation: match[3] as ShadowOperation,
  };
}

/** The topic prefix P of §1.9, classic or named. */
export function shadowTopicPrefix(thingName: string, shadowName: string | null): string {
  return shadowName === null
    ? `$aws/things/${thingName}/shadow`
    : `$aws/things/${thingName}/shadow/name/${shadowName}`;
}

const SHADOW_NAME = /^[a-zA-Z0-9:_-]{1,64}$/;

/** Named shadow names: ≤ 64 bytes (§1.9), the thing-name alphabet (§1.3) [verify]. */
export function isValidShadowName(shadowName: string): boolean {
  return SHADOW_NAME.test(shadowName);
}

// ---- parsing ----------------------------------------------------------------

export interface ShadowUpdateRequest {
  state: { desired?: JsonObject | null; reported?: JsonObject | null };
  clientToken?: string;
  version?: number;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; rejection: ShadowRejection };

const fail = (rejection: ShadowRejection): { ok: false; rejection: ShadowRejection } => ({
  ok: false,
  rejection,
});

const utf8 = new TextDecoder('utf-8', { fatal: true });

function decodeJson(payload: Uint8Array): Parsed<JsonValue> {
  let text: string;
  try {
    text = utf8.decode(payload);
  } catch {
    // §1.9: 415 "unsupported encoding": shadow documents are UTF-8 only.
    return fail(SHADOW_ERRORS.unsupportedEncoding);
  }
  try {
    return { ok: true, value: JSON.parse(text) as JsonValue };
  } catch {
    return fail(SHADOW_ERRORS.invalidJson);
  }
}

export function isPlainObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The clientToken of a request, if it has a valid one. A rejection for a bad
 * token carries no token: there is nothing trustworthy to echo.
 */
function readClientToken(body: JsonObject, limits: ShadowLimits): Parsed<string | undefined> {
  const token = body.clientToken;
  if (token === undefined) return { ok: true, value: undefined };
  if (typeof token !== 'string' || Buffer.byteLength(token) > limits.maxClientTokenBytes) {
    return fail(SHADOW_ERRORS.invalidClientToken);
  }
  return { ok: true, value: token };
}

/** The clientToken to echo on a rejection: whatever valid token the payload had. */
export function salvageClientToken(
  payload: Uint8Array,
  limits: ShadowLimits = SHADOW_LIMITS,
): string | undefined {
  const body = decodeJson(payload);
  if (!body.ok || !isPlainObject(body.value)) return undefined;
  const token = readClientToken(body.value, limits);
  return token.ok ? token.value : undefined;
}

/**
 * get and delete: the payload is empty or `{"clientToken":"…"}` (§1.9). AWS
 * SDKs add `thingName`/`shadowName`; other fields are ignored, as IoT Core does.
 */
export function parseShadowQuery(
  payload: Uint8Array,
  limits: ShadowLimits = SHADOW_LIMITS,
): Parsed<{ clientToken?: string }> {
  if (payload.length === 0) return { ok: true, value: {} };
  const body = decodeJson(payload);
  if (!body.ok) return body;
  if (!isPlainObject(body.value)) return fail(SHADOW_ERRORS.invalidJson);
  const token = readClientToken(body.value, limits);
  if (!token.ok) return token;
  return { ok: true, value: token.value === undefined ? {} : { clientToken: token.value } };
}

/** Levels of nesting below a value: a scalar is 0, `{"a":1}` and `[1]` are 1. */
function depthOf(value: JsonValue): number {
  if (Array.isArray(value)) return 1 + Math.max(0, ...value.map(depthOf));
  if (isPlainObject(value)) return 1 + Math.max(0, ...Object.values(value).map(depthOf));
  return 0;
}

/** §1.9: "arrays may not contain null" (null only deletes object keys). */
function hasNullInArray(value: JsonValue): boolean {
  if (Array.isArray(value)) return value.some((item) => item === null || hasNullInArray(item));
  if (isPlainObject(value)) return Object.values(value).some(hasNullInArray);
  return false;
}

/**
 * An update request `{"state":{"desired":{…},"reported":{…}},"clientToken":"…","version":N}`
 * checked in the order a client would want to hear about it: encoding, JSON,
 * clientToken, version, then the state node and its sections.
 */
export function parseShadowUpdate(
  payload: Uint8Array,
  limits: ShadowLimits = SHADOW_LIMITS,
): Parsed<ShadowUpdateRequest> {
  const body = decodeJson(payload);
  if (!body.ok) return body;
  if (!isPlainObject(body.value)) return fail(SHADOW_ERRORS.invalidJson);
  const request = body.value;

  const token = readClientToken(request, limits);
  if (!token.ok) return token;

  const { version } = request;
  if (version !== undefined && (!Number.isSafeInteger(version) || (version as number) < 0)) {
    return fail(SHADOW_ERRORS.invalidVersion);
  }

  if (!('state' in request)) return fail(SHADOW_ERRORS.missingState);
  const { state } = request;
  if (!isPlainObject(state)) return fail(SHADOW_ERRORS.stateNotObject);
  // Only desired and reported are writable; `delta` is computed, never sent (§1.9).
  if (Object.keys(state).some((key) => key !== 'desired' && key !== 'reported')) {
    return fail(SHADOW_ERRORS.invalidNode);
  }
  if (!('desired' in state) && !('reported' in state)) return fail(SHADOW_ERRORS.emptyState);

  const parsed: ShadowUpdateRequest['state'] = {};
  for (const section of ['desired', 'reported'] as const) {
    if (!(section in state)) continue;
    const value = state[section] as JsonValue;
    if (value !== null && !isPlainObject(value)) {
      return fail(
        section === 'desired' ? SHADOW_ERRORS.desiredNotObject : SHADOW_ERRORS.reportedNotObject,
      );
    }
    if (value !== null && depthOf(value) > limits.maxDepth) return fail(tooDeep(limits));
    if (value !== null && hasNullInArray(value)) return fail(SHADOW_ERRORS.invalidNode);
    parsed[section] = value;
  }

  return {
    ok: true,
    value: {
      state: parsed,
      ...(token.value === undefined ? {} : { clientToken: token.value }),
      ...(version === undefined ? {} : { version: version as number }),
    },
  };
}

// ---- applying an update -----------------------------------------------------

/** Per-leaf metadata mirroring a value: `{timestamp}` per leaf, arrays element by element (§1.9). */
export function metadataOf(value: JsonValue, timestamp: number): JsonValue {
  if (Array.isArray(value)) return value.map((item) => metadataOf(item, timestamp));
  if (isPlainObject(value)) {
    return Object.fromEntries(
      Object.entries(value).map(([key, child]) => [key, metadataOf(child, timestamp)]),
    );
  }
  // Scalars, and null: a deletion is stamped in the accepted response too.
  return { timestamp };
}

function clone<T extends JsonValue>(value: T): T {
  return structuredClone(value);
}

/**
 * Merges a request section into a stored one, state and metadata in step:
 * objects merge key by key, `null` deletes the key, scalars and arrays replace
 * whatever was there ("Arrays are replaced as a whole", §1.9).
 */
function mergeSection(
  state: JsonObject,
  metadata: JsonObject,
  patch: JsonObject,
  timestamp: number,
): void {
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) {
      delete state[key];
      delete metadata[key];
    } else if (isPlainObject(value)) {
      const childState = state[key];
      const childMeta = metadata[key];
      const nextState = isPlainObject(childState) ? childState : {};
      // Metadata of a former leaf (`{timestamp}`) must not survive under an object.
      const nextMeta = isPlainObject(childState) && isPlainObject(childMeta) ? childMeta : {};
      mergeSection(nextState, nextMeta, value, timestamp);
      state[key] = nextState;
      metadata[key] = nextMeta;
    } else {
      state[key] = clone(value);
      metadata[key] = metadataOf(value, timestamp);
    }
  }
}

function deepEqual(a: JsonValue | undefined, b: JsonValue | undefined): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((item, i) => deepEqual(item, b[i]));
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = Object.keys(a);
    return (
      keys.length === Object.keys(b).length &&
      keys.every((key) => key in b && deepEqual(a[key], b[key]))
    );
  }
  return false;
}

/**
 * §1.9: the desired leaves whose values differ from reported; keys present
 * only in reported are not included. Objects are compared key by key, arrays
 * and scalars as wholes. Undefined when nothing differs.
 */
export function computeDelta(
  desired: JsonObject | undefined,
  reported: JsonObject | undefined,
): JsonObject | undefined {
  if (desired === undefined) return undefined;
  const delta: JsonObject = {};
  for (const [key, want] of Object.entries(desired)) {
    const have = reported?.[key];
    if (isPlainObject(want) && isPlainObject(have)) {
      const inner = computeDelta(want, have);
      if (inner !== undefined) delta[key] = inner;
    } else if (!deepEqual(want, have)) {
      delta[key] = clone(want);
    }
  }
  return Object.keys(delta).length === 0 ? undefined : delta;
}

/** The metadata of the keys a delta holds, cut from desired's metadata. */
function metadataFor(shape: JsonObject, metadata: JsonObject | undefined): JsonObject {
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(shape)) {
    const meta = metadata?.[key];
    if (meta === undefined) continue;
    out[key] = isPlainObject(value) && isPlainObject(meta) ? metadataFor(value, meta) : meta;
  }
  return out;
}

/** The part of a delta the request's desired section touched. */
function restrictTo(delta: JsonObject, touched: JsonObject): JsonObject | undefined {
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(delta)) {
    const patch = touched[key];
    if (patch === undefined || patch === null) continue;
    if (isPlainObject(value) && isPlainObject(patch)) {
      const inner = restrictTo(value, patch);
      if (inner !== undefined) out[key] = inner;
    } else {
      out[key] = value;
    }
  }
  return Object.keys(out).length === 0 ? undefined : out;
}

/** `{"desired":…,"reported":…}` as compact JSON, the part that counts towards 8 KB (§1.9). */
export function stateBytes(state: ShadowState): number {
  return Buffer.byteLength(JSON.stringify(state));
}

export interface UpdateOutcome {
  /** What to store, with `version` = previous + 1. */
  next: ShadowSnapshot & { document: ShadowDocument };
  /** Payload for `P/update/accepted`. */
  accepted: JsonObject;
  /** Payload for `P/update/documents`. */
  documents: JsonObject;
  /** Payload for `P/update/delta`, when the update left desired ≠ reported on what it touched. */
  delta?: JsonObject;
}

/**
 * Applies a parsed update to the current snapshot as the Device Shadow
 * service does (§1.9): version check, merge with null deletion, metadata
 * stamps, the 8 KB limit on the result, version + 1.
 *
 * @param nowSeconds epoch seconds, the unit of every shadow timestamp.
 */
export function applyShadowUpdate(
  current: ShadowSnapshot,
  request: ShadowUpdateRequest,
  nowSeconds: number,
  limits: ShadowLimits = SHADOW_LIMITS,
): { ok: true; value: UpdateOutcome } | { ok: false; rejection: ShadowRejection } {
  // §1.9 optimistic locking: a version that isn't the current one is 409;
  // leaving it out bypasses the check.
  if (request.version !== undefined && request.version !== current.version) {
    return fail(SHADOW_ERRORS.versionConflict);
  }

  const previous = current.document;
  const state: ShadowState = clone((previous?.state ?? {}) as JsonObject) as ShadowState;
  const metadata: ShadowState = clone((previous?.metadata ?? {}) as JsonObject) as ShadowState;
  for (const section of ['desired', 'reported'] as const) {
    if (!(section in request.state)) continue;
    const patch = request.state[section];
    if (patch === null || patch === undefined) {
      // `"desired": null` removes the whole section (§1.9).
      delete state[section];
      delete metadata[section];
      continue;
    }
    const target = state[section] ?? {};
    const targetMeta = metadata[section] ?? {};
    mergeSection(target, targetMeta, patch, nowSeconds);
    state[section] = target;
    metadata[section] = targetMeta;
  }

  // The limit is on what would be stored, metadata excluded (§1.9).
  if (stateBytes(state) > limits.maxStateBytes) return fail(SHADOW_ERRORS.payloadTooLarge);

  const version = current.version + 1;
  const token: JsonObject =
    request.clientToken === undefined ? {} : { clientToken: request.clientToken };
  const document: ShadowDocument = { state, metadata };

  // The accepted response echoes the request's state with its own stamps.
  const requestMetadata: JsonObject = {};
  for (const [section, value] of Object.entries(request.state)) {
    requestMetadata[section] =
      value === null ? { timestamp: nowSeconds } : metadataOf(value, nowSeconds);
  }
  const accepted: JsonObject = {
    state: clone(request.state as JsonObject),
    metadata: requestMetadata,
    version,
    timestamp: nowSeconds,
    ...token,
  };

  const documents: JsonObject = {
    // A shadow created by this update has no previous document; AWS's shape
    // for that case is not in IOT-CORE.md, so `previous` is left out [verify].
    ...(previous === null
      ? {}
      : {
          previous: {
            state: clone(previous.state as JsonObject),
            metadata: clone(previous.metadata as JsonObject),
            version: current.version,
          },
        }),
    current: {
      state: clone(state as JsonObject),
      metadata: clone(metadata as JsonObject),
      version,
    },
    timestamp: nowSeconds,
    ...token,
  };

  // §1.9: a delta goes out when desired differs from reported. Like AWS it is
  // sent for updates that wrote desired, holding the differing leaves that
  // update touched; a reported-only update sends none (the device is the one
  // catching up) [verify both against a live endpoint].
  const fullDelta = computeDelta(state.desired, state.reported);
  const touched = request.state.desired;
  const deltaState =
    fullDelta !== undefined && isPlainObject(touched) ? restrictTo(fullDelta, touched) : undefined;
  const outcome: UpdateOutcome = { next: { document, version }, accepted, documents };
  if (deltaState !== undefined) {
    outcome.delta = {
      state: deltaState,
      metadata: metadataFor(deltaState, metadata.desired),
      version,
      timestamp: nowSeconds,
      ...token,
    };
  }
  return { ok: true, value: outcome };
}

// ---- other responses --------------------------------------------------------

/**
 * `P/get/accepted`: the whole document, `state.delta` when desired ≠ reported,
 * metadata of desired and reported (§1.9: delta "only in get responses and
 * delta messages").
 */
export function buildGetAccepted(
  snapshot: ShadowSnapshot & { document: ShadowDocument },
  nowSeconds: number,
  clientToken?: string,
): JsonObject {
  const { state, metadata } = snapshot.document;
  const delta = computeDelta(state.desired, state.reported);
  return {
    state: { ...clone(state as JsonObject), ...(delta === undefined ? {} : { delta }) },
    metadata: clone(metadata as JsonObject),
    version: snapshot.version,
    timestamp: nowSeconds,
    ...(clientToken === undefined ? {} : { clientToken }),
  };
}

/** `P/delete/accepted`: the version of the shadow that was deleted. */
export function buildDeleteAccepted(
  version: number,
  nowSeconds: number,
  clientToken?: string,
): JsonObject {
  return {
    version,
    timestamp: nowSeconds,
    ...(clientToken === undefined ? {} : { clientToken }),
  };
}

/** `P/{op}/rejected`: `{"code","message","timestamp","clientToken"}` (§1.9). */
export function buildRejected(
  rejection: ShadowRejection,
  nowSeconds: number,
  clientToken?: string,
): JsonObject {
  return {
    code: rejection.code,
    message: rejection.message,
    timestamp: nowSeconds,
    ...(clientToken === undefined ? {} : { clientToken }),
  };
}

/** Epoch seconds, the unit of every timestamp in a shadow document (§1.9). */
export function epochSeconds(date: Date): number {
  return Math.floor(date.getTime() / 1000);
}
