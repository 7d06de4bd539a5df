/**
 * The conformance checker (Node only): `@zaehlwerk/firmware-contract/checker`.
 * The `zw-contract check` command is a thin shell around `checkCapture` and `checkLive`.
 */
export { checkCapture, type CheckCaptureOptions } from './checker/check-capture.js';
export { CHECK_USAGE, runCheckCommand } from './checker/check-command.js';
export { checkLive, type CheckLiveOptions } from './checker/check-live.js';
export type { CheckReport, ClauseResult, ClauseStatus, Finding } from './checker/check-report.js';
export { CLAUSES, type ClauseInfo } from './checker/clauses.js';
export { formatReport } from './checker/format-report.js';
