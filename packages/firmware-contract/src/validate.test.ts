import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { TelegramBatch, TelegramFrame } from './types.js';
import { PAYLOAD_LIMITS, validate } from './validate.js';

/** The shared corpus sits beside the repository: <repo>/../shared/corpus (as in packages/wmbus). */
const CORPUS = fileURLToPath(
  new URL('../../../../shared/corpus/wmbus/corpus.jsonl', import.meta.url),
);

interface CorpusCase {
  id: string;
  telegram_hex: string;
  header: { link: string };
}

/** Real wireless frames as a receiver that strips CRCs forwards them (the corpus is stripped, format A). */
const wireless: CorpusCase[] = readFileSync(CORPUS, 'utf8')
  .split('\n')
  .filter((line) => line.trim() !== '')
  .map((line) => JSON.parse(line) as CorpusCase)
  .filter((c) => c.header.link.startsWith('wireless'));

// OMS Vol. 2 Annex N example as sent on air: format A with its CRCs.
const OMS_WITH_CRCS =
  '434493157856341233037AC98C2075900F002C25B30A000021924D4FBA372FB66E017A75002007109058475F4BC9D1281DF878B80A1B0F98B629024AAC7279429398BFC549233C0140829B93BAA1';

function frameOf(c: CorpusCase, i: number): TelegramFrame {
  return {
    frame: c.telegram_hex,
    crc: 'stripped',
    receivedAt: new Date(Date.UTC(2025, 0, 15, 6, 0, i)).toISOString(),
    rssi: -60 - (i % 40),
    mode: i % 2 === 0 ? 'T1' : 'C1',
  };
}

function realisticBatch(): TelegramBatch {
  return {
    contractVersion: '1',
    gatewaySeq: 4711,
    sentAt: '2025-01-15T06:01:00Z',
    frames: [
      ...wireless.slice(0, 40).map(frameOf),
      {
        frame: OMS_WITH_CRCS,
        crc: 'present',
        frameFormat: 'A',
        receivedAt: '2025-01-15T05:30:12.250Z',
        rssi: -91.5,
        mode: 'C1',
        replayed: true,
      },
    ],
  };
}

/** Validates and returns the issues (an empty list when valid). */
function issuesOf(payload: unknown) {
  const result = validate('telegram-batch', payload);
  return result.ok ? [] : result.issues;
}

