import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';

describe('CORS', () => {
  let app: FastifyInstance;
  let reads = 0;
  beforeAll(async () => {
    app = await buildApp({
      storage: { check: async () => ({ status: 'ok', table: 't', tableStatus: 'ACTIVE' }) },
      corsOrigins: async () => {
        reads += 1;
        return new Set(['https://stadtwerke.example']);
      },
    });
  });
  afterAll(() => app.close());

  const preflight = (origin: string) =>
    app.inject({
      method: 'OPTIONS',
      url: '/v1/me',
      headers: {
        origin,
        'access-control-request-method': 'GET',
        'access-control-request-headers': 'authorization',
      },
    });

  it("allows a partner's origin, and says which headers it may send", async () => {
    const res = await preflight('https://stadtwerke.example');
    expect(res.statusCode).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe('https://stadtwerke.example');
    expect(String(res.headers['access-control-allow-headers'])).toContain('authorization');
    // What the SDK sends besides: a live stream's resume point, a retried POST's key.
    expect(String(res.headers['access-control-allow-headers'])).toContain('last-event-id');
    expect(String(res.headers['access-control-allow-headers'])).toContain('idempotency-key');
    expect(res.headers['access-control-allow-credentials']).toBeUndefined();
  });

  it('gives any other origin, near misses included, no allowance', async () => {
    for (const origin of [
      'https://evil.example',
      'https://stadtwerke.example.evil.example',
      'http://stadtwerke.example',
      'https://stadtwerke.example:8443',
    ]) {
      const res = await preflight(origin);
      expect(res.headers['access-control-allow-origin'], origin).toBeUndefined();
    }
  });

  it('reads the partners’ origins once a minute, not per request', async () => {
    const before = reads;
    for (let i = 0; i < 5; i++) await preflight('https://stadtwerke.example');
    expect(reads - before).toBeLessThanOrEqual(1);
  });
});
