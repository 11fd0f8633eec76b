import { htmlResponse, httpStatus, sizeMismatch, type TransferError } from './errors.js';
import type { Validator } from './options.js';
import { parseContentRange } from '../http/content-range.js';
import { parseRetryAfterMs } from './retry.js';

export type HeaderValue = string | string[] | undefined;
export type Headers = Record<string, HeaderValue>;

export function header(headers: Headers, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

export function validatorOf(headers: Headers): Validator {
  return { etag: header(headers, 'etag'), lastModified: header(headers, 'last-modified') };
}

const isStrongEtag = (etag: string | undefined): etag is string => etag !== undefined && !etag.startsWith('W/');

/** RFC 9110 forbids weak ETags in If-Range; a date is the fallback validator. */
export function ifRangeValue(validator: Validator | undefined): string | undefined {
  if (isStrongEtag(validator?.etag)) return validator.etag;
  return validator?.lastModified;
}

/**
 * Compares what a response says about the file with what is known. A validator the response leaves out
 * says nothing: some servers drop ETag on partial responses.
 */
export function compareValidator(known: Validator | undefined, seen: Validator): 'same' | 'learned' | 'changed' {
  const etagChanged = known?.etag !== undefined && seen.etag !== undefined && known.etag !== seen.etag;
  const dateChanged =
    known?.lastModified !== undefined && seen.lastModified !== undefined && known.lastModified !== seen.lastModified;
  if (etagChanged || dateChanged) return 'changed';
  const learnsEtag = known?.etag === undefined && seen.etag !== undefined;
  const learnsDate = known?.lastModified === undefined && seen.lastModified !== undefined;
  return learnsEtag || learnsDate ? 'learned' : 'same';
}

export interface RangeAsked {
  start: number;
  /** Exclusive. */
  end: number;
  totalBytes: number;
}

export type ResponseVerdict =
  /** 206 with exactly the bytes asked for. */
  | { kind: 'partial' }
  /** 200 with the whole file: fine only when the whole file was asked for. */
  | { kind: 'whole' }
  /** The signed storage URL is no longer accepted: resolve a fresh one. */
  | { kind: 'expired' }
  | { kind: 'retry'; error: TransferError; retryAfterMs: number | undefined }
  | { kind: 'fatal'; error: TransferError };

const RETRYABLE_STATUS = new Set([408, 425, 429, 500, 502, 503, 504]);

/** Decides what to do with a response to a ranged GET before a single body byte is written. */
export function judgeResponse(asked: RangeAsked, status: number, headers: Headers, host: string, now: number): ResponseVerdict {
  const contentType = header(headers, 'content-type') ?? '';
  if (status >= 200 && status < 300 && /^\s*text\/html/i.test(contentType)) {
    return { kind: 'fatal', error: htmlResponse(status, host) };
  }
  const length = header(headers, 'content-length');
  const contentLength = length === undefined ? undefined : Number(length);
  if (status === 206) {
    const range = parseContentRange(header(headers, 'content-range'));
    const askedText = `bytes ${asked.start}-${asked.end - 1}`;
    if (range === undefined) {
      return { kind: 'fatal', error: sizeMismatch(asked.totalBytes, undefined, `${host} answered ${askedText} without a valid Content-Range.`) };
    }
    if (range.total !== undefined && range.total !== asked.totalBytes) {
      return { kind: 'fatal', error: sizeMismatch(asked.totalBytes, range.total, `${host} reports a file of ${range.total} bytes.`) };
    }
    if (range.first !== asked.start || range.last !== asked.end - 1) {
      return {
        kind: 'fatal',
        error: sizeMismatch(asked.totalBytes, range.total, `${host} sent bytes ${range.first}-${range.last} when ${askedText} were asked.`),
      };
    }
    if (contentLength !== undefined && contentLength !== asked.end - asked.start) {
      return {
        kind: 'fatal',
        error: sizeMismatch(asked.totalBytes, range.total, `${host} announced ${contentLength} bytes for ${askedText}.`),
      };
    }
    return { kind: 'partial' };
  }
  if (status === 200) {
    if (contentLength !== undefined && contentLength !== asked.totalBytes) {
      return { kind: 'fatal', error: sizeMismatch(asked.totalBytes, contentLength, `${host} sent a file of ${contentLength} bytes.`) };
    }
    return { kind: 'whole' };
  }
  if (status === 416) {
    return { kind: 'fatal', error: sizeMismatch(asked.totalBytes, undefined, `${host} says the file is shorter than ${asked.end} bytes.`) };
  }
  if (status === 403 || status === 410) {
    if (/^\s*text\/html/i.test(contentType)) return { kind: 'fatal', error: htmlResponse(status, host) };
    return { kind: 'expired' };
  }
  if (RETRYABLE_STATUS.has(status) || status >= 500) {
    return { kind: 'retry', error: httpStatus(status, host, true), retryAfterMs: parseRetryAfterMs(header(headers, 'retry-after'), now) };
  }
  return { kind: 'fatal', error: httpStatus(status, host, false) };
}
