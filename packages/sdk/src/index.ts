export type {
  CallMethod,
  CallOptions,
  DataOf,
  HttpMethod,
  InitOf,
  PathsWith,
} from './api-types.js';
export type { Credentials, OnTokens } from './auth.js';
export { createClient, type ClientOptions, type ZaehlwerkClient } from './client.js';
export {
  isZaehlwerkError,
  ZaehlwerkError,
  type ClientErrorCode,
  type ZaehlwerkErrorCode,
} from './errors.js';
export type { components, operations, paths } from './generated/schema.js';
export type { LiveEvent, LiveOptions, LiveTarget } from './live.js';
export type {
  ErrorCode,
  ErrorResponse,
  Health,
  Meter,
  MeterKeyImportReport,
  MonthlyInformation,
  Property,
  PropertyConsumption,
  Alarm,
  Reading,
  SignInRequest,
  TokenPair,
  Unit,
  UnitConsumption,
} from './models.js';
export type { ItemOf, ListPath } from './pagination.js';
export type { RetryPolicy } from './retry.js';
export type { CreatedWebhook, Webhook, WebhookDelivery } from './models.js';
export {
  DEFAULT_WEBHOOK_TOLERANCE_SECONDS,
  verifyWebhook,
  WEBHOOK_SIGNATURE_HEADER,
  type VerifyWebhookOptions,
  type WebhookEvent,
  type WebhookVerification,
} from './webhooks.js';
