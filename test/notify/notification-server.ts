// Test helper: a private D-Bus session bus and a notification server on it that records what it receives, so
// tests can assert "exactly one notification" without a desktop. Needs the dbus-daemon binary (Debian package
// `dbus-daemon`).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectToBus, type BusConnection } from '../../src/notify/dbus-connection.js';
import { MessageType, type DBusMessage, type DBusValue, type DBusVariant } from '../../src/notify/dbus-wire.js';

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
  readonly hints: ReadonlyMap<string, DBusValue>;
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

const NAME = 'org.freedesktop.Notifications';
const INTERFACE = 'org.freedesktop.Notifications';
const DO_NOT_QUEUE = 4;
// Lets generic tools (gdbus, d-feet) learn the argument types.
const INTROSPECTION = `<node>
  <interface name="${INTERFACE}">
    <method name="Notify">
      <arg type="s" direction="in"/><arg type="u" direction="in"/><arg type="s" direction="in"/>
      <arg type="s" direction="in"/><arg type="s" direction="in"/><arg type="as" direction="in"/>
      <arg type="a{sv}" direction="in"/><arg type="i" direction="in"/><arg type="u" direction="out"/>
    </method>
    <method name="CloseNotification"><arg type="u" direction="in"/></method>
    <method name="GetCapabilities"><arg type="as" direction="out"/></method>
    <method name="GetServerInformation">
      <arg type="s" direction="out"/><arg type="s" direction="out"/><arg type="s" direction="out"/><arg type="s" direction="out"/>
    </method>
  </interface>
</node>`;
const PRIMARY_OWNER = 1;

function toNotification(id: number, body: readonly DBusValue[]): ReceivedNotification {
  const [appName, replacesId, icon, summary, text, actions, hints, expireTimeout] = body;
  return {
    id,
    appName: appName as string,
    replacesId: replacesId as number,
    icon: icon as string,
    summary: summary as string,
    body: text as string,
    actions: actions as string[],
    hints: new Map((hints as [string, DBusVariant][]).map(([key, variant]) => [key, variant.value])),
    expireTimeout: expireTimeout as number,
  };
}

/** Owns org.freedesktop.Notifications on the bus at `address`, answering as a minimal spec-1.2 server. */
export async function startNotificationServer(
  address: string,
  options: NotificationServerOptions = {},
): Promise<NotificationServer> {
  const connected = await connectToBus(address, 5000);
  if (connected.isErr()) throw new Error(connected.error.message);
  const connection: BusConnection = connected.value;
  const received: ReceivedNotification[] = [];
  const waiters: (() => void)[] = [];
  let lastId = 0;

  connection.onMessage((message: DBusMessage) => {
    if (message.type !== MessageType.MethodCall) return;
    if (options.unresponsive) {
      if (message.member === 'Notify') received.push(toNotification(received.length + 1, message.body));
      return;
    }
    switch (`${message.interface ?? ''}.${message.member ?? ''}`) {
      case 'org.freedesktop.DBus.Introspectable.Introspect':
        connection.reply(message, 's', [INTROSPECTION]);
        return;
      case `${INTERFACE}.Notify`: {
        if (message.signature !== 'susssasa{sv}i') {
          connection.replyError(message, 'org.freedesktop.DBus.Error.InvalidArgs', `bad signature ${message.signature}`);
          return;
        }
        lastId += 1;
        received.push(toNotification(lastId, message.body));
        connection.reply(message, 'u', [lastId]);
        for (const wake of waiters.splice(0)) wake();
        return;
      }
      case `${INTERFACE}.GetCapabilities`:
        if (options.capabilities === null) break;
        connection.reply(message, 'as', [options.capabilities ?? ['body']]);
        return;
      case `${INTERFACE}.GetServerInformation`:
        connection.reply(message, 'ssss', ['comfyui-dl-test', 'comfyui-dl', '1.0', '1.2']);
        return;
      case `${INTERFACE}.CloseNotification`:
        connection.reply(message, '', []);
        return;
    }
    connection.replyError(message, 'org.freedesktop.DBus.Error.UnknownMethod', `no method ${message.interface ?? ''}.${message.member ?? ''}`);
  });

  const owned = await connection.call({
    destination: 'org.freedesktop.DBus', path: '/org/freedesktop/DBus', interface: 'org.freedesktop.DBus',
    member: 'RequestName', signature: 'su', body: [NAME, DO_NOT_QUEUE],
  }, 5000);
  if (owned.isErr() || owned.value.body[0] !== PRIMARY_OWNER) {
    connection.close();
    throw new Error(`could not own ${NAME} on ${address}`);
  }

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
      connection.close();
    },
  };
}
