/**
 * Ports: what the domain and the HTTP layer need from the outside world.
 * Adapters (DynamoDB, IoT Core, key wrapping) implement them; app.ts wires them.
 */

export type StorageCheck =
  | { status: 'ok'; table: string; tableStatus: string }
  | { status: 'unavailable'; table: string; reason: string };

/** Tells whether the platform's one table can be reached right now. */
export interface StorageHealth {
  check(signal?: AbortSignal): Promise<StorageCheck>;
}
