/**
 * TypeScript types of the contract v1 payloads. Written by hand next to the
 * JSON Schemas in ../schemas/v1 (the schemas are the contract); payloads.test.ts
 * proves on sample documents that each type and its schema agree: what the
 * type accepts the schema accepts, and what the type forbids the schema
 * rejects. Doc comments say what the schema's descriptions say, briefly.
 */

/** A UTC time, ISO 8601 with a literal Z, e.g. `2025-01-31T23:59:58.250Z`. */
export type UtcTime = string;

/** Wireless M-Bus modes of EN 13757-4. */
export type RadioMode = 'S1' | 'S1-m' | 'S2' | 'T1' | 'T2' | 'C1' | 'C2' | 'R2' | 'N' | 'F2';

export interface TelegramFrame {
  /** The frame exactly as received, from L on, in hex. Never decrypted. */
  frame: string;
  /** Whether the link-layer CRCs are still in `frame`. */
  crc: 'present' | 'stripped';
  /** Frame format; absent means A. Modes S and T: always A. */
  frameFormat?: 'A' | 'B';
  receivedAt: UtcTime;
  /** dBm, -150 to 0. */
  rssi: number;
  mode: RadioMode;
  /** Received while offline and sent from the store-and-forward buffer. */
  replayed?: boolean;
}

/** Published on `$aws/rules/zw_ingest/zw/v1/gw/{thing}/telegrams`; no thing name inside. */
export interface TelegramBatch {
  contractVersion: '1';
  /** Increasing, persisted across reboots, kept when a batch is resent. */
  gatewaySeq: number;
  sentAt: UtcTime;
  /** 1-100 frames, oldest first; the whole document at most 65536 bytes. */
  frames: TelegramFrame[];
}

export interface Firmware {
  vendor: string;
  model: string;
  version: string;
}

export interface RadioStats {
  modes: RadioMode[];
  framesReceived: number;
  framesForwarded: number;
  framesFiltered: number;
  framesInvalid: number;
  lastFrameAt?: UtcTime;
}

export interface BufferStats {
  framesQueued: number;
  bytesQueued: number;
  capacityBytes: number;
  framesDropped: number;
  oldestReceivedAt?: UtcTime;
}

/** Published on `zw/v1/gw/{thing}/status`. */
export interface GatewayStatus {
  contractVersion: '1';
  sentAt: UtcTime;
  firmware: Firmware;
  uptimeS: number;
  clockSynchronised?: boolean;
  radio: RadioStats;
  buffer: BufferStats;
  /** -1 before the first batch. */
  lastGatewaySeq: number;
  network?: { kind: 'ethernet' | 'wifi' | 'cellular' | 'other'; signalDbm?: number };
}

/** The details each known event carries. */
export interface GatewayEventDetails {
  boot: {
    reason: 'power-on' | 'watchdog' | 'firmware-update' | 'requested' | 'crash' | 'unknown';
    firmware: Firmware;
  };
  'power-loss': { lastGasp: boolean; restoredAt?: UtcTime };
  tamper: { source: 'enclosure' | 'antenna' | 'mounting' | 'other' };
  'low-memory': { freeBytes: number; totalBytes?: number };
  'buffer-overflow': {
    framesDropped: number;
    oldestDroppedAt?: UtcTime;
    newestDroppedAt?: UtcTime;
  };
  'clock-jump': { offsetMs: number; source?: 'ntp' | 'gnss' | 'cellular' | 'rtc' | 'other' };
  'radio-fault': { code: string; modes?: RadioMode[] };
  'config-rejected': { configVersion: number; reason: string };
}

export type KnownGatewayEvent = keyof GatewayEventDetails;

/** A vendor-specific event: `x-` and lower-case letters, digits and dashes. */
export type VendorGatewayEvent = `x-${string}`;

interface GatewayEventBase {
  contractVersion: '1';
  occurredAt: UtcTime;
  message?: string;
}

/** Published on `zw/v1/gw/{thing}/evt/{event}`; `event` equals the topic's last level. */
export type GatewayEvent =
  | {
      [E in KnownGatewayEvent]: GatewayEventBase & { event: E; details: GatewayEventDetails[E] };
    }[KnownGatewayEvent]
  | (GatewayEventBase & { event: VendorGatewayEvent; details: Record<string, unknown> });

/** state.desired of the named shadow `zw-config` (and every delta of it). */
export interface ShadowDesired {
  configVersion: number;
  uploadIntervalS?: number;
  maxBatchFrames?: number;
  statusIntervalS?: number;
  radioModes?: RadioMode[];
  forwardAllMeters?: boolean;
  /** Manufacturer code + 8-digit id, e.g. `KAM76348799`; at most 150. */
  meterAllowList?: string[];
}

/** state.reported of the named shadow `zw-config`, always written whole. */
export interface ShadowReported {
  contractVersion: '1';
  /** 0 before the first configuration is applied. */
  configVersion: number;
  uploadIntervalS: number;
  maxBatchFrames: number;
  statusIntervalS: number;
  radioModes: RadioMode[];
  forwardAllMeters: boolean;
  meterAllowList?: string[];
  firmware: Firmware;
  uptimeS: number;
  radio: RadioStats;
  buffer: BufferStats;
  lastGatewaySeq: number;
}

export type ErrorResponseCode =
  | 'INVALID_JSON'
  | 'SCHEMA_VIOLATION'
  | 'PAYLOAD_TOO_LARGE'
  | 'FRAME_INVALID'
  | 'SEQUENCE_CONFLICT'
  | 'UNKNOWN_TOPIC'
  | 'RATE_LIMITED'
  | 'INTERNAL';

/** One thing wrong with a payload, as `validate` reports it. */
export interface ValidationIssue {
  /** JSON Pointer into the payload (`/frames/3/frame`); '' for the payload as a whole. */
  path: string;
  /** The rule broken: a JSON Schema keyword, or `json`, `maxBytes`, `frameLength`. */
  keyword: string;
  message: string;
}

/** Published by the cloud on `zw/v1/gw/{thing}/errors` when it rejects a message. */
export interface ErrorResponse {
  contractVersion: '1';
  code: ErrorResponseCode;
  message: string;
  topic: string;
  gatewaySeq?: number;
  issues?: ValidationIssue[];
  retry?: boolean;
  at: UtcTime;
}

/** Every payload of contract v1, by the name of its schema. */
export interface PayloadTypes {
  'telegram-batch': TelegramBatch;
  'gateway-status': GatewayStatus;
  'gateway-event': GatewayEvent;
  'shadow-desired': ShadowDesired;
  'shadow-reported': ShadowReported;
  'error-response': ErrorResponse;
}

export type PayloadKind = keyof PayloadTypes;
