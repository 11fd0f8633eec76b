// A presigned-URL object store (stand-in for CivitAI's R2/B2 buckets and the Hugging Face Hub's LFS/Xet bridge):
// serves objects with Range, If-Range, ETag and Content-Disposition, answers S3-style XML errors, and refuses
// credentials it should never see. What it stores comes from a catalog, so each simulated site brings its own.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FaultBook, RequestSubject } from './faults.js';
import { ifRangeHolds, parseRange } from './range.js';
import { sendS3Error, type Headers } from './http-send.js';
import { storageKeyOf, type UrlSigner } from './signing.js';
import type { FileContent } from './content.js';
import { streamBody, type BodyShaping } from './stream-body.js';

/** One object in the bucket. */
export interface StoredObject {
  readonly content: FileContent;
  readonly etag: string;
  readonly lastModified: Date;
  /** As if the same bytes were uploaded again: new ETag and Last-Modified. */
  touch(): void;
}

export interface StorageCatalog {
  /** The object at a storage key, with what faults may be scoped to. */
  lookup(key: string): { readonly object: StoredObject; readonly subject: RequestSubject } | undefined;
}

export interface StorageHostDeps {
  readonly catalog: StorageCatalog;
  readonly signer: UrlSigner;
  readonly faults: FaultBook;
  /** For error logs: which simulator this store belongs to. */
  readonly label: string;
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
  const { catalog, signer, faults } = deps;
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
  const found = key === undefined ? undefined : catalog.lookup(key);
  const file = found?.object;
  const subject: RequestSubject = found?.subject ?? { target: 'storage' };

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

  const size = file.content.length;
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
    console.error(`${deps.label}: streaming failed`, error);
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
