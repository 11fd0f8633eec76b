// What the user asked to download, read from the forms `add` accepts: a model page URL, a download URL, an AIR,
// or explicit ids. Pure; never throws: anything unrecognised becomes an INVALID_REF with a hint.
import { err, ok, type Result } from 'neverthrow';
import { plainText } from '../lib/terminal-text.js';
import { redact } from './errors.js';
import { civitaiIdSchema } from './schemas.js';

/** Which file of a version: an exact file id, or the download endpoint's metadata filters. */
export type FileSelector =
  | { readonly kind: 'id'; readonly fileId: number }
  | {
      readonly kind: 'query';
      readonly type?: string;
      readonly format?: string;
      readonly size?: string;
      readonly fp?: string;
      readonly quantType?: string;
    };

export type ModelRef =
  /** A model without a version: its newest published version. */
  | { readonly kind: 'model'; readonly modelId: number; readonly file?: FileSelector }
  | { readonly kind: 'version'; readonly versionId: number; readonly modelId?: number; readonly file?: FileSelector };

export interface RefError {
  readonly code: 'INVALID_REF';
  readonly message: string;
}

export interface RefOptions {
  /** The configured CivitAI base URL: URLs on its host are accepted like civitai.com's. */
  readonly baseUrl: string;
}

const CIVITAI_HOSTS = new Set([
  'civitai.com',
  'www.civitai.com',
  // Download URLs in API answers can name the API host.
  'api.civitai.com',
  'civitai.red',
  'www.civitai.red',
]);
const MAX_FILTER_LENGTH = 64;
const AIR = /^urn:air:([a-z0-9_.-]+):([a-z0-9_.-]+):([a-z0-9_.-]+):([^@\s]+)(?:@([^@\s]+))?$/i;
const SCHEMELESS_CIVITAI = /^((www|api)\.)?civitai\.(com|red)\//i;
const MODEL_PAGE = /^\/models\/([^/]+)(?:\/[^/]+)?\/?$/;
const DOWNLOAD = /^\/api\/download\/models\/([^/]+)\/?$/;
const DOWNLOAD_FILTERS = ['type', 'format', 'size', 'fp', 'quantType'] as const;

const invalid = (message: string): Result<never, RefError> => err({ code: 'INVALID_REF', message });

/** Shows the input back to the user without any key it may carry, control characters or unbounded length. */
function shown(input: string): string {
  const clean = plainText(redact(input));
  return clean.length > 120 ? `${clean.slice(0, 120)}…` : clean;
}

/** A CivitAI id as text or number: a positive whole number within int4. */
export function parseCivitaiId(value: string | number, label: string): Result<number, RefError> {
  const text = String(value).trim();
  // Digits only: Number() would also take "1e3", "0x10" or " ".
  const id = civitaiIdSchema.safeParse(/^\d{1,10}$/.test(text) ? Number(text) : NaN);
  if (!id.success) {
    return invalid(`${label} \`${shown(text)}\` is not a valid CivitAI id: expected a positive whole number.`);
  }
  return ok(id.data);
}

export function parseModelRef(input: string, opts: RefOptions): Result<ModelRef, RefError> {
  const text = input.trim();
  if (text === '') return invalid('The model reference is empty: give a CivitAI model URL, download URL or AIR.');
  if (/^urn:air:/i.test(text)) return parseAir(text);
  if (/^\d+$/.test(text)) {
    return invalid(`\`${shown(text)}\` is a bare number: use \`--model ${shown(text)}\` or \`--version ${shown(text)}\`.`);
  }
  return parseUrl(SCHEMELESS_CIVITAI.test(text) ? `https://${text}` : text, opts);
}

function parseAir(text: string): Result<ModelRef, RefError> {
  const match = AIR.exec(text);
  if (!match) {
    return invalid(`\`${shown(text)}\` is not a valid AIR: expected urn:air:<ecosystem>:<type>:civitai:<model id>[@<version id>].`);
  }
  const [, , , source, modelText, versionText] = match;
  if (source?.toLowerCase() !== 'civitai') {
    return invalid(`The AIR \`${shown(text)}\` names the source "${source ?? ''}"; only civitai resources can be downloaded.`);
  }
  return parseCivitaiId(modelText ?? '', 'The model id').andThen((modelId) =>
    versionText === undefined
      ? ok<ModelRef, RefError>({ kind: 'model', modelId })
      : parseCivitaiId(versionText, 'The version id').map((versionId): ModelRef => ({ kind: 'version', versionId, modelId })),
  );
}

function parseUrl(text: string, opts: RefOptions): Result<ModelRef, RefError> {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return invalid(`\`${shown(text)}\` is not a CivitAI reference: give a model page URL, a download URL (/api/download/models/<id>) or an AIR (urn:air:…).`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    return invalid(`\`${shown(text)}\` is not an http(s) URL: give a CivitAI model page URL, download URL or AIR.`);
  }
  const base = baseLocation(opts.baseUrl);
  const host = url.host.toLowerCase();
  let path = url.pathname;
  if (base !== undefined && host === base.host && path.startsWith(base.path)) {
    path = path.slice(base.path.length) || '/';
  } else if (!CIVITAI_HOSTS.has(host)) {
    const accepted = ['civitai.com', 'civitai.red', ...(base ? [base.host] : [])].join(', ');
    return invalid(`${url.hostname} is not CivitAI: only URLs on ${accepted} are accepted.`);
  }
  return parsePath(path, url.searchParams, text);
}

