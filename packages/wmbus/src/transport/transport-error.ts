import { WmbusError, type WmbusErrorCode } from '../wmbus-error.js';

export function transportError(code: WmbusErrorCode, message: string, offset?: number): WmbusError {
  return new WmbusError(code, message, offset);
}
