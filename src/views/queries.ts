import type { AvailableUpdateJson, CatalogEntryJson, FileReplacementJson, HfUpdateJson, JobJson } from '../ipc/protocol.js';
import type { CatalogRow } from '../projections/catalog.projection.js';
import type { JobRow } from '../projections/queue.projection.js';
import { ofHost, type HostScope } from '../store/query.js';
import type { OpenedDatabase } from '../store/database.js';
import type { IdentityRow } from '../projections/library.projection.js';
import { ignoreKey, type UpdateRow } from '../projections/updates.projection.js';
import { versionPresence, type VersionPresence } from '../projections/version-presence.js';
import { versionPlacements } from '../projections/add-decision.js';
import { formatHfRef } from '../huggingface/refs.js';
import { RUNNING_STATES } from '../events/download.decider.js';

export function jobJson(r: JobRow): JobJson {
  return {
    id: r.id, state: r.state, modelId: r.model_id, versionId: r.version_id, fileId: r.file_id, fileName: r.file_name,
    path: r.path, sha256: r.sha256 ?? r.expected_sha256, bytesDone: r.bytes_done, bytesTotal: r.bytes_total, error: r.error,
    errorCode: r.error_code, modelName: r.model_name, versionName: r.version_name, type: r.model_type, baseModel: r.base_model,
    folder: r.folder, routingReason: r.routing_reason, attempts: r.attempts, nextAttemptAt: r.state === 'waiting' ? r.next_attempt_at : null,
    pausedReason: r.state === 'paused' ? (r.error_code === 'DISK_FULL' ? 'disk_full' : 'user') : null, createdAt: r.created_at, updatedAt: r.updated_at,
    source: r.source === 'huggingface' ? 'huggingface' : 'civitai', repo: r.repo, revision: r.revision, repoPath: r.repo_path,
    host: r.host,
  };
}

type Identity = Pick<IdentityRow, 'model_id' | 'version_id' | 'model_name' | 'version_name' | 'type' | 'base_model'>;

export function catalogJson(r: CatalogRow, identity: Identity | undefined, update: CatalogEntryJson['update']): CatalogEntryJson {
  return {
    path: r.path, folder: r.folder, sha256: r.sha256, sizeBytes: r.size_bytes,
    modelId: r.model_id ?? identity?.model_id ?? null, versionId: r.version_id ?? identity?.version_id ?? null,
    modelName: r.model_name ?? identity?.model_name ?? null, versionName: r.version_name ?? identity?.version_name ?? null,
    type: r.type ?? identity?.type ?? null, baseModel: r.base_model ?? identity?.base_model ?? null, origin: r.origin,
    update, routingReason: r.routing_reason, flagged: r.flagged, missing: r.missing === 1, changed: r.found_sha256 !== null,
    source: r.source === 'huggingface' || r.source === 'civitai' ? r.source : identity ? 'civitai' : null,
    repo: r.repo, revision: r.revision, repoPath: r.repo_path, host: r.host,
  };
}

/**
 * Typed reads of the views, built with kysely: the same queries run on any database kysely speaks to. `host` is
 * this daemon's: the catalog and the jobs it runs are its own unless a read asks for more. Without one (a tool
 * that reads a single host's log) every row counts as its own.
 */
