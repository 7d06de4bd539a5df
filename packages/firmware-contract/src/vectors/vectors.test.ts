import { readdirSync, readFileSync } from 'node:fs';
import { decode, hexToBytes, isWmbusError, type DataRecord } from '@zaehlwerk/wmbus';
import { describe, expect, it } from 'vitest';
import type { TelegramBatch } from '../types.js';
import { validate } from '../validate.js';
import {
  buildVectors,
  serializeVectorFile,
  VECTOR_INDEX_FILE,
  type TestVector,
  type VectorIndex,
} from './build-vectors.js';

const DIR = new URL('../../vectors/v1/', import.meta.url);
const REGENERATE = 'run `npm run vectors -w @zaehlwerk/firmware-contract` and commit the result';

const read = (file: string) => readFileSync(new URL(file, DIR), 'utf8');
const committedJson = () =>
  readdirSync(DIR)
    .filter((f) => f.endsWith('.json'))
    .sort();

const index = JSON.parse(read(VECTOR_INDEX_FILE)) as VectorIndex;
const vectors = index.vectors.map((entry) => JSON.parse(read(entry.file)) as TestVector);

describe('vectors/v1 are what build-vectors produces', () => {
  const built = buildVectors();

  it('has exactly the files the generator writes', () => {
    expect(committedJson(), `vectors/v1 holds other files than generated: ${REGENERATE}`).toEqual(
      built.map((f) => f.file).sort(),
    );
  });

  it.each(built.map((f) => [f.file, f] as const))('%s is up to date', (file, { document }) => {
    expect(read(file), `${file} differs from the generator's output: ${REGENERATE}`).toBe(
      serializeVectorFile(document),
    );
  });
});

/**
 * From here on only the committed files and the codec's public decode: a
 * vendor reading the files gets exactly these results, whatever the generator
 * does.
 */
describe('vectors/v1 decode as committed', () => {
  it('index.json lists every vector file once, under its own name', () => {
    const listed = index.vectors.map((v) => v.file);
    expect(new Set(listed).size).toBe(listed.length);
    expect([...listed, VECTOR_INDEX_FILE].sort()).toEqual(committedJson());
    for (const [i, v] of vectors.entries()) expect(index.vectors[i]!.name).toBe(v.name);
  });

  it('covers heat cost allocators, heat and water meters in security modes 0, 5 and 7', () => {
    const covered = new Set(
      vectors
        .filter((v) => v.outcome === 'decoded')
        .map((v) => `${v.meter.kind}/${v.security.mode}`),
    );
    for (const kind of ['heat-cost-allocator', 'heat-meter', 'water-meter']) {
      for (const mode of [0, 5, 7]) expect(covered).toContain(`${kind}/${mode}`);
    }
    const errors = vectors.flatMap((v) => (v.outcome === 'error' ? [v.expected.error] : []));
    expect(errors).toEqual(expect.arrayContaining(['DECRYPTION_FAILED', 'MAC_INVALID']));
  });

  it('uses only the documented test keys', () => {
    const keys = vectors.flatMap((v) => [
      v.security.key,
      v.outcome === 'error' ? v.decodeKey : null,
    ]);
    for (const key of keys.filter((k): k is string => k !== null)) {
      expect(new TextDecoder().decode(hexToBytes(key))).toMatch(/^zw-test-(key-\d{4}|wrongkey)$/);
    }
    for (const v of vectors) expect(v.security.key === null).toBe(v.security.mode === 0);
  });

  /** A decoded record in the vectors' shape: defaults left out. */
  const shape = (r: DataRecord) => ({
    quantity: r.quantity,
    unit: r.unit,
    value: r.value,
    ...(r.storage === 0 ? {} : { storage: r.storage }),
    ...(r.tariff === 0 ? {} : { tariff: r.tariff }),
    ...(r.subunit === 0 ? {} : { subunit: r.subunit }),
    ...(r.function === 'instantaneous' ? {} : { function: r.function }),
    ...(r.modifiers.length === 0 ? {} : { modifiers: r.modifiers }),
  });

  const forms = (v: TestVector) =>
    [
      ['CRC-stripped', v.frame],
      ['format A', v.frameFormatA],
    ] as const;

  it.each(vectors.map((v) => [v.name, v] as const))('%s', (_name, v) => {
    for (const [form, frame] of forms(v)) {
      if (v.outcome === 'error') {
        let code: string | undefined;
        try {
          decode(frame, { key: v.decodeKey });
        } catch (err) {
          code = isWmbusError(err) ? err.code : String(err);
        }
        expect(code, `${form} frame`).toBe(v.expected.error);
        continue;
      }
      const { telegram } = decode(frame, { key: v.security.key });
      expect(telegram.manufacturer, form).toBe(v.meter.manufacturer);
      expect(telegram.id, form).toBe(v.meter.id);
      expect(telegram.version, form).toBe(v.meter.version);
      expect(telegram.deviceType, form).toBe(v.meter.deviceType);
      expect(telegram.deviceTypeName, form).toBe(v.meter.deviceTypeName);
      expect(telegram.security.mode, form).toBe(v.security.mode);
      expect(telegram.security.verified, form).toBe(v.security.mode !== 0);
      if (v.security.mode === 7)
        expect(telegram.security.messageCounter, form).toBe(v.security.messageCounter);
      expect(telegram.accessNumber, form).toBe(v.transport.accessNumber);
      expect(telegram.payloadCi, form).toBe(v.transport.ci);
      expect(telegram.status?.raw, form).toBe(v.transport.status);
      expect(telegram.driver, form).toBe(v.expected.driver);
      expect(telegram.driver, form).toMatch(/^generic-/);
      expect(telegram.records.map(shape), form).toEqual(v.expected.records);
      expect(telegram.values, form).toEqual(v.expected.values);
    }
  });

  it('an encrypted vector does not decode without its key', () => {
    const encrypted = vectors.filter((v) => v.outcome === 'decoded' && v.security.mode !== 0);
    expect(encrypted.length).toBeGreaterThan(0);
    for (const v of encrypted) expect(() => decode(v.frame)).toThrow(/key/i);
  });
});

describe('vectors/v1 frames in a telegram batch', () => {
  const batch = (frames: TelegramBatch['frames']): TelegramBatch => ({
    contractVersion: '1',
    gatewaySeq: 1,
    sentAt: '2025-01-15T06:01:00Z',
    frames,
  });
  const frame = (
    v: TestVector,
    hex: string,
    crc: 'present' | 'stripped',
  ): TelegramBatch['frames'][number] => ({
    frame: hex,
    crc,
    frameFormat: 'A',
    receivedAt: '2025-01-15T06:00:30Z',
    rssi: -71,
    mode: v.radioMode,
  });

  it.each(vectors.map((v) => [v.name, v] as const))(
    '%s passes the frame-length rule in both forms',
    (_name, v) => {
      const result = validate(
        'telegram-batch',
        batch([frame(v, v.frame, 'stripped'), frame(v, v.frameFormatA, 'present')]),
      );
      expect(result.ok ? [] : result.issues).toEqual([]);
    },
  );

  it('the rule has teeth: a stripped frame said to have CRCs, or one byte short, is refused', () => {
    const v = vectors[0]!;
    const result = validate(
      'telegram-batch',
      batch([frame(v, v.frame, 'present'), frame(v, v.frame.slice(0, -2), 'stripped')]),
    );
    expect(result.ok ? [] : result.issues.map((i) => [i.path, i.keyword])).toEqual([
      ['/frames/0/frame', 'frameLength'],
      ['/frames/1/frame', 'frameLength'],
    ]);
  });
});