describe('validate telegram-batch', () => {
  it('accepts a realistic batch of corpus frames, as a value, as text and as bytes', () => {
    expect(wireless.length).toBeGreaterThan(190);
    const batch = realisticBatch();
    const text = JSON.stringify(batch);
    for (const payload of [batch, text, new TextEncoder().encode(text)]) {
      const result = validate('telegram-batch', payload);
      expect(result).toEqual({ ok: true, value: batch });
    }
  });

  it('accepts every wireless frame of the corpus, including those with bytes beyond L', () => {
    for (let start = 0; start < wireless.length; start += 100) {
      const batch = {
        ...realisticBatch(),
        frames: wireless.slice(start, start + 100).map(frameOf),
      };
      expect(issuesOf(batch)).toEqual([]);
    }
  });

  it('rejects a missing gatewaySeq at its path', () => {
    const { gatewaySeq: _dropped, ...batch } = realisticBatch();
    expect(issuesOf(batch)).toEqual([
      expect.objectContaining({ path: '/gatewaySeq', keyword: 'required' }),
    ]);
  });

  it('rejects a negative gatewaySeq', () => {
    expect(issuesOf({ ...realisticBatch(), gatewaySeq: -1 })).toEqual([
      expect.objectContaining({ path: '/gatewaySeq', keyword: 'minimum' }),
    ]);
  });

  it('rejects 101 frames', () => {
    const frames = Array.from({ length: 101 }, (_, i) => frameOf(wireless[i % 20]!, i));
    expect(issuesOf({ ...realisticBatch(), frames })).toEqual([
      expect.objectContaining({ path: '/frames', keyword: 'maxItems' }),
    ]);
  });

  it('rejects a frame that is not hex', () => {
    const batch = realisticBatch();
    batch.frames[3]!.frame = `${batch.frames[3]!.frame.slice(0, -2)}ZZ`;
    expect(issuesOf(batch)).toEqual([
      expect.objectContaining({ path: '/frames/3/frame', keyword: 'pattern' }),
    ]);
  });

  it('rejects a frame whose L field does not fit its length for the stated crc', () => {
    const batch = realisticBatch();
    const frame = batch.frames[5]!.frame;
    // Two bytes too long for L: claims more data than the frame holds.
    batch.frames[5]!.frame =
      (parseInt(frame.slice(0, 2), 16) + 2).toString(16).padStart(2, '0') + frame.slice(2);
    // A stripped frame stated as present is too short for its CRCs.
    batch.frames[6]!.crc = 'present';
    const issues = issuesOf(batch);
    expect(issues).toEqual([
      expect.objectContaining({ path: '/frames/5/frame', keyword: 'frameLength' }),
      expect.objectContaining({ path: '/frames/6/frame', keyword: 'frameLength' }),
    ]);
    expect(issues[1]!.message).toMatch(/does not fit a frame of \d+ bytes with CRCs present/);
  });

  it('rejects an unknown mode, and format B in a mode that has only format A', () => {
    const batch = realisticBatch();
    (batch.frames[0] as { mode: string }).mode = 'X9';
    batch.frames[1] = { ...batch.frames[1]!, mode: 'T1', frameFormat: 'B' };
    const issues = issuesOf(batch);
    expect(issues).toContainEqual(
      expect.objectContaining({ path: '/frames/0/mode', keyword: 'enum' }),
    );
    expect(issues).toContainEqual(
      expect.objectContaining({ path: '/frames/1/frameFormat', keyword: 'const' }),
    );
  });

  it('rejects a thing name in the payload: identity comes from the certificate', () => {
    const batch = { ...realisticBatch(), thingName: 'solvimus-GW-0042' };
    expect(issuesOf(batch)).toEqual([
      expect.objectContaining({ path: '/thingName', keyword: 'additionalProperties' }),
    ]);
  });

  it('rejects a batch over 64 KB even when every frame is valid', () => {
    // 100 frames of the largest L (255) with their CRCs: 290 bytes each, 580 hex digits.
    const header = `FF${wireless[0]!.telegram_hex.slice(2, 20)}`;
    const longest = header + 'A5'.repeat(290 - 10);
    const frames = Array.from({ length: 100 }, (_, i) => ({
      ...frameOf(wireless[0]!, i),
      frame: longest,
      crc: 'present' as const,
    }));
    const batch = { ...realisticBatch(), frames };
    const bytes = new TextEncoder().encode(JSON.stringify(batch));
    expect(bytes.length).toBeGreaterThan(PAYLOAD_LIMITS['telegram-batch']);
    expect(issuesOf(bytes)).toEqual([
      expect.objectContaining({
        path: '',
        keyword: 'maxBytes',
        message: expect.stringMatching(/at most 65536/),
      }),
    ]);
  });

  it('rejects bytes that are not JSON, or not UTF-8, without throwing', () => {
    expect(issuesOf(new Uint8Array([0x7b, 0x22, 0x61]))).toEqual([
      expect.objectContaining({ path: '', keyword: 'json' }),
    ]);
    expect(issuesOf(new Uint8Array([0xff, 0xfe, 0x7b, 0x7d]))).toEqual([
      { path: '', keyword: 'json', message: 'payload is not UTF-8' },
    ]);
    // A byte-order mark before valid JSON (clause 4.1 forbids it).
    const bom = new TextEncoder().encode(`\uFEFF${JSON.stringify(realisticBatch())}`);
    expect(issuesOf(bom)).toEqual([expect.objectContaining({ path: '', keyword: 'json' })]);
    expect(issuesOf('')).toEqual([expect.objectContaining({ keyword: 'json' })]);
    expect(issuesOf(undefined)).toEqual([expect.objectContaining({ keyword: 'json' })]);
    expect(issuesOf(10n)).toEqual([expect.objectContaining({ keyword: 'json' })]);
  });

  it('rejects local times, and reports everything wrong in one pass', () => {
    const batch = realisticBatch();
    batch.sentAt = '2025-01-15T07:01:00+01:00';
    batch.frames[2]!.rssi = 12;
    (batch.frames[4] as Partial<TelegramFrame>).receivedAt = undefined;
    const issues = issuesOf(JSON.stringify(batch));
    expect(issues.map((i) => [i.path, i.keyword])).toEqual([
      ['/sentAt', 'pattern'],
      ['/frames/2/rssi', 'maximum'],
      ['/frames/4/receivedAt', 'required'],
    ]);
  });
});

describe('validate, other kinds', () => {
  it('refuses an unknown kind as an issue, not an exception', () => {
    expect(validate('nonsense' as 'telegram-batch', {})).toEqual({
      ok: false,
      issues: [expect.objectContaining({ keyword: 'kind' })],
    });
  });
});
