/**
 * The reference gateway simulator (Node only): `@zaehlwerk/firmware-contract/simulator`.
 * The `zw-contract simulate` command is a thin shell around `createSimulator`.
 */
export {
  createSimulator,
  DEFAULT_OFFLINE_START,
  type MqttTransportOptions,
  type OfflineTransportOptions,
  type Outage,
  type RunOptions,
  type RunSummary,
  type Simulator,
  type SimulatorOptions,
} from './simulator/create-simulator.js';
export { createFleet, MAX_FLEET_SIZE, type FleetOptions } from './simulator/fleet.js';
export {
  METERS_CSV_HEADER,
  metersCsv,
  parseMetersCsv,
  type MeterKeyRecord,
} from './simulator/meters-csv.js';
export { DEFAULT_BUFFER_CAPACITY_BYTES, SIMULATOR_FIRMWARE } from './simulator/gateway.js';
export { DEFAULT_CONFIG, HARDWARE_MODES, type GatewayConfig } from './simulator/gateway-config.js';
export {
  isWarmWater,
  meterAddress,
  type HcaMeter,
  type HeatMeter,
  type MeterKind,
  type MeterRadioMode,
  type VirtualMeter,
  type WaterMeter,
} from './simulator/virtual-meter.js';
export { runSimulateCommand } from './simulator/simulate-command.js';
