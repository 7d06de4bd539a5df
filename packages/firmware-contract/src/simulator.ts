/**
 * The reference gateway simulator (Node only): `@zaehlwerk/firmware-contract/simulator`.
 * The `zw-contract simulate` command is a thin shell around `createSimulator`.
 */
export { runSimulateCommand } from './simulator/simulate-command.js';
