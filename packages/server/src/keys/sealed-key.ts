import { inspect } from 'node:util';
import { keyError } from './key-errors.js';
import type { WrappedKey } from './master-key.js';

export const SEALED_KEY_VERSION = 1;
const PREFIX = `zwk${SEALED_KEY_VERSION}`;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const METER_KEY_BYTES = 16;

export interface SealedKeyFields {
  masterKeyId: string;
  /** The partner the data key is wrapped for (part of the wrap context). */
  partnerId: string;
  /** The data key, wrapped by the master key `masterKeyId`. */
  wrappedKey: Uint8Array;
  /** AES-256-GCM of the meter key under the data key. */
  iv: Uint8Array;
  ciphertext: Uint8Array;
  tag: Uint8Array;
}

/**
 * A meter key in its envelope: the meter key encrypted under a data key, and
 * the data key wrapped by a master key. Nothing in it is secret, yet it prints
 * as a summary only: logs outlive rotations, and a blob copied into a log
 * stays under its old master key after the store's copy has been rewrapped.
 * To store it use `encodeSealedKey`, to read it back `decodeSealedKey`.
 */
export class SealedKey implements SealedKeyFields {
  readonly version = SEALED_KEY_VERSION;
  readonly masterKeyId: string;
  readonly partnerId: string;
  readonly wrappedKey: Uint8Array;
  readonly iv: Uint8Array;
  readonly ciphertext: Uint8Array;
  readonly tag: Uint8Array;

  constructor(fields: SealedKeyFields) {
    const bad = (what: string): never => {
      throw keyError('malformed-sealed-key', `sealed key: ${what}`);
    };
    if (fields.masterKeyId === '') bad('no master key id');
    if (fields.partnerId === '') bad('no partner id');
    if (fields.wrappedKey.length === 0) bad('no wrapped data key');
    if (fields.iv.length !== IV_BYTES) bad(`iv must be ${IV_BYTES} bytes`);
    if (fields.ciphertext.length !== METER_KEY_BYTES) {
      bad(`ciphertext must be ${METER_KEY_BYTES} bytes`);
    }
    if (fields.tag.length !== TAG_BYTES) bad(`tag must be ${TAG_BYTES} bytes`);
    this.masterKeyId = fields.masterKeyId;
    this.partnerId = fields.partnerId;
    this.wrappedKey = fields.wrappedKey;
    this.iv = fields.iv;
    this.ciphertext = fields.ciphertext;
    this.tag = fields.tag;
  }

  get wrapped(): WrappedKey {
    return { masterKeyId: this.masterKeyId, blob: this.wrappedKey };
  }

  toJSON(): { type: 'SealedKey'; version: number; masterKeyId: string; partnerId: string } {
    return {
      type: 'SealedKey',
      version: this.version,
      masterKeyId: this.masterKeyId,
      partnerId: this.partnerId,
    };
  }

  toString(): string {
    return `SealedKey(v${this.version}, master key ${this.masterKeyId}, partner ${this.partnerId})`;
  }

  [inspect.custom](): string {
    return this.toString();
  }
}

/**
 * The storage form: `zwk1.` and six base64url parts (master key id, partner
 * id, wrapped data key, iv, ciphertext, tag), joined by dots. ASCII only, so
 * it fits a DynamoDB string attribute and survives any export.
 */
export function encodeSealedKey(sealed: SealedKey): string {
  const text = (s: string) => Buffer.from(s, 'utf8').toString('base64url');
  const bin = (b: Uint8Array) => Buffer.from(b).toString('base64url');
  return [
    PREFIX,
    text(sealed.masterKeyId),
    text(sealed.partnerId),
    bin(sealed.wrappedKey),
    bin(sealed.iv),
    bin(sealed.ciphertext),
    bin(sealed.tag),
  ].join('.');
}

export function decodeSealedKey(encoded: string): SealedKey {
  const parts = encoded.split('.');
  if (parts[0] !== PREFIX) {
    throw keyError(
      'malformed-sealed-key',
      parts[0]?.startsWith('zwk')
        ? `sealed key version '${parts[0]}' is not supported`
        : 'not a sealed key',
    );
  }
  if (parts.length !== 7 || parts.some((p) => !/^[A-Za-z0-9_-]+$/.test(p))) {
    throw keyError('malformed-sealed-key', 'sealed key must have 7 dot-separated base64url parts');
  }
  const [, masterKeyId, partnerId, wrappedKey, iv, ciphertext, tag] = parts as [
    string,
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  const bin = (p: string) => new Uint8Array(Buffer.from(p, 'base64url'));
  return new SealedKey({
    masterKeyId: Buffer.from(masterKeyId, 'base64url').toString('utf8'),
    partnerId: Buffer.from(partnerId, 'base64url').toString('utf8'),
    wrappedKey: bin(wrappedKey),
    iv: bin(iv),
    ciphertext: bin(ciphertext),
    tag: bin(tag),
  });
}
