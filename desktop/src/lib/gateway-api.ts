import { err, ok, type Result } from 'neverthrow';
import type { ApiError } from './api.js';
import { GATEWAY_UNREACHABLE } from './connection.js';
import { session } from './session.svelte.js';

export interface PairedExtension {
  readonly origin: string;
  readonly name: string;
  readonly pairedAt: string;
}

interface UiCalls {
  'extension.info': { params: Record<string, never>; result: { extensionDir: string; port: number; extensions: PairedExtension[] } };
  'pairing.start': { params: Record<string, never>; result: { code: string; expiresAt: string } };
  'pairing.remove': { params: { origin: string }; result: { removed: boolean } };
}

/** The app's calls to the gateway itself (not forwarded to the daemon): the browser extension's pairing. */
export async function uiCall<N extends keyof UiCalls>(name: N, params: UiCalls[N]['params']): Promise<Result<UiCalls[N]['result'], ApiError>> {
  try {
    const response = await fetch(`/api/ui/${name}`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${session.token ?? ''}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(params),
    });
    if (response.status === 401) session.expired = true;
    const body = (await response.json()) as { ok: true; result: UiCalls[N]['result'] } | { ok: false; error: ApiError };
    return body.ok ? ok(body.result) : err(body.error);
  } catch {
    return err({ code: GATEWAY_UNREACHABLE, message: 'The app server (comfyui-dl ui) is not running any more.' });
  }
}
