/**
 * Test helpers for the key vault: a master key that counts its calls and
 * remembers every data key it handed out, and a scan for key material in
 * whatever a test renders. Not used by production code.
 */
import { inspect } from 'node:util';
import type { DataKey, MasterKey, WrapContext, WrappedKey } from './master-key.js';

export interface CountingMasterKey extends MasterKey {
  calls: { generateDataKey: number; wrap: number; unwrap: number };
  /** Copies of every plain data key that passed through, to scan output for. */
  seen: Uint8Array[];
}

export function countingMasterKey(inner: MasterKey): CountingMasterKey {
  const calls = { generateDataKey: 0, wrap: 0, unwrap: 0 };
  const seen: Uint8Array[] = [];
  return {
    calls,
    seen,
    keyId: () => inner.keyId(),
    accepts: (id) => inner.accepts(id),
    async generateDataKey(context: WrapContext): Promise<DataKey> {
      calls.generateDataKey++;
      const dataKey = await inner.generateDataKey(context);
      seen.push(Uint8Array.from(dataKey.plain));
      return dataKey;
    },
    async wrap(plain: Uint8Array, context: WrapContext): Promise<WrappedKey> {
      calls.wrap++;
      seen.push(Uint8Array.from(plain));
      return inner.wrap(plain, context);
    },
    async unwrap(wrapped: WrappedKey, context: WrapContext): Promise<Uint8Array> {
      calls.unwrap++;
      const plain = await inner.unwrap(wrapped, context);
      seen.push(Uint8Array.from(plain));
      return plain;
    },
  };
}

/** Every spelling of `key` that a careless log line or serialiser could produce, without spaces. */
export function spellings(key: Uint8Array): string[] {
  const buf = Buffer.from(key);
  const hex = buf.toString('hex');
  const decimals = [...key];
  return [
    hex,
    hex.toUpperCase(),
    hex.toUpperCase().replace(/(..)(?!$)/g, '$1-'),
    buf.toString('base64').replace(/=+$/, ''),
    buf.toString('base64url'),
    decimals.join(','),
    decimals.map((d, i) => `"${i}":${d}`).join(','),
  ];
}

/** Renders values as JSON, `util.inspect` (hidden parts too) and strings, as a log would. */
export function render(...values: unknown[]): string {
  return values
    .flatMap((v) => {
      let json: string;
      try {
        json = JSON.stringify(v) ?? '';
      } catch {
        json = '';
      }
      return [json, inspect(v, { depth: 20, showHidden: true }), String(v)];
    })
    .join('\n');
}

/** The spellings of `keys` that occur in `text` (an empty list is what tests want). */
export function leakedKeys(text: string, keys: readonly Uint8Array[]): string[] {
  // inspect spaces bytes and wraps long arrays over lines; compare without whitespace.
  const squeezed = text.replace(/\s+/g, '');
  return keys.flatMap(spellings).filter((s) => squeezed.includes(s));
}

export async function caught(run: () => Promise<unknown> | unknown): Promise<unknown> {
  try {
    await run();
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}
