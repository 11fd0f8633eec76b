// Picks what a reference means inside API answers: the newest version of a model, and the file of a version.
// Choosing the file locally (then downloading it by fileId) is what lets the daemon know the expected name,
// size and SHA-256 before a byte is transferred.
import { err, ok, type Result } from 'neverthrow';
import { formatBytes } from '../lib/bytes.js';
import type { FileSelector } from './refs.js';
import type { Model, ModelFile, ModelVersionSummary } from './schemas.js';
import { parseCivitaiTimestamp } from './timestamps.js';

export interface SelectError {
  readonly code: 'NO_VERSION' | 'NO_FILE';
  readonly message: string;
}

/** File types CivitAI itself prefers as a version's main file. */
const PRIMARY_TYPES = new Set(['Model', 'Pruned Model', 'Diffusion Model', 'UNet']);

/** The newest published version: latest publishedAt, then highest id (display order can be rearranged). */
export function newestVersion(model: Model): Result<ModelVersionSummary, SelectError> {
  const published = model.modelVersions.filter((v) => v.status === undefined || v.status === 'Published');
  const newest = published.reduce<ModelVersionSummary | undefined>(
    (best, v) => (best === undefined || compareVersions(v, best) > 0 ? v : best),
    undefined,
  );
  return newest !== undefined
    ? ok(newest)
    : err({ code: 'NO_VERSION', message: `Model ${model.id} has no published version to download.` });
}

function compareVersions(a: ModelVersionSummary, b: ModelVersionSummary): number {
  const at = parseCivitaiTimestamp(a.publishedAt) ?? -Infinity;
  const bt = parseCivitaiTimestamp(b.publishedAt) ?? -Infinity;
  return at !== bt ? at - bt : a.id - b.id;
}

/** The file a selector names among a version's files; without a selector, the version's primary file. */
export function selectFile(
  files: readonly ModelFile[],
  selector: FileSelector | undefined,
  versionLabel: string,
): Result<ModelFile, SelectError> {
  const candidates = selector === undefined ? files : files.filter((f) => matches(f, selector));
  const chosen =
    candidates.find((f) => f.primary === true) ??
    candidates.find((f) => PRIMARY_TYPES.has(f.type)) ??
    candidates[0];
  if (chosen !== undefined) return ok(chosen);
  const listing = files.length === 0 ? '  (none: CivitAI lists no downloadable file)' : files.map((f) => `  ${describeFile(f)}`).join('\n');
  return err({
    code: 'NO_FILE',
    message: `${versionLabel} has no file ${selector === undefined ? 'to download' : `with ${describeSelector(selector)}`}. Its files:\n${listing}\nPick one with --file ID, or with --fp, --format and --size values listed here.`,
  });
}

function matches(file: ModelFile, selector: FileSelector): boolean {
  if (selector.kind === 'id') return file.id === selector.fileId;
  const same = (wanted: string | undefined, actual: string | null | undefined): boolean =>
    wanted === undefined || (actual ?? '').toLowerCase() === wanted.toLowerCase();
  return (
    same(selector.type, file.type) &&
    same(selector.format, file.metadata?.format) &&
    same(selector.size, file.metadata?.size) &&
    sameFp(selector.fp, file.metadata?.fp) &&
    same(selector.quantType, stringField(file.metadata, 'quantType'))
  );
}

/** `fp8` also names CivitAI's fp8 variants (`fp8_scaled`, `fp8_mixed`), which are fp8 weights too. */
function sameFp(wanted: string | undefined, actual: string | null | undefined): boolean {
  if (wanted === undefined) return true;
  const want = wanted.toLowerCase();
  const have = (actual ?? '').toLowerCase();
  return have === want || have.startsWith(`${want}_`);
}

function stringField(object: Record<string, unknown> | null | undefined, key: string): string | undefined {
  const value = object?.[key];
  return typeof value === 'string' ? value : undefined;
}

function describeFile(file: ModelFile): string {
  const meta = [
    ['format', file.metadata?.format], ['size', file.metadata?.size], ['fp', file.metadata?.fp], ['quantType', stringField(file.metadata, 'quantType')],
  ].filter(([, value]) => value).map(([key, value]) => `${key}=${value}`).join(' ');
  return `${file.id}  ${file.name}  (${file.type}${meta ? `, ${meta}` : ''}, ${formatBytes(fileSizeBytes(file))})`;
}

function describeSelector(selector: FileSelector): string {
  if (selector.kind === 'id') return `file id ${selector.fileId}`;
  const { kind: _kind, ...filters } = selector;
  return Object.entries(filters).map(([k, v]) => `${k}=${v}`).join(', ');
}

/** Bytes of a file: the API gives sizeKB as bytes/1024. */
export function fileSizeBytes(file: ModelFile): number {
  return Math.round(file.sizeKB * 1024);
}

/** The file's SHA-256 in lowercase hex, when CivitAI has a well-formed one. */
export function fileSha256(file: ModelFile): string | undefined {
  const sha = Object.entries(file.hashes).find(([type]) => type.toUpperCase() === 'SHA256')?.[1];
  return sha !== undefined && /^[0-9a-f]{64}$/i.test(sha) ? sha.toLowerCase() : undefined;
}
