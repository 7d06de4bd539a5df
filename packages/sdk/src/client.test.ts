import { parseConfig, startPlatform, type Platform } from '@zaehlwerk/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from './client.js';

describe('createClient against the real server', () => {
  let platform: Platform;

  beforeAll(async () => {
    platform = await startPlatform(parseConfig(['--port', '0', '--log-level', 'silent'], {}));
  });
  afterAll(() => platform.close());

  it('reads the platform health, typed', async () => {
    const zw = createClient({ baseUrl: `${platform.url}/` });
    const { data, error, response } = await zw.GET('/health');
    expect(error).toBeUndefined();
    expect(response.status).toBe(200);
    expect(data?.status).toBe('ok');
    expect(data?.checks.table.status).toBe('ok');
  });

  it('sends the given headers through the given fetch', async () => {
    const seen: string[] = [];
    const zw = createClient({
      baseUrl: platform.url,
      headers: { 'accept-language': 'de' },
      fetch: (input, init) => {
        const request = new Request(input, init);
        seen.push(`${request.headers.get('accept-language')} ${new URL(request.url).pathname}`);
        return fetch(request);
      },
    });
    await zw.GET('/health');
    expect(seen).toEqual(['de /health']);
  });
});
