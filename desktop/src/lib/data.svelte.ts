import type { Result } from 'neverthrow';
import type { CatalogEntryJson, JobJson, ResultOf } from '../../../src/ipc/protocol.js';
import { call, type ApiError } from './api.js';
import { isConnectionError } from './connection.js';
import { eventCategory } from './event-summary.js';
import { mergeJobs, upsertJob } from './jobs.js';
import { live } from './live.svelte.js';

/** Something the app loads from the daemon and reloads when events say it changed. */
export class Resource<T> {
  value = $state.raw<T | null>(null);
  /** A failure other than the connection's (the connection banner says that one, once). */
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
        this.value = this.merge(this.value, value);
        this.error = null;
      },
      (error) => {
        // The connection banner says that one, once.
        if (!isConnectionError(error)) this.error = error.message;
      },
    );
  }

  /** How a fresh answer replaces what is shown. */
  protected merge(_current: T | null, fresh: T): T {
    return fresh;
  }

  /** Many events arrive together (a scan appends hundreds): one reload for the lot. */
  refreshSoon(delayMs = 300): void {
    if (this.#timer !== undefined) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.refresh();
    }, delayMs);
  }
}

/** The jobs: loaded once per (re)connection, then kept current by the job JSON the live feed pushes. */
class JobList extends Resource<JobJson[]> {
  protected override merge(current: JobJson[] | null, fresh: JobJson[]): JobJson[] {
    return mergeJobs(current ?? [], fresh);
  }

  /** A job as the feed or an action's answer has it now. */
  upsert(job: JobJson): void {
    this.value = upsertJob(this.value ?? [], job);
  }
}

export const jobs = new JobList(async () => (await call('queue', { all: true })).map((r) => r.jobs));
export const catalog = new Resource<CatalogEntryJson[]>(async () => (await call('list')).map((r) => r.models));
export const updates = new Resource<ResultOf<'updates'>>(async () => call('updates', {}));
export const status = new Resource(async () => call('status'));

const LIBRARY_CATEGORIES = new Set(['file', 'scan', 'model', 'update', 'updates']);

/** Starts the live feed and keeps every resource in step with the daemon's events. */
export function startData(): void {
  live.onJob((job) => jobs.upsert(job));
  live.onEvent((event) => {
    if (event.type === 'download.placed' || LIBRARY_CATEGORIES.has(eventCategory(event.type))) {
      catalog.refreshSoon();
      updates.refreshSoon();
    }
  });
  live.onSync(() => {
    for (const resource of [jobs, catalog, updates, status]) void resource.refresh();
  });
  void live.start();
}
