// What CivitAI's answer for one tracked model means for the files installed from it: a newer version worth
// reporting, and files CivitAI replaced under a version that is installed. Pure: the poller supplies the facts.
import type { Model, ModelVersionSummary } from '../../civitai/schemas.js';
import { fileSha256, newestVersion } from '../../civitai/select.js';
import { parseCivitaiTimestamp } from '../../civitai/timestamps.js';
import type { EventDataOf } from '../../events/index.js';

/** One installed file of a tracked model: present on disk and identified. */
export interface InstalledFile {
  readonly sha256: string;
  readonly modelId: number;
  readonly versionId: number;
  readonly baseModel: string | null;
}

/** The CivitAI file an installed file was when it was identified or downloaded. */
export interface InstalledFileFacts {
  readonly name: string;
  readonly type: string;
}

export interface UpdateRules {
  readonly includeEarlyAccess: boolean;
  readonly sameBaseModelOnly: boolean;
  readonly now: number;
}

export interface PresentFiles {
  /** SHA-256 of every file on disk in the catalog. */
  readonly sha256s: ReadonlySet<string>;
  /** Versions those files are known to be. */
  readonly versionIds: ReadonlySet<number>;
}

const inFuture = (value: unknown, now: number): boolean =>
  typeof value === 'string' && (parseCivitaiTimestamp(value) ?? -Infinity) > now;

/** Gated versions show as `availability: EarlyAccess`, or by a deadline in the future (field names vary by endpoint). */
export function isEarlyAccess(version: ModelVersionSummary, now: number): boolean {
  const fields = version as Record<string, unknown>;
  return version.availability === 'EarlyAccess' || inFuture(fields.earlyAccessDeadline, now) || inFuture(fields.earlyAccessEndsAt, now);
}

/** The newest of some of a model's versions: by publication time, then id (display order can be rearranged). */
function newestOf(model: Model, versions: ModelVersionSummary[]): ModelVersionSummary | undefined {
  return newestVersion({ ...model, modelVersions: versions }).unwrapOr(undefined);
}

/** The newest published version the rules allow, or undefined. */
export function newestEligibleVersion(model: Model, installed: readonly InstalledFile[], rules: UpdateRules): ModelVersionSummary | undefined {
  const bases = new Set(installed.map((f) => f.baseModel));
  return newestOf(model, model.modelVersions
    .filter((v) => rules.includeEarlyAccess || !isEarlyAccess(v, rules.now))
    .filter((v) => !rules.sameBaseModelOnly || bases.has(v.baseModel)));
}

/** Whether version `a` is newer than version `b`; a version CivitAI no longer lists is compared by id. */
function isNewer(model: Model, a: number, b: number): boolean {
  const listedA = model.modelVersions.find((v) => v.id === a);
  const listedB = model.modelVersions.find((v) => v.id === b);
  if (!listedA || !listedB) return a > b;
  return a !== b && newestOf(model, [listedB, listedA]) === listedA;
}

/**
 * The update to report for a model, if any: the newest eligible version, newer than every installed version of
 * the model, and not already present on disk (as that version, or by any of its files' hashes).
 */
export function discoverUpdate(
  model: Model,
  installed: readonly InstalledFile[],
  present: PresentFiles,
  rules: UpdateRules,
): EventDataOf<'model.version_discovered'> | undefined {
  const ofModel = installed.filter((f) => f.modelId === model.id);
  if (ofModel.length === 0) return undefined;
  const newest = newestEligibleVersion(model, ofModel, rules);
  const installedVersionId = ofModel.map((f) => f.versionId).reduce((a, b) => (isNewer(model, b, a) ? b : a));
  if (!newest || !isNewer(model, newest.id, installedVersionId)) return undefined;
  if (present.versionIds.has(newest.id) || newest.files.some((f) => present.sha256s.has(fileSha256(f) ?? ''))) return undefined;
  return {
    modelId: model.id, versionId: newest.id, versionName: newest.name, publishedAt: newest.publishedAt ?? null,
    baseModel: newest.baseModel || null, installedVersionId,
  };
}

/**
 * Installed files whose version CivitAI now serves with other bytes: the installed hash is no longer among the
 * version's files, but a file of the same name (or the only one of the same type) is, with another hash.
 */
export function detectReplacements<F extends InstalledFile>(
  model: Model,
  installed: readonly F[],
  factsOf: (file: F) => InstalledFileFacts | undefined,
): EventDataOf<'model.file_replaced'>[] {
  const found = new Map<string, EventDataOf<'model.file_replaced'>>();
  for (const file of installed) {
    if (file.modelId !== model.id) continue;
    const version = model.modelVersions.find((v) => v.id === file.versionId);
    // A version without hashes tells nothing; an installed hash still listed means nothing changed.
    if (!version || version.files.some((f) => fileSha256(f) === file.sha256)) continue;
    const facts = factsOf(file);
    if (!facts) continue;
    const sameType = version.files.filter((f) => f.type === facts.type);
    const remote = version.files.find((f) => f.name === facts.name) ?? (sameType.length === 1 ? sameType[0] : undefined);
    const remoteSha256 = remote ? fileSha256(remote) : undefined;
    if (!remote || remoteSha256 === undefined) continue;
    found.set(`${version.id}:${remoteSha256}`, {
      modelId: model.id, versionId: version.id, fileId: remote.id, installedSha256: file.sha256, remoteSha256,
    });
  }
  return [...found.values()];
}
