import { describe, expect, it } from 'vitest';
import { isSecretField, redact, validateAuditEntry, type NewAuditEntry } from './audit.js';

describe('redact', () => {
  it('removes secret fields at any depth, in objects and arrays', () => {
    const value = {
      id: 'usr_1',
      passwordHash: 'scrypt$1$2$3$salt$hash',
      profile: { name: 'A', password: 'hunter2', nested: [{ token: 't', keep: 1 }] },
      signing: { kid: 'k1', privateJwk: { d: 'secret-d' }, publicJwk: { x: 'x' } },
      meter: { keyRef: 'vault:m1', key: '00112233445566778899aabbccddeeff' },
      client_secret: 's',
      apiKey: 'zwk_a_b',
      refreshToken: 'zwr_1',
      secretHash: 'h',
    };
    expect(redact(value)).toEqual({
      id: 'usr_1',
      profile: { name: 'A', nested: [{ keep: 1 }] },
      signing: { kid: 'k1', publicJwk: { x: 'x' } },
      meter: { keyRef: 'vault:m1' },
    });
  });

  it('keeps flags about secrets and ids of secrets, which tell nothing', () => {
    expect(redact({ hasPassword: true, keyId: 'k', tokenId: 't', keyRef: 'r' })).toEqual({
      hasPassword: true,
      keyId: 'k',
      tokenId: 't',
      keyRef: 'r',
    });
    expect(isSecretField('hasPassword', 'yes')).toBe(true);
  });

  it('returns plain JSON and does not change its input', () => {
    const input = {
      a: 1,
      f: () => 1,
      n: Number.NaN,
      d: undefined,
      list: [undefined, 2],
      secret: 'x',
    };
    const copy = structuredClone({ a: 1, n: Number.NaN, list: [undefined, 2], secret: 'x' });
    expect(redact(input)).toEqual({ a: 1, n: null, list: [null, 2] });
    expect({ a: input.a, n: input.n, list: input.list, secret: input.secret }).toEqual(copy);
  });

  it('stops at a depth no record reaches, even for a cyclic value', () => {
    const cyclic: Record<string, unknown> = { name: 'loop' };
    cyclic.self = cyclic;
    expect(JSON.stringify(redact(cyclic))).toContain('[too deep]');
  });
});

describe('validateAuditEntry', () => {
  const entry: NewAuditEntry = {
    partnerId: 'p-1',
    actor: { kind: 'user', id: 'usr_1' },
    action: 'meter.created',
    target: { type: 'meter', id: 'met_1' },
  };

  it('accepts a well-formed entry, also for the platform partner', () => {
    expect(() => validateAuditEntry(entry)).not.toThrow();
    expect(() => validateAuditEntry({ ...entry, partnerId: '*' })).not.toThrow();
  });

  it('refuses separators, unknown actors and free-form actions', () => {
    for (const bad of [
      { ...entry, partnerId: 'p#1' },
      { ...entry, organisationId: 'o#1' },
      { ...entry, actor: { kind: 'embed', id: 'x' } },
      { ...entry, action: 'created' },
      { ...entry, target: { type: 'Meter', id: 'm' } },
    ] as NewAuditEntry[]) {
      expect(() => validateAuditEntry(bad)).toThrow(
        expect.objectContaining({ code: 'VALIDATION_FAILED' }),
      );
    }
  });
});
