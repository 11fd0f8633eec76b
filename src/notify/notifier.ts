// Desktop notifications through org.freedesktop.Notifications on the D-Bus session bus, sent with GLib's
// `gdbus call`.
//
// Why gdbus (judged against the alternatives, December 2026): a daemon that sends one kind of message does not need
// a D-Bus implementation of its own (ours was 760 lines of wire format, authentication and connection handling to
// maintain). The pure-JavaScript clients are not maintained (dbus-next has had no release since 2021 and pulls in
// old stream and XML dependencies) or need Node 22 (dbus-native). `notify-send` (libnotify-bin) cannot be pointed
// at a given bus, cannot ask the server's capabilities, and is one more desktop package. `gdbus` is GLib's own tool
// (Debian: libglib2.0-bin): present wherever a desktop runs a notification server, a small C program with typed
// errors, and it runs unchanged inside the hardened systemd unit (no extra address families, no new privileges).
// A host without it, or without a session bus (a server, SSH), simply has no notifications, said once.
import { execFile } from 'node:child_process';
import { err, ok, type Result } from 'neverthrow';
import { escapeMarkup, sanitizeNotificationText } from './notification-text.js';

export type NotifyError =
  /** No bus to talk to (headless, SSH), or no gdbus to talk with: log once and carry on without notifications. */
  | { readonly code: 'NO_SESSION_BUS'; readonly message: string }
  /** The bus works but nobody owns org.freedesktop.Notifications and none can be started. */
  | { readonly code: 'NO_NOTIFICATION_SERVER'; readonly message: string }
  | { readonly code: 'NOTIFY_FAILED'; readonly message: string };

export type Urgency = 'low' | 'normal' | 'critical';

export interface Notification {
  readonly summary: string;
  readonly body: string;
  readonly urgency?: Urgency;
  /** A freedesktop icon name or a file:// URI. */
  readonly icon?: string;
}

export interface NotifierOptions {
  /** A D-Bus address; by default the session bus of this user. */
  readonly busAddress?: string;
  readonly appName: string;
  /** Values that must never be shown, such as the API key; redacted wherever they occur. */
  readonly secrets?: readonly string[];
  /** How long to wait for the bus and the notification server; a server may be started on demand. */
  readonly timeoutMs?: number;
  /** The gdbus program (tests point it elsewhere). */
  readonly gdbus?: string;
}

export interface Notifier {
  notify(notification: Notification): Promise<Result<{ id: number }, NotifyError>>;
  /** Forgets what the server said it can do: the next notification asks again. */
  close(): void;
}

const URGENCY_BYTE: Readonly<Record<Urgency, number>> = { low: 0, normal: 1, critical: 2 };
const DEFAULT_TIMEOUT_MS = 5000;
// Errors the bus returns when no notification server is running or activatable.
const NO_SERVER_ERRORS = new Set(['org.freedesktop.DBus.Error.ServiceUnknown', 'org.freedesktop.DBus.Error.NameHasNoOwner']);

