export { createClient, type ClientOptions, type ZaehlwerkClient } from './client.js';
export type { components, operations, paths } from './generated/schema.js';
export type { ErrorCode, ErrorResponse, Health } from './models.js';
