// Desktop notifications through org.freedesktop.Notifications on the D-Bus session bus.
//
// Why our own D-Bus client rather than a library or a subprocess: sending a notification needs the EXTERNAL
// handshake and one method call, a few hundred lines we fully control. The maintained pure-JS clients pull in
// old stream and XML-parser dependencies (dbus-next, @homebridge/dbus-native) or already require Node 22
// (dbus-native); spawning notify-send or gdbus depends on desktop packages a headless host lacks, forks a
// process per notification and gives no typed failure.
import { z } from 'zod';
import { err, ok, type Result } from 'neverthrow';
import { defaultSessionBusAddress } from './dbus-address.js';
import { connectToBus, type BusCallError, type BusConnection } from './dbus-connection.js';
import type { DBusMessage, DBusValue } from './dbus-wire.js';
import { escapeMarkup, sanitizeNotificationText } from './notification-text.js';

export type NotifyError =
  /** No bus to talk to (headless, SSH): log once and carry on without notifications. */
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
}

export interface Notifier {
  notify(notification: Notification): Promise<Result<{ id: number }, NotifyError>>;
  close(): void;
}

const NOTIFICATIONS = {
  destination: 'org.freedesktop.Notifications',
  path: '/org/freedesktop/Notifications',
  interface: 'org.freedesktop.Notifications',
};

const URGENCY_LEVEL: Readonly<Record<Urgency, number>> = { low: 0, normal: 1, critical: 2 };
// Let the server apply its own default display time.
const SERVER_DEFAULT_EXPIRY = -1;
const DEFAULT_TIMEOUT_MS = 5000;

const notifyReply = z.tuple([z.number().int().nonnegative()]);
const capabilitiesReply = z.tuple([z.array(z.string())]);

// Errors the bus returns when no notification server is running or activatable.
const NO_SERVER_ERRORS = new Set([
  'org.freedesktop.DBus.Error.ServiceUnknown',
  'org.freedesktop.DBus.Error.NameHasNoOwner',
]);

function callFailure(error: BusCallError): NotifyError {
  if (error.code === 'DBUS_ERROR_REPLY' && NO_SERVER_ERRORS.has(error.errorName)) {
    return { code: 'NO_NOTIFICATION_SERVER', message: `no desktop notification server is running (${error.message})` };
  }
  return { code: 'NOTIFY_FAILED', message: `the desktop notification was not shown: ${error.message}` };
}

interface Session {
  readonly connection: BusConnection;
  readonly bodyMarkup: boolean;
}

export function createNotifier(options: NotifierOptions): Notifier {
  const address = options.busAddress ?? defaultSessionBusAddress(process.env);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const secrets = options.secrets ?? [];
  // One connection, opened on first use and shared by concurrent calls; reopened after it drops.
  let session: Promise<Result<Session, NotifyError>> | undefined;

  async function openSession(): Promise<Result<Session, NotifyError>> {
    const connected = await connectToBus(address, timeoutMs);
    if (connected.isErr()) return err(connected.error);
    const connection = connected.value;
    const capabilities = await connection.call(
      { ...NOTIFICATIONS, member: 'GetCapabilities', signature: '', body: [] }, timeoutMs);
    if (capabilities.isErr()) {
      const failure = callFailure(capabilities.error);
      // A server that merely rejects GetCapabilities can still show plain text.
      const answered = capabilities.error.code === 'DBUS_ERROR_REPLY' && failure.code === 'NOTIFY_FAILED';
      if (answered) return ok({ connection, bodyMarkup: false });
      connection.close();
      return err(failure);
    }
    const parsed = capabilitiesReply.safeParse(capabilities.value.body);
    return ok({ connection, bodyMarkup: parsed.success && parsed.data[0].includes('body-markup') });
  }

  function currentSession(): Promise<Result<Session, NotifyError>> {
    if (session !== undefined) return session;
    const opening = openSession();
    session = opening;
    const forget = (): void => {
      if (session === opening) session = undefined;
    };
    void opening.then((result) => result.match(({ connection }) => connection.onClose(forget), forget));
    return opening;
  }

  function notifyArguments(notification: Notification, bodyMarkup: boolean): DBusValue[] {
    const summary = sanitizeNotificationText(notification.summary, secrets);
    const body = sanitizeNotificationText(notification.body, secrets);
    const hints: [string, DBusValue][] = [
      ['urgency', { signature: 'y', value: URGENCY_LEVEL[notification.urgency ?? 'normal'] }],
    ];
    return [
      options.appName,
      0,
      notification.icon ?? '',
      summary,
      bodyMarkup ? escapeMarkup(body) : body,
      [],
      hints,
      SERVER_DEFAULT_EXPIRY,
    ];
  }

  function idFrom(reply: DBusMessage): Result<{ id: number }, NotifyError> {
    const parsed = notifyReply.safeParse(reply.body);
    if (!parsed.success) {
      return err({ code: 'NOTIFY_FAILED', message: `the notification server answered Notify with '${reply.signature}', not an id` });
    }
    return ok({ id: parsed.data[0] });
  }

  async function send(notification: Notification, retryOnClosed: boolean): Promise<Result<{ id: number }, NotifyError>> {
    const opening = currentSession();
    const opened = await opening;
    if (opened.isErr()) return err(opened.error);
    const { connection, bodyMarkup } = opened.value;
    const reply = await connection.call({
      ...NOTIFICATIONS,
      member: 'Notify',
      signature: 'susssasa{sv}i',
      body: notifyArguments(notification, bodyMarkup),
    }, timeoutMs);
    if (reply.isErr() && reply.error.code === 'DBUS_NOT_CONNECTED' && retryOnClosed) {
      // The bus dropped us while idle (a restarted session bus); nothing was sent, so one fresh try is safe.
      if (session === opening) session = undefined;
      return send(notification, false);
    }
    return reply.isErr() ? err(callFailure(reply.error)) : idFrom(reply.value);
  }

  return {
    notify: (notification) => send(notification, true),
    close() {
      const closing = session;
      session = undefined;
      void closing?.then((result) => result.map(({ connection }) => connection.close()));
    },
  };
}
