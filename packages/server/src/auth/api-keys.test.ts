import { describe, expect, it } from 'vitest';
import { DomainError } from '../domain/errors.js';
import {
  apiKeyId,
  createApiKey,
  revokeApiKey,
  verifyApiKey,
  type ApiKeyStore,
  type CreateApiKeyInput,
} from './api-keys.js';
import { dump, expectNoSecrets, refusal } from './auth-test-kit.js';
import { createMemoryApiKeyStore } from './memory-api-key-store.js';

const T0 = new Date('2025-03-01T12:00:00.000Z');
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);

const INPUT: CreateApiKeyInput = {
  partnerId: 'stadtwerke-x',
  organisationId: 'org-1',
  name: 'ERP export',
  scopes: ['readings:read', 'meters:read'],
  grants: [{ role: 'operator', partnerId: 'stadtwerke-x', organisationId: 'org-1' }],
  createdBy: 'user-admin',
};

async function setUp(input: Partial<CreateApiKeyInput> = {}) {
  const store = createMemoryApiKeyStore();
  const created = await createApiKey(store, { ...INPUT, ...input }, { now: T0 });
  const secret = created.apiKey.slice('zwk_'.length + 13);
  return { store, ...created, secret };
}

/** Changes one character of the secret, keeping it well-formed. */
function tamper(apiKey: string): string {
  const last = apiKey.at(-2) === 'A' ? 'B' : 'A';
  return `${apiKey.slice(0, -2)}${last}${apiKey.at(-1)}`;
}

