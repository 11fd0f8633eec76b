import { err, ok, type Result } from 'neverthrow';
import type { MethodName, ParamsOf, ResultOf } from '../../../src/ipc/protocol.js';
import { GATEWAY_UNREACHABLE, isConnectionError } from './connection.js';
import { session } from './session.svelte.js';

export interface ApiError {
  readonly code: string;
  readonly message: string;
}

type ParamsArg<M extends MethodName> = Record<string, never> extends ParamsOf<M> ? [params?: ParamsOf<M>] : [params: ParamsOf<M>];

let connectionListener: ((error: ApiError) => void) | undefined;

/** Who hears that a request failed because a part is down (the live feed, which owns the connection state). */
export function onConnectionError(listener: (error: ApiError) => void): void {
  connectionListener = listener;
}

/** One daemon method through the gateway. Every answer is `{ok, result | error}`, whatever the status. */
export async function call<M extends MethodName>(method: M, ...params: ParamsArg<M>): Promise<Result<ResultOf<M>, ApiError>> {
  const result = await request(method, params[0] ?? {});
  if (result.isErr() && isConnectionError(result.error)) connectionListener?.(result.error);
  return result;
}

async function request<M extends MethodName>(method: M, params: unknown): Promise<Result<ResultOf<M>, ApiError>> {
  let response: Response;
  try {
    response = await fetch(`/api/${method}`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${session.token ?? ''}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(params),
    });
  } catch {
    return err({ code: GATEWAY_UNREACHABLE, message: 'The app server (comfyui-dl ui) is not running any more.' });
  }
  if (response.status === 401) session.expired = true;
  const body = (await response.json().catch(() => null)) as { ok: true; result: ResultOf<M> } | { ok: false; error: ApiError } | null;
  if (body === null) return err({ code: 'BAD_RESPONSE', message: `unexpected answer from the gateway (HTTP ${response.status})` });
  return body.ok ? ok(body.result) : err(body.error);
}

/** A model's preview image, served by the gateway from beside the model file. */
export function previewUrl(path: string): string {
  return `/api/preview?path=${encodeURIComponent(path)}&token=${encodeURIComponent(session.token ?? '')}`;
}

export function eventsUrl(from: number | null): string {
  return `/api/events?token=${encodeURIComponent(session.token ?? '')}${from === null ? '' : `&from=${from}`}`;
}
