import { describe, expect, it } from 'vitest';
import { PROVISIONING_TOPIC_PREFIXES } from './provisioning-topics.js';
import { routeServiceMessages } from './route-service-messages.js';

describe('routeServiceMessages', () => {
  it('hands each topic to the first service whose prefix matches, and drops the rest', async () => {
    const seen: string[] = [];
    const route = routeServiceMessages<{ topic: string }>([
      { prefixes: ['$aws/things/'], handle: (m) => void seen.push(`shadow ${m.topic}`) },
      { prefixes: PROVISIONING_TOPIC_PREFIXES, handle: (m) => void seen.push(`prov ${m.topic}`) },
    ]);
    await route({ topic: '$aws/things/gw-1/shadow/get' });
    await route({ topic: '$aws/certificates/create-from-csr/json' });
    await route({ topic: '$aws/provisioning-templates/zw-gateway/provision/json' });
    await route({ topic: '$aws/things-not/x' });
    expect(seen).toEqual([
      'shadow $aws/things/gw-1/shadow/get',
      'prov $aws/certificates/create-from-csr/json',
      'prov $aws/provisioning-templates/zw-gateway/provision/json',
    ]);
  });

  it("passes a service's failure on to the broker", async () => {
    const route = routeServiceMessages([
      {
        prefixes: ['$aws/things/'],
        handle: () => Promise.reject(new Error('store down')),
      },
    ]);
    await expect(route({ topic: '$aws/things/gw-1/shadow/get' })).rejects.toThrow('store down');
  });
});
