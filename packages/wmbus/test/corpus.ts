import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** One case of ../shared/corpus/wmbus (see its README); only the fields the tests read. */
export interface CorpusCase {
  id: string;
  key: string | null;
  telegram_hex: string;
  preceding_telegrams: string[];
  media: string;
  encryption: 'none' | 'mode5' | 'mode7' | 'other/unknown';
  payload_ciphertext: boolean | null;
  header: {
    link: string;
    c_field: string;
    manufacturer: string;
    dll_id: string;
    dll_version: number;
    dll_device_type: number;
  };
  expected: Record<string, unknown>;
}

/** The shared corpus sits beside the repository: <repo>/../shared/corpus. */
export const CORPUS_DIR = fileURLToPath(
  new URL('../../../../shared/corpus/wmbus/', import.meta.url),
);

export function readCorpus(file = 'corpus.jsonl'): CorpusCase[] {
  return readFileSync(CORPUS_DIR + file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as CorpusCase);
}
