// Which Hugging Face file the user means, read from the forms people paste: a file page or download URL on the hub
// (`https://huggingface.co/<owner>/<repo>/(blob|resolve)/<revision>/<path>`, on the host of HF_ENDPOINT too) and
// fsspec-style `hf://<owner>/<repo>[@<revision>]/<path>`. Pure; never throws: anything unrecognised is an
// INVALID_REF whose message says what was expected.
import { err, ok, type Result } from 'neverthrow';
import { redact } from '../civitai/errors.js';

export interface HfFileRef {
  /** `owner/name` (a few old repos have no owner: `gpt2`). */
  readonly repo: string;
  /** A branch, a tag, `refs/pr/<n>` or a commit id; `main` when the reference names none. Decoded. */
  readonly revision: string;
  /** The file's path inside the repo, `/`-separated, decoded. */
  readonly path: string;
}

export interface HfRefError {
  readonly code: 'INVALID_REF';
  readonly message: string;
}

export const DEFAULT_HF_ENDPOINT = 'https://huggingface.co';
export const DEFAULT_REVISION = 'main';

/** Hosts whose URLs always name the public hub, whatever HF_ENDPOINT says (it may be a mirror of it). */
const HUB_HOSTS = new Set(['huggingface.co', 'www.huggingface.co', 'hf.co']);
/** huggingface_hub's rule: word characters, `-` and `.`, at most 96, no `--` or `..`, not starting or ending with them. */
const REPO_PART = /^(?!.*(--|\.\.))[A-Za-z0-9](?:[\w.-]{0,94}[A-Za-z0-9])?$/;
const COMMIT_ID = /^[0-9a-f]{40}$/;
/** Revisions that contain slashes and are still written unencoded (HfFileSystem accepts these too). */
const SLASHED_REVISION = /^(refs\/pr\/\d+|refs\/convert\/[\w.-]+)(?:\/|$)/;
const REPO_TYPES = new Set(['datasets', 'spaces']);
const SCHEMELESS_HUB = /^((www\.)?huggingface\.co|hf\.co)\//i;
const DOT_SEGMENT = /\/(?:\.|%2e){1,2}(?=\/|$)/i;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

const invalid = (message: string): Result<never, HfRefError> => err({ code: 'INVALID_REF', message });

function shown(input: string): string {
  const clean = redact(input);
  return clean.length > 160 ? `${clean.slice(0, 160)}…` : clean;
}

