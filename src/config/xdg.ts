import { isAbsolute, join } from 'node:path';

/** What path resolution needs from the machine, passed in so resolution stays pure. */
export interface ConfigEnvironment {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly home: string;
  readonly uid: number;
  readonly tmpdir: string;
  readonly cwd: string;
}

export interface DefaultPaths {
  readonly home: string;
  readonly dataHome: string;
  readonly configHome: string;
  /** The socket's folder: `$XDG_RUNTIME_DIR/comfyui-dl`, else a per-user folder in the tmp dir. */
  readonly socketDir: string;
}

export const APP_DIR = 'comfyui-dl';

/** The XDG spec says relative values are invalid and must be ignored, like unset ones. */
function xdgDir(ctx: ConfigEnvironment, name: string): string | undefined {
  const value = ctx.env[name];
  return value !== undefined && isAbsolute(value) ? value : undefined;
}

export function defaultPaths(ctx: ConfigEnvironment): DefaultPaths {
  const runtimeDir = xdgDir(ctx, 'XDG_RUNTIME_DIR');
  return {
    home: ctx.home,
    dataHome: xdgDir(ctx, 'XDG_DATA_HOME') ?? join(ctx.home, '.local', 'share'),
    configHome: xdgDir(ctx, 'XDG_CONFIG_HOME') ?? join(ctx.home, '.config'),
    // The uid in the name keeps users apart in a shared /tmp; the IPC server creates it 0700 and
    // refuses it if someone else created it first.
    socketDir: runtimeDir !== undefined ? join(runtimeDir, APP_DIR) : join(ctx.tmpdir, `${APP_DIR}-${ctx.uid}`),
  };
}

/** `~` and `~/…` only: `~user` is a shell feature we do not imitate. */
export function expandHome(path: string, home: string): string {
  if (path === '~') return home;
  if (path.startsWith('~/')) return join(home, path.slice(2));
  return path;
}
