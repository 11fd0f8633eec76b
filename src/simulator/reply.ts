// A response decided by the API host's pure route logic, written out by the host.
import type { ServerResponse } from 'node:http';
import { sendHtml, sendJson, type Headers } from './http-send.js';

export type Reply =
  | { readonly kind: 'json'; readonly status: number; readonly body: unknown; readonly headers?: Headers }
  | { readonly kind: 'html'; readonly status: number; readonly html: string; readonly headers?: Headers }
  | { readonly kind: 'redirect'; readonly location: string; readonly headers?: Headers };

export const json = (status: number, body: unknown, headers?: Headers): Reply => ({ kind: 'json', status, body, headers });
export const html = (status: number, markup: string, headers?: Headers): Reply => ({ kind: 'html', status, html: markup, headers });
/** Next.js `res.redirect(url)`: 307 Temporary Redirect. */
export const redirect = (location: string, headers?: Headers): Reply => ({ kind: 'redirect', location, headers });

export function writeReply(res: ServerResponse, reply: Reply, extraHeaders: Headers): void {
  const headers = { ...extraHeaders, ...reply.headers };
  switch (reply.kind) {
    case 'json':
      return sendJson(res, reply.status, reply.body, headers);
    case 'html':
      return sendHtml(res, reply.status, reply.html, headers);
    case 'redirect':
      res.writeHead(307, { ...headers, Location: reply.location, 'Content-Length': 0 });
      res.end();
  }
}

/** A plain page, for the HTML the site serves where a client expected JSON. */
export function page(title: string, body: string): string {
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>${title}</title></head><body>${body}</body></html>`;
}

export const pages = {
  notFound: page('404: This page could not be found', '<div id="__next"><h1>404</h1><h2>This page could not be found.</h2></div>'),
  login: page('Sign in | Civitai', '<div id="__next"><h1>Sign in to Civitai</h1><form action="/api/auth/signin" method="post"></form></div>'),
  cloudflareChallenge: page(
    'Just a moment...',
    '<div class="main-wrapper"><h1>civitai.com</h1><h2>Verifying you are human. This may take a few seconds.</h2><noscript>Enable JavaScript and cookies to continue</noscript></div>',
  ),
};

/** Headers Cloudflare puts on its challenge, which clients use to recognise it. */
export const CLOUDFLARE_CHALLENGE_HEADERS: Headers = { 'cf-mitigated': 'challenge', Server: 'cloudflare', 'Cache-Control': 'private, max-age=0, no-store, no-cache, must-revalidate' };
