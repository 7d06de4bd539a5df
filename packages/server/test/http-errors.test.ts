import { Type } from 'typebox';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { DomainError } from '../src/domain/errors.js';

const reachable = {
  check: async () => ({ status: 'ok', table: 't', tableStatus: 'ACTIVE' }) as const,
};

describe('error responses', () => {
  let app: FastifyInstance;

  beforeAll(async () => {
    app = await buildApp({ storage: reachable });
    // Routes that exist only in this test, to drive the error handler through each path.
    app.post(
      '/test/things',
      {
        schema: {
          body: Type.Object(
            { name: Type.String({ minLength: 1 }), count: Type.Integer({ minimum: 1 }) },
            { additionalProperties: false },
          ),
        },
      },
      async () => ({ ok: true }),
    );
    app.get('/test/conflict', async () => {
      throw new DomainError('CONFLICT', 'version 3 expected');
    });
    app.get('/test/crash', async () => {
      throw new Error('secret internal detail');
    });
    await app.ready();
  });
  afterAll(() => app.close());

  it('answers unknown routes with NOT_FOUND in the language asked for', async () => {
    const res = await app.inject({ url: '/v1/nothing', headers: { 'accept-language': 'de-DE' } });
    expect(res.statusCode).toBe(404);
    const body = res.json();
    expect(body.error.code).toBe('NOT_FOUND');
    expect(body.error.message).toBe('Unter GET /v1/nothing gibt es nichts.');
    expect(body.error.requestId).toBe(res.headers['x-request-id']);
  });

  it('lists every validation problem with its path', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/test/things',
      payload: { count: 0, extra: true },
    });
    expect(res.statusCode).toBe(400);
    const { error } = res.json();
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.message).toMatch(/^The request is not valid: /);
    const paths = error.details.map((d: { path: string }) => d.path);
    expect(paths).toContain('/body/name');
  });

  it('rejects a malformed JSON body as a client error', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/test/things',
      headers: { 'content-type': 'application/json' },
      payload: '{"name": ',
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('VALIDATION_FAILED');
  });

  it('rejects an unsupported content type', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/test/things',
      headers: { 'content-type': 'application/xml' },
      payload: '<a/>',
    });
    expect(res.statusCode).toBe(415);
    expect(res.json().error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });

  it('maps domain errors to their status', async () => {
    const res = await app.inject({ url: '/test/conflict', headers: { 'accept-language': 'fr' } });
    expect(res.statusCode).toBe(409);
    expect(res.json().error).toMatchObject({
      code: 'CONFLICT',
      message: expect.stringMatching(/modifié/),
    });
  });

  it('hides the cause of server faults', async () => {
    const res = await app.inject({ url: '/test/crash' });
    expect(res.statusCode).toBe(500);
    expect(res.json().error.code).toBe('INTERNAL_ERROR');
    expect(res.body).not.toContain('secret internal detail');
  });
});
