import type { RadioMode, ShadowDesired } from '../types.js';
import { validate } from '../validate.js';

/**
 * The simulated gateway's configuration: the keys of the `zw-config`
 * shadow (contract clause 11.2) as the gateway applies them, with the
 * defaults a gateway ships with.
 */
export interface GatewayConfig {
  /** 0 until a desired configuration has been applied. */
  configVersion: number;
  uploadIntervalS: number;
  maxBatchFrames: number;
  statusIntervalS: number;
  radioModes: RadioMode[];
  forwardAllMeters: boolean;
  meterAllowList?: string[];
}

/** The 868 MHz modes the simulated receiver has hardware for; N, F2 and R2 need other radios. */
export const HARDWARE_MODES: readonly RadioMode[] = ['S1', 'S1-m', 'S2', 'T1', 'T2', 'C1', 'C2'];

export const DEFAULT_CONFIG: Readonly<GatewayConfig> = {
  configVersion: 0,
  uploadIntervalS: 60,
  maxBatchFrames: 100,
  statusIntervalS: 3600,
  radioModes: ['S1', 'T1', 'C1'],
  forwardAllMeters: true,
};

export type ApplyResult =
  | { ok: true; config: GatewayConfig; changed: boolean }
  | { ok: false; configVersion: number | null; reason: string };

/**
 * Applies a desired state (from get/accepted, or a delta) to the current
 * configuration, whole or not at all (clause 11.3). A key absent from it
 * keeps its value. Refused: a document that breaks `shadow-desired`, and a
 * radio mode the hardware lacks (clause 11.5); the reason is short enough
 * for a config-rejected event.
 */
export function applyDesired(current: GatewayConfig, desired: unknown): ApplyResult {
  const version = (desired as { configVersion?: unknown } | null)?.configVersion;
  const configVersion = Number.isSafeInteger(version) ? (version as number) : null;
  const checked = validate('shadow-desired', desired);
  if (!checked.ok) {
    const first = checked.issues[0]!;
    return {
      ok: false,
      configVersion,
      reason: `invalid desired state: ${first.path || '/'} ${first.message}`.slice(0, 200),
    };
  }
  const d: ShadowDesired = checked.value;
  const missing = (d.radioModes ?? []).filter((mode) => !HARDWARE_MODES.includes(mode));
  if (missing.length > 0) {
    return {
      ok: false,
      configVersion: d.configVersion,
      reason: `radio modes not supported by this receiver: ${missing.join(', ')}`,
    };
  }
  const next: GatewayConfig = {
    configVersion: d.configVersion,
    uploadIntervalS: d.uploadIntervalS ?? current.uploadIntervalS,
    maxBatchFrames: d.maxBatchFrames ?? current.maxBatchFrames,
    statusIntervalS: d.statusIntervalS ?? current.statusIntervalS,
    radioModes: d.radioModes === undefined ? current.radioModes : [...d.radioModes],
    forwardAllMeters: d.forwardAllMeters ?? current.forwardAllMeters,
  };
  const allowList = d.meterAllowList ?? current.meterAllowList;
  if (allowList !== undefined) next.meterAllowList = [...allowList];
  return { ok: true, config: next, changed: JSON.stringify(next) !== JSON.stringify(current) };
}

/** Whether a receiver listening in `modes` hears a meter sending in `mode`: same letter, same radio. */
export function hears(modes: readonly RadioMode[], mode: RadioMode): boolean {
  const family = mode.charAt(0);
  return modes.some((m) => m.charAt(0) === family);
}
