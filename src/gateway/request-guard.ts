import type { IncomingHttpHeaders } from 'node:http';
import { err, ok, type Result } from 'neverthrow';
import { reject, type Rejection } from './errors.js';
import { tokensEqual } from './token.js';

/**
 * The checks every request passes before anything else reads it. A page on another site can make the browser
 * send requests here; DNS rebinding can even make them same-origin. So: the Host must name this server by a
 * loopback name (rebinding leaves the attacker's name in it, and page scripts cannot forge Host), an Origin, when
 * the browser sends one, must be this server's own, and the API needs the per-launch token on top.
 */

const LOOPBACK_NAMES = ['127.0.0.1', 'localhost'] as const;

export function allowedHosts(port: number): readonly string[] {
  return LOOPBACK_NAMES.map((name) => `${name}:${port}`);
}

/**
 * Host, Origin and Fetch Metadata. Returns the accepted host (lowercase) for building same-origin URLs. The
 * extension's routes check their own Origin (a paired extension's, never a page's), so `extensionRoute` leaves
 * only the Host check here.
 */
export function checkRequestSource(headers: IncomingHttpHeaders, port: number, extensionRoute = false): Result<string, Rejection> {
  const host = (headers.host ?? '').toLowerCase();
  if (!allowedHosts(port).includes(host)) {
    return err(reject(403, 'FORBIDDEN_HOST', `this server only answers to ${allowedHosts(port).join(' or ')}; open the address \`comfyui-dl ui\` printed`));
  }
  if (extensionRoute) return ok(host);
  const origin = headers.origin;
  // `Origin: null` (sandboxed frames, some redirects) is a foreign origin too.
  if (origin !== undefined && origin.toLowerCase() !== `http://${host}`) {
    return err(reject(403, 'FORBIDDEN_ORIGIN', 'requests from other sites are refused'));
  }
  if (headers['sec-fetch-site'] === 'cross-site') {
    return err(reject(403, 'CROSS_SITE', 'requests from other sites are refused'));
  }
  return ok(host);
}

/** The token from `Authorization: Bearer <token>`, if the header has that form. */
export function bearerToken(authorization: string | undefined): string | undefined {
  const match = /^Bearer ([A-Za-z0-9_-]{1,200})$/.exec(authorization ?? '');
  return match?.[1];
}

export function checkToken(presented: string | undefined, token: string): Result<void, Rejection> {
  if (presented !== undefined && tokensEqual(presented, token)) return ok(undefined);
  return err(reject(401, 'UNAUTHORIZED', 'missing or wrong access token: open the address `comfyui-dl ui` printed (the token changes at every launch)'));
}
