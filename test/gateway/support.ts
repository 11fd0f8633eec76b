import { request } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Reply {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

export interface RawRequest {
  readonly port: number;
  readonly path: string;
  readonly method?: string;
  /** Sent exactly as given; `host` defaults to 127.0.0.1:<port>, `null` sends none. */
  readonly headers?: Record<string, string | null>;
  readonly body?: string | Buffer;
}

/** A request with full control over Host, as a hostile page or a rebinding attack would send it. */
export function send(r: RawRequest): Promise<Reply> {
  const headers: Record<string, string> = { host: `127.0.0.1:${r.port}` };
  for (const [name, value] of Object.entries(r.headers ?? {})) {
    if (value === null) delete headers[name];
    else headers[name] = value;
  }
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: r.port, path: r.path, method: r.method ?? 'GET', headers, setHost: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(r.body);
  });
}

export function apiCall(port: number, token: string, method: string, params: unknown = {}, headers: Record<string, string | null> = {}): Promise<Reply> {
  return send({
    port,
    path: `/api/${method}`,
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
    body: JSON.stringify(params),
  });
}

/** A stand-in for desktop/dist: the gateway only needs an index.html and an asset to serve. */
export function fakeAppDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'comfyui-dl-app-'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>comfyui-dl</title>');
  return dir;
}

export function portOf(url: string): number {
  return Number(new URL(url).port);
}

export interface SseMessage {
  readonly event: string;
  readonly id: string | undefined;
  readonly data: unknown;
}

export interface SseReader {
  readonly status: number;
  readonly messages: readonly SseMessage[];
  /** Resolves with the first message (already received or to come) that matches. */
  waitFor(match: (m: SseMessage) => boolean, timeoutMs?: number): Promise<SseMessage>;
  close(): void;
}

/** Reads a Server-Sent Events stream as a browser's EventSource would, parsing messages as they arrive. */
export function readEventStream(port: number, path: string, headers: Record<string, string> = {}): Promise<SseReader> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { accept: 'text/event-stream', ...headers } }, (res) => {
      const messages: SseMessage[] = [];
      const waiters = new Set<() => void>();
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (text: string) => {
        buffer += text;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const field = (name: string) => block.split('\n').find((l) => l.startsWith(`${name}: `))?.slice(name.length + 2);
          const data = field('data');
          if (data !== undefined) messages.push({ event: field('event') ?? 'message', id: field('id'), data: JSON.parse(data) });
        }
        for (const wake of waiters) wake();
      });
      resolve({
        status: res.statusCode ?? 0,
        messages,
        waitFor: (match, timeoutMs = 15_000) =>
          new Promise((found, fail) => {
            const check = (): void => {
              const m = messages.find(match);
              if (m === undefined) return;
              waiters.delete(check);
              clearTimeout(timer);
              found(m);
            };
            const timer = setTimeout(() => {
              waiters.delete(check);
              fail(new Error(`no matching event within ${timeoutMs} ms; got ${messages.map((m) => m.event).join(', ')}`));
            }, timeoutMs);
            waiters.add(check);
            check();
          }),
        close: () => req.destroy(),
      });
    });
    req.on('error', reject);
    req.end();
  });
}
