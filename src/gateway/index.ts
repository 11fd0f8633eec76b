import { existsSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { err, ok, type Result } from 'neverthrow';
import { handleApiCall } from './api-route.js';
import { createDaemonLink } from './daemon-link.js';
import { reject, type GatewayStartError } from './errors.js';
import { handleEventStream, type EventStreamOptions } from './event-stream.js';
import { sendRejection } from './http-reply.js';
import { createLaunchCode } from './launch-code.js';
import { createPreviewRoute } from './preview-route.js';
import { bearerToken, checkRequestSource, checkToken } from './request-guard.js';
import { createStaticFiles } from './static-files.js';
import { newToken } from './token.js';

export type { GatewayError, GatewayErrorCode, GatewayStartError } from './errors.js';

export interface GatewayOptions {
  /** The daemon's socket. */
  readonly socket: string;
  /** The built app (desktop/dist). */
  readonly staticDir: string;
  /** Loopback only: the Host check and the threat model assume it. */
  readonly host?: '127.0.0.1';
  /** 0 (the default) picks a free port. */
  readonly port?: number;
  readonly events?: EventStreamOptions;
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
  const server = createServer();
  let port = 0;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const source = checkRequestSource(req.headers, port);
    if (source.isErr()) return sendRejection(res, source.error);
    const url = new URL(req.url ?? '/', `http://${source.value}`);
    if (url.pathname !== '/api' && !url.pathname.startsWith('/api/')) return serveStatic(url.pathname, req.method ?? 'GET', res);

    const route = url.pathname.slice('/api/'.length);
    if (route === 'session') return launch.handle(req, res);
    const byUrl = URL_ROUTES.has(route);
    const authorized = checkToken(byUrl ? (url.searchParams.get('token') ?? undefined) : bearerToken(req.headers.authorization), token);
    if (authorized.isErr()) return sendRejection(res, authorized.error);
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
  const listening = await new Promise<Result<number, GatewayStartError>>((resolve) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      resolve(err({ code: 'LISTEN_FAILED', message: `cannot listen on ${host}:${options.port ?? 0} (${e.code ?? e.message}): pick another port or leave it to the system` })),
    );
    server.listen(options.port ?? 0, host, () => resolve(ok((server.address() as AddressInfo).port)));
  });
  if (listening.isErr()) {
    await link.close();
    return err(listening.error);
  }
  port = listening.value;
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
