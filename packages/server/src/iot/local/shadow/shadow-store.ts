import type { ShadowDocument } from './shadow-document.js';

/**
 * One shadow as stored: the document, its version and its owner. A deleted
 * shadow stays as a tombstone (`document: null`) that keeps the version for
 * 48 hours: "If you create a device shadow document that has the same name as
 * one that was deleted within the past 48 hours, the version number of the new
 * device shadow document will follow that of the deleted one" (AWS, Interacting
 * with shadows; IOT-CORE.md §1.9 sources).
 */
export interface ShadowRecord {
  thingName: string;
  /** null for the classic shadow. */
  shadowName: string | null;
  /** The thing's partner, copied from the registry when the shadow is written. */
  partnerId: string;
  version: number;
  document: ShadowDocument | null;
  /** ISO-8601 UTC of the last write. */
  updatedAt: string;
  /** Epoch seconds after which a tombstone is gone; null for a live shadow. */
  expiresAt: number | null;
}

/** How long a tombstone keeps the version (see ShadowRecord). */
export const SHADOW_TOMBSTONE_SECONDS = 48 * 60 * 60;

/**
 * Where the emulator's shadows live. Reads are by thing name (what the broker
 * has, a deployment-wide unique name as in IoT Core); the record carries the
 * owner, and callers serving a tenant compare it with theirs.
 *
 * Writes are conditional on the version the writer read, so two concurrent
 * updates cannot both build on the same version and lose one: the loser gets
 * CONFLICT (DomainError) and reads again.
 */
export interface ShadowStore {
  /** The record, tombstones included; null when absent or the tombstone expired. */
  get(thingName: string, shadowName: string | null): Promise<ShadowRecord | null>;
  /**
   * Writes the record if the stored one still has `expectedVersion`; null
   * expects no record (absent or an expired tombstone). Otherwise CONFLICT.
   * Ids with '#' (or empty) are VALIDATION_FAILED.
   */
  put(record: ShadowRecord, expectedVersion: number | null): Promise<void>;
  /**
   * The named shadows of a thing, by name, live ones only, looked up under the
   * partner: another partner's thing of that name shows nothing
   * (ListNamedShadowsForThing).
   */
  listNamedShadows(partnerId: string, thingName: string): Promise<string[]>;
}
