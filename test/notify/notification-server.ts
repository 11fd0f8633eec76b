// Test helper: a private D-Bus session bus and a notification server on it that records what it receives, so
// tests can assert "exactly one notification" without a desktop. Needs the dbus-daemon binary (Debian package
// `dbus-daemon`).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface PrivateBus {
  readonly address: string;
  readonly pid: number;
  stop(): Promise<void>;
}

// Our own configuration rather than the system's session.conf: no service directories, so nothing installed on
// the machine (a real notification daemon, say) can be activated by a test.
const busConfig = (socketDir: string): string => `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir=${socketDir}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`;

function firstLine(child: ChildProcess, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    let errText = '';
    const timer = setTimeout(() => reject(new Error(`dbus-daemon printed no address within ${timeoutMs} ms: ${errText}`)), timeoutMs);
    child.stderr?.on('data', (chunk: Buffer) => { errText += chunk.toString(); });
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const end = out.indexOf('\n');
      if (end >= 0) {
        clearTimeout(timer);
        resolve(out.slice(0, end).trim());
      }
    });
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`cannot start dbus-daemon (install the Debian package dbus-daemon): ${error.message}`));
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`dbus-daemon exited with ${code}: ${errText}`));
    });
  });
}

/** Starts `dbus-daemon` in the foreground on a socket in a fresh temp dir; stop() ends that process by its PID. */
export async function startPrivateBus(): Promise<PrivateBus> {
  const dir = await mkdtemp(join(tmpdir(), 'comfyui-dl-bus-'));
  const configFile = join(dir, 'bus.conf');
  await writeFile(configFile, busConfig(dir));
  const child = spawn('dbus-daemon', [`--config-file=${configFile}`, '--print-address', '--nofork', '--nopidfile', '--nosyslog'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      process.kill(child.pid, 'SIGTERM');
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const address = await firstLine(child, 5000);
    return { address, pid: child.pid ?? -1, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

export interface ReceivedNotification {
  readonly id: number;
  readonly appName: string;
  readonly replacesId: number;
  readonly icon: string;
  readonly summary: string;
  readonly body: string;
  readonly actions: readonly string[];
  readonly hints: ReadonlyMap<string, unknown>;
  readonly expireTimeout: number;
}

export interface NotificationServer {
  /** Every Notify call received, in order. */
  readonly received: readonly ReceivedNotification[];
  /** Resolves once `count` notifications arrived; rejects after `timeoutMs`. */
  waitForCount(count: number, timeoutMs?: number): Promise<readonly ReceivedNotification[]>;
  stop(): void;
}

export interface NotificationServerOptions {
  /** What GetCapabilities answers; null makes it fail as an unknown method, as some minimal servers do. */
  readonly capabilities?: readonly string[] | null;
  /** Records calls but never answers them, like a hung desktop shell. */
  readonly unresponsive?: boolean;
}

const SERVER_SCRIPT = join(import.meta.dirname, 'notification_server.py');

/**
 * Owns org.freedesktop.Notifications on the bus at `address`, answering as a minimal spec-1.2 server. It is GLib's
 * GDBus driven from Python (Debian packages python3 and python3-gi): an implementation independent of the client
 * under test. Each Notify it receives comes back as one JSON line.
 */
export async function startNotificationServer(address: string, options: NotificationServerOptions = {}): Promise<NotificationServer> {
  const args = [SERVER_SCRIPT, '--capabilities', options.capabilities === null ? 'none' : (options.capabilities ?? ['body']).join(',')];
  if (options.unresponsive) args.push('--unresponsive');
  // Debian's own Python, where python3-gi lives (another python3 may come first on PATH).
  const child = spawn('/usr/bin/python3', args, { env: { ...process.env, DBUS_SESSION_BUS_ADDRESS: address }, stdio: ['ignore', 'pipe', 'pipe'] });
  const received: ReceivedNotification[] = [];
  const waiters: (() => void)[] = [];
  let errText = '';
  child.stderr.on('data', (chunk: Buffer) => (errText += chunk.toString()));
  await new Promise<void>((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(() => reject(new Error(`the notification server did not start within 5 s: ${errText}`)), 5000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the notification server exited (${code}): ${errText}`));
    });
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      for (let end = buffered.indexOf('\n'); end >= 0; end = buffered.indexOf('\n')) {
        const line = buffered.slice(0, end);
        buffered = buffered.slice(end + 1);
        if (line === 'ready') {
          clearTimeout(timer);
          resolve();
          continue;
        }
        const record = JSON.parse(line) as Omit<ReceivedNotification, 'hints'> & { hints: Record<string, unknown> };
        received.push({ ...record, hints: new Map(Object.entries(record.hints)) });
        for (const wake of waiters.splice(0)) wake();
      }
    });
  });
  return {
    received,
    waitForCount(count, timeoutMs = 5000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`expected ${count} notifications, got ${received.length} after ${timeoutMs} ms`)), timeoutMs);
        const check = (): void => {
          if (received.length >= count) {
            clearTimeout(timer);
            resolve(received);
          } else {
            waiters.push(check);
          }
        };
        check();
      });
    },
    stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    },
  };
}
