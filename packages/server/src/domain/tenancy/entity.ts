import { invalid, record, type Fields } from './validation.js';

/** What every stored tenancy entity carries besides its own fields. */
export interface Versioned {
  /** 1 when created, +1 on every change: the optimistic-concurrency token. */
  version: number;
  createdAt: string;
  updatedAt: string;
}

/** The stored part of a record that patches never touch. */
export const RECORD_META = ['id', 'partnerId', 'version', 'createdAt', 'updatedAt'] as const;

/**
 * The fields a patch would leave, to be validated again as a whole (so a patch
 * can never produce a record that create would refuse). In the patch,
 * undefined leaves a field and null removes it (a required field then fails
 * validation as `required`). Fields that identify or place a record are
 * refused rather than ignored, so a client that thinks it moved a meter
 * learns that it did not; unknown fields are ignored.
 */
export function mergePatch(
  current: object,
  patchValue: unknown,
  rules: { mutable: readonly string[]; immutable: readonly string[] },
): Fields {
  const patch = record(patchValue, 'patch');
  for (const field of [...RECORD_META, ...rules.immutable]) {
    if (patch[field] !== undefined) throw invalid(field, 'immutable');
  }
  const merged: Fields = { ...(current as Fields) };
  for (const field of rules.mutable) {
    const value = patch[field];
    if (value === undefined) continue;
    if (value === null) delete merged[field];
    else merged[field] = value;
  }
  return merged;
}
