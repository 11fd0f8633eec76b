import { z } from 'zod';
import { formatBytes } from '../lib/bytes.js';

const message = z.string();

/** Everything that can stop a transfer, as plain data the caller can record and show. */
export const transferErrorSchema = z.discriminatedUnion('code', [
  z.object({
    code: z.literal('DISK_FULL'),
    message,
    neededBytes: z.number(),
    freeBytes: z.number(),
    folder: z.string(),
  }),
  z.object({ code: z.literal('HTTP_STATUS'), message, status: z.number().int(), retryable: z.boolean() }),
  z.object({ code: z.literal('HTML_RESPONSE'), message, status: z.number().int() }),
  z.object({ code: z.literal('REMOTE_CHANGED'), message, restarts: z.number().int() }),
  z.object({ code: z.literal('RANGES_IGNORED'), message, restarts: z.number().int() }),
  z.object({ code: z.literal('STALLED'), message }),
  z.object({ code: z.literal('NETWORK'), message }),
  z.object({ code: z.literal('ABORTED'), message }),
  z.object({
    code: z.literal('SIZE_MISMATCH'),
    message,
    expectedBytes: z.number(),
    actualBytes: z.number().optional(),
  }),
  z.object({ code: z.literal('DISK_IO'), message, errno: z.string() }),
]);
export type TransferError = z.infer<typeof transferErrorSchema>;

/** Storage URLs are signed: only the host may appear in messages, never the path's query. */
export function describeHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'the download server';
  }
}

/** Library messages may quote a URL: drop every query string, where signed URLs keep their secrets. */
export const withoutQueries = (text: string): string => text.replace(/\?[^\s'"]*/g, '');

export const diskFull = (neededBytes: number, freeBytes: number, folder: string): TransferError => ({
  code: 'DISK_FULL',
  message:
    `Not enough disk space: need ${formatBytes(neededBytes)}, ${formatBytes(freeBytes)} free on ${folder}. ` +
    'Free some space (or choose another staging folder), then resume the download.',
  neededBytes,
  freeBytes,
  folder,
});

export const diskIo = (errno: string, detail: string): TransferError => ({
  code: 'DISK_IO',
  message: `Writing the partial file failed (${errno}: ${detail}). Check the disk and the folder's permissions, then resume.`,
  errno,
});

export function httpStatus(status: number, host: string, retryable: boolean): TransferError {
  const advice = retryable
    ? 'The server seems to be having trouble: try again later.'
    : status >= 300 && status < 400
      ? 'Download URLs should not redirect again: refresh the model details and retry.'
      : 'Check that the file still exists on CivitAI and that your API key may download it.';
  return { code: 'HTTP_STATUS', message: `${host} answered HTTP ${status}. ${advice}`, status, retryable };
}

export const htmlResponse = (status: number, host: string): TransferError => ({
  code: 'HTML_RESPONSE',
  message:
    `${host} sent a web page instead of the model file (HTTP ${status}, text/html): usually a login page or a ` +
    'bot check. Check your CivitAI API key, or open the model page in a browser, then retry.',
  status,
});

export const remoteChanged = (restarts: number): TransferError => ({
  code: 'REMOTE_CHANGED',
  message:
    `The file on the server kept changing (the download restarted ${restarts} times). It was probably re-uploaded: ` +
    'refresh the model details and start the download again later.',
  restarts,
});

export const rangesIgnored = (host: string, restarts: number): TransferError => ({
  code: 'RANGES_IGNORED',
  message:
    `${host} cannot resume a download (it ignores Range requests), and the connection dropped ${restarts + 1} times ` +
    'before the whole file arrived. It will be tried again from the start.',
  restarts,
});

export const stalled = (host: string, reason: string, attempts: number): TransferError => ({
  code: 'STALLED',
  message: `The download from ${host} stalled (${reason}) and did not recover after ${attempts} attempts. Check your network connection, then resume.`,
});

export const network = (host: string, detail: string, attempts: number): TransferError => ({
  code: 'NETWORK',
  message: `The connection to ${host} failed (${withoutQueries(detail)}) after ${attempts} attempts. Check your network connection, then resume.`,
});

export const aborted = (): TransferError => ({
  code: 'ABORTED',
  message: 'The download was stopped (paused or cancelled). Resume it to continue from the last saved point.',
});

export const sizeMismatch = (expectedBytes: number, actualBytes: number | undefined, detail: string): TransferError => ({
  code: 'SIZE_MISMATCH',
  message:
    `${detail} The file on the server no longer matches the expected ${expectedBytes} bytes: ` +
    'refresh the model details, then start the download again.',
  expectedBytes,
  actualBytes,
});
