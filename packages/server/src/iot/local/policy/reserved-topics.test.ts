import { describe, expect, it } from 'vitest';
import { checkReservedTopic } from './reserved-topics.js';

const ok = (topic: string, operation: 'publish' | 'subscribe') =>
  expect(checkReservedTopic(topic, operation)).toBeNull();
const refused = (topic: string, operation: 'publish' | 'subscribe') =>
  expect(checkReservedTopic(topic, operation)).toMatchObject({
    code: 'RESERVED_TOPIC',
    actual: topic,
  });

describe('checkReservedTopic', () => {
  it('passes topics outside $', () => {
    ok('zw/v1/gw/a/status', 'publish');
    ok('#', 'subscribe');
  });

  it('lets devices publish shadow requests and subscribe to their responses, not the reverse', () => {
    ok('$aws/things/gw/shadow/update', 'publish');
    ok('$aws/things/gw/shadow/name/zw-config/get', 'publish');
    ok('$aws/things/gw/shadow/update/delta', 'subscribe');
    ok('$aws/things/gw/shadow/name/zw-config/update/documents', 'subscribe');
    ok('$aws/things/gw/shadow/#', 'subscribe');
    ok('$aws/things/+/shadow/+/accepted', 'subscribe');
    refused('$aws/things/gw/shadow/update/accepted', 'publish');
    refused('$aws/things/gw/shadow/update', 'subscribe');
    refused('$aws/things/gw/shadow/patch', 'publish');
    refused('$aws/things//shadow/update', 'publish');
  });

  it('knows fleet provisioning, jobs, defender, events and Basic Ingest', () => {
    ok('$aws/certificates/create-from-csr/json', 'publish');
    ok('$aws/certificates/create-from-csr/json/accepted', 'subscribe');
    ok('$aws/provisioning-templates/tpl/provision/cbor', 'publish');
    ok('$aws/provisioning-templates/tpl/provision/json/rejected', 'subscribe');
    ok('$aws/things/gw/jobs/start-next', 'publish');
    ok('$aws/things/gw/jobs/job-1/update', 'publish');
    ok('$aws/things/gw/jobs/notify-next', 'subscribe');
    ok('$aws/things/gw/defender/metrics/json', 'publish');
    ok('$aws/events/presence/connected/+', 'subscribe');
    ok('$aws/rules/zw_ingest/zw/v1/gw/a/telegrams', 'publish');
    refused('$aws/events/presence/connected/gw', 'publish');
  });

  it('lets nobody subscribe to Basic Ingest (§1.13)', () => {
    refused('$aws/rules/zw_ingest/zw/v1/gw/a/telegrams', 'subscribe');
    refused('$aws/rules/zw_ingest/#', 'subscribe');
    refused('$aws/rules/zw_ingest', 'publish');
  });

  it('refuses unknown $ families', () => {
    refused('$aws/unknown/x', 'publish');
    refused('$aws', 'subscribe');
    refused('$SYS/broker/uptime', 'subscribe');
    refused('$share/workers/x', 'publish');
  });

  it('checks a shared subscription by its inner filter', () => {
    ok('$share/workers/zw/v1/gw/+/status', 'subscribe');
    ok('$share/workers/$aws/events/presence/#', 'subscribe');
    refused('$share/workers/$aws/rules/zw_ingest/#', 'subscribe');
    refused('$share/a+b/x', 'subscribe');
  });
});
