import type { IpcError } from '../ipc/protocol.js';

/**
 * ARCHITECTURE.md §5 and §8: 0 ok, 1 the operation failed, 2 bad usage or input, 3 the daemon is not reachable,
 * 4 a waited-for job is paused (by the user, or for disk space).
 */
export const EXIT = { OK: 0, FAILED: 1, USAGE: 2, UNREACHABLE: 3, PAUSED: 4 } as const;

export class CliExit extends Error {
  /** `code`: the daemon's error code (NOT_FOUND, DAEMON_UNREACHABLE…) when the failure came from it. */
  constructor(readonly exitCode: number, message: string, readonly code?: string) {
    super(message);
  }
}

const INPUT_ERRORS = new Set(['BAD_PARAMS', 'UNKNOWN_METHOD', 'NOT_FOUND', 'BAD_INPUT', 'INVALID_STATE', 'CONFLICT']);

export function exitCodeFor(error: IpcError | { code: string }): number {
  if (error.code === 'DAEMON_UNREACHABLE' || error.code === 'CONNECTION_CLOSED' || error.code === 'PROTOCOL_MISMATCH') return EXIT.UNREACHABLE;
  if (INPUT_ERRORS.has(error.code)) return EXIT.USAGE;
  return EXIT.FAILED;
}

export function fail(error: { code: string; message: string }): never {
  throw new CliExit(exitCodeFor(error), error.message, error.code);
}

const CODE_OF_EXIT: Readonly<Record<number, string>> = { [EXIT.FAILED]: 'FAILED', [EXIT.USAGE]: 'BAD_USAGE', [EXIT.UNREACHABLE]: 'DAEMON_UNREACHABLE' };

/** What `--json` prints on stdout when a command fails, so a script always reads JSON: `{"error": {…}}`. */
export function errorJson(exitCode: number, message: string, code?: string): { error: { code: string; message: string; exitCode: number } } {
  return { error: { code: code ?? CODE_OF_EXIT[exitCode] ?? 'FAILED', message, exitCode } };
}