describe('API keys', () => {
  it('makes a key zwk_<12-char id>_<43-char secret> and verifies it into a principal', async () => {
    const { store, apiKey, record } = await setUp();
    expect(apiKey).toMatch(/^zwk_[a-z2-7]{12}_[A-Za-z0-9_-]{43}$/);
    expect(apiKeyId(apiKey)).toBe(record.keyId);
    expect(record).toEqual({
      keyId: expect.stringMatching(/^[a-z2-7]{12}$/),
      partnerId: 'stadtwerke-x',
      organisationId: 'org-1',
      name: 'ERP export',
      scopes: ['readings:read', 'meters:read'],
      grants: INPUT.grants,
      createdBy: 'user-admin',
      createdAt: T0.toISOString(),
      expiresAt: null,
      revokedAt: null,
    });
    expect(await verifyApiKey(store, apiKey, { now: at(60) })).toEqual({
      kind: 'api-key',
      subject: record.keyId,
      partnerId: 'stadtwerke-x',
      grants: INPUT.grants,
      scopes: ['readings:read', 'meters:read'],
    });
  });

  it('keeps only a digest of the secret, and returns neither', async () => {
    const { store, apiKey, record, secret } = await setUp();
    const stored = await store.get(record.keyId);
    expect(stored?.secretHash).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expectNoSecrets(stored, [apiKey, secret]);
    expectNoSecrets(record, [apiKey, secret, stored!.secretHash]);
  });

  it('refuses a wrong secret, an unknown id and anything malformed, all as UNAUTHENTICATED', async () => {
    const { store, apiKey, record } = await setUp();
    expect(await refusal(verifyApiKey(store, tamper(apiKey)))).toBe('wrong-secret');
    const unknown = `zwk_${'a'.repeat(12)}_${apiKey.slice(-43)}`;
    expect(await refusal(verifyApiKey(store, unknown))).toBe('unknown');
    for (const bad of [
      '',
      'zwk_',
      apiKey.slice(0, -1),
      `${apiKey}A`,
      `Bearer ${apiKey}`,
      apiKey.replace('zwk_', 'zwx_'),
      apiKey.replace(record.keyId, record.keyId.toUpperCase()),
      undefined as unknown as string,
    ]) {
      expect(await refusal(verifyApiKey(store, bad))).toBe('malformed');
    }
  });

  it('refuses a revoked key', async () => {
    const { store, apiKey, record } = await setUp();
    const revoked = await revokeApiKey(
      store,
      { keyId: record.keyId, partnerId: 'stadtwerke-x' },
      { now: at(10) },
    );
    expect(revoked).toEqual({ ...record, revokedAt: at(10).toISOString() });
    expect(await refusal(verifyApiKey(store, apiKey, { now: at(20) }))).toBe('revoked');
  });

  it('does not let another partner revoke a key, nor tell it the key exists', async () => {
    const { store, apiKey, record } = await setUp();
    for (const input of [
      { keyId: record.keyId, partnerId: 'other-partner' },
      { keyId: 'nosuchkey234', partnerId: 'stadtwerke-x' },
      { keyId: apiKey, partnerId: 'stadtwerke-x' },
    ]) {
      const err = await revokeApiKey(store, input, { now: at(10) }).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'NOT_FOUND', message: 'API key not found' });
      expectNoSecrets(err, [apiKey]);
    }
    expect(await verifyApiKey(store, apiKey)).toMatchObject({ kind: 'api-key' });
  });

  it('refuses an expired key', async () => {
    const { store, apiKey } = await setUp({ expiresAt: at(3600) });
    expect(await refusal(verifyApiKey(store, apiKey, { now: at(3599) }))).toBeNull();
    expect(await refusal(verifyApiKey(store, apiKey, { now: at(3600) }))).toBe('expired');
  });

  it('puts no secret into any refusal', async () => {
    const { store, apiKey, record, secret } = await setUp({ expiresAt: at(3600) });
    const errors = [
      await verifyApiKey(store, apiKey, { now: at(7200) }).catch((e: unknown) => e),
      await verifyApiKey(store, tamper(apiKey)).catch((e: unknown) => e),
      await verifyApiKey(store, `${apiKey}x`).catch((e: unknown) => e),
    ];
    await revokeApiKey(store, { keyId: record.keyId, partnerId: 'stadtwerke-x' }, { now: T0 });
    errors.push(await verifyApiKey(store, apiKey).catch((e: unknown) => e));
    for (const err of errors) {
      expect(err).toBeInstanceOf(DomainError);
      expect((err as DomainError).code).toBe('UNAUTHENTICATED');
      expectNoSecrets(err, [apiKey, secret, tamper(apiKey).slice(-43)]);
    }
    expect(dump(errors[1])).toContain(record.keyId);
  });

  it('refuses keys that would reach too far or are malformed', async () => {
    const store = createMemoryApiKeyStore();
    const cases: [Partial<CreateApiKeyInput>, string][] = [
      [{ grants: [{ role: 'platform-admin', partnerId: '*' }] }, 'FORBIDDEN'],
      [{ grants: [] }, 'VALIDATION_FAILED'],
      [{ grants: [{ role: 'partner-admin', partnerId: 'other' }] }, 'VALIDATION_FAILED'],
      [{ grants: [{ role: 'partner-admin', partnerId: 'stadtwerke-x' }] }, 'VALIDATION_FAILED'],
      [
        { grants: [{ role: 'operator', partnerId: 'stadtwerke-x', organisationId: 'org-2' }] },
        'VALIDATION_FAILED',
      ],
      [{ scopes: ['Readings Read'] }, 'VALIDATION_FAILED'],
      [{ name: '  ' }, 'VALIDATION_FAILED'],
      [{ name: 'a\nb' }, 'VALIDATION_FAILED'],
      [{ expiresAt: T0 }, 'VALIDATION_FAILED'],
      [{ partnerId: '' }, 'VALIDATION_FAILED'],
      [{ createdBy: 'a b' }, 'VALIDATION_FAILED'],
    ];
    for (const [input, code] of cases) {
      await expect(
        createApiKey(store, { ...INPUT, ...input }, { now: T0 }),
        JSON.stringify(input),
      ).rejects.toMatchObject({ code });
    }
    // A partner-wide key may hold a partner-admin grant.
    const { organisationId: _o, ...partnerWide } = INPUT;
    await expect(
      createApiKey(
        store,
        { ...partnerWide, grants: [{ role: 'partner-admin', partnerId: 'stadtwerke-x' }] },
        { now: T0 },
      ),
    ).resolves.toMatchObject({ record: { partnerId: 'stadtwerke-x' } });
  });

  it('draws a new id when the store reports a clash', async () => {
    const inner = createMemoryApiKeyStore();
    let clashes = 1;
    const store: ApiKeyStore = {
      ...inner,
      async create(record) {
        if (clashes-- > 0) throw new DomainError('CONFLICT', 'taken');
        return inner.create(record);
      },
    };
    const { apiKey } = await createApiKey(store, INPUT, { now: T0 });
    expect(await verifyApiKey(store, apiKey)).toMatchObject({ kind: 'api-key' });
  });
});
