import { Type } from 'typebox';
import {
  DELIVERY_RETENTION_SECONDS,
  MAX_WEBHOOK_URL_LENGTH,
  MAX_WEBHOOKS_PER_ORGANISATION,
  PING_EVENT_TYPE,
  WEBHOOK_EVENT_TYPES,
} from '../../domain/webhooks/webhook.js';
import { StringEnum } from './common.js';
import { Id, listOf, Version } from './tenancy-common.js';

const Instant = (description: string) => Type.String({ format: 'date-time', description });

export const WebhookId = Type.String({
  pattern: '^wh_[0-9a-f]{16}$',
  description: 'The webhook’s id.',
  examples: ['wh_3f9a0c1d2e4b5a69'],
});

const EventType = StringEnum(WEBHOOK_EVENT_TYPES, {
  description:
    '`reading.stored`: new readings of the organisation’s meters, gathered for up to a second ' +
    '(at most 100 per delivery; `data.readings`, each as listMeterReadings shows it). ' +
    '`alarm.raised`, `alarm.cleared`: an alarm of one of its meters began or ended ' +
    '(`data.alarm`, as listOrganisationAlarms shows it, with `at`, the time of the reading ' +
    'that raised or cleared it).',
});

const Url = Type.String({
  minLength: 1,
  maxLength: MAX_WEBHOOK_URL_LENGTH,
  description:
    'Where events are POSTed. https only; no user name or password; not an address of a ' +
    'private network or this machine (a server started for local development, e.g. the demo, ' +
    'also allows http://localhost and http://127.0.0.1).',
  examples: ['https://erp.example.com/hooks/zaehlwerk'],
});

const Description = Type.String({
  maxLength: 200,
  description: 'What it is for, to recognise it in lists and the audit log.',
  examples: ['ERP billing import'],
});

export const Webhook = Type.Object(
  {
    id: WebhookId,
    organisationId: Type.String(),
    url: Type.String(),
    events: Type.Array(EventType),
    description: Type.String(),
    enabled: Type.Boolean({ description: 'A disabled webhook gets nothing, retries included.' }),
    createdAt: Instant('When it was registered.'),
    updatedAt: Instant('When it last changed.'),
    version: Type.Integer({ minimum: 1, description: '1 when created, +1 on every change.' }),
  },
  {
    $id: 'Webhook',
    additionalProperties: false,
    description:
      'A subscription of an organisation to events, as it can be shown again: never its secret.',
  },
);

export const WebhookList = listOf('Webhook', 'WebhookList');

export const CreateWebhookRequest = Type.Object(
  {
    url: Url,
    events: Type.Array(EventType, {
      minItems: 1,
      maxItems: WEBHOOK_EVENT_TYPES.length,
      uniqueItems: true,
    }),
    description: Type.Optional(Description),
    enabled: Type.Optional(Type.Boolean({ default: true })),
  },
  { $id: 'CreateWebhookRequest', additionalProperties: false },
);

export const CreatedWebhook = Type.Object(
  {
    secret: Type.String({
      description:
        'The signing secret (`whsec_…`): every delivery carries `Zaehlwerk-Signature: ' +
        't=<unix seconds>,v1=<hex>`, the HMAC-SHA256 of `<t>.<body>` under this secret. Shown ' +
        'this once: store it now.',
      examples: ['whsec_2vJ3bW8kQ1mZcR0xY4tN5A'],
    }),
    webhook: Type.Ref('Webhook'),
  },
  { $id: 'CreatedWebhook', additionalProperties: false },
);

export const UpdateWebhookRequest = Type.Object(
  {
    version: Version,
    url: Type.Optional(Url),
    events: Type.Optional(
      Type.Array(EventType, {
        minItems: 1,
        maxItems: WEBHOOK_EVENT_TYPES.length,
        uniqueItems: true,
      }),
    ),
    description: Type.Optional(Description),
    enabled: Type.Optional(Type.Boolean()),
  },
  { $id: 'UpdateWebhookRequest', additionalProperties: false },
);

export const WebhookDelivery = Type.Object(
  {
    id: Type.String(),
    webhookId: WebhookId,
    eventId: Type.String({
      description: 'The event’s `id`: the same in every attempt, so receivers can drop repeats.',
    }),
    eventType: StringEnum([...WEBHOOK_EVENT_TYPES, PING_EVENT_TYPE] as const),
    attempt: Type.Integer({ minimum: 1, description: '1 for the first attempt.' }),
    at: Instant('When the attempt started.'),
    statusCode: Type.Union([Type.Integer(), Type.Null()], {
      description: 'The receiver’s status; null when no answer came.',
    }),
    durationMs: Type.Integer({ minimum: 0 }),
    ok: Type.Boolean({ description: 'Delivered: the receiver answered 2xx.' }),
    error: Type.Union([Type.String(), Type.Null()], {
      description: 'Why it failed (timeout, refused, a private address, the status).',
    }),
    nextRetryAt: Type.Union([Instant('When the next attempt is due.'), Type.Null()], {
      description: 'Null when no attempt follows: delivered, a test, or the last of six.',
    }),
  },
  { $id: 'WebhookDelivery', additionalProperties: false },
);

export const WebhookDeliveryList = Type.Object(
  { items: Type.Array(Type.Ref('WebhookDelivery')) },
  { $id: 'WebhookDeliveryList', additionalProperties: false },
);

export const OrganisationWebhookParams = Type.Object({ organisationId: Id });
export const WebhookParams = Type.Object({ organisationId: Id, webhookId: WebhookId });

export const WebhookDeliveriesQuery = Type.Object({
  limit: Type.Optional(
    Type.Integer({
      minimum: 1,
      maximum: 100,
      default: 20,
      description: `The newest attempts of the last ${DELIVERY_RETENTION_SECONDS / 86400} days.`,
    }),
  ),
});

export const WebhookDeleteQuery = Type.Object({ version: Version });

export const WEBHOOK_LIMIT_NOTE = `At most ${MAX_WEBHOOKS_PER_ORGANISATION} per organisation.`;

/** The $id'd schemas of webhooks, for app.addSchema (referenced ones first). */
export const webhookSchemas = [
  Webhook,
  WebhookList,
  CreateWebhookRequest,
  CreatedWebhook,
  UpdateWebhookRequest,
  WebhookDelivery,
  WebhookDeliveryList,
];
