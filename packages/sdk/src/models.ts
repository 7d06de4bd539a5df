import type { components } from './generated/schema.js';

type Schemas = components['schemas'];

export type ErrorResponse = Schemas['ErrorResponse'];
/** The API's error codes: stable, never translated. */
export type ErrorCode = ErrorResponse['error']['code'];
export type Health = Schemas['Health'];
export type TokenPair = Schemas['TokenPair'];
export type SignInRequest = Schemas['SignInRequest'];
export type Reading = Schemas['Reading'];
export type Meter = Schemas['Meter'];
export type Unit = Schemas['Unit'];
export type Property = Schemas['Property'];
export type UnitConsumption = Schemas['UnitConsumption'];
export type PropertyConsumption = Schemas['PropertyConsumption'];
/** A unit's monthly consumption information (HeizkostenV §6a). */
export type MonthlyInformation = Schemas['MonthlyInformation'];
export type MeterKeyImportReport = Schemas['MeterKeyImportReport'];
export type Alarm = Schemas['Alarm'];
export type Webhook = Schemas['Webhook'];
export type CreatedWebhook = Schemas['CreatedWebhook'];
export type WebhookDelivery = Schemas['WebhookDelivery'];