export function viewQueries(db: OpenedDatabase, host?: string) {
  const k = db.kysely;
  const own: HostScope = host === undefined ? 'all' : { host };
  return {
    host,
    jobs: (includeFinished: boolean, scope: HostScope = 'all'): Promise<JobRow[]> =>
      (includeFinished
        ? k.selectFrom('view_jobs').selectAll().where(ofHost(scope)).orderBy('seq')
        : k.selectFrom('view_jobs').selectAll().where('state', 'not in', ['completed', 'cancelled']).where(ofHost(scope)).orderBy('seq')).execute(),
    /** A job by its id or an unambiguous prefix of it, as people type them. */
    jobByRef: (ref: string): Promise<JobRow[]> =>
      k.selectFrom('view_jobs').selectAll().where('id', '>=', ref).where('id', '<', `${ref}\uffff`).limit(2).execute(),
    job: (id: string): Promise<JobRow | undefined> => k.selectFrom('view_jobs').selectAll().where('id', '=', id).executeTakeFirst(),
    /** Jobs the scheduler may start: queued, waiting, and those a crash left running; oldest first. */
    schedulableJobs: () =>
      k.selectFrom('view_jobs').select(['id', 'state', 'next_attempt_at'])
        .where('state', 'in', ['queued', 'waiting', 'resolving', 'downloading', 'verifying']).where(ofHost(own)).orderBy('seq').execute(),
    jobCounts: () => k.selectFrom('view_jobs').select(['state', (eb) => eb.fn.countAll<number>().as('n')]).groupBy('state').execute(),
    catalog: (scope: HostScope = own): Promise<CatalogRow[]> => k.selectFrom('view_catalog').selectAll().where(ofHost(scope)).orderBy('path').orderBy('host').execute(),
    /** Every host that shares the log, with when its daemon was last seen. */
    hosts: () => k.selectFrom('hosts').selectAll().orderBy('name').execute(),
    /** How many jobs each host is running now; a row without a host is this daemon's (a single host's log). */
    runningByHost: async (): Promise<Map<string, number>> => {
      const rows = await k.selectFrom('view_jobs').select((eb) => ['host', eb.fn.countAll<number>().as('n')])
        .where('state', 'in', [...RUNNING_STATES]).groupBy('host').execute();
      const running = new Map<string, number>();
      for (const r of rows) running.set(r.host ?? host ?? '', (running.get(r.host ?? host ?? '') ?? 0) + Number(r.n));
      return running;
    },
    identities: (): Promise<IdentityRow[]> => k.selectFrom('view_identity').selectAll().where('known', '=', 1).execute(),
    updates: (): Promise<UpdateRow[]> => k.selectFrom('view_updates').selectAll().orderBy('model_id').execute(),
    ignores: async (): Promise<Set<string>> => new Set((await k.selectFrom('view_update_ignores').select('key').execute()).map((r) => r.key)),
    replacements: () => k.selectFrom('view_file_replacements').selectAll().orderBy('version_id').execute(),
    hfUpdates: () => k.selectFrom('view_hf_updates').selectAll().orderBy('key').execute(),
    setting: async (key: string): Promise<string | undefined> =>
      (await k.selectFrom('view_settings').select('value').where('key', '=', key).executeTakeFirst())?.value,
    /** A model's name as CivitAI's identification gave it, else as a catalog entry recorded it. */
    modelName: async (modelId: number): Promise<string | null> =>
      (await k.selectFrom('view_identity').select('model_name').where('model_id', '=', modelId).where('model_name', 'is not', null).executeTakeFirst())?.model_name
      ?? (await k.selectFrom('view_catalog').select('model_name').where('model_id', '=', modelId).where('model_name', 'is not', null).executeTakeFirst())?.model_name
      ?? null,
    jobNames: (id: string) =>
      k.selectFrom('view_jobs').select(['model_name', 'version_name', 'file_name']).where('id', '=', id).executeTakeFirst(),
    notificationSent: async (key: string): Promise<boolean> =>
      (await k.selectFrom('view_notifications').select('key').where('key', '=', key).executeTakeFirst()) !== undefined,
    /** Files on disk with the identity the library knows for their bytes, if any. */
    presentFilesWithIdentity: () =>
      k.selectFrom('view_catalog as c')
        .leftJoin('view_identity as i', (join) => join.onRef('i.sha256', '=', 'c.sha256').on('i.known', '=', 1))
        .select(['c.sha256', 'c.job_id', 'c.model_id', 'c.version_id', 'c.base_model', 'i.model_id as i_model_id', 'i.version_id as i_version_id', 'i.base_model as i_base_model'])
        .where('c.missing', '=', 0)
        .execute(),
    /** Files on disk that a download from Hugging Face placed. */
    presentHfDownloads: () =>
      k.selectFrom('view_catalog').select(['job_id', 'sha256'])
        .where('source', '=', 'huggingface').where('missing', '=', 0).where('job_id', 'is not', null)
        .execute(),
    /** Every catalog entry's place and bytes, missing ones included. */
    catalogPresence: () => k.selectFrom('view_catalog').select(['path', 'sha256', 'missing']).where(ofHost(own)).execute(),
    /** The bytes of every catalog entry of this host that came from Hugging Face, whether on disk or not. */
    hfCatalogSha256s: async (): Promise<Set<string>> =>
      new Set((await k.selectFrom('view_catalog').select('sha256').where('source', '=', 'huggingface').where(ofHost(own)).execute()).map((r) => r.sha256)),
    hashCache: () => k.selectFrom('view_hash_cache').selectAll().execute(),
    /** Every answer CivitAI gave about a hash, known or not. */
    identityChecks: () => k.selectFrom('view_identity').select(['sha256', 'known', 'checked_at']).execute(),
  };
}
export type ViewQueries = ReturnType<typeof viewQueries>;

/**
 * The catalog as users see it: scan-found files take their identity from the library, and each entry shows the
 * update that still applies to it: newer than what is installed, not installed anywhere since, not ignored.
 */
