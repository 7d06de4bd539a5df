import type { components } from './generated/schema.js';

export type ErrorResponse = components['schemas']['ErrorResponse'];
export type ErrorCode = ErrorResponse['error']['code'];
export type Health = components['schemas']['Health'];