function decodeSegment(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

/** Whether a URL is on the hub: the public hub's hosts or HF_ENDPOINT's. */
export function isHubUrl(url: URL, endpoint = DEFAULT_HF_ENDPOINT): boolean {
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return false;
  const ep = endpointUrl(endpoint);
  return HUB_HOSTS.has(url.hostname.toLowerCase()) || (ep !== undefined && url.host === ep.host);
}

function endpointUrl(endpoint: string): URL | undefined {
  try {
    return new URL(endpoint);
  } catch {
    return undefined;
  }
}

export function looksLikeHfRef(input: string, endpoint = DEFAULT_HF_ENDPOINT): boolean {
  const text = input.trim();
  if (/^hf:\/\//i.test(text) || SCHEMELESS_HUB.test(text)) return true;
  const url = endpointUrl(text);
  return url !== undefined && isHubUrl(url, endpoint);
}

export function parseHfRef(input: string, endpoint = DEFAULT_HF_ENDPOINT): Result<HfFileRef, HfRefError> {
  const text = input.trim();
  if (text === '') return invalid('The Hugging Face reference is empty: give a file URL (…/resolve/main/<file>) or hf://<owner>/<repo>/<file>.');
  if (/^hf:\/\//i.test(text)) return parseHfScheme(text);
  // The URL parser would silently remove these, leaving a reference to some other file.
  if (DOT_SEGMENT.test(text.split(/[?#]/)[0] ?? '')) {
    return invalid(`\`${shown(text)}\` has "." or ".." in its path; give the file's own link.`);
  }
  const url = endpointUrl(SCHEMELESS_HUB.test(text) ? `https://${text}` : text);
  if (!url) return invalid(`\`${shown(text)}\` is not a URL or an hf:// reference.`);
  if (!isHubUrl(url, endpoint)) {
    return invalid(`\`${shown(text)}\` is not on the Hugging Face Hub (${new URL(DEFAULT_HF_ENDPOINT).host} or HF_ENDPOINT's host).`);
  }
  // A mirror may serve the hub under a path prefix (HF_ENDPOINT=https://mirror.example/hf).
  const prefix = (endpointUrl(endpoint)?.pathname ?? '/').replace(/\/+$/, '');
  const pathname = prefix !== '' && url.pathname.startsWith(`${prefix}/`) && !HUB_HOSTS.has(url.hostname) ? url.pathname.slice(prefix.length) : url.pathname;
  const segments = pathname.split('/').slice(1);
  if (segments.length > 0 && segments[segments.length - 1] === '') segments.pop();
  return fromUrlSegments(segments, text);
}

function fromUrlSegments(raw: readonly string[], text: string): Result<HfFileRef, HfRefError> {
  if (raw[0] !== undefined && REPO_TYPES.has(raw[0])) {
    return invalid(`\`${shown(text)}\` is in a ${raw[0].slice(0, -1)} repository; only model repositories can be downloaded.`);
  }
  // `<owner>/<repo>/<kind>/…`, or `<repo>/<kind>/…` for the few repos without an owner.
  const kindAt = raw[1] === 'blob' || raw[1] === 'resolve' ? 1 : 2;
  const repo = checkRepo(raw.slice(0, kindAt), text);
  if (repo.isErr()) return err(repo.error);
  const kind = raw[kindAt];
  if (kind !== 'blob' && kind !== 'resolve') {
    const hint = kind === undefined ? 'it names a repository, not a file' : `\`/${kind}/\` pages are not files`;
    return invalid(`\`${shown(text)}\` does not name a file (${hint}): use the file's link, …/${repo.value}/resolve/<revision>/<file>.`);
  }
  const { revision, rest } = splitRevision(raw.slice(kindAt + 1).join('/'));
  const segments = rest === '' ? [] : rest.split('/').map(decodeSegment);
  if (segments.some((segment) => segment === undefined)) return invalid(`\`${shown(text)}\` has broken percent-encoding.`);
  return checked(repo.value, revision, segments as string[], text);
}

function parseHfScheme(text: string): Result<HfFileRef, HfRefError> {
  const body = text.slice('hf://'.length).split(/[?#]/)[0] ?? '';
  const parts = body.split('/');
  if (parts[0] !== undefined && REPO_TYPES.has(parts[0])) {
    return invalid(`\`${shown(text)}\` is in a ${parts[0].slice(0, -1)} repository; only model repositories can be downloaded.`);
  }
  const second = parts[1] ?? '';
  const at = second.indexOf('@');
  const repo = checkRepo([parts[0] ?? '', at >= 0 ? second.slice(0, at) : second], text);
  if (repo.isErr()) return err(repo.error);
  const afterRepo = parts.slice(2).join('/');
  // fsspec paths are literal (a space is a space); only the revision is percent-encoded (`@refs%2Fpr%2F1`).
  if (at < 0) return checked(repo.value, DEFAULT_REVISION, afterRepo === '' ? [] : afterRepo.split('/'), text);
  const afterAt = second.slice(at + 1);
  if (afterAt === '') return checked(repo.value, undefined, [], text);
  const { revision, rest } = splitRevision(afterRepo === '' ? afterAt : `${afterAt}/${afterRepo}`);
  return checked(repo.value, revision, rest === '' ? [] : rest.split('/'), text);
}

function checkRepo(parts: readonly string[], text: string): Result<string, HfRefError> {
  const decoded = parts.map(decodeSegment);
  const clean = decoded.filter((part): part is string => part !== undefined && part !== '');
  if (clean.length !== decoded.length || clean.length === 0) {
    return invalid(`\`${shown(text)}\` does not name a repository: expected <owner>/<repo>.`);
  }
  const bad = clean.find((part) => !REPO_PART.test(part));
  if (bad !== undefined) {
    return invalid(`\`${shown(bad)}\` in \`${shown(text)}\` is not a valid repository name (letters, digits, "-", "_", ".", at most 96).`);
  }
  return ok(clean.join('/'));
}

/** `<revision>/<path>` with the path still encoded: the revision is one segment (`main`, `refs%2Fpr%2F1`) or a
 *  slashed form written plainly (`refs/pr/1`). */
function splitRevision(raw: string): { readonly revision: string | undefined; readonly rest: string } {
  const slashed = SLASHED_REVISION.exec(raw);
  if (slashed) return { revision: slashed[1], rest: raw.slice(slashed[0].length) };
  const slash = raw.indexOf('/');
  return { revision: decodeSegment(slash < 0 ? raw : raw.slice(0, slash)), rest: slash < 0 ? '' : raw.slice(slash + 1) };
}

function checked(repo: string, revision: string | undefined, segments: readonly string[], text: string): Result<HfFileRef, HfRefError> {
  if (revision === undefined || revision === '') return invalid(`\`${shown(text)}\` names no revision: expected …/<revision>/<file>.`);
  if (CONTROL.test(revision) || revision.includes('..')) return invalid(`\`${shown(revision)}\` is not a valid revision.`);
  if (segments.length === 0 || segments.some((segment) => segment === '')) {
    return invalid(`\`${shown(text)}\` names no file inside ${repo}: expected …/${repo}/resolve/<revision>/<file>.`);
  }
  if (segments.some((segment) => segment === '.' || segment === '..' || CONTROL.test(segment))) {
    return invalid(`\`${shown(text)}\` has ".", ".." or control characters in the file path; give the file's own path in the repository.`);
  }
  return ok({ repo, revision, path: segments.join('/') });
}

/** Whether a revision is already a commit id (nothing to pin). */
export function isCommitId(revision: string): boolean {
  return COMMIT_ID.test(revision);
}

function encodePath(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}

function base(endpoint: string): string {
  return endpoint.replace(/\/+$/, '');
}

/** The download URL of a file: `resolve`, revision encoded as one segment (`refs%2Fpr%2F1`), as the hub's clients build it. */
export function resolveUrl(ref: HfFileRef, endpoint = DEFAULT_HF_ENDPOINT): string {
  return `${base(endpoint)}/${ref.repo}/resolve/${encodeURIComponent(ref.revision)}/${encodePath(ref.path)}`;
}

/** The file's page on the hub. */
export function blobUrl(ref: HfFileRef, endpoint = DEFAULT_HF_ENDPOINT): string {
  return `${base(endpoint)}/${ref.repo}/blob/${encodeURIComponent(ref.revision)}/${encodePath(ref.path)}`;
}

/** The repository's page, where gated repos' conditions are accepted. */
export function repoPageUrl(repo: string, endpoint = DEFAULT_HF_ENDPOINT): string {
  return `${base(endpoint)}/${repo}`;
}

export function formatHfRef(ref: HfFileRef): string {
  const revision = ref.revision === DEFAULT_REVISION ? '' : `@${SLASHED_REVISION.test(ref.revision) ? ref.revision : encodeURIComponent(ref.revision)}`;
  return `hf://${ref.repo}${revision}/${ref.path}`;
}

/** The file's own name, the last segment of its path. */
export function fileNameOf(ref: HfFileRef): string {
  return ref.path.slice(ref.path.lastIndexOf('/') + 1);
}
