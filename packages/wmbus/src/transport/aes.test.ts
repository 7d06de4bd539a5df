import { describe, expect, it } from 'vitest';
import { bytesToHex, hexToBytes } from '../hex.js';
import { aesCbcDecrypt, aesCbcEncrypt, aesCmac, aesCtr } from './aes.js';

describe('AES primitives', () => {
  // RFC 4493 section 4 (V5 of OMS.md is the second).
  const key = hexToBytes('2b7e151628aed2a6abf7158809cf4f3c');
  const message = hexToBytes(
    '6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710',
  );

  it.each([
    [0, 'BB1D6929E95937287FA37D129B756746'],
    [16, '070A16B46B4D4144F79BDD9DD04A287C'],
    [40, 'DFA66747DE9AE63030CA32611497C827'],
    [64, '51F0BEBF7E3B9D92FC49741779363CFE'],
  ])('AES-CMAC of RFC 4493 over %i bytes', (length, mac) => {
    expect(bytesToHex(aesCmac(key, message.subarray(0, length)))).toBe(mac);
  });

  it('AES-CMAC over parts equals AES-CMAC over their concatenation', () => {
    expect(
      aesCmac(key, message.subarray(0, 7), message.subarray(7, 40), message.subarray(40)),
    ).toEqual(aesCmac(key, message));
  });

  it('CBC and CTR undo themselves, and decrypt into a given buffer', () => {
    const iv = hexToBytes('000102030405060708090a0b0c0d0e0f');
    const cipher = aesCbcEncrypt(key, iv, message);
    // NIST SP 800-38A F.2.1, first block.
    expect(bytesToHex(cipher.subarray(0, 16))).toBe('7649ABAC8119B246CEE98E9B12E9197D');
    const out = new Uint8Array(64);
    expect(aesCbcDecrypt(key, iv, cipher, out)).toBe(out);
    expect(out).toEqual(message);
    const counter = hexToBytes('f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff');
    // NIST SP 800-38A F.5.1, first block.
    expect(bytesToHex(aesCtr(key, counter, message).subarray(0, 16))).toBe(
      '874D6191B620E3261BEF6864990DB6CE',
    );
    expect(aesCtr(key, counter, aesCtr(key, counter, message.subarray(0, 23)))).toEqual(
      message.subarray(0, 23),
    );
  });
});
