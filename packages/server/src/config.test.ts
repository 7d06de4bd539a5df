import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from './config.js';

describe('parseConfig', () => {
  it('works with no configuration at all', () => {
    expect(parseConfig([], {})).toEqual({
      host: '127.0.0.1',
      port: 3000,
      logLevel: 'info',
      dynamodbPort: 0,
      region: 'eu-central-1',
      table: 'zaehlwerk',
      mqttHost: '127.0.0.1',
      mqttPort: 8883,
      iot: 'local',
      simulateMeters: 0,
      demo: false,
      minAggregationUnits: 3,
      webhookAllowLocalUrls: false,
      ingestAction: 'http',
      ingest: 'rule',
      ingestWorkers: 1,
    });
  });

  it('lets webhooks reach local addresses only when told to', () => {
    expect(parseConfig(['--webhook-allow-local-urls', 'true'], {}).webhookAllowLocalUrls).toBe(
      true,
    );
    expect(parseConfig([], { ZW_WEBHOOK_ALLOW_LOCAL_URLS: 'true' }).webhookAllowLocalUrls).toBe(
      true,
    );
    expect(() => parseConfig(['--webhook-allow-local-urls', 'maybe'], {})).toThrow(
      /webhook-allow-local-urls/,
    );
  });

  it('takes a higher aggregation minimum for landlords, never a lower one', () => {
    expect(parseConfig(['--min-aggregation-units', '5'], {}).minAggregationUnits).toBe(5);
    expect(parseConfig([], { ZW_MIN_AGGREGATION_UNITS: '4' }).minAggregationUnits).toBe(4);
    expect(() => parseConfig([], { ZW_MIN_AGGREGATION_UNITS: '2' })).toThrow(
      /ZW_MIN_AGGREGATION_UNITS: must be >= 3/,
    );
  });

  it('insists on the ingest token with --iot aws, and on a long one', () => {
    expect(() => parseConfig(['--iot', 'aws'], {})).toThrow(/ZW_INGEST_TOKEN \(--ingest-token\)/);
    expect(() => parseConfig(['--iot', 'aws', '--ingest-token', 'short'], {})).toThrow(
      /ingest-token/,
    );
    expect(() => parseConfig(['--iot', 'cloud'], {})).toThrow(/iot/);
    const token = 'x'.repeat(32);
    expect(parseConfig([], { ZW_IOT: 'aws', ZW_INGEST_TOKEN: token })).toMatchObject({
      iot: 'aws',
      ingestToken: token,
    });
  });

  it('takes ingest workers instead of the HTTP action: no token, but the events certificate', () => {
    expect(parseConfig(['--ingest', 'mqtt', '--ingest-workers', '3'], {})).toMatchObject({
      ingest: 'mqtt',
      ingestWorkers: 3,
    });
    expect(() => parseConfig(['--ingest', 'kafka'], {})).toThrow(/--ingest/);
    expect(() => parseConfig(['--ingest-workers', '17'], {})).toThrow(/--ingest-workers/);
    expect(() => parseConfig(['--iot', 'aws', '--ingest', 'mqtt'], {})).toThrow(
      /ZW_INGEST_EVENTS_CERT \(--ingest-events-cert\)[\s\S]*ZW_INGEST_EVENTS_CA/,
    );
    const files = ['--ingest-events-cert', 'c.pem', '--ingest-events-key', 'k.pem'];
    expect(
      parseConfig(
        ['--iot', 'aws', '--ingest', 'mqtt', ...files, '--ingest-events-ca', 'ca.pem'],
        {},
      ),
    ).toMatchObject({ iot: 'aws', ingest: 'mqtt', ingestEventsCa: 'ca.pem' });
  });

  it('reads the ingest rule action and its role for iot-deploy', () => {
    const role = 'arn:aws:iam::123456789012:role/zw-ingest-republish';
    expect(
      parseConfig(['--ingest-action', 'republish', '--republish-role-arn', role], {}),
    ).toMatchObject({ ingestAction: 'republish', republishRoleArn: role });
    expect(parseConfig([], { ZW_INGEST_ACTION: 'republish' }).ingestAction).toBe('republish');
    expect(() => parseConfig(['--ingest-action', 'sqs'], {})).toThrow(/--ingest-action/);
    expect(() => parseConfig([], { ZW_REPUBLISH_ROLE_ARN: 'zw-ingest-republish' })).toThrow(
      /ZW_REPUBLISH_ROLE_ARN/,
    );
  });

  it('needs no ingest token with --iot aws for a command that serves no API', () => {
    expect(parseConfig(['--iot', 'aws'], {}, { servesApi: false }).iot).toBe('aws');
  });

  it('reads ZW_* variables and lets flags win over them', () => {
    const config = parseConfig(['--port', '8080', '--data-dir', './data'], {
      ZW_PORT: '9000',
      ZW_TABLE: 'zw-prod',
      ZW_DYNAMODB_ENDPOINT: 'https://dynamodb.eu-central-1.amazonaws.com',
      ZW_LOG_LEVEL: 'warn',
    });
    expect(config).toMatchObject({
      port: 8080,
      table: 'zw-prod',
      dataDir: './data',
      dynamodbEndpoint: 'https://dynamodb.eu-central-1.amazonaws.com',
      logLevel: 'warn',
    });
  });

  it('reads the MQTT endpoint from --mqtt-* flags and ZW_MQTT_* variables', () => {
    expect(parseConfig(['--mqtt-port', '0'], { ZW_MQTT_HOST: '0.0.0.0' })).toMatchObject({
      mqttHost: '0.0.0.0',
      mqttPort: 0,
    });
    expect(() => parseConfig([], { ZW_MQTT_PORT: '70000' })).toThrow(
      /ZW_MQTT_PORT: must be <= 65535/,
    );
  });

  it('ignores empty variables', () => {
    expect(parseConfig([], { ZW_PORT: '' }).port).toBe(3000);
  });

  it('names every bad setting with where it came from', () => {
    let error: unknown;
    try {
      parseConfig(['--port', 'eighty', '--log-level', 'loud'], { ZW_REGION: 'x', ZW_TABLE: 'a b' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems).toHaveLength(3);
    expect(problems[0]).toMatch(/^--port: .*"eighty"/);
    expect(problems[1]).toMatch(/^--log-level: .*allowed values/);
    expect(problems[2]).toMatch(/^ZW_TABLE: /);
  });

  it('rejects unknown flags and a port out of range', () => {
    expect(() => parseConfig(['--prot', '1'], {})).toThrow(/Unknown option '--prot'/);
    expect(() => parseConfig(['--port', '70000'], {})).toThrow(/--port: must be <= 65535/);
    expect(() => parseConfig([], { ZW_DYNAMODB_ENDPOINT: 'localhost:8000' })).toThrow(
      /ZW_DYNAMODB_ENDPOINT/,
    );
  });
});
