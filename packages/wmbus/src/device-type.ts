/** Device types of EN 13757-3 (the A field's last byte), as the codec names them. */
const DEVICE_TYPES: Readonly<Record<number, string>> = {
  0x00: 'other',
  0x01: 'oil',
  0x02: 'electricity',
  0x03: 'gas',
  0x04: 'heat',
  0x05: 'steam',
  0x06: 'warm water',
  0x07: 'water',
  0x08: 'heat cost allocator',
  0x09: 'compressed air',
  0x0a: 'cooling load (outlet)',
  0x0b: 'cooling load (inlet)',
  0x0c: 'heat (inlet)',
  0x0d: 'heat/cooling load',
  0x0e: 'bus/system component',
  0x0f: 'unknown',
  0x15: 'hot water',
  0x16: 'cold water',
  0x17: 'dual register water',
  0x18: 'pressure',
  0x19: 'A/D converter',
  0x1a: 'smoke detector',
  0x1b: 'room sensor',
  0x1c: 'gas detector',
  0x20: 'breaker',
  0x21: 'valve',
  0x25: 'customer unit',
  0x28: 'waste water',
  0x29: 'garbage',
  0x31: 'communication controller',
  0x32: 'unidirectional repeater',
  0x33: 'bidirectional repeater',
  0x36: 'radio converter (system side)',
  0x37: 'radio converter (meter side)',
};

export function deviceTypeName(type: number): string {
  return DEVICE_TYPES[type] ?? `reserved (0x${type.toString(16).padStart(2, '0')})`;
}

export type MeterFamily = 'heatCostAllocator' | 'heat' | 'water' | 'other';

/** The families the platform bills: which generic driver names a meter's values. */
export function meterFamily(type: number): MeterFamily {
  if (type === 0x08) return 'heatCostAllocator';
  if ([0x04, 0x0a, 0x0b, 0x0c, 0x0d].includes(type)) return 'heat';
  if ([0x06, 0x07, 0x15, 0x16, 0x17, 0x28].includes(type)) return 'water';
  return 'other';
}
