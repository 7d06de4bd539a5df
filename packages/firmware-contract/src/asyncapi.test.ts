import asyncapiSpecs from '@asyncapi/specs';
import { Ajv } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsImport, { type FormatsPlugin } from 'ajv-formats';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { topics, type ShadowOperation } from './topics.js';
import type { PayloadKind } from './types.js';
import { PAYLOAD_KINDS, validate } from './validate.js';

/*
 * asyncapi/v1.json describes the MQTT interface of contract v1. These tests
 * hold it to the official AsyncAPI 3.0.0 JSON Schema and to the contract's own
 * artefacts: the topic table (topics/v1.json), the topic builders
 * (src/topics.ts) and the payload schemas (schemas/v1).
 */

const addFormats = ((addFormatsImport as unknown as { default?: FormatsPlugin }).default ??
  addFormatsImport) as FormatsPlugin;

const ASYNCAPI_DIR = new URL('../asyncapi/', import.meta.url);
const SCHEMA_DIR = new URL('../schemas/v1/', import.meta.url);

function readJson(url: URL): unknown {
  return JSON.parse(readFileSync(fileURLToPath(url), 'utf8')) as unknown;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };
interface Ref {
  $ref: string;
}

interface Channel {
  address: string;
  parameters?: Record<string, Ref>;
  messages: Record<string, Ref>;
  'x-zw-outside-topic-table'?: boolean;
}
interface Operation {
  action: 'send' | 'receive';
  channel: Ref;
  messages: Ref[];
  bindings?: { mqtt?: { qos?: number; retain?: boolean } };
}
interface Message {
  payload: { schemaFormat: string; schema: JsonObject };
  examples?: { name?: string; payload: Json }[];
}
interface AsyncApiDocument {
  asyncapi: string;
  servers: Record<string, JsonObject>;
  channels: Record<string, Channel>;
  operations: Record<string, Operation>;
  components: { messages: Record<string, Message>; securitySchemes: Record<string, JsonObject> };
}

interface TopicEntry {
  name: string;
  template: string;
  direction: 'up' | 'down';
  qos: number;
  retain: boolean;
  schema: PayloadKind | null;
  schemaAt?: string;
}

const document = readJson(new URL('v1.json', ASYNCAPI_DIR)) as AsyncApiDocument;
const raw = document as unknown as Json;
const topicTable = readJson(new URL('../topics/v1.json', import.meta.url)) as TopicEntry[];
const schemaFiles = readdirSync(fileURLToPath(SCHEMA_DIR)).filter((f) => f.endsWith('.json'));
const schemaById = new Map(
  schemaFiles.map((file) => {
    const schema = readJson(new URL(file, SCHEMA_DIR)) as JsonObject & { $id: string };
    return [schema.$id, { file, schema }] as const;
  }),
);

/** Every `$ref` value anywhere in a JSON value. */
function refsIn(value: Json | undefined): string[] {
  if (Array.isArray(value)) return value.flatMap(refsIn);
  if (typeof value === 'object' && value !== null) {
    return Object.entries(value).flatMap(([key, child]) =>
      key === '$ref' && typeof child === 'string' ? [child] : refsIn(child),
    );
  }
  return [];
}

/** Resolves a JSON Pointer (RFC 6901) in a value; undefined when it names nothing. */
function atPointer(value: Json, pointer: string): Json | undefined {
  if (pointer === '') return value;
  let node: Json | undefined = value;
  for (const raw of pointer.slice(1).split('/')) {
    const key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    if (typeof node !== 'object' || node === null) return undefined;
    node = Array.isArray(node) ? node[Number(key)] : node[key];
  }
  return node;
}

function resolveInternal(ref: string): Json | undefined {
  expect(ref.startsWith('#')).toBe(true);
  return atPointer(raw, ref.slice(1));
}

/** The schema file a relative `$ref` of the document names, or null for an internal one. */
function fileOf(ref: string): string | null {
  if (ref.startsWith('#')) return null;
  return fileURLToPath(new URL(ref.split('#')[0]!, ASYNCAPI_DIR));
}

/** Replaces `{name}` parameters with values, as a gateway fills in a channel address. */
function fill(address: string, values: Record<string, string>): string {
  return address.replace(/\{([^{}]+)\}/g, (_m, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`no value for {${name}}`);
    return value;
  });
}

const THING = 'solvimus-GW-0042';
const EVENT = 'power-loss';

/** Channel id → the topic src/topics.ts builds for it. Exhaustive over ShadowOperation. */
const SHADOW_CHANNELS: Record<ShadowOperation, string> = {
  get: 'shadow-get',
  'get/accepted': 'shadow-get-accepted',
  'get/rejected': 'shadow-get-rejected',
  update: 'shadow-update',
  'update/accepted': 'shadow-update-accepted',
  'update/rejected': 'shadow-update-rejected',
  'update/delta': 'shadow-delta',
};
const BUILT: Record<string, string> = {
  telegrams: topics.telegrams(THING),
  status: topics.status(THING),
  event: topics.event(THING, EVENT),
  errors: topics.errors(THING),
  ...Object.fromEntries(
    Object.entries(SHADOW_CHANNELS).map(([op, id]) => [
      id,
      topics.shadow(THING, op as ShadowOperation),
    ]),
  ),
};

