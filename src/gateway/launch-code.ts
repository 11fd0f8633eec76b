import type { IncomingMessage, ServerResponse } from 'node:http';
import { reject } from './errors.js';
import { sendJson, sendRejection } from './http-reply.js';
import { parseParams } from './api-route.js';
import { readBody } from './read-body.js';
import { newToken, tokensEqual } from './token.js';

/**
 * The address `comfyui-dl ui` hands to the browser travels in the browser's command line, which every local user
 * can read in /proc for as long as the browser runs. So that address carries a code good for one exchange only:
 * the page trades it for the session token at once, after which the code in the command line is worthless.
 */
export interface LaunchCode {
  readonly code: string;
  /** `POST /api/session` with `{launch: code}` → `{ok, result: {token}}`, once. */
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
}

export function createLaunchCode(token: string): LaunchCode {
  const code = newToken();
  let used = false;
  return {
    code,
    async handle(req, res) {
      if (req.method !== 'POST') {
        res.setHeader('Allow', 'POST');
        return sendRejection(res, reject(405, 'METHOD_NOT_ALLOWED', 'the launch code is exchanged with POST'));
      }
      const params = (await readBody(req, 1024)).andThen((body) => parseParams(req.headers['content-type'], body));
      if (params.isErr()) return sendRejection(res, params.error);
      const given = params.value.launch;
      if (used || typeof given !== 'string' || !tokensEqual(given, code)) {
        return sendRejection(res, reject(401, 'UNAUTHORIZED', 'this launch address was already used: run `comfyui-dl ui` again (or `comfyui-dl ui --no-open` for an address to open)'));
      }
      used = true;
      sendJson(res, 200, { ok: true, result: { token } });
    },
  };
}
