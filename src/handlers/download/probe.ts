import { err, ok, type Result } from 'neverthrow';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { parseContentRange } from '../../http/content-range.js';
import { backoffDelayMs, type RetryPolicy } from '../../transfer/index.js';

export interface RemoteFile {
  readonly totalBytes: number;
  readonly etag: string | null;
  readonly lastModified: string | null;
  /** The server answered a range with 206: the file can be fetched in segments and resumed. */
  readonly acceptsRanges: boolean;
}

export type ProbeError = { readonly code: 'PROBE_FAILED' | 'HTML_RESPONSE'; readonly message: string; readonly status?: number };

const host = (url: string) => {
  try {
    return new URL(url).host;
  } catch {
    return 'the download server';
  }
};

/**
 * Asks for the first byte only: the answer tells the exact size (CivitAI's sizeKB is rounded), the validator and
 * whether ranges work, without downloading anything. A server that ignores Range sends the whole body; it is
 * cut off at once.
 */
export async function probeRemote(url: string, signal: AbortSignal): Promise<Result<RemoteFile, ProbeError>> {
  try {
    // undici follows no redirect unless asked to: a signed URL must answer by itself.
    const res = await request(url, { method: 'GET', headers: { range: 'bytes=0-0' }, signal });
    // dump() reads at most a small amount and then closes the socket quietly: a server that ignores Range sends
    // the whole file, which must not be read here.
    await res.body.dump({ limit: 64 * 1024 }).catch(() => undefined);
    const h = (name: string) => {
      const v = res.headers[name];
      return Array.isArray(v) ? v[0] : v;
    };
    if (/text\/html/i.test(h('content-type') ?? '')) {
      return err({ code: 'HTML_RESPONSE', message: `${host(url)} answered with a web page instead of the model file (status ${res.statusCode}); CivitAI may want you to log in: set a key with \`comfyui-dl config set-key\`` });
    }
    const etag = h('etag') ?? null;
    const lastModified = h('last-modified') ?? null;
    if (res.statusCode === 206) {
      const total = parseContentRange(h('content-range'))?.total;
      if (total !== undefined) return ok({ totalBytes: total, etag, lastModified, acceptsRanges: true });
    }
    if (res.statusCode === 200 && h('content-length') !== undefined) {
      return ok({ totalBytes: Number(h('content-length')), etag, lastModified, acceptsRanges: false });
    }
    return err({ code: 'PROBE_FAILED', status: res.statusCode, message: `${host(url)} answered ${res.statusCode} without the file's size; try again later` });
  } catch (e) {
    return err({ code: 'PROBE_FAILED', message: `cannot reach ${host(url)}: ${(e as Error).message}` });
  }
}

export interface ProbeRetry {
  readonly failure: 'status' | 'network';
  readonly detail: string;
  readonly delayMs: number;
}

/**
 * Probes the storage URL like one more connection: a refused signed URL (403/410, expired) is resolved again once,
 * and 429/5xx or a network failure is tried again after a backoff, up to the policy's attempts. Each refresh and
 * retry is reported, so the job's history tells it. What is left after that is the job's to wait out.
 */
export async function probeFresh<E>(
  resolveUrl: () => Promise<Result<{ url: string }, E>>,
  signal: AbortSignal,
  policy: RetryPolicy,
  report: { onRefresh: (reason: string) => void; onRetry: (retry: ProbeRetry) => void },
): Promise<Result<RemoteFile, E | ProbeError>> {
  let refreshed = false;
  for (let attempt = 1; ; attempt++) {
    const url = await resolveUrl();
    if (url.isErr()) return err(url.error);
    const probed = await probeRemote(url.value.url, signal);
    if (probed.isOk() || signal.aborted || probed.error.code === 'HTML_RESPONSE') return probed;
    const status = probed.error.status;
    if ((status === 403 || status === 410) && !refreshed) {
      refreshed = true;
      report.onRefresh(`the storage host answered ${status} to the signed URL`);
      continue;
    }
    const transient = status === undefined || status === 429 || status >= 500;
    if (!transient || attempt >= policy.maxAttempts) return probed;
    const delayMs = Math.round(backoffDelayMs(attempt, policy));
    report.onRetry({ failure: status === undefined ? 'network' : 'status', detail: probed.error.message, delayMs });
    await sleep(delayMs, undefined, { signal }).catch(() => undefined);
  }
}
