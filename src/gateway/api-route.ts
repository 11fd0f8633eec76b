import type { IncomingMessage, ServerResponse } from 'node:http';
import { err, ok, type Result } from 'neverthrow';
import { isMethodName, MAX_WORKFLOW_CHECK_BYTES, type MethodName } from '../ipc/protocol.js';
import type { DaemonLink } from './daemon-link.js';
import { reject, statusForIpcError, type Rejection } from './errors.js';
import { sendJson, sendRejection } from './http-reply.js';
import { readBody } from './read-body.js';

/** Params are small (a search, a job id, a URL); the daemon caps its own frames at 1 MiB. */
export const MAX_BODY_BYTES = 64 * 1024;
/** A workflow's list of model files is the one large request: bounded by what the app sends, under the frame cap. */
const BODY_LIMITS: Partial<Record<MethodName, number>> = { 'workflow.check': MAX_WORKFLOW_CHECK_BYTES + 4 * 1024 };

/**
 * JSON objects only. Requiring `application/json` also shuts out HTML forms, which can post cross-site without
 * a preflight but only as form or plain-text bodies.
 */
export function parseParams(contentType: string | undefined, body: Buffer): Result<Record<string, unknown>, Rejection> {
  if (!/^application\/json\s*(;|$)/i.test(contentType ?? '')) {
    return err(reject(415, 'UNSUPPORTED_MEDIA_TYPE', 'send the params as a JSON object with Content-Type: application/json'));
  }
  if (body.length === 0) return ok({});
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    return err(reject(400, 'BAD_JSON', 'the request body is not valid JSON'));
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return err(reject(400, 'BAD_JSON', 'the params must be a JSON object'));
  }
  return ok(parsed as Record<string, unknown>);
}

/** `POST /api/<method>`: one daemon method of the protocol table, answered as `{ok, result | error}`. */
export async function handleApiCall(link: DaemonLink, method: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (!isMethodName(method)) {
    return sendRejection(res, reject(404, 'UNKNOWN_METHOD', `the daemon has no method '${method.slice(0, 100)}'`));
  }
  if (req.method !== 'POST') {
    res.setHeader('Allow', 'POST');
    return sendRejection(res, reject(405, 'METHOD_NOT_ALLOWED', 'API methods are called with POST'));
  }
  const body = await readBody(req, BODY_LIMITS[method] ?? MAX_BODY_BYTES);
  const params = body.andThen((b) => parseParams(req.headers['content-type'], b));
  if (params.isErr()) {
    // Whatever is left of an oversized body is not worth reading: answer, then drop the connection.
    if (params.error.status === 413) res.setHeader('Connection', 'close');
    return sendRejection(res, params.error);
  }
  const answer = await link.request(method, params.value);
  answer.match(
    (result) => sendJson(res, 200, { ok: true, result }),
    (error) => sendJson(res, statusForIpcError(error), { ok: false, error }),
  );
}
