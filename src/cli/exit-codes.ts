/** Exit codes from ARCHITECTURE.md, shared by every command. */
export const EXIT = {
  OK: 0,
  /** analyze: MUST-level findings; check-message: invalid; run: a test failed. */
  FAILED: 1,
  /** Usage or config error, unreadable input. */
  USAGE: 2,
  /** Something to install is missing. */
  ENVIRONMENT: 3,
} as const;

/** An error whose message is for the user (no stack trace) and which carries its exit code. */
export class CliError extends Error {
  constructor(message: string, readonly exitCode: number = EXIT.USAGE) {
    super(message);
  }
}
