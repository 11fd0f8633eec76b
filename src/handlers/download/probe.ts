import { err, ok, type Result } from 'neverthrow';
import { request } from 'undici';

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
      const total = /\/(\d+)\s*$/.exec(h('content-range') ?? '')?.[1];
      if (total !== undefined) return ok({ totalBytes: Number(total), etag, lastModified, acceptsRanges: true });
    }
    if (res.statusCode === 200 && h('content-length') !== undefined) {
      return ok({ totalBytes: Number(h('content-length')), etag, lastModified, acceptsRanges: false });
    }
    return err({ code: 'PROBE_FAILED', status: res.statusCode, message: `${host(url)} answered ${res.statusCode} without the file's size; try again later` });
  } catch (e) {
    return err({ code: 'PROBE_FAILED', message: `cannot reach ${host(url)}: ${(e as Error).message}` });
  }
}

/**
 * Probes the storage URL, and once more with a fresh one when the storage host refuses it (an expired signed URL:
 * 403/410). Other failures are returned at once: waiting and trying again is the job's business, recorded there.
 */
export async function probeFresh<E>(
  resolveUrl: () => Promise<Result<{ url: string }, E>>,
  signal: AbortSignal,
  onRefresh: (reason: string) => void,
): Promise<Result<RemoteFile, E | ProbeError>> {
  for (let refreshed = false; ; refreshed = true) {
    const url = await resolveUrl();
    if (url.isErr()) return err(url.error);
    const probed = await probeRemote(url.value.url, signal);
    const status = probed.isErr() ? probed.error.status : undefined;
    if (refreshed || signal.aborted || (status !== 403 && status !== 410)) return probed;
    onRefresh(`the storage host answered ${status} to the signed URL`);
  }
}
