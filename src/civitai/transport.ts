// How the CivitAI client talks HTTP: one request with the key sent to the API origin only and no redirect followed,
// bodies read within a cap, and every answer that is not a success turned into a CivitaiError.
import { request, type Dispatcher } from 'undici';
import { err, ok, type Result } from 'neverthrow';
import type { z } from 'zod';
import {
  civitaiError,
  errorFromResponse,
  invalidResponse,
  isJsonContentType,
  networkError,
  unexpectedBody,
  type CivitaiError,
  type RequestContext,
} from './errors.js';

export const DEFAULT_TIMEOUT_MS = 30_000;
export const DEFAULT_MAX_BODY_BYTES = 32 * 1024 * 1024;
/** Error pages and unexpected bodies are read this far at most: enough for a message, never a model file. */
export const ERROR_BODY_BYTES = 64 * 1024;

export interface RawResponse {
  readonly url: URL;
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Dispatcher.ResponseData['body'];
}

export function header(headers: RawResponse['headers'], name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Drains a small body so the connection can be reused, or drops the connection when the body is large. */
export async function discard(response: RawResponse): Promise<void> {
  await response.body.dump({ limit: ERROR_BODY_BYTES }).catch(() => undefined);
}

export interface TransportSettings {
  readonly apiOrigin: string;
  readonly apiKey: string | undefined;
  readonly secrets: readonly string[];
  readonly userAgent: string;
  readonly timeoutMs: number;
  readonly maxBodyBytes: number;
  readonly dispatcher?: Dispatcher;
  readonly now: () => number;
}

export function createTransport(settings: TransportSettings) {
  const { apiOrigin, apiKey, secrets, userAgent, timeoutMs, maxBodyBytes, now } = settings;

  async function send(
    url: URL,
    ctx: RequestContext,
    init: { method: 'GET' | 'POST'; body?: string; accept: string },
  ): Promise<Result<RawResponse, CivitaiError>> {
    const headers: Record<string, string> = { 'user-agent': userAgent, accept: init.accept };
    // Defence in depth: whatever URL reaches this point, the key only ever goes to the API origin.
    if (apiKey !== undefined && url.origin === apiOrigin) headers.authorization = `Bearer ${apiKey}`;
    if (init.body !== undefined) headers['content-type'] = 'application/json';
    const requestOptions = {
      method: init.method,
      headers,
      body: init.body ?? null,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      // Disables redirect-following even if the caller's dispatcher composes undici's redirect interceptor.
      maxRedirections: 0,
      ...(settings.dispatcher !== undefined ? { dispatcher: settings.dispatcher } : {}),
    };
    try {
      const response = await request(url, requestOptions);
      return ok({ url, status: response.statusCode, headers: response.headers, body: response.body });
    } catch (cause) {
      return err(networkError(cause, ctx));
    }
  }

  /** Reads at most `limit` bytes; beyond it the body is abandoned and `truncated` is set. */
  async function readCapped(
    response: RawResponse,
    limit: number,
  ): Promise<Result<{ text: string; truncated: boolean }, unknown>> {
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      for await (const chunk of response.body) {
        const buffer = chunk as Buffer;
        size += buffer.length;
        if (size > limit) {
          chunks.push(buffer.subarray(0, buffer.length - (size - limit)));
          // Leaving the loop destroys the stream, abandoning the rest of the body.
          return ok({ text: Buffer.concat(chunks).toString('utf8'), truncated: true });
        }
        chunks.push(buffer);
      }
    } catch (cause) {
      return err(cause);
    }
    return ok({ text: Buffer.concat(chunks).toString('utf8'), truncated: false });
  }

  async function failure(response: RawResponse, ctx: RequestContext): Promise<CivitaiError> {
    const body = await readCapped(response, ERROR_BODY_BYTES);
    return errorFromResponse(
      {
        status: response.status,
        contentType: header(response.headers, 'content-type'),
        retryAfter: header(response.headers, 'retry-after'),
        bodyText: body.isOk() ? body.value.text : '',
      },
      ctx,
      now(),
    );
  }

  async function json<S extends z.ZodType>(
    url: URL,
    schema: S,
    ctx: RequestContext,
    body?: unknown,
  ): Promise<Result<z.output<S>, CivitaiError>> {
    const sent = await send(url, ctx, {
      method: body === undefined ? 'GET' : 'POST',
      accept: 'application/json',
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    if (sent.isErr()) return err(sent.error);
    const response = sent.value;
    if (response.status < 200 || response.status > 299) return err(await failure(response, ctx));
    const contentType = header(response.headers, 'content-type');
    if (!isJsonContentType(contentType)) {
      const text = await readCapped(response, ERROR_BODY_BYTES);
      return err(unexpectedBody({ status: response.status, contentType, bodyText: text.isOk() ? text.value.text : '' }, ctx));
    }
    const text = await readCapped(response, maxBodyBytes);
    if (text.isErr()) return err(networkError(text.error, ctx));
    if (text.value.truncated) {
      return err(civitaiError({
        code: 'INVALID_RESPONSE',
        status: response.status,
        message: `CivitAI's answer for ${ctx.what} is larger than ${maxBodyBytes} bytes; not reading it. Try again later.`,
      }, secrets));
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text.value.text);
    } catch {
      return err(civitaiError({
        code: 'INVALID_RESPONSE',
        status: response.status,
        message: `CivitAI's answer for ${ctx.what} is not valid JSON although labelled so; try again later.`,
      }, secrets));
    }
    const result = schema.safeParse(parsed);
    return result.success ? ok(result.data) : err(invalidResponse(result.error, ctx, response.status));
  }

  return { send, readCapped, failure, json };
}
