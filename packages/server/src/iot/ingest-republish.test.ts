import { describe, expect, it } from 'vitest';
import {
  INGEST_REPUBLISH_TOPIC_TEMPLATE,
  INGEST_SHARED_FILTER,
  ingestRepublishTopic,
  ingestSourceTopic,
  parseIngestRepublishTopic,
} from './ingest-republish.js';

describe('the ingest republish topics', () => {
  it('name the thing in the topic, as the rule template does with topic(4)', () => {
    expect(ingestRepublishTopic('gw-0001')).toBe('zw/v1/ingest/gw-0001/telegrams');
    expect(INGEST_REPUBLISH_TOPIC_TEMPLATE).toBe('zw/v1/ingest/${topic(4)}/telegrams');
    // topic(4) of the source topic (Basic Ingest prefix not visible to topic()) is the thing.
    expect(ingestSourceTopic('gw-0001').split('/')[3]).toBe('gw-0001');
    expect(INGEST_SHARED_FILTER).toBe('$share/zw-ingest/zw/v1/ingest/+/telegrams');
  });

  it('read the thing back, and nothing from other topics', () => {
    expect(parseIngestRepublishTopic('zw/v1/ingest/gw-0001/telegrams')).toBe('gw-0001');
    expect(parseIngestRepublishTopic('zw/v1/gw/gw-0001/telegrams')).toBeNull();
    expect(parseIngestRepublishTopic('zw/v2/ingest/gw-0001/telegrams')).toBeNull();
    expect(parseIngestRepublishTopic('zw/v1/ingest/gw-0001/telegrams/x')).toBeNull();
    expect(parseIngestRepublishTopic('zw/v1/ingest/bad name/telegrams')).toBeNull();
    expect(() => ingestRepublishTopic('a/b')).toThrow(RangeError);
  });
});
