// Who is calling the API host, as CivitAI's server sees it.
import type { IncomingMessage } from 'node:http';

export interface Caller {
  /** A key was presented and it is the valid one. An invalid key counts as anonymous, as on the real site. */
  readonly authenticated: boolean;
  /** CivitAI answers browsers with redirects and bare strings instead of JSON. */
  readonly browser: boolean;
  readonly userAgent: string;
}

const BROWSER_AGENT = /mozilla|chrome|safari|firefox|opera|edge/i;

/** The server takes the second word of Authorization whatever the scheme, and only then `?token=`. */
function presentedKey(req: IncomingMessage, url: URL): string | undefined {
  const header = req.headers.authorization;
  if (header !== undefined) return header.split(' ')[1];
  return url.searchParams.get('token') ?? undefined;
}

export function identifyCaller(req: IncomingMessage, url: URL, apiKey: string | undefined): Caller {
  const key = presentedKey(req, url);
  const userAgent = req.headers['user-agent'] ?? '';
  return {
    authenticated: apiKey !== undefined && key === apiKey,
    browser: BROWSER_AGENT.test(userAgent),
    userAgent,
  };
}
