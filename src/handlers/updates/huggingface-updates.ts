// Updates of Hugging Face files: for each file on disk that was downloaded from a branch (or tag), whether a newer
// commit there changed it. A file pinned to a commit id never changes.
import type { NewEvent } from '../../events/envelope.js';
import type { HfClient, HfVerification } from '../../huggingface/client.js';
import { isCommitId } from '../../huggingface/refs.js';
import type { EventStore } from '../../store/event-store.js';
import type { HuggingfaceResolved } from '../../sources/source.js';
import type { ViewQueries } from '../../views/queries.js';

/** A Hugging Face file on disk, as its download resolved it, with the SHA-256 its bytes have. */
export interface InstalledHfFile {
  readonly resolved: HuggingfaceResolved;
  readonly sha256: string;
}

/** Files on disk that came from Hugging Face, once per repo, branch and path. */
export async function readInstalledHfFiles(views: ViewQueries, store: EventStore): Promise<InstalledHfFile[]> {
  const rows = await views.presentHfDownloads();
  const files = new Map<string, InstalledHfFile>();
  for (const row of rows) {
    const resolved = (await store.readStream(`download-${row.job_id}`)).findLast((e) => e.type === 'download.resolved')?.data as HuggingfaceResolved | undefined;
    if (resolved?.source !== 'huggingface') continue;
    files.set(`${resolved.repo}@${resolved.requestedRevision}/${resolved.repoPath}`, { resolved, sha256: row.sha256 });
  }
  return [...files.values()];
}

const identityOf = (r: HuggingfaceResolved): HfVerification =>
  r.sha256 !== null ? { kind: 'sha256', sha256: r.sha256 } : { kind: 'git-blob', gitBlobId: r.gitBlobId ?? '' };

/**
 * Asks the hub about each file's branch; a file the branch now holds with other bytes becomes one
 * `huggingface.file_changed` event (its id names the new bytes, so a second check records nothing new).
 */
export async function checkHfFiles(hub: HfClient, files: readonly InstalledHfFile[]): Promise<{ events: { streamId: string; event: NewEvent }[]; failed: string | null }> {
  const events: { streamId: string; event: NewEvent }[] = [];
  let failed: string | null = null;
  for (const { resolved, sha256 } of files) {
    if (isCommitId(resolved.requestedRevision)) continue;
    const checked = await hub.checkForUpdate({ repo: resolved.repo, revision: resolved.requestedRevision, path: resolved.repoPath }, identityOf(resolved));
    if (checked.isErr()) {
      failed ??= checked.error.message;
      continue;
    }
    const answer = checked.value;
    if (answer.kind !== 'changed') continue;
    const { verification, lastCommit } = answer;
    const latest = verification.kind === 'sha256' ? verification.sha256 : verification.gitBlobId;
    events.push({
      streamId: `huggingface-${resolved.repo}`,
      event: {
        eventId: `hf-changed:${resolved.repo}@${resolved.requestedRevision}/${resolved.repoPath}:${latest}`,
        type: 'huggingface.file_changed',
        data: {
          repo: resolved.repo, path: resolved.repoPath, branch: resolved.requestedRevision, installedCommit: resolved.revision, installedSha256: sha256,
          latestCommit: lastCommit?.id ?? null, title: lastCommit?.title.slice(0, 500) ?? null, committedAt: lastCommit?.date ?? null,
          sha256: verification.kind === 'sha256' ? verification.sha256 : null, gitBlobId: verification.kind === 'git-blob' ? verification.gitBlobId : null,
          sizeBytes: answer.size,
        },
      },
    });
  }
  return { events, failed };
}
