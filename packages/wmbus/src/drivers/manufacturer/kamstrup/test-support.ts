/** Test helpers for this folder's tests (imported by *.test.ts only). */
import { readCorpus, type CorpusCase } from '../../../../test/corpus.js';
import { decode, type DecodedTelegram } from '../../../decode.js';
import { emptyDecoderState, type DecoderState } from '../../../types.js';

export function corpusCase(id: string): CorpusCase {
  const c = readCorpus().find((x) => x.id === id);
  if (c === undefined) throw new Error(`no corpus case ${id}`);
  return c;
}

/** Decodes a corpus case as the corpus test does: preceding telegrams first, then the case. */
export function decodeCase(id: string, state: DecoderState = emptyDecoderState()): DecodedTelegram {
  const c = corpusCase(id);
  const key = c.key !== null && c.key.length === 32 ? c.key : null;
  let s = state;
  for (const hex of c.preceding_telegrams) s = decode(hex, { key, state: s }).state;
  return decode(c.telegram_hex, { key, state: s }).telegram;
}
