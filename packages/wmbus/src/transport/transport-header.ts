import type { StatusFlags } from '../types.js';
import { tplHeaderOf, type TplHeaderKind } from './ci-field.js';
import { transportError } from './transport-error.js';

/**
 * The transport layer header (EN 13757-7 clause 7): none; short ACC STS CFG(2);
 * long ID(4) M(2) Ver Type ACC STS CFG(2). Security modes 7 and 13 add a
 * configuration field extension (CFE) byte.
 */
export interface TransportHeader {
  ci: number;
  kind: TplHeaderKind;
  /** Offset of the long header's ID, else -1. */
  addressOffset: number;
  accessNumber: number | null;
  status: number | null;
  configuration: number | null;
  configurationExtension: number | null;
  /** Offset of the first byte after the header. */
  payloadOffset: number;
}

export function securityModeOf(configuration: number): number {
  return (configuration >> 8) & 0x1f;
}

export function encryptedBlocksOf(configuration: number): number {
  return (configuration >> 4) & 0x0f;
}

function hasExtension(mode: number): boolean {
  return mode === 7 || mode === 13;
}

const APPLICATION: StatusFlags['application'][] = ['ok', 'busy', 'error', 'abnormal'];

export function statusFlags(status: number): StatusFlags {
  return {
    raw: status,
    application: APPLICATION[status & 0x03]!,
    powerLow: (status & 0x04) !== 0,
    permanentError: (status & 0x08) !== 0,
    temporaryError: (status & 0x10) !== 0,
    manufacturerBits: status >> 5,
  };
}

export function readTransportHeader(bytes: Uint8Array, pos: number, end: number): TransportHeader {
  const ci = bytes[pos]!;
  const kind = tplHeaderOf(ci);
  if (kind === undefined) {
    throw transportError(
      'UNSUPPORTED_CI',
      `CI ${ci.toString(16).padStart(2, '0')} at offset ${pos}`,
      pos,
    );
  }
  if (kind === 'none') {
    return {
      ci,
      kind,
      addressOffset: -1,
      accessNumber: null,
      status: null,
      configuration: null,
      configurationExtension: null,
      payloadOffset: pos + 1,
    };
  }
  const addressOffset = kind === 'long' ? pos + 1 : -1;
  const acc = kind === 'long' ? pos + 9 : pos + 1;
  if (acc + 4 > end) {
    throw transportError(
      'FRAME_TOO_SHORT',
      `the ${kind} TPL header at offset ${pos} is cut off at ${end}`,
      pos,
    );
  }
  const configuration = bytes[acc + 2]! | (bytes[acc + 3]! << 8);
  let payloadOffset = acc + 4;
  let configurationExtension: number | null = null;
  if (hasExtension(securityModeOf(configuration))) {
    if (payloadOffset >= end) {
      throw transportError(
        'FRAME_TOO_SHORT',
        `the configuration field extension at offset ${payloadOffset} is missing`,
        payloadOffset,
      );
    }
    configurationExtension = bytes[payloadOffset]!;
    payloadOffset += 1;
  }
  return {
    ci,
    kind,
    addressOffset,
    accessNumber: bytes[acc]!,
    status: bytes[acc + 1]!,
    configuration,
    configurationExtension,
    payloadOffset,
  };
}
