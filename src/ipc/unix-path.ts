import { err, ok, type Result } from 'neverthrow';

/** Small helpers shared by the server, the client and the config loader; kept apart so the CLI loads no more than it needs. */

/** sun_path holds 108 bytes on Linux, one of them the terminating NUL. */
export const MAX_SOCKET_PATH_BYTES = 107;

export const HOW_TO_CHOOSE_SOCKET = 'choose another socket path with --socket or COMFYUI_DL_SOCKET';

export function checkSocketPathLength(socketPath: string): Result<void, { readonly code: 'SOCKET_PATH_TOO_LONG'; readonly message: string }> {
  if (Buffer.byteLength(socketPath) <= MAX_SOCKET_PATH_BYTES) return ok(undefined);
  return err({
    code: 'SOCKET_PATH_TOO_LONG',
    message: `socket path ${socketPath} is longer than the ${MAX_SOCKET_PATH_BYTES} bytes Unix sockets allow: ${HOW_TO_CHOOSE_SOCKET}`,
  });
}

export function errnoCode(e: unknown): string {
  return typeof e === 'object' && e !== null && 'code' in e && typeof e.code === 'string' ? e.code : String(e);
}
