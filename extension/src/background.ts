// The background worker: the only part that talks to `comfyui-dl ui` on 127.0.0.1 (its host permission lets it,
// and the gateway knows it by its extension origin). It keeps the port and the token it got when pairing.
import { parsePairingCode } from '../../src/lib/pairing-code.js';
import { ext } from './browser-api.js';
import type { Reply, Request } from './messages.js';
import type { SendRequest } from './pages.js';

interface Pairing {
  readonly port: number;
  readonly token: string;
}

const NOT_PAIRED: Reply = {
  ok: false,
  text: 'Not paired with comfyui-dl yet: open the comfyui-dl app, go to Browser extension, make a pairing code and type it into this extension (its toolbar button).',
};

async function pairing(): Promise<Pairing | null> {
  const stored = await ext.storage.local.get(['port', 'token']);
  return typeof stored.port === 'number' && typeof stored.token === 'string' ? { port: stored.port, token: stored.token } : null;
}

type Answer = { ok: true; result: unknown } | { ok: false; error: { code: string; message: string } };

/** One call to the gateway, or null when nothing answers on that port. */
async function callGateway(port: number, path: string, body: unknown, token?: string): Promise<Answer | null> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/api/ext/${path}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...(token === undefined ? {} : { Authorization: `Bearer ${token}` }) },
      body: JSON.stringify(body),
    });
    return (await response.json()) as Answer;
  } catch {
    return null;
  }
}

const unreachable = (port: number): Reply => ({
  ok: false,
  text: `comfyui-dl is not reachable on port ${port}: start it with comfyui-dl ui. If it now runs on another port, pair again.`,
});

async function pair(code: string): Promise<Reply> {
  const parsed = parsePairingCode(code);
  if (parsed === null) return { ok: false, text: 'That is not a pairing code: it looks like 43125-ABCD-EFGH (the comfyui-dl app shows it).' };
  const name = /Firefox\//.test(navigator.userAgent) ? 'Firefox' : 'Chromium';
  const answer = await callGateway(parsed.port, 'pair', { code, name });
  if (answer === null) return unreachable(parsed.port);
  if (!answer.ok) return { ok: false, text: answer.error.message };
  await ext.storage.local.set({ port: parsed.port, token: (answer.result as { token: string }).token });
  return { ok: true, text: `Paired with comfyui-dl on port ${parsed.port}.` };
}

async function status(): Promise<Reply> {
  const paired = await pairing();
  if (paired === null) return NOT_PAIRED;
  const answer = await callGateway(paired.port, 'hello', {}, paired.token);
  if (answer === null) return unreachable(paired.port);
  return answer.ok ? { ok: true, text: `Paired with comfyui-dl on port ${paired.port}.` } : { ok: false, text: answer.error.message };
}

async function send(request: SendRequest): Promise<Reply> {
  const paired = await pairing();
  if (paired === null) return NOT_PAIRED;
  const answer = await callGateway(paired.port, 'add', request.params, paired.token);
  if (answer === null) return unreachable(paired.port);
  if (!answer.ok) return { ok: false, text: answer.error.message };
  const { existing } = answer.result as { existing: boolean };
  return { ok: true, text: existing ? `Already in comfyui-dl: ${request.label}` : `Queued in comfyui-dl: ${request.label}` };
}

async function handle(message: Request): Promise<Reply> {
  switch (message.kind) {
    case 'send':
      return send(message.request);
    case 'pair':
      return pair(message.code);
    case 'status':
      return status();
    case 'forget':
      await ext.storage.local.remove(['port', 'token']);
      return NOT_PAIRED;
  }
}

ext.runtime.onMessage.addListener((message, _sender, sendResponse) => {
  void handle(message as Request).then(sendResponse, (e: unknown) => sendResponse({ ok: false, text: `comfyui-dl extension: ${String(e)}` }));
  // The answer comes later: keep the channel open.
  return true;
});
