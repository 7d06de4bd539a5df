import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsImport, { type FormatsPlugin } from 'ajv-formats';
import common from '../schemas/v1/common.schema.json' with { type: 'json' };
import errorResponse from '../schemas/v1/error-response.schema.json' with { type: 'json' };
import gatewayEvent from '../schemas/v1/gateway-event.schema.json' with { type: 'json' };
import gatewayStatus from '../schemas/v1/gateway-status.schema.json' with { type: 'json' };
import shadowDesired from '../schemas/v1/shadow-desired.schema.json' with { type: 'json' };
import shadowReported from '../schemas/v1/shadow-reported.schema.json' with { type: 'json' };
import telegramBatch from '../schemas/v1/telegram-batch.schema.json' with { type: 'json' };
import { frameLengthProblem } from './internal/frame-length.js';
import type { PayloadKind, PayloadTypes, ValidationIssue } from './types.js';

/** The outcome of `validate`: the typed payload, or everything wrong with it. */
export type ValidationResult<T> = { ok: true; value: T } | { ok: false; issues: ValidationIssue[] };

/** A JSON Schema document of the contract, as shipped in schemas/v1. */
export type SchemaDocument = Readonly<{ $id: string; title: string; [keyword: string]: unknown }>;

/**
 * The schema documents of contract v1, by payload kind (they refer to
 * common.json, shipped beside them). Typed loosely on purpose: the literal
 * types of the documents would bloat the published declarations.
 */
export const SCHEMAS: Readonly<Record<PayloadKind, SchemaDocument>> = {
  'telegram-batch': telegramBatch,
  'gateway-status': gatewayStatus,
  'gateway-event': gatewayEvent,
  'shadow-desired': shadowDesired,
  'shadow-reported': shadowReported,
  'error-response': errorResponse,
};

export const PAYLOAD_KINDS = Object.keys(SCHEMAS) as PayloadKind[];

/**
 * Bytes of UTF-8 JSON each payload may have. The batch limit is half of IoT
 * Core's 128 KB so that envelopes and rule actions (base64) still fit; the
 * rest are small messages and the shadow's state is capped at 8 KB by IoT Core.
 */
export const PAYLOAD_LIMITS: Readonly<Record<PayloadKind, number>> = {
  'telegram-batch': 65_536,
  'gateway-status': 8_192,
  'gateway-event': 8_192,
  'shadow-desired': 8_192,
  'shadow-reported': 8_192,
  'error-response': 8_192,
};

/** Most issues reported for one payload: a 100-frame batch of garbage need not yield thousands. */
const MAX_ISSUES = 100;

// ajv-formats is CommonJS: depending on the loader its default import is the
// plugin itself or the module object holding it.
const addFormats = ((addFormatsImport as unknown as { default?: FormatsPlugin }).default ??
  addFormatsImport) as FormatsPlugin;

let compiled: Record<PayloadKind, ValidateFunction> | undefined;

/** Compiles every schema once, on first use, so importing the package stays cheap. */
function validators(): Record<PayloadKind, ValidateFunction> {
  if (compiled) return compiled;
  // strict: a typo in a schema keyword fails here, in the tests, not silently in the field.
  const ajv = new Ajv2020({ allErrors: true, strict: true });
  addFormats(ajv);
  ajv.addSchema(common);
  for (const schema of Object.values(SCHEMAS)) ajv.addSchema(schema);
  const entries = PAYLOAD_KINDS.map((kind) => [kind, ajv.getSchema(SCHEMAS[kind].$id)!] as const);
  compiled = Object.fromEntries(entries) as Record<PayloadKind, ValidateFunction>;
  return compiled;
}

