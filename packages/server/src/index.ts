export { buildApp, type AppDeps } from './app.js';
export { ConfigError, ConfigSchema, parseConfig, SETTINGS, type Config } from './config.js';
export { DomainError, ERROR_CODES, isDomainError, type ErrorCode } from './domain/errors.js';
export type { StorageCheck, StorageHealth } from './domain/ports.js';
export { startPlatform, type Platform } from './main.js';
export { openApiDocument } from './openapi.js';
export { VERSION } from './version.js';
