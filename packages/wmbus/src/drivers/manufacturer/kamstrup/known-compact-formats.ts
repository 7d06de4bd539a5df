import type { MeterAddress } from '../../../types.js';
import { hexToBytes } from '../../../hex.js';

/*
 * Formats of compact frames (CI 0x79, and CI 0x73 with a long header) known without an earlier
 * full frame of the same meter.
 *
 * A compact frame names its format only by a signature: the CRC-16/EN-13757 of the DIF/VIF
 * bytes of the full frame it stands for. Each format below was taken from a full frame (CI 0x78
 * or 0x72) of a meter of that type in the shared corpus, and it is proven for the compact frames
 * listed with it twice over: its CRC is the compact frame's signature, and expanding the compact
 * frame's data with it gives a payload whose CRC is the compact frame's data CRC. The decoder
 * checks that second CRC for every frame, so a format from this table never names data it does
 * not fit (see compactRecords in decode.ts).
 */
interface KnownFormat {
  manufacturer: string;
  /** The meters it was seen on: model, version, device type. Documentation only. */
  meters: string;
  /** CRC-16/EN-13757 of `format`, as the compact frame sends it. */
  signature: number;
  /** DIF/VIF bytes, hex. */
  format: string;
  /** The corpus full frame the format comes from, and the compact frames it opens. */
  from: string;
  opens: readonly string[];
}

export const KNOWN_COMPACT_FORMATS: readonly KnownFormat[] = [
  {
    manufacturer: 'KAM',
    meters: 'MULTICAL 302, version 0x30, heat (0x04)',
    signature: 0xf1e7,
    format: '030643060314426C022D01FF21',
    from: 'kamheat-001, kamheat-019',
    opens: ['kamheat-002', 'kamheat-020'],
  },
  {
    manufacturer: 'KAM',
    meters: 'MULTICAL 302, version 0x30, heat at inlet (0x0C), energy in MJ',
    signature: 0x6de2,
    format: '030F430F0314426C022D01FF21',
    from: 'kamheat-003',
    opens: ['kamheat-004'],
  },
  {
    manufacturer: 'KAM',
    meters: 'MULTICAL 302, version 0x30, heat at inlet (0x0C), energy in GJ, volume 0.001 m3',
    signature: 0x52c2,
    format: '030E430E0313426C022D01FF21',
    from: 'kamheat-021',
    opens: ['kamheat-022'],
  },
  {
    manufacturer: 'KAM',
    meters: 'MULTICAL 403, version 0x34, cooling at outlet (0x0A)',
    signature: 0x1434,
    format:
      '040E04FF0704FF08041384401484804014043B0259025D142D84100E84200E04FF22026C440E4413C44014C4804014426C',
    from: 'kamheat-007',
    opens: ['kamheat-008'],
  },
  {
    manufacturer: 'KAM',
    meters: 'MULTICAL 403, version 0x34, heat at inlet (0x0C)',
    signature: 0xb34d,
    format: '040604FF0704FF080414043B0259025D04FF22026C44064414426C',
    from: 'kamheat-023',
    opens: ['kamheat-024'],
  },
  {
    manufacturer: 'KAM',
    meters: 'MULTICAL 803, version 0x39, heat (0x04)',
    signature: 0xe7a2,
    format:
      '040F04FF0704FF08041484401484804014043B0259025D142D84100F84200F04FF22026C440F4414C44014C4804014426C',
    from: 'kamheat-011, kamheat-025',
    opens: ['kamheat-026'],
  },
  {
    manufacturer: 'KAM',
    meters: 'MULTICAL 602, version 0x1C, heat (0x04)',
    signature: 0x8400,
    format:
      '02F9FF15040604EEFF0704EEFF0804148440148480401402FD17026C426C44064414C44014C4804014043B0259025D',
    from: 'kamheat-009, kamheat-027',
    opens: ['kamheat-010', 'kamheat-028'],
  },
  {
    manufacturer: 'KAM',
    meters: 'pressure sensor, version 0x01, pressure (0x18)',
    signature: 0x73de,
    format: '22691269026905FF0905FF0A02FD17',
    from: 'kampress-001',
    opens: ['kampress-002'],
  },
  {
    // Engelmann FAW water meter (CI 0x73 behind a long header, mode 5). No full frame of the
    // same version is in the corpus: this is the format of the version 0x01 full frame
    // (engelmann_faw-001: reporting date, value at it, error flags, 15 monthly values) followed
    // by a date-time (046D) and the current volume (0413). Both CRCs of engelmann_faw-002 hold.
    manufacturer: 'EFE',
    meters: 'Engelmann FAW, version 0x02, water (0x07)',
    signature: 0x052d,
    format:
      '426C441301FD17840113C40113840213C40213840313C40313840413C40413840513C40513840613C40613840713C40713840813046D0413',
    from: 'engelmann_faw-001 (+ 046D 0413)',
    opens: ['engelmann_faw-002'],
  },
];

const byKey = new Map<string, string>(
  KNOWN_COMPACT_FORMATS.map((f) => [`${f.manufacturer}.${f.signature}`, f.format]),
);

/**
 * The DIF/VIF format (the bytes whose CRC-16/EN-13757 is `signature`) of a compact frame of
 * this manufacturer's meters, when one is known without a full frame; else undefined.
 * A new array on every call: callers may keep or change it.
 */
export function knownCompactFormat(
  meter: Pick<MeterAddress, 'manufacturer'>,
  signature: number,
): Uint8Array | undefined {
  const hex = byKey.get(`${meter.manufacturer}.${signature}`);
  return hex === undefined ? undefined : hexToBytes(hex);
}
