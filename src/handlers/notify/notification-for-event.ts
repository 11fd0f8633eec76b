// Which events deserve a desktop notification, under which key, and what it says. Pure: names come from the
// views through `facts`. The key is what makes a notification a once-only fact.
import type { EventDataOf } from '../../events/index.js';
import type { StoredEvent } from '../../events/envelope.js';

export const NOTIFYING_EVENT_TYPES = ['model.version_discovered', 'download.placed', 'download.failed', 'download.hash_mismatched'] as const;

export interface PendingNotification {
  readonly key: string;
  readonly kind: EventDataOf<'notification.sent'>['kind'];
  readonly summary: string;
  readonly body: string;
}

export interface JobNames {
  readonly model_name: string | null;
  readonly version_name: string | null;
  readonly file_name: string | null;
}

export interface NotificationFacts {
  modelName(modelId: number): string | null;
  job(jobId: string): JobNames | undefined;
}

/** What `notification.sent` accepts as a summary. */
const MAX_SUMMARY = 500;
const clip = (text: string): string => (text.length <= MAX_SUMMARY ? text : `${text.slice(0, MAX_SUMMARY - 1)}…`);

const jobIdOf = (streamId: string): string => streamId.slice('download-'.length);

function jobLabel(facts: NotificationFacts, jobId: string): string {
  const job = facts.job(jobId);
  if (job?.model_name) return job.version_name ? `${job.model_name} ${job.version_name}` : job.model_name;
  return job?.file_name ?? `job ${jobId}`;
}

export function notificationFor(event: StoredEvent, facts: NotificationFacts): PendingNotification | undefined {
  switch (event.type) {
    case 'model.version_discovered': {
      const d = event.data as EventDataOf<'model.version_discovered'>;
      const name = facts.modelName(d.modelId) ?? `Model ${d.modelId}`;
      return {
        key: `update:${d.versionId}`,
        kind: 'update',
        summary: clip(`${name}: ${d.versionName} is available`),
        body: `${d.baseModel ? `For ${d.baseModel}. ` : ''}See it with \`comfyui-dl updates\`.`,
      };
    }
    case 'download.placed': {
      const jobId = jobIdOf(event.streamId);
      const d = event.data as EventDataOf<'download.placed'>;
      return { key: `done:${jobId}`, kind: 'download_completed', summary: clip(`Downloaded ${jobLabel(facts, jobId)}`), body: `Saved as ${d.path}` };
    }
    case 'download.failed':
    case 'download.hash_mismatched': {
      const jobId = jobIdOf(event.streamId);
      const body = event.type === 'download.failed'
        ? (event.data as EventDataOf<'download.failed'>).message
        : `The file's SHA-256 is not the one CivitAI lists; it was quarantined and nothing was placed. Retry with \`comfyui-dl retry ${jobId}\`.`;
      return { key: `failed:${jobId}:${event.position}`, kind: 'download_failed', summary: clip(`Download failed: ${jobLabel(facts, jobId)}`), body };
    }
    default:
      return undefined;
  }
}
