import { execFile } from 'node:child_process';
import { err, ok, type Result } from 'neverthrow';
import { z } from 'zod';

/** Running `systemctl`, and reading what it says. */

export interface SystemctlOutput {
  /** The exit code; 127 when systemctl is not installed. */
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs systemctl with these arguments (including `--user`). Injectable so tests can put a fake first in PATH. */
export type SystemctlRunner = (args: readonly string[]) => Promise<SystemctlOutput>;

export type SystemctlError = {
  readonly code: 'SYSTEMD_UNAVAILABLE' | 'NO_USER_SYSTEMD' | 'SYSTEMCTL_FAILED';
  readonly message: string;
};

const NOT_FOUND = 127;
/** `enable --now` waits for the start job; a Type=simple service starts at once, so this only stops a hang. */
const TIMEOUT_MS = 60_000;

/** The real systemctl, found through `env.PATH`. */
export function execSystemctl(env: NodeJS.ProcessEnv = process.env): SystemctlRunner {
  return (args) =>
    new Promise((resolve) => {
      execFile('systemctl', [...args], { env, timeout: TIMEOUT_MS, encoding: 'utf8' }, (error, stdout, stderr) => {
        if (error === null) return resolve({ code: 0, stdout, stderr });
        if (error.code === 'ENOENT') return resolve({ code: NOT_FOUND, stdout: '', stderr: 'systemctl: command not found' });
        const code = typeof error.code === 'number' ? error.code : -1;
        const why = error.killed ? `systemctl was stopped after ${TIMEOUT_MS / 1000} s` : stderr;
        resolve({ code, stdout, stderr: why });
      });
    });
}

const RUN_IN_FOREGROUND = 'start the daemon with `comfyui-dl daemon` instead';
const NO_BUS = /Failed to connect to (the )?bus|\$DBUS_SESSION_BUS_ADDRESS|XDG_RUNTIME_DIR/;
const NOT_BOOTED = /not been booted with systemd|systemd is not running/i;
const MAX_DETAIL = 400;

/** Runs one systemctl command; a failure becomes an error that says what to do. */
export async function runSystemctl(systemctl: SystemctlRunner, args: readonly string[]): Promise<Result<string, SystemctlError>> {
  const output = await systemctl(args);
  if (output.code === 0) return ok(output.stdout);
  return err(describeFailure(args, output));
}

export function describeFailure(args: readonly string[], output: SystemctlOutput): SystemctlError {
  if (output.code === NOT_FOUND || NOT_BOOTED.test(output.stderr)) {
    return { code: 'SYSTEMD_UNAVAILABLE', message: `systemd does not manage this machine's services (no systemctl, or not booted with systemd, as in most containers): ${RUN_IN_FOREGROUND}` };
  }
  if (NO_BUS.test(output.stderr)) {
    return {
      code: 'NO_USER_SYSTEMD',
      message:
        'systemctl --user is not available: no user session bus; on a server, run `loginctl enable-linger $USER` ' +
        `and log in again, or ${RUN_IN_FOREGROUND}`,
    };
  }
  const detail = output.stderr.trim().slice(0, MAX_DETAIL) || `exit code ${output.code}`;
  return {
    code: 'SYSTEMCTL_FAILED',
    message: `\`systemctl ${args.join(' ')}\` failed: ${detail}; see \`journalctl --user -u comfyui-dl\` for the service's own messages`,
  };
}

/** The properties `serviceStatus` asks `systemctl show` for. */
export const STATUS_PROPERTIES = [
  'LoadState',
  'UnitFileState',
  'ActiveState',
  'SubState',
  'Result',
  'MainPID',
  'NRestarts',
  'ExecMainStatus',
  'ActiveEnterTimestamp',
] as const;

export interface ServiceStatus {
  /** False when systemd knows no comfyui-dl.service (LoadState=not-found). */
  readonly installed: boolean;
  /** loaded, not-found, bad-setting, error, masked. */
  readonly loadState: string;
  /** enabled, disabled, masked, … or '' when not installed. */
  readonly unitFileState: string;
  /** active, activating, deactivating, reloading, inactive, failed. */
  readonly activeState: string;
  /** running, auto-restart, dead, failed, … */
  readonly subState: string;
  /** Why it last stopped: success, exit-code, signal, core-dump, timeout, start-limit-hit, … */
  readonly result: string;
  /** The daemon's process id while it runs. */
  readonly mainPid: number | null;
  /** Automatic restarts since the service was last started by hand. */
  readonly restarts: number;
  /** The exit status of the last run (0 while running or never run). */
  readonly lastExitStatus: number;
  /** When it last became active, as systemd prints it; null if never. */
  readonly activeSince: string | null;
}

const count = z.string().regex(/^\d+$/).transform(Number);
/** systemd prints an unset counter (NRestarts before the first start on some versions) as empty. */
const optionalCount = z.string().regex(/^\d*$/).transform((text) => (text === '' ? 0 : Number(text)));

const ShowOutput = z.object({
  LoadState: z.string().min(1),
  UnitFileState: z.string(),
  ActiveState: z.string().min(1),
  SubState: z.string(),
  Result: z.string(),
  MainPID: count,
  NRestarts: optionalCount,
  ExecMainStatus: optionalCount,
  ActiveEnterTimestamp: z.string(),
});

/** Parses `systemctl show -p …` output (`Key=Value` lines). */
export function parseServiceStatus(stdout: string): Result<ServiceStatus, SystemctlError> {
  const properties: Record<string, string> = {};
  for (const line of stdout.split('\n')) {
    const equals = line.indexOf('=');
    if (equals > 0) properties[line.slice(0, equals)] = line.slice(equals + 1);
  }
  const parsed = ShowOutput.safeParse(properties);
  if (!parsed.success) {
    const fields = parsed.error.issues.map((issue) => issue.path.join('.')).join(', ');
    return err({ code: 'SYSTEMCTL_FAILED', message: `systemctl show printed unexpected values for ${fields}: run \`systemctl --user status comfyui-dl\` to see the state` });
  }
  const show = parsed.data;
  return ok({
    installed: show.LoadState !== 'not-found',
    loadState: show.LoadState,
    unitFileState: show.UnitFileState,
    activeState: show.ActiveState,
    subState: show.SubState,
    result: show.Result,
    mainPid: show.MainPID === 0 ? null : show.MainPID,
    restarts: show.NRestarts,
    lastExitStatus: show.ExecMainStatus,
    activeSince: show.ActiveEnterTimestamp === '' ? null : show.ActiveEnterTimestamp,
  });
}
