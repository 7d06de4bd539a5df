import { mergePatch, type Versioned } from './entity.js';
import { decimal, oneOf, optional, record, text, type Fields } from './validation.js';

/**
 * The user category a unit's consumption is compared and billed in:
 * HeizkostenV §6a compares with an average user "of the same user category",
 * and CO2KostAufG splits residential (§5, tier table) and non-residential
 * (§8) buildings differently. Absent means residential.
 */
export const OCCUPANT_CATEGORIES = ['residential', 'non-residential'] as const;
export type OccupantCategory = (typeof OCCUPANT_CATEGORIES)[number];

/** A dwelling or commercial unit of a property: what a tenancy rents. */
export interface Unit extends Versioned {
  id: string;
  partnerId: string;
  propertyId: string;
  /** The unit's number or name as on the bill (`WE 03`, `2. OG links`). */
  name: string;
  floor?: string;
  /** Living or usable area (Wohn-/Nutzfläche), the fixed-cost key of §7/§8. */
  livingAreaM2: number;
  /** Heated area, the alternative heating key of §7(1) and the base of benchmarks. */
  heatedAreaM2: number;
  occupantCategory?: OccupantCategory;
}

export type UnitFields = Omit<Unit, keyof Versioned | 'id' | 'partnerId' | 'propertyId'>;

export interface NewUnit {
  propertyId: string;
  name: string;
  floor?: string;
  livingAreaM2: number;
  heatedAreaM2: number;
  occupantCategory?: OccupantCategory;
}

/** A unit stays in its property: its meters, tenancies and readings are keyed under it. */
export interface UnitPatch {
  name?: string;
  floor?: string | null;
  livingAreaM2?: number;
  heatedAreaM2?: number;
  occupantCategory?: OccupantCategory | null;
}

/** Larger than any dwelling or shop floor; a typo guard, not a rule. */
const MAX_AREA_M2 = 100_000;

function readUnitFields(input: Fields): UnitFields {
  const floor = optional(input.floor, (v) => text(v, 'floor', { max: 32 }));
  const category = optional(input.occupantCategory, (v) =>
    oneOf(v, 'occupantCategory', OCCUPANT_CATEGORIES),
  );
  return {
    name: text(input.name, 'name', { max: 100 }),
    ...(floor === undefined ? {} : { floor }),
    livingAreaM2: decimal(input.livingAreaM2, 'livingAreaM2', {
      min: 0,
      max: MAX_AREA_M2,
      exclusiveMin: true,
    }),
    // Zero is a real value: an unheated storage unit still has hot water.
    heatedAreaM2: decimal(input.heatedAreaM2, 'heatedAreaM2', { min: 0, max: MAX_AREA_M2 }),
    ...(category === undefined ? {} : { occupantCategory: category }),
  };
}

export function validateNewUnit(input: NewUnit): UnitFields {
  return readUnitFields(record(input, 'unit'));
}

export function applyUnitPatch(current: Unit, patch: UnitPatch): UnitFields {
  return readUnitFields(
    mergePatch(current, patch, {
      mutable: ['name', 'floor', 'livingAreaM2', 'heatedAreaM2', 'occupantCategory'],
      immutable: ['propertyId'],
    }),
  );
}
