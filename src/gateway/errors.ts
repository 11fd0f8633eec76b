import type { IpcError } from '../ipc/protocol.js';

/** What the gateway itself refuses, before or instead of asking the daemon. */
export type GatewayErrorCode =
  | 'UNAUTHORIZED'
  | 'FORBIDDEN_HOST'
  | 'FORBIDDEN_ORIGIN'
  | 'CROSS_SITE'
  | 'UNKNOWN_METHOD'
  | 'NOT_FOUND'
  | 'METHOD_NOT_ALLOWED'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'BODY_TOO_LARGE'
  | 'BAD_JSON'
  | 'NOT_PAIRED'
  | 'BAD_CODE'
  | 'NOT_AN_EXTENSION';

export interface GatewayError {
  readonly code: GatewayErrorCode;
  readonly message: string;
}

/** A refusal ready to send: the HTTP status and the error the page shows. */
export interface Rejection {
  readonly status: number;
  readonly error: GatewayError;
}

export function reject(status: number, code: GatewayErrorCode, message: string): Rejection {
  return { status, error: { code, message } };
}

/** Failing to start: the port is taken, or the app was never built. */
export type GatewayStartError =
  | { readonly code: 'LISTEN_FAILED'; readonly message: string }
  | { readonly code: 'APP_NOT_BUILT'; readonly message: string };

const DAEMON_DOWN = new Set<string>(['DAEMON_UNREACHABLE', 'CONNECTION_CLOSED', 'SHUTTING_DOWN', 'PROTOCOL_MISMATCH']);

/** The HTTP status for a daemon's answer, so that tools reading only statuses still see what went wrong. */
export function statusForIpcError(error: IpcError): number {
  if (DAEMON_DOWN.has(error.code)) return 503;
  switch (error.code) {
    case 'BAD_PARAMS':
      return 400;
    case 'NOT_FOUND':
    case 'UNKNOWN_METHOD':
      return 404;
    case 'CONFLICT':
      return 409;
    case 'FAILED':
      // The daemon is up; what it asked of (CivitAI, the disk) failed.
      return 502;
    default:
      return 500;
  }
}