/** A string as a GVariant text literal: gdbus parses every argument, so quotes and backslashes are escaped. */
export function gvariantString(text: string): string {
  const escaped = text.replace(/[\\'\n\r\t]/g, (c) => ({ '\\': '\\\\', "'": "\\'", '\n': '\\n', '\r': '\\r', '\t': '\\t' })[c] ?? c);
  return `'${escaped}'`;
}

type CallOutcome =
  | { readonly kind: 'ok'; readonly stdout: string }
  /** The call reached the bus, which answered with this D-Bus error. */
  | { readonly kind: 'dbus-error'; readonly name: string; readonly message: string }
  | { readonly kind: 'no-bus'; readonly message: string }
  | { readonly kind: 'timeout' };

/** How long a missing session bus is believed before it is looked for again (a desktop session may start later). */
const NO_BUS_RECHECK_MS = 60_000;

export function createNotifier(options: NotifierOptions): Notifier {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const secrets = options.secrets ?? [];
  const gdbus = options.gdbus ?? 'gdbus';
  const bus = options.busAddress === undefined ? ['--session'] : ['--address', options.busAddress];
  // Asked once, then kept: whether the server renders markup in the body.
  let bodyMarkup: Promise<Result<boolean, NotifyError>> | undefined;
  // Without a bus, each try costs a process start: a batch of downloads finishing would start one per file.
  let missingBus: { readonly since: number; readonly error: NotifyError } | undefined;

  const call = (destination: string, path: string, method: string, args: readonly string[] = []): Promise<CallOutcome> =>
    new Promise((resolve) => {
      execFile(
        gdbus,
        ['call', ...bus, '--dest', destination, '--object-path', path, '--method', method, ...args],
        { timeout: timeoutMs, killSignal: 'SIGKILL' },
        (error, stdout, stderr) => {
          if (!error) return resolve({ kind: 'ok', stdout });
          if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
            return resolve({ kind: 'no-bus', message: `${gdbus} (GLib's gdbus, Debian package libglib2.0-bin) is not installed` });
          }
          if (error.killed) return resolve({ kind: 'timeout' });
          const text = stderr.trim();
          const dbusError = /GDBus\.Error:([\w.]+): ?(.*)/s.exec(text);
          if (dbusError) return resolve({ kind: 'dbus-error', name: dbusError[1]!, message: dbusError[2]!.trim() });
          resolve({ kind: 'no-bus', message: `cannot reach the D-Bus session bus (${text.replace(/^Error( connecting)?: /, '') || error.message})` });
        },
      );
    });
  const onServer = (method: string, args?: readonly string[]) =>
    call('org.freedesktop.Notifications', '/org/freedesktop/Notifications', `org.freedesktop.Notifications.${method}`, args);

  const noBus = (why: string): NotifyError => ({ code: 'NO_SESSION_BUS', message: `no desktop notifications: ${why}` });
  const failure = (outcome: Exclude<CallOutcome, { kind: 'ok' }>, what: string): NotifyError => {
    switch (outcome.kind) {
      case 'no-bus':
        return noBus(outcome.message);
      case 'timeout':
        return { code: 'NOTIFY_FAILED', message: `the notification server did not answer ${what} within ${timeoutMs} ms` };
      case 'dbus-error':
        return NO_SERVER_ERRORS.has(outcome.name)
          ? { code: 'NO_NOTIFICATION_SERVER', message: `no desktop notification server is running (${outcome.message})` }
          : { code: 'NOTIFY_FAILED', message: `the desktop notification was not shown: ${outcome.name}: ${outcome.message}` };
    }
  };

  async function askCapabilities(): Promise<Result<boolean, NotifyError>> {
    if (options.busAddress === '') return err(noBus('there is no D-Bus session bus (no address)'));
    // The bus itself first, so a bus that does not speak is told apart from a server that does not answer.
    const alive = await call('org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus.GetId');
    if (alive.kind === 'timeout') return err(noBus(`the session bus did not answer within ${timeoutMs} ms`));
    if (alive.kind !== 'ok') return err(failure(alive, 'GetId'));
    const answer = await onServer('GetCapabilities');
    if (answer.kind === 'ok') return ok(/'body-markup'/.test(answer.stdout));
    // A server that merely rejects GetCapabilities can still show plain text.
    if (answer.kind === 'dbus-error' && !NO_SERVER_ERRORS.has(answer.name)) return ok(false);
    return err(failure(answer, 'GetCapabilities'));
  }

  async function notify(notification: Notification): Promise<Result<{ id: number }, NotifyError>> {
    if (missingBus !== undefined && Date.now() - missingBus.since < NO_BUS_RECHECK_MS) return err(missingBus.error);
    bodyMarkup ??= askCapabilities();
    const markup = await bodyMarkup;
    if (markup.isErr()) {
      bodyMarkup = undefined;
      if (markup.error.code === 'NO_SESSION_BUS') missingBus = { since: Date.now(), error: markup.error };
      return err(markup.error);
    }
    missingBus = undefined;
    const body = sanitizeNotificationText(notification.body, secrets);
    const sent = await onServer('Notify', [
      gvariantString(options.appName),
      'uint32 0',
      gvariantString(notification.icon ?? ''),
      gvariantString(sanitizeNotificationText(notification.summary, secrets)),
      gvariantString(markup.value ? escapeMarkup(body) : body),
      '@as []',
      `{'urgency': <byte ${URGENCY_BYTE[notification.urgency ?? 'normal']}>}`,
      // The server's own default display time.
      'int32 -1',
    ]);
    if (sent.kind !== 'ok') {
      // What the server can do is asked again next time: it may be another server by then.
      bodyMarkup = undefined;
      return err(failure(sent, 'Notify'));
    }
    const id = /\(uint32 (\d+),\)/.exec(sent.stdout)?.[1];
    return id === undefined
      ? err({ code: 'NOTIFY_FAILED', message: `the notification server answered Notify with ${sent.stdout.trim()}, not an id` })
      : ok({ id: Number(id) });
  }

  return {
    notify,
    close() {
      bodyMarkup = undefined;
    },
  };
}
