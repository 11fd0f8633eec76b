// What the Workflow page shows of a checked workflow: counts, tones, words, and how a fresh check keeps what an
// earlier one learned (the error `add` gave, the job that failed). Pure.
import type { JobJson, WorkflowModelJson } from '../../../src/ipc/protocol.js';
import { isActive } from './jobs.js';
import { forTheApp } from './messages.js';

export type Status = WorkflowModelJson['status'];

export const STATUS_LABELS: Readonly<Record<Status, string>> = { present: 'Present', missing: 'Missing', unresolved: 'Not found' };
export const STATUS_TONES: Readonly<Record<Status, 'green' | 'amber' | 'red'>> = { present: 'green', missing: 'amber', unresolved: 'red' };

export function counts(models: readonly WorkflowModelJson[]): Record<Status, number> {
  const tally = { present: 0, missing: 0, unresolved: 0 };
  for (const m of models) tally[m.status] += 1;
  return tally;
}

/** The job of a model as the live feed has it now (the check's copy is older). */
export function currentJob(model: WorkflowModelJson, jobs: readonly JobJson[]): JobJson | null {
  return model.job === null ? null : (jobs.find((j) => j.id === model.job!.id) ?? model.job);
}

/** Missing files "Get all" would queue: those without a job on its way, and not just refused (Check again asks anew). */
export function gettable(models: readonly WorkflowModelJson[], jobs: readonly JobJson[]): number {
  return models.filter((m) => m.status === 'missing' && m.error === null && !isActive(currentJob(m, jobs)?.state ?? 'failed')).length;
}

/**
 * A check after the first keeps, for a file still missing, the job that ended; and why `get` could not queue it,
 * unless the user asked to check again.
 */
export function mergeChecks(previous: readonly WorkflowModelJson[] | null, fresh: readonly WorkflowModelJson[], options: { keepErrors: boolean }): WorkflowModelJson[] {
  return fresh.map((m, i) => {
    const before = previous?.[i];
    if (m.status !== 'missing' || before === undefined || before.name !== m.name) return m;
    return { ...m, job: m.job ?? before.job, error: m.error ?? (m.job === null && options.keepErrors ? before.error : null) };
  });
}

/** One line under a file's name: where it is, where it comes from, or why it cannot be had. */
export function detailOf(model: WorkflowModelJson): string {
  if (model.status === 'present') return `Found at ${model.path}`;
  if (model.status === 'missing') {
    const from = model.source === 'huggingface' ? 'Hugging Face' : model.civitai ? 'CivitAI (found by its hash)' : 'CivitAI';
    return `From ${from}, to ${model.path}`;
  }
  return forTheApp(model.reason ?? 'Not found.');
}

/** The nodes that load it, as a workflow's author named them. */
export function nodesOf(model: WorkflowModelJson): string {
  return model.usedBy.map((use) => `${use.title ?? use.nodeType} (#${use.nodeId})${use.active ? '' : ', muted'}`).join(' · ');
}