function baseLocation(baseUrl: string): { host: string; path: string } | undefined {
  try {
    const url = new URL(baseUrl);
    return { host: url.host.toLowerCase(), path: url.pathname.replace(/\/+$/, '') };
  } catch {
    return undefined;
  }
}

function parsePath(path: string, query: URLSearchParams, text: string): Result<ModelRef, RefError> {
  const page = MODEL_PAGE.exec(path);
  if (page) {
    const versionText = query.get('modelVersionId');
    return parseCivitaiId(page[1] ?? '', 'The model id').andThen((modelId) =>
      fileSelector(query).andThen((file) =>
        versionText === null
          ? ok<ModelRef, RefError>({ kind: 'model', modelId, ...(file ? { file } : {}) })
          : parseCivitaiId(versionText, 'The modelVersionId').map((versionId): ModelRef => ({ kind: 'version', versionId, modelId, ...(file ? { file } : {}) })),
      ),
    );
  }
  const download = DOWNLOAD.exec(path);
  if (download) {
    return parseCivitaiId(download[1] ?? '', 'The version id').andThen((versionId) =>
      fileSelector(query).map((file): ModelRef => ({ kind: 'version', versionId, ...(file ? { file } : {}) })),
    );
  }
  return invalid(`\`${shown(text)}\` is neither a model page (/models/<id>) nor a download URL (/api/download/models/<version id>).`);
}

/** The file a URL's query names: `fileId`, or the download endpoint's metadata keys (`?fp=fp32&format=SafeTensor`). */
function fileSelector(query: URLSearchParams): Result<FileSelector | undefined, RefError> {
  const fileId = query.get('fileId');
  if (fileId !== null) return parseCivitaiId(fileId, 'The fileId').map((id): FileSelector => ({ kind: 'id', fileId: id }));
  const filters: Record<string, string> = {};
  for (const name of DOWNLOAD_FILTERS) {
    const value = query.get(name);
    if (value === null || value === '') continue;
    if (value.length > MAX_FILTER_LENGTH) return invalid(`The URL's \`${name}\` parameter is too long.`);
    if (plainText(value) !== value) return invalid(`The URL's \`${name}\` parameter holds control characters (a pasted %0d%0a?): remove them.`);
    filters[name] = value;
  }
  return ok(Object.keys(filters).length > 0 ? { kind: 'query', ...filters } : undefined);
}

/** `--fp`, `--format`, `--size`: the file's metadata, as CivitAI's download endpoint takes it. */
export interface FileFilters {
  readonly fp?: string;
  readonly format?: string;
  readonly size?: string;
}

/** Narrows a reference by file metadata; given flags win over the same keys in the URL's query. */
export function withFileFilters(ref: ModelRef, filters: FileFilters): Result<ModelRef, RefError> {
  const given = Object.fromEntries(Object.entries(filters).filter(([, value]) => value !== undefined)) as FileFilters;
  if (Object.keys(given).length === 0) return ok(ref);
  if (ref.file?.kind === 'id') {
    return invalid(`A file id already names one file; drop ${Object.keys(given).map((k) => `--${k}`).join(', ')} or the file id.`);
  }
  return ok({ ...ref, file: { ...(ref.file ?? { kind: 'query' }), ...given } });
}

export interface RefIds {
  readonly model?: string | number;
  readonly version?: string | number;
  readonly file?: string | number;
}

/** The `--model ID` / `--version ID` / `--file ID` form. */
export function modelRefFromIds(ids: RefIds): Result<ModelRef, RefError> {
  const model = optionalId(ids.model, 'The --model id');
  const version = optionalId(ids.version, 'The --version id');
  return model.andThen((modelId) =>
    version.andThen((versionId): Result<ModelRef, RefError> => {
      const ref: ModelRef | undefined =
        versionId !== undefined
          ? { kind: 'version', versionId, ...(modelId !== undefined ? { modelId } : {}) }
          : modelId !== undefined
            ? { kind: 'model', modelId }
            : undefined;
      if (ref === undefined) return invalid('Give a model reference, `--model ID` or `--version ID`.');
      return ids.file === undefined ? ok(ref) : withFileId(ref, ids.file);
    }),
  );
}

function optionalId(value: string | number | undefined, label: string): Result<number | undefined, RefError> {
  return value === undefined ? ok(undefined) : parseCivitaiId(value, label);
}

/** Narrows a reference to one file (`add <ref> --file ID`). */
export function withFileId(ref: ModelRef, fileId: string | number): Result<ModelRef, RefError> {
  return parseCivitaiId(fileId, 'The --file id').map((id): ModelRef => ({ ...ref, file: { kind: 'id', fileId: id } }));
}
