import { WmbusError } from '../wmbus-error.js';

/** A record runs past the end of the bytes it was given. */
export function truncated(what: string, offset: number): WmbusError {
  return new WmbusError('FRAME_TOO_SHORT', `${what} runs past the end of the payload`, offset);
}

/** A record is complete but breaks a rule of EN 13757-3 that leaves its meaning undefined. */
export function invalidRecord(message: string, offset: number): WmbusError {
  return new WmbusError('INVALID_RECORD', message, offset);
}
