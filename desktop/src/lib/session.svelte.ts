import { launchCodeFromHash, tokenFromHash } from './routes.js';

const STORAGE_KEY = 'comfyui-dl.token';

/**
 * The per-launch token. It arrives in the address's fragment (never sent to a server): as itself when the user
 * opens the address `comfyui-dl ui` printed, or as a one-time launch code when `ui` opened the window (browser
 * command lines are readable by other users). It then moves to this tab's sessionStorage and leaves the address
 * bar, so it is neither in the history nor in a copied link.
 */
export const session = $state({
  token: null as string | null,
  /** Trading a launch code for the token. */
  starting: true,
  /** The gateway refused the token or the code: this window belongs to an earlier launch. */
  expired: false,
});

function keep(token: string): void {
  sessionStorage.setItem(STORAGE_KEY, token);
  session.token = token;
}

async function exchange(code: string): Promise<void> {
  const response = await fetch('/api/session', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ launch: code }) }).catch(() => null);
  const body = (await response?.json().catch(() => null)) as { ok: boolean; result?: { token: string } } | null;
  if (body?.ok && body.result) keep(body.result.token);
  else session.expired = true;
}

export async function startSession(): Promise<void> {
  const token = tokenFromHash(location.hash);
  const code = launchCodeFromHash(location.hash);
  if (token !== null || code !== null) history.replaceState(null, '', `${location.pathname}#/downloads`);
  if (token !== null) keep(token);
  else if (code !== null) await exchange(code);
  else session.token = sessionStorage.getItem(STORAGE_KEY);
  session.starting = false;
}