describe('asyncapi/v1.json', () => {
  it('is a valid AsyncAPI 3.0.0 document (the official JSON Schema, draft-07)', () => {
    // The AsyncAPI schema bundles draft-07 itself under its definitions; Ajv's
    // draft-07 meta-schema is built in, so that copy is left out.
    const official = structuredClone(asyncapiSpecs.schemas['3.0.0']) as {
      definitions: Record<string, unknown>;
    };
    delete official.definitions['http://json-schema.org/draft-07/schema'];
    const ajv = new Ajv({ allErrors: true, strict: false });
    addFormats(ajv);
    const check = ajv.compile(official);
    expect(document.asyncapi).toBe('3.0.0');
    expect(check(document) ? [] : check.errors).toEqual([]);
  });

  it('has a channel for every topic of topics/v1.json, with its address, and no others', () => {
    for (const entry of topicTable) {
      expect(document.channels[entry.name], entry.name).toBeDefined();
      expect(document.channels[entry.name]!.address).toBe(entry.template);
    }
    const tabled = new Set(topicTable.map((e) => e.name));
    const extra = Object.keys(document.channels).filter((id) => !tabled.has(id));
    // IoT Core's update/documents is the one extra: flagged, and a shadow topic.
    expect(extra).toEqual(['shadow-update-documents']);
    const documents = document.channels['shadow-update-documents']!;
    expect(documents['x-zw-outside-topic-table']).toBe(true);
    expect(fill(documents.address, { thing: THING })).toBe(
      topics.shadow(THING, 'update/delta').replace(/delta$/, 'documents'),
    );
    for (const id of tabled)
      expect(document.channels[id]!['x-zw-outside-topic-table']).toBe(undefined);
  });

  it('has a channel for every topic src/topics.ts builds, and each address builds the same', () => {
    for (const builder of Object.keys(topics)) {
      const covered =
        builder === 'shadow' ? Object.values(SHADOW_CHANNELS) : [builder as keyof typeof BUILT];
      for (const id of covered) expect(document.channels[id], id).toBeDefined();
    }
    for (const [id, channel] of Object.entries(document.channels)) {
      if (channel['x-zw-outside-topic-table']) continue;
      expect(BUILT[id], `src/topics.ts builds channel ${id}`).toBeDefined();
      expect(fill(channel.address, { thing: THING, event: EVENT })).toBe(BUILT[id]);
    }
  });

  it('declares every address parameter, and the thing in every channel', () => {
    for (const [id, channel] of Object.entries(document.channels)) {
      const named = [...channel.address.matchAll(/\{([^{}]+)\}/g)].map((m) => m[1]);
      expect(Object.keys(channel.parameters ?? {}).sort(), id).toEqual([...named].sort());
      expect(named, id).toContain('thing');
      for (const ref of Object.values(channel.parameters ?? {})) {
        expect(resolveInternal(ref.$ref), ref.$ref).toBeDefined();
      }
    }
  });

  it('has one operation per channel, sending what the gateway publishes and receiving the rest', () => {
    const byChannel = new Map<string, Operation[]>();
    for (const operation of Object.values(document.operations)) {
      const id = operation.channel.$ref.replace(/^#\/channels\//, '');
      byChannel.set(id, [...(byChannel.get(id) ?? []), operation]);
    }
    expect([...byChannel.keys()].sort()).toEqual(Object.keys(document.channels).sort());
    for (const [id, operations] of byChannel) {
      expect(operations, id).toHaveLength(1);
      const operation = operations[0]!;
      const entry = topicTable.find((e) => e.name === id);
      const up = entry ? entry.direction === 'up' : false;
      expect(operation.action, id).toBe(up ? 'send' : 'receive');
      expect(operation.bindings?.mqtt, id).toEqual({
        qos: entry?.qos ?? 1,
        retain: entry?.retain ?? false,
        bindingVersion: '0.2.0',
      });
      // An operation's messages are messages of its own channel (AsyncAPI 3.0).
      expect(operation.messages.length, id).toBeGreaterThan(0);
      for (const message of operation.messages) {
        expect(message.$ref.startsWith(`#/channels/${id}/messages/`), message.$ref).toBe(true);
        expect(resolveInternal(message.$ref), message.$ref).toBeDefined();
      }
    }
  });

  it('points each channel to the schema topics/v1.json names, at the same place', () => {
    for (const entry of topicTable) {
      const channel = document.channels[entry.name]!;
      const messages = Object.values(channel.messages).map(
        (ref) => resolveInternal(ref.$ref) as unknown as Message,
      );
      expect(messages, entry.name).toHaveLength(1);
      const payload = messages[0]!.payload;
      expect(payload.schemaFormat).toBe('application/schema+json;version=draft-2020-12');
      if (entry.schema === null) continue;
      // '/state/desired' in a payload is properties/state/properties/desired in its schema.
      const path = (entry.schemaAt ?? '')
        .split('/')
        .slice(1)
        .map((key) => `/properties/${key}`)
        .join('');
      expect(atPointer(payload.schema, `${path}/$ref`), entry.name).toBe(
        `../schemas/v1/${entry.schema}.schema.json`,
      );
    }
  });

  it('references every payload schema from a message, and every file of schemas/v1 through them', () => {
    const messageRefs = refsIn(document.components.messages as unknown as Json);
    const direct = new Set(messageRefs.map(fileOf).filter((f): f is string => f !== null));
    for (const kind of PAYLOAD_KINDS) {
      expect(direct, kind).toContain(fileURLToPath(new URL(`${kind}.schema.json`, SCHEMA_DIR)));
    }
    // The schemas refer to each other by $id (common.json#/$defs/…): follow them.
    const reached = new Set<string>();
    const queue = [...direct].map((path) => path.split(/[\\/]/).pop()!);
    while (queue.length > 0) {
      const file = queue.pop()!;
      if (reached.has(file)) continue;
      reached.add(file);
      const schema = readJson(new URL(file, SCHEMA_DIR)) as Json;
      const base = (schema as { $id: string }).$id;
      for (const ref of refsIn(schema)) {
        if (ref.startsWith('#')) continue;
        const target = new URL(ref, base);
        target.hash = '';
        const found = schemaById.get(target.href);
        expect(found, `${file}: ${ref}`).toBeDefined();
        queue.push(found!.file);
      }
    }
    expect([...reached].sort()).toEqual([...schemaFiles].sort());
  });

  it('references only files that exist, at pointers that exist', () => {
    const refs = refsIn(raw);
    expect(refs.length).toBeGreaterThan(50);
    for (const ref of refs) {
      const file = fileOf(ref);
      if (file === null) {
        expect(resolveInternal(ref), ref).toBeDefined();
        continue;
      }
      expect(existsSync(file), ref).toBe(true);
      const fragment = ref.split('#')[1];
      if (fragment) {
        const target = JSON.parse(readFileSync(file, 'utf8')) as Json;
        expect(atPointer(target, fragment), ref).toBeDefined();
      }
      // Relative, inside the package: no URLs, no absolute paths.
      expect(ref).toMatch(/^\.\.\/schemas\/v1\/[a-z-]+\.schema\.json(#.*)?$/);
    }
  });

  it('has examples that are valid against their message payloads and the contract schemas', () => {
    const ajv = new Ajv2020({ allErrors: true, strict: true });
    addFormats(ajv);
    for (const { schema } of schemaById.values()) ajv.addSchema(schema);
    // The payload schemas point to the files by relative path; in Ajv they are known by $id.
    const byFile = new Map([...schemaById].map(([id, { file }]) => [file, id]));
    const rewrite = (value: Json): Json => {
      if (Array.isArray(value)) return value.map(rewrite);
      if (typeof value !== 'object' || value === null) return value;
      return Object.fromEntries(
        Object.entries(value).map(([key, child]) => {
          if (key === '$ref' && typeof child === 'string' && child.startsWith('../')) {
            return [key, byFile.get(child.replace('../schemas/v1/', ''))!];
          }
          return [key, rewrite(child)];
        }),
      );
    };
    let examples = 0;
    for (const [name, message] of Object.entries(document.components.messages)) {
      const check = ajv.compile(rewrite(message.payload.schema) as object);
      for (const example of message.examples ?? []) {
        examples += 1;
        expect(check(example.payload) ? [] : check.errors, name).toEqual([]);
      }
    }
    expect(examples).toBeGreaterThanOrEqual(10);

    // And through the package's validator, which also checks the frames' L fields.
    for (const entry of topicTable) {
      if (entry.schema === null) continue;
      const channel = document.channels[entry.name]!;
      for (const ref of Object.values(channel.messages)) {
        const message = resolveInternal(ref.$ref) as unknown as Message;
        for (const example of message.examples ?? []) {
          const part = atPointer(example.payload, entry.schemaAt ?? '');
          expect(validate(entry.schema, part), `${entry.name} ${example.name ?? ''}`).toEqual({
            ok: true,
            value: part,
          });
        }
      }
    }
  });

  it('offers IoT Core on 8883 and on 443 with ALPN x-amzn-mqtt-ca, and the local emulator', () => {
    const { servers } = document;
    expect(Object.keys(servers).sort()).toEqual(['iot-core', 'iot-core-443', 'local-emulator']);
    expect(servers['iot-core']!.host).toBe('{endpoint}:8883');
    expect(servers['iot-core-443']!.host).toBe('{endpoint}:443');
    expect(servers['iot-core-443']!['x-zw-tls-alpn']).toEqual(['x-amzn-mqtt-ca']);
    for (const server of Object.values(servers)) {
      expect(server.protocol).toBe('secure-mqtt');
      expect(server.security).toEqual([
        { $ref: '#/components/securitySchemes/gatewayCertificate' },
      ]);
    }
    expect(document.components.securitySchemes.gatewayCertificate!.type).toBe('X509');
  });
});
