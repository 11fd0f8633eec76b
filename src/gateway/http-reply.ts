import type { ServerResponse } from 'node:http';
import { displayStrings } from '../lib/terminal-text.js';
import type { Rejection } from './errors.js';

/**
 * Headers on every answer. The page may load pictures from CivitAI (https) and, in tests and demos, from a local
 * stand-in; everything else comes from this server. No CORS header is ever sent: other origins get nothing.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  // Svelte sets element styles for progress bars and the like.
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: https: http://127.0.0.1:* http://localhost:*",
  "media-src 'self' https: http://127.0.0.1:* http://localhost:*",
  "connect-src 'self'",
  "font-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export function securityHeaders(): Record<string, string> {
  return {
    'Content-Security-Policy': CONTENT_SECURITY_POLICY,
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    // The page's address carries the token in its fragment (never sent), and query tokens must not leak either.
    'Referrer-Policy': 'no-referrer',
    'Cross-Origin-Resource-Policy': 'same-origin',
    'Cross-Origin-Opener-Policy': 'same-origin',
  };
}

/** Strings in the body lose their control characters (bidi overrides, escapes): the app shows them to people. */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body, displayStrings);
  res.writeHead(status, {
    ...securityHeaders(),
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
  });
  res.end(text);
}

export function sendRejection(res: ServerResponse, rejection: Rejection): void {
  sendJson(res, rejection.status, { ok: false, error: rejection.error });
}
