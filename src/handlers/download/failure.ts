// What the job runner does with each way a download can fail: wait and try again by itself, pause until the user
// frees disk space, or fail for good because no retry can fix it (ARCHITECTURE.md §8). Pure.
import { isRetryable } from '../../http/retry.js';
import type { SourceError } from '../../sources/source.js';
import type { TransferError } from '../../transfer/index.js';
import type { ProbeError } from './probe.js';

export type FailureVerdict = 'transient' | 'permanent' | 'disk_full' | 'stopped';

export type DownloadFailure =
  | { readonly source: 'transfer'; readonly error: TransferError }
  | { readonly source: 'api'; readonly error: SourceError }
  | { readonly source: 'probe'; readonly error: ProbeError };

const TRANSIENT_TRANSFER = new Set<TransferError['code']>(['NETWORK', 'STALLED', 'RANGES_IGNORED']);

export function verdictOf(failure: DownloadFailure): FailureVerdict {
  switch (failure.source) {
    case 'api':
      return isRetryable(failure.error) ? 'transient' : 'permanent';
    case 'probe':
      if (failure.error.code === 'HTML_RESPONSE') return 'permanent';
      return failure.error.status === undefined || failure.error.status === 429 || failure.error.status >= 500 ? 'transient' : 'permanent';
    case 'transfer': {
      const e = failure.error;
      if (e.code === 'ABORTED') return 'stopped';
      if (e.code === 'DISK_FULL') return 'disk_full';
      if (e.code === 'HTTP_STATUS') return e.retryable ? 'transient' : 'permanent';
      return TRANSIENT_TRANSFER.has(e.code) ? 'transient' : 'permanent';
    }
  }
}
