import type { WorkflowModel, WorkflowModelJson } from '../../../src/ipc/protocol.js';
import { call } from './api.js';
import { isConnectionError } from './connection.js';
import { jobs } from './data.svelte.js';
import { isActive } from './jobs.js';
import { live } from './live.svelte.js';
import { forTheApp } from './messages.js';
import { readWorkflowFile } from './workflow-file.js';
import { currentJob, mergeChecks } from './workflow-view.js';

/**
 * The workflow the user dropped, kept across page changes: its model files as read from the file, and where each
 * stands as the daemon last said. A download of one that ends makes the daemon check again.
 */
class WorkflowState {
  fileName = $state<string | null>(null);
  models = $state.raw<WorkflowModelJson[] | null>(null);
  warnings = $state.raw<string[]>([]);
  problem = $state<string | null>(null);
  busy = $state<'reading' | 'checking' | 'getting' | null>(null);
  #request: WorkflowModel[] = [];
  #listening = false;
  /** Jobs seen ended since they were queued: each end brings one more check, never a loop of them. */
  #ended = new Set<string>();
  #again = false;

  async open(file: File): Promise<void> {
    this.busy = 'reading';
    const read = await readWorkflowFile(file);
    this.busy = null;
    if (read.isErr()) {
      this.problem = `${file.name}: ${read.error}`;
      return;
    }
    this.fileName = file.name;
    this.models = null;
    this.#ended.clear();
    this.warnings = read.value.warnings;
    this.#request = read.value.models;
    this.#listen();
    await this.check(false);
  }

  /**
   * Where each file stands now; with `get`, every missing one is queued to land where the workflow loads it. A
   * check the user asks for forgets why files could not be queued, so Get all tries them again.
   */
  async check(get: boolean, asked = true): Promise<void> {
    if (this.fileName === null) return;
    this.busy = get ? 'getting' : 'checking';
    const result = await call('workflow.check', { models: this.#request, get });
    this.busy = null;
    result.match(
      (r) => {
        this.models = mergeChecks(this.models, r.models, { keepErrors: !asked });
        this.problem = null;
        for (const m of r.models) if (m.job && !jobs.value?.some((j) => j.id === m.job!.id && j.updatedAt > m.job!.updatedAt)) jobs.upsert(m.job);
      },
      // The connection banner says when a part is down; this says what else went wrong.
      (error) => (this.problem = isConnectionError(error) ? null : forTheApp(error.message)),
    );
    // A job may have ended while the answer was on its way.
    if (this.#again || this.#newlyEnded()) {
      this.#again = false;
      await this.check(false, false);
    }
  }

  /** Whether a job of this workflow ended since it was last looked at. */
  #newlyEnded(): boolean {
    let ended = false;
    for (const m of this.models ?? []) {
      const job = currentJob(m, jobs.value ?? []);
      if (job && !isActive(job.state) && !this.#ended.has(job.id)) {
        this.#ended.add(job.id);
        ended = true;
      }
    }
    return ended;
  }

  #listen(): void {
    if (this.#listening) return;
    this.#listening = true;
    live.onJob(() => {
      if (!this.#newlyEnded()) return;
      if (this.busy === null) void this.check(false, false);
      else this.#again = true;
    });
  }
}

export const workflow = new WorkflowState();