const escapePointer = (key: string) => key.replace(/~/g, '~0').replace(/\//g, '~1');

/** Ajv's errors as issues; a missing or extra property is reported at that property's path. */
function toIssue(error: ErrorObject): ValidationIssue {
  const params = error.params as { missingProperty?: string; additionalProperty?: string };
  const key =
    error.keyword === 'required'
      ? params.missingProperty
      : error.keyword === 'additionalProperties'
        ? params.additionalProperty
        : undefined;
  const path =
    key === undefined ? error.instancePath : `${error.instancePath}/${escapePointer(key)}`;
  const message =
    error.keyword === 'additionalProperties'
      ? `'${key}' is not part of this payload`
      : error.keyword === 'enum'
        ? `must be one of ${(error.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`
        : (error.message ?? error.keyword);
  return { path, keyword: error.keyword, message };
}

/** Failures of if/then, anyOf and allOf only repeat the precise error beneath them. */
const SUMMARY_KEYWORDS = new Set(['if', 'anyOf', 'allOf']);

type Parsed = { ok: true; value: unknown; bytes: number } | { ok: false; issue: ValidationIssue };

const utf8 = new TextEncoder();

function parse(payload: unknown): Parsed {
  if (payload instanceof Uint8Array) {
    let text: string;
    try {
      // ignoreBOM keeps a BOM for parseText to refuse (clause 4.1); the default drops it.
      text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(payload);
    } catch {
      return { ok: false, issue: { path: '', keyword: 'json', message: 'payload is not UTF-8' } };
    }
    return parseText(text, payload.length);
  }
  if (typeof payload === 'string') return parseText(payload, utf8.encode(payload).length);
  // An already parsed value: its size is that of its compact JSON, the least a gateway could send.
  let json: string | undefined;
  try {
    json = JSON.stringify(payload);
  } catch {
    json = undefined;
  }
  if (json === undefined) {
    return {
      ok: false,
      issue: { path: '', keyword: 'json', message: 'payload is not a JSON value' },
    };
  }
  return { ok: true, value: payload, bytes: utf8.encode(json).length };
}

function parseText(text: string, bytes: number): Parsed {
  try {
    // A leading byte-order mark is not JSON (RFC 8259 §8.1 forbids sending one).
    return { ok: true, value: JSON.parse(text) as unknown, bytes };
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    return {
      ok: false,
      issue: { path: '', keyword: 'json', message: `payload is not JSON: ${reason}` },
    };
  }
}

interface FrameLike {
  frame?: unknown;
  crc?: unknown;
  frameFormat?: unknown;
}

const HEX = /^(?:[0-9A-Fa-f]{2}){10,}$/;

/**
 * What the schema cannot say about a batch's frames: each frame's L field
 * must fit its length. Checked on every frame whose own fields are well
 * formed, even when the rest of the batch is not, so one pass finds it all.
 */
function frameIssues(batch: unknown): ValidationIssue[] {
  const frames = (batch as { frames?: unknown } | null)?.frames;
  if (!Array.isArray(frames)) return [];
  const issues: ValidationIssue[] = [];
  frames.forEach((item: unknown, i) => {
    if (typeof item !== 'object' || item === null) return;
    const { frame, crc, frameFormat } = item as FrameLike;
    if (typeof frame !== 'string' || !HEX.test(frame)) return;
    if (crc !== 'present' && crc !== 'stripped') return;
    const format = frameFormat === 'A' || frameFormat === 'B' ? frameFormat : undefined;
    const problem = frameLengthProblem(frame, crc, format);
    if (problem !== null)
      issues.push({ path: `/frames/${i}/frame`, keyword: 'frameLength', message: problem });
  });
  return issues;
}

/**
 * Validates a payload of contract v1 against its schema and the rules a
 * schema cannot express (byte size; each frame's L field). Never throws.
 *
 * `payload` is what came over MQTT (a `Uint8Array`), the same as text (a
 * `string`, always parsed as JSON), or an already parsed JSON value (its size
 * is then measured as compact JSON).
 *
 * @example
 * const result = validate('telegram-batch', message.payload);
 * if (!result.ok) console.log(result.issues); // [{ path: '/frames/0/mode', keyword: 'enum', … }]
 */
export function validate<K extends PayloadKind>(
  kind: K,
  payload: unknown,
): ValidationResult<PayloadTypes[K]> {
  try {
    return validateUnsafe(kind, payload);
  } catch (err) {
    // The promise is "never throws": anything unforeseen becomes an issue too.
    const reason = err instanceof Error ? err.message : String(err);
    return { ok: false, issues: [{ path: '', keyword: 'internal', message: reason }] };
  }
}

function validateUnsafe<K extends PayloadKind>(
  kind: K,
  payload: unknown,
): ValidationResult<PayloadTypes[K]> {
  const check = validators()[kind];
  if (check === undefined) {
    return {
      ok: false,
      issues: [{ path: '', keyword: 'kind', message: `unknown payload kind '${String(kind)}'` }],
    };
  }
  const parsed = parse(payload);
  if (!parsed.ok) return { ok: false, issues: [parsed.issue] };

  const issues: ValidationIssue[] = [];
  const limit = PAYLOAD_LIMITS[kind];
  if (parsed.bytes > limit) {
    issues.push({
      path: '',
      keyword: 'maxBytes',
      message: `payload has ${parsed.bytes} bytes, at most ${limit}`,
    });
  }
  if (!check(parsed.value)) {
    for (const error of check.errors ?? []) {
      if (!SUMMARY_KEYWORDS.has(error.keyword)) issues.push(toIssue(error));
    }
  }
  if (kind === 'telegram-batch') issues.push(...frameIssues(parsed.value));

  if (issues.length > 0) return { ok: false, issues: issues.slice(0, MAX_ISSUES) };
  return { ok: true, value: parsed.value as PayloadTypes[K] };
}
