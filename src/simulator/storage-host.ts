// The storage host (stand-in for CivitAI's R2/B2 buckets): serves presigned URLs with Range, If-Range, ETag and
// Content-Disposition, and refuses credentials it should never see.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FaultBook, RequestSubject } from './faults.js';
import { ifRangeHolds, parseRange } from './range.js';
import { sendS3Error, type Headers } from './http-send.js';
import { storageKeyOf, type UrlSigner } from './signing.js';
import { streamBody, type BodyShaping } from './stream-body.js';
import type { World } from './world.js';

export interface StorageHostDeps {
  readonly world: World;
  readonly signer: UrlSigner;
  readonly faults: FaultBook;
}

const STATUS_CODES: Readonly<Record<number, string>> = {
  400: 'InvalidRequest',
  403: 'AccessDenied',
  404: 'NoSuchKey',
  429: 'SlowDown',
  500: 'InternalError',
  503: 'ServiceUnavailable',
};

export async function handleStorageRequest(deps: StorageHostDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const { world, signer, faults } = deps;
  const target = new URL(req.url ?? '/', 'http://storage.invalid');
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    return sendS3Error(res, 405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.', { Allow: 'GET, HEAD' });
  }
  // R2 refuses a presigned URL that also carries an Authorization header; clients that forward the CivitAI
  // key across the redirect fail here, as they do in production.
  if (req.headers.authorization !== undefined) {
    return sendS3Error(res, 400, 'InvalidRequest', 'Missing x-amz-content-sha256');
  }
  const key = storageKeyOf(target);
  const file = key === undefined ? undefined : world.fileByStorageKey(key);
  const subject: RequestSubject = { target: 'storage', fileId: file?.id, versionId: file?.version.id };

  const [status] = faults.take(subject, ['status']);
  if (status) {
    const headers: Headers = status.retryAfter === undefined ? {} : { 'Retry-After': String(status.retryAfter) };
    return sendS3Error(res, status.status, STATUS_CODES[status.status] ?? 'InternalError', 'Injected failure', headers);
  }
  const [expired] = faults.take(subject, ['expire-url']);
  const signature = signer.check(target);
  if (expired || (!signature.ok && signature.reason === 'expired')) {
    return sendS3Error(res, 403, 'AccessDenied', 'Request has expired');
  }
  if (!signature.ok) {
    return sendS3Error(res, 403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided.');
  }
  if (!file) return sendS3Error(res, 404, 'NoSuchKey', 'The specified key does not exist.');

  const [changeEtag] = faults.take(subject, ['change-etag']);
  if (changeEtag) file.touch();

  const size = file.sizeBytes;
  const rangeFaults = req.method === 'GET' ? faults.take(subject, ['ignore-range']) : [];
  const ifRange = req.headers['if-range'];
  const requested = rangeFaults.length > 0 || !ifRangeHolds(typeof ifRange === 'string' ? ifRange : undefined, file.etag, file.lastModified)
    ? ({ kind: 'full' } as const)
    : parseRange(req.headers.range, size);
  const common: Headers = {
    'Accept-Ranges': 'bytes',
    ETag: file.etag,
    'Last-Modified': file.lastModified.toUTCString(),
    'Content-Disposition': signature.contentDisposition,
  };
  if (requested.kind === 'unsatisfiable') {
    return sendS3Error(res, 416, 'InvalidRange', 'The requested range is not satisfiable', { ...common, 'Content-Range': `bytes */${size}` });
  }
  const [start, end] = requested.kind === 'partial' ? [requested.start, requested.end + 1] : [0, size];
  const [slow] = req.method === 'GET' ? faults.take(subject, ['slow-headers']) : [];
  if (slow) await sleep(slow.ms);
  res.writeHead(requested.kind === 'partial' ? 206 : 200, {
    ...common,
    'Content-Type': 'application/octet-stream',
    'Content-Length': end - start,
    ...(requested.kind === 'partial' ? { 'Content-Range': `bytes ${start}-${end - 1}/${size}` } : {}),
  });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  // Headers are out, so a failure here can only cut the body short; it is a simulator bug, so say so.
  streamBody(res, file.content, start, end, bodyShaping(faults, subject)).catch((error: unknown) => {
    console.error('civitai simulator: streaming failed', error);
    res.destroy();
  });
}

function bodyShaping(faults: FaultBook, subject: RequestSubject): BodyShaping {
  let shaping: BodyShaping = {};
  for (const fault of faults.take(subject, ['drop', 'stall', 'throttle', 'corrupt'])) {
    if (fault.kind === 'drop') shaping = { ...shaping, dropAfter: fault.afterBytes };
    if (fault.kind === 'stall') shaping = { ...shaping, stall: { afterBytes: fault.afterBytes, ms: fault.ms } };
    if (fault.kind === 'throttle') shaping = { ...shaping, bytesPerSecond: fault.bytesPerSecond };
    if (fault.kind === 'corrupt') shaping = { ...shaping, corruptOffset: fault.offset };
  }
  return shaping;
}
