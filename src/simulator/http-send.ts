// Writing finished responses the way each stand-in host formats them.
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';

export type Headers = OutgoingHttpHeaders;

export function sendBody(res: ServerResponse, status: number, contentType: string, body: string | Buffer, headers: Headers = {}): void {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  res.writeHead(status, { ...headers, 'Content-Type': contentType, 'Content-Length': bytes.length });
  res.end(bytes);
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Headers = {}): void {
  sendBody(res, status, 'application/json; charset=utf-8', JSON.stringify(body), headers);
}

export function sendHtml(res: ServerResponse, status: number, html: string, headers: Headers = {}): void {
  sendBody(res, status, 'text/html; charset=utf-8', html, headers);
}

/** An S3-style XML error, as R2 and B2 answer. */
export function sendS3Error(res: ServerResponse, status: number, code: string, message: string, headers: Headers = {}): void {
  const xml = `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message></Error>`;
  sendBody(res, status, 'application/xml', xml, headers);
}

/** Reads a request body of at most `limit` bytes; undefined when it is larger. */
export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const part of req) {
    const chunk = part as Buffer;
    size += chunk.length;
    if (size > limit) return undefined;
    parts.push(chunk);
  }
  return Buffer.concat(parts);
}
