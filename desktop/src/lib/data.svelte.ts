import type { Result } from 'neverthrow';
import type { CatalogEntryJson, JobJson, ResultOf } from '../../../src/ipc/protocol.js';
import { call, type ApiError } from './api.js';
import { eventCategory } from './event-summary.js';
import { live } from './live.svelte.js';

/** Something the app loads from the daemon and reloads when events say it changed. */
export class Resource<T> {
  value = $state.raw<T | null>(null);
  error = $state<string | null>(null);
  loading = $state(false);
  #load: () => Promise<Result<T, ApiError>>;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(load: () => Promise<Result<T, ApiError>>) {
    this.#load = load;
  }

  async refresh(): Promise<void> {
    this.loading = true;
    const result = await this.#load();
    this.loading = false;
    result.match(
      (value) => {
        this.value = value;
        this.error = null;
      },
      (error) => {
        this.error = error.message;
      },
    );
  }

  /** Many events arrive together (a download appends several): one reload for the lot. */
  refreshSoon(delayMs = 150): void {
    if (this.#timer !== undefined) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.refresh();
    }, delayMs);
  }
}

export const jobs = new Resource<JobJson[]>(async () => (await call('queue', { all: true })).map((r) => r.jobs));
export const catalog = new Resource<CatalogEntryJson[]>(async () => (await call('list')).map((r) => r.models));
export const updates = new Resource<ResultOf<'updates'>>(async () => call('updates', {}));
export const status = new Resource(async () => call('status'));

const JOB_CATEGORIES = new Set(['download', 'routing', 'sidecar']);
const LIBRARY_CATEGORIES = new Set(['file', 'scan', 'model', 'update', 'updates']);

/** Starts the live feed and keeps every resource in step with the daemon's events. */
export function startData(): void {
  live.onEvent((event) => {
    const category = eventCategory(event.type);
    if (JOB_CATEGORIES.has(category) && event.type !== 'download.chunk_written') jobs.refreshSoon();
    if (event.type === 'download.placed' || LIBRARY_CATEGORIES.has(category)) {
      catalog.refreshSoon(300);
      updates.refreshSoon(300);
    }
  });
  live.onSync(() => {
    for (const resource of [jobs, catalog, updates, status]) void resource.refresh();
  });
  for (const resource of [jobs, catalog, updates, status]) void resource.refresh();
  void live.start();
}
