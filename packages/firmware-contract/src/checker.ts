/**
 * The conformance checker (Node only): `@zaehlwerk/firmware-contract/checker`.
 * The `zw-contract check` command is a thin shell around `checkCapture` and `checkLive`.
 */
export { runCheckCommand } from './checker/check-command.js';
