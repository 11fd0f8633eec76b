import { existsSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { err, ok, type Result } from 'neverthrow';
import { handleApiCall } from './api-route.js';
import { createDaemonLink } from './daemon-link.js';
import { reject, type GatewayStartError } from './errors.js';
import { handleEventStream, type EventStreamOptions } from './event-stream.js';
import { handleExtensionCall, handleUiCall } from './extension-routes.js';
import { sendRejection } from './http-reply.js';
import { createLaunchCode } from './launch-code.js';
import { createPreviewRoute } from './preview-route.js';
import { bearerToken, checkRequestSource, checkToken } from './request-guard.js';
import { createStaticFiles } from './static-files.js';
import { createPairings } from './pairing.js';
import { newToken } from './token.js';

export type { GatewayError, GatewayErrorCode, GatewayStartError } from './errors.js';

export interface GatewayOptions {
  /** The daemon's socket. */
  readonly socket: string;
  /** The built app (desktop/dist). */
  readonly staticDir: string;
  /** Loopback only: the Host check and the threat model assume it. */
  readonly host?: '127.0.0.1';
  /** 0 picks a free port; left out, the port of the last run is asked for first (a paired extension knows it). */
  readonly port?: number;
  readonly events?: EventStreamOptions;
  /** Keeps the paired browser extensions and the last port across runs; without it, pairings last this run. */
  readonly stateFile?: string;
  /** The built browser extension, for the app's install instructions. */
  readonly extensionDir?: string;
}

export interface Gateway {
  /** `http://127.0.0.1:<port>/`. */
  readonly url: string;
  /** This launch's access token. */
  readonly token: string;
  /** The app with the token in its fragment (fragments are never sent to a server): for the user to open. */
  readonly launchUrl: string;
  /** The app with a one-time code instead of the token: for handing to a browser on its command line. */
  readonly openUrl: string;
  close(): Promise<void>;
}

/** Routes that browsers load by URL (EventSource, <img>), so the token comes as a query parameter. */
const URL_ROUTES = new Set(['events', 'preview']);
/** The browser extension's calls: no session token, a paired extension's origin and token instead. */
const EXTENSION_PREFIX = '/api/ext/';
/** The app's calls to the gateway itself (pairing), next to the daemon's methods. */
const UI_PREFIX = 'ui/';

/**
 * The desktop app's local server: serves the built app and bridges `/api` to the daemon. Every request passes
 * the Host/Origin checks; every `/api` request also needs the per-launch token.
 */
export async function startGateway(options: GatewayOptions): Promise<Result<Gateway, GatewayStartError>> {
  if (!existsSync(join(options.staticDir, 'index.html'))) {
    return err({ code: 'APP_NOT_BUILT', message: `the desktop app is not built (no index.html in ${options.staticDir}): run \`npm run build\` in the project folder` });
  }
  const token = newToken();
  const launch = createLaunchCode(token);
  const link = createDaemonLink(options.socket);
  const serveStatic = createStaticFiles(options.staticDir);
  const servePreview = createPreviewRoute(link);
  const pairings = createPairings(options.stateFile);
  const uiInfo = { extensionDir: options.extensionDir ?? '', port: () => port };
  const server = createServer();
  let port = 0;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    // Decided on the normalised path, so that no `..` can carry a request from one set of checks to the other.
    const extensionRoute = new URL(req.url ?? '/', 'http://gateway').pathname.startsWith(EXTENSION_PREFIX);
    const source = checkRequestSource(req.headers, port, extensionRoute);
    if (source.isErr()) return sendRejection(res, source.error);
    const url = new URL(req.url ?? '/', `http://${source.value}`);
    if (extensionRoute) return handleExtensionCall(link, pairings, url.pathname.slice(EXTENSION_PREFIX.length), req, res);
    if (url.pathname !== '/api' && !url.pathname.startsWith('/api/')) return serveStatic(url.pathname, req.method ?? 'GET', res);

    const route = url.pathname.slice('/api/'.length);
    if (route === 'session') return launch.handle(req, res);
    const byUrl = URL_ROUTES.has(route);
    const authorized = checkToken(byUrl ? (url.searchParams.get('token') ?? undefined) : bearerToken(req.headers.authorization), token);
    if (authorized.isErr()) return sendRejection(res, authorized.error);
    if (route.startsWith(UI_PREFIX)) return handleUiCall(pairings, uiInfo, route.slice(UI_PREFIX.length), req, res);
    if (!byUrl) return handleApiCall(link, route, req, res);
    if (req.method !== 'GET') {
      res.setHeader('Allow', 'GET');
      return sendRejection(res, reject(405, 'METHOD_NOT_ALLOWED', `/api/${route} is read with GET`));
    }
    if (route === 'events') return handleEventStream(link, url, req, res, options.events);
    return servePreview(url, res);
  };

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    handle(req, res).catch((error: unknown) => {
      // A bug, not an expected failure: answer rather than leave the page waiting.
      process.stderr.write(`comfyui-dl ui: request failed: ${error instanceof Error ? error.stack : String(error)}\n`);
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain' });
      res.end('internal error');
    });
  });

  const host = options.host ?? '127.0.0.1';
  const listen = (wanted: number) => new Promise<Result<number, GatewayStartError>>((resolve) => {
    const failed = (e: NodeJS.ErrnoException) =>
      resolve(err({ code: 'LISTEN_FAILED', message: `cannot listen on ${host}:${wanted} (${e.code ?? e.message}): pick another port or leave it to the system` }));
    server.once('error', failed);
    server.listen(wanted, host, () => {
      server.off('error', failed);
      resolve(ok((server.address() as AddressInfo).port));
    });
  });
  const remembered = options.port === undefined ? pairings.lastPort() : null;
  let listening = await listen(remembered ?? options.port ?? 0);
  // Last run's port is taken now: any free one will do (a paired extension then needs a new code).
  if (listening.isErr() && remembered !== null) listening = await listen(0);
  if (listening.isErr()) {
    await link.close();
    return err(listening.error);
  }
  port = listening.value;
  if (options.stateFile !== undefined) pairings.rememberPort(port);
  server.on('error', (e) => process.stderr.write(`comfyui-dl ui: server error: ${e.message}\n`));
  const url = `http://${host}:${port}/`;

  return ok({
    url,
    token,
    launchUrl: `${url}#token=${token}`,
    openUrl: `${url}#launch=${launch.code}`,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Event streams never end by themselves.
      server.closeAllConnections();
      await Promise.all([closed, link.close()]);
    },
  });
}
