// D-Bus server addresses (D-Bus specification, "Server Addresses"): `transport:key=value,…` entries separated
// by ';', tried in order. Only Unix sockets are reachable here: a session bus is local and authenticates with
// EXTERNAL (peer credentials), which other transports cannot carry.
import { err, ok, type Result } from 'neverthrow';

/** A socket path for `net.connect`; abstract names start with NUL, as Linux and Node expect. */
export type SocketPath = string;

export interface BusAddressError {
  readonly code: 'NO_SESSION_BUS';
  readonly message: string;
}

/** Values are percent-escaped; a broken escape makes that one entry unusable, not the whole address. */
function unescapeValue(value: string): string | null {
  try {
    return decodeURIComponent(value);
  } catch {
    return null;
  }
}

function socketPathOf(entry: string): SocketPath | null {
  const colon = entry.indexOf(':');
  if (colon < 0 || entry.slice(0, colon) !== 'unix') return null;
  const params = new Map<string, string>();
  for (const pair of entry.slice(colon + 1).split(',')) {
    const eq = pair.indexOf('=');
    if (eq > 0) params.set(pair.slice(0, eq), pair.slice(eq + 1));
  }
  const path = params.get('path');
  if (path !== undefined) return unescapeValue(path);
  const abstract = params.get('abstract');
  const name = abstract === undefined ? null : unescapeValue(abstract);
  return name === null ? null : `\0${name}`;
}

/** Every connectable Unix socket in a bus address, in the order the address lists them. */
export function parseBusAddress(address: string | undefined): Result<SocketPath[], BusAddressError> {
  if (address === undefined || address.trim() === '') {
    return err({
      code: 'NO_SESSION_BUS',
      message: 'no D-Bus session bus address (DBUS_SESSION_BUS_ADDRESS is unset): desktop notifications are off',
    });
  }
  const paths = address.split(';').flatMap((entry) => socketPathOf(entry) ?? []);
  if (paths.length === 0) {
    return err({
      code: 'NO_SESSION_BUS',
      message: `the D-Bus session bus address '${address}' names no unix:path or unix:abstract socket: desktop notifications are off`,
    });
  }
  return ok(paths);
}

/**
 * The session bus address as libdbus, sd-bus and GDBus find it: the environment variable, else the per-user
 * socket that systemd's user session provides (services started by systemd may lack the variable).
 */
export function defaultSessionBusAddress(env: Readonly<Record<string, string | undefined>>): string | undefined {
  const fromEnv = env.DBUS_SESSION_BUS_ADDRESS;
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  const runtimeDir = env.XDG_RUNTIME_DIR;
  return runtimeDir ? `unix:path=${encodeURIComponent(`${runtimeDir}/bus`).replaceAll('%2F', '/')}` : undefined;
}

/** A socket path as people read it: abstract names shown with the conventional '@'. */
export function describeSocketPath(path: SocketPath): string {
  return path.startsWith('\0') ? `@${path.slice(1)}` : path;
}
