/**
 * What a `zw-contract` command needs from its process, passed in so that the
 * commands run in tests without spawning and without touching process state.
 */
export interface CommandIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Resolves relative paths of options (`--capture`, `--keys-out`, …). */
  cwd: string;
  /** Aborted on SIGINT/SIGTERM: long-running commands stop cleanly and still write their files. */
  signal: AbortSignal;
}

/** Exit codes shared by the commands: 0 ok, 1 check failed, 2 usage or input error. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;