export async function libraryState(views: ViewQueries, scope?: HostScope): Promise<{ entries: CatalogEntryJson[]; updates: AvailableUpdateJson[] }> {
  const [identityRows, rows, ignored, updateRows] = await Promise.all([views.identities(), views.catalog(scope), views.ignores(), views.updates()]);
  const identities = new Map(identityRows.map((i) => [i.sha256, i]));
  const installedVersions = new Set<number>();
  for (const r of rows) {
    const v = r.version_id ?? identities.get(r.sha256)?.version_id;
    if (v && r.missing === 0) installedVersions.add(v);
  }
  const applicable = new Map(
    updateRows
      .filter((u) => !installedVersions.has(u.latest_version_id) && !ignored.has(ignoreKey(u.model_id, null)) && !ignored.has(ignoreKey(u.model_id, u.latest_version_id)))
      .map((u) => [u.model_id, u]),
  );
  const entries = rows.map((r) => {
    const identity = identities.get(r.sha256);
    const modelId = r.model_id ?? identity?.model_id;
    const u = modelId ? applicable.get(modelId) : undefined;
    return catalogJson(r, identity, u ? { versionId: u.latest_version_id, versionName: u.latest_version_name, publishedAt: u.published_at } : null);
  });
  const updates = [...applicable.values()].map((u) => {
    const entry = entries.find((e) => e.modelId === u.model_id && !e.missing) ?? entries.find((e) => e.modelId === u.model_id);
    return {
      modelId: u.model_id, installedVersionId: entry?.versionId ?? u.installed_version_id, latestVersionId: u.latest_version_id,
      latestVersionName: u.latest_version_name, publishedAt: u.published_at, path: entry?.path ?? null,
      modelName: entry?.modelName ?? null, baseModel: u.base_model,
    };
  });
  return { entries, updates };
}

/** Whether a version is on disk, intact, missing or changed (with the path), from the current views. */
export async function versionPresenceOf(views: ViewQueries, versionId: number): Promise<VersionPresence> {
  const [jobs, catalog, identities] = await Promise.all([views.jobs(true), views.catalog(), views.identities()]);
  return versionPresence({ catalog, identities, placements: versionPlacements(jobs, versionId) }, versionId);
}

/**
 * Files whose source now serves other bytes, while they still apply: CivitAI replaced the file of a version you
 * have, or a newer commit on a Hugging Face branch changed a file you have. One that was fetched since (its new
 * bytes are on disk) is no longer listed.
 */
export async function changedFiles(views: ViewQueries, entries: readonly CatalogEntryJson[]): Promise<{ replaced: FileReplacementJson[]; huggingface: HfUpdateJson[] }> {
  const [replacements, hfRows, jobs] = await Promise.all([views.replacements(), views.hfUpdates(), views.jobs(true)]);
  const intact = entries.filter((e) => !e.missing && !e.changed);
  const onDisk = (sha256: string | null): boolean => sha256 !== null && intact.some((e) => e.sha256 === sha256);
  const installedAt = (sha256: string) => intact.find((e) => e.sha256 === sha256) ?? entries.find((e) => e.sha256 === sha256);
  const replaced = replacements.filter((r) => !onDisk(r.remote_sha256)).map((r) => {
    const entry = installedAt(r.installed_sha256);
    return {
      modelId: r.model_id, versionId: r.version_id, fileId: r.file_id, installedSha256: r.installed_sha256, remoteSha256: r.remote_sha256,
      path: entry?.path ?? null, modelName: entry?.modelName ?? null, versionName: entry?.versionName ?? null, baseModel: entry?.baseModel ?? null,
    };
  });
  // A small file kept in git is known by its git blob id: fetched when a completed job for those bytes is on disk.
  const fetchedBlob = (repo: string, path: string, blob: string | null): boolean =>
    blob !== null && jobs.some((j) => j.state === 'completed' && j.repo === repo && j.repo_path === path && j.git_blob_id === blob && onDisk(j.sha256));
  const huggingface = hfRows
    .filter((u) => onDisk(u.installed_sha256) && !onDisk(u.latest_sha256) && !fetchedBlob(u.repo, u.repo_path, u.latest_git_blob))
    .map((u) => ({
      repo: u.repo, repoPath: u.repo_path, revision: u.branch, installedCommit: u.installed_commit, latestCommit: u.latest_commit,
      installedSha256: u.installed_sha256, remoteSha256: u.latest_sha256, remoteGitBlobId: u.latest_git_blob, sizeBytes: u.size_bytes,
      title: u.title, committedAt: u.committed_at, path: installedAt(u.installed_sha256)?.path ?? null,
      ref: formatHfRef({ repo: u.repo, revision: u.branch, path: u.repo_path }),
    }));
  return { replaced, huggingface };
}
