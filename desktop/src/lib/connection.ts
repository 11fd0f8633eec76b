// Which part is down, told apart so that the app can say it once, in words, with what to do. Pure.

/** `live`: events flow. `daemon-down`: the app server answers but the daemon does not. `gateway-down`: the app
 * server (`comfyui-dl ui`) itself does not answer. */
export type LinkState = 'connecting' | 'live' | 'daemon-down' | 'gateway-down';

/** The gateway's and the IPC client's codes for "the daemon is not there" (as opposed to a failed request). */
const DAEMON_DOWN_CODES = new Set(['DAEMON_UNREACHABLE', 'CONNECTION_CLOSED', 'SHUTTING_DOWN']);
export const GATEWAY_UNREACHABLE = 'GATEWAY_UNREACHABLE';

/** What an API error says about the connection, if anything. */
export function linkStateOf(error: { code: string }): LinkState | null {
  if (error.code === GATEWAY_UNREACHABLE) return 'gateway-down';
  if (DAEMON_DOWN_CODES.has(error.code)) return 'daemon-down';
  return null;
}

/** An error that only repeats what the connection banner already says: pages leave it out. */
export function isConnectionError(error: { code: string }): boolean {
  return linkStateOf(error) !== null;
}

export const LINK_LABELS: Readonly<Record<LinkState, string>> = {
  connecting: 'Connecting…',
  live: 'Daemon connected',
  'daemon-down': 'Daemon offline',
  'gateway-down': 'App server stopped',
};

/** The one message about the connection, or null while it is fine. */
export function linkProblem(state: LinkState): { title: string; text: string } | null {
  switch (state) {
    case 'daemon-down':
      return {
        title: 'The comfyui-dl daemon is not running',
        text: 'Start it (comfyui-dl daemon, or comfyui-dl service install to keep it running). This window reconnects by itself; what it shows until then is the last known state.',
      };
    case 'gateway-down':
      return {
        title: 'The app server has stopped',
        text: 'comfyui-dl ui, which connects this window to the daemon, is no longer running. Run comfyui-dl ui again and use the window it opens.',
      };
    default:
      return null;
  }
}
