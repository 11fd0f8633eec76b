// The plumbing every simulated host shares: listening on 127.0.0.1, closing with its open connections, recording
// requests, and turning a handler's unexpected exception into a 500 that says it is a simulator bug.
import type { IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest<Host extends string = string> {
  readonly host: Host;
  readonly method: string;
  /** The request target as received: path and query. */
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
}

/** Resolves to http://127.0.0.1:<port> once the server listens. */
export function listen(server: Server, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    });
  });
}

export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

export function recorder<Host extends string>(requests: RecordedRequest<Host>[], host: Host) {
  return (req: IncomingMessage): void => {
    requests.push({ host, method: req.method ?? 'GET', url: req.url ?? '/', headers: { ...req.headers } });
  };
}

/** An unexpected exception in a handler is a simulator bug: answer 500 and say so, rather than hang. */
export function guarded(label: string, handle: (req: IncomingMessage, res: ServerResponse) => void | Promise<void>) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    Promise.resolve()
      .then(() => handle(req, res))
      .catch((error: unknown) => {
        console.error(`${label}: handler failed`, error);
        if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain' });
        res.end('simulator bug');
      });
  };
}
