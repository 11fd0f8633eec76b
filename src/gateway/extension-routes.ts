import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { AddParamsSchema } from '../ipc/protocol.js';
import { MAX_BODY_BYTES, parseParams } from './api-route.js';
import type { DaemonLink } from './daemon-link.js';
import { reject, statusForIpcError } from './errors.js';
import { sendJson, sendRejection } from './http-reply.js';
import { isExtensionOrigin, type Pairings } from './pairing.js';
import { readBody } from './read-body.js';
import { bearerToken } from './request-guard.js';

/** What the app asks of the gateway itself (not of the daemon): pairing codes and the paired extensions. */
export interface UiInfo {
  /** Where the built extension is, for "load unpacked". */
  readonly extensionDir: string;
  readonly port: () => number;
}

const PairParams = z.object({ code: z.string().max(40), name: z.string().max(100).optional() });
const RemoveParams = z.object({ origin: z.string().max(200) });

async function readParams(req: IncomingMessage, res: ServerResponse): Promise<Record<string, unknown> | undefined> {
  const params = (await readBody(req, MAX_BODY_BYTES)).andThen((body) => parseParams(req.headers['content-type'], body));
  if (params.isOk()) return params.value;
  if (params.error.status === 413) res.setHeader('Connection', 'close');
  sendRejection(res, params.error);
  return undefined;
}

/**
 * `/api/ext/<name>`: the browser extension's three calls. Only extension origins get past the door; `pair`
 * needs the code the app shows, the others the token pairing gave to that very origin. An extension can queue a
 * download and nothing else: it never reaches the daemon's other methods.
 */
export async function handleExtensionCall(link: DaemonLink, pairings: Pairings, name: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const origin = req.headers.origin;
  if (!isExtensionOrigin(origin)) {
    return sendRejection(res, reject(403, 'FORBIDDEN_ORIGIN', 'only a paired comfyui-dl browser extension may use this'));
  }
  // The extension calls from its own origin; its host permission covers the gateway, and these headers let a
  // browser that still applies CORS read the answer.
  res.setHeader('Access-Control-Allow-Origin', origin);
  res.setHeader('Vary', 'Origin');
  if (req.method === 'OPTIONS') {
    res.writeHead(204, { 'Access-Control-Allow-Methods': 'POST', 'Access-Control-Allow-Headers': 'authorization, content-type', 'Access-Control-Max-Age': '600' });
    return void res.end();
  }
  if (req.method !== 'POST') {
    res.setHeader('Allow', 'POST');
    return sendRejection(res, reject(405, 'METHOD_NOT_ALLOWED', 'extension calls are made with POST'));
  }
  const params = await readParams(req, res);
  if (params === undefined) return;

  if (name === 'pair') {
    const parsed = PairParams.safeParse(params);
    if (!parsed.success) return sendRejection(res, reject(400, 'BAD_JSON', 'send {code, name}'));
    const paired = pairings.pair(origin, parsed.data.code, parsed.data.name ?? '');
    return paired.ok ? sendJson(res, 200, { ok: true, result: { token: paired.token } }) : sendRejection(res, reject(403, paired.error.code, paired.error.message));
  }
  if (!pairings.verify(origin, bearerToken(req.headers.authorization))) {
    return sendRejection(res, reject(403, 'NOT_PAIRED', 'This browser is not paired with comfyui-dl: in the app, open Browser extension, make a pairing code and type it into the extension'));
  }
  switch (name) {
    case 'hello':
      return sendJson(res, 200, { ok: true, result: { paired: true } });
    case 'add': {
      const add = AddParamsSchema.safeParse(params);
      if (!add.success) return sendRejection(res, reject(400, 'BAD_JSON', 'send what to download: {ref} or {model, version, file}'));
      const answer = await link.request('add', add.data);
      return answer.match(
        (result) => sendJson(res, 200, { ok: true, result }),
        (error) => sendJson(res, statusForIpcError(error), { ok: false, error }),
      );
    }
    default:
      return sendRejection(res, reject(404, 'NOT_FOUND', `no extension call '${name.slice(0, 50)}'`));
  }
}

/** `/api/ui/<name>`, for the app (behind the session token): pairing codes and the list of paired extensions. */
export async function handleUiCall(pairings: Pairings, info: UiInfo, name: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method !== 'POST') {
    res.setHeader('Allow', 'POST');
    return sendRejection(res, reject(405, 'METHOD_NOT_ALLOWED', 'API methods are called with POST'));
  }
  const params = await readParams(req, res);
  if (params === undefined) return;
  switch (name) {
    case 'extension.info':
      return sendJson(res, 200, { ok: true, result: { extensionDir: info.extensionDir, port: info.port(), extensions: pairings.list() } });
    case 'pairing.start':
      return sendJson(res, 200, { ok: true, result: pairings.newCode(info.port()) });
    case 'pairing.remove': {
      const parsed = RemoveParams.safeParse(params);
      if (!parsed.success) return sendRejection(res, reject(400, 'BAD_JSON', 'send {origin}'));
      return sendJson(res, 200, { ok: true, result: { removed: pairings.remove(parsed.data.origin) } });
    }
    default:
      return sendRejection(res, reject(404, 'NOT_FOUND', `no app call '${name.slice(0, 50)}'`));
  }
}
