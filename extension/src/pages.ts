// What a page shows, as the `add` call that queues it. Pure: the content scripts read the page (its address,
// its embedded data, its download links) and hand the plain values here, so the tests need no browser.

/** What the extension asks the gateway to queue, and how the button names it. */
export interface SendRequest {
  readonly params: { readonly version: number; readonly file?: number } | { readonly model: number } | { readonly ref: string };
  readonly label: string;
}

export interface CivitaiPage {
  readonly url: string;
  /** The page's embedded state (Next.js `__NEXT_DATA__`), parsed, or null. */
  readonly nextData: unknown;
  /** The `href`s of its download links (`/api/download/models/<versionId>?type=…&format=…`). */
  readonly downloadHrefs: readonly string[];
}

interface VersionData {
  readonly id: number;
  readonly name?: string;
  readonly files: readonly FileData[];
}
interface FileData {
  readonly id: number;
  readonly primary?: boolean;
  readonly type?: string;
  readonly metadata?: { readonly format?: string; readonly size?: string; readonly fp?: string };
}
interface ModelData {
  readonly id: number;
  readonly name?: string;
  readonly modelVersions: readonly VersionData[];
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const positiveId = (v: unknown): number | null => (typeof v === 'number' && Number.isInteger(v) && v > 0 && v <= 2_147_483_647 ? v : null);

/** The model object with this id, wherever the page's state keeps it (CivitAI's nesting changes over time). */
function findModel(data: unknown, modelId: number, budget = { nodes: 50_000 }, depth = 0): ModelData | null {
  if (depth > 40 || --budget.nodes < 0) return null;
  if (Array.isArray(data)) {
    for (const item of data) {
      const found = findModel(item, modelId, budget, depth + 1);
      if (found) return found;
    }
    return null;
  }
  if (!isRecord(data)) return null;
  if (data.id === modelId && Array.isArray(data.modelVersions)) {
    const versions = data.modelVersions.filter(isRecord).flatMap((v): VersionData[] => {
      const id = positiveId(v.id);
      if (id === null) return [];
      const files = (Array.isArray(v.files) ? v.files : []).filter(isRecord).flatMap((f): FileData[] => {
        const fileId = positiveId(f.id);
        return fileId === null ? [] : [{ id: fileId, primary: f.primary === true, type: typeof f.type === 'string' ? f.type : undefined, metadata: isRecord(f.metadata) ? (f.metadata as FileData['metadata']) : undefined }];
      });
      return [{ id, name: typeof v.name === 'string' ? v.name : undefined, files }];
    });
    return { id: modelId, name: typeof data.name === 'string' ? data.name : undefined, modelVersions: versions };
  }
  for (const value of Object.values(data)) {
    const found = findModel(value, modelId, budget, depth + 1);
    if (found) return found;
  }
  return null;
}

function parseUrl(url: string, base?: string): URL | null {
  try {
    return new URL(url, base);
  } catch {
    return null;
  }
}

/** The file a download link of this version picks: by its metadata filters, else the primary one. */
function pickFile(version: VersionData, href: URL | undefined): FileData | undefined {
  const filters = (['type', 'format', 'size', 'fp'] as const).map((k) => [k, href?.searchParams.get(k) ?? null] as const).filter(([, v]) => v !== null);
  if (filters.length > 0) {
    const matching = version.files.find((f) =>
      filters.every(([k, v]) => (k === 'type' ? f.type : f.metadata?.[k])?.toLowerCase() === v!.toLowerCase()),
    );
    if (matching) return matching;
  }
  return version.files.find((f) => f.primary) ?? version.files[0];
}

/**
 * A CivitAI model page (`/models/<id>[/<slug>][?modelVersionId=<vid>]`): the version it shows (the query names
 * it once a version tab was picked; else its download button does, else the newest) and that version's file.
 */
export function civitaiRequest(page: CivitaiPage): SendRequest | null {
  const url = parseUrl(page.url);
  const modelMatch = url === null ? null : /^\/models\/(\d{1,10})(?:\/|$)/.exec(url.pathname);
  const modelId = modelMatch ? positiveId(Number(modelMatch[1])) : null;
  if (url === null || modelId === null) return null;

  const links = page.downloadHrefs.flatMap((href) => {
    const link = parseUrl(href, url.href);
    const match = link === null ? null : /^\/api\/download\/models\/(\d{1,10})\/?$/.exec(link.pathname);
    return link && match ? [{ link, versionId: Number(match[1]) }] : [];
  });
  const model = findModel(page.nextData, modelId);
  const queried = positiveId(Number(url.searchParams.get('modelVersionId') ?? NaN));
  const versionId = queried ?? links[0]?.versionId ?? model?.modelVersions[0]?.id ?? null;
  if (versionId === null) return { params: { model: modelId }, label: model?.name ?? `model ${modelId}` };

  const version = model?.modelVersions.find((v) => v.id === versionId);
  const file = version ? pickFile(version, links.find((l) => l.versionId === versionId)?.link) : undefined;
  const label = [model?.name, version?.name].filter(Boolean).join(' · ') || `version ${versionId}`;
  return { params: file ? { version: versionId, file: file.id } : { version: versionId }, label };
}

/** Paths of huggingface.co that are not a model repository's. */
const HF_RESERVED = new Set(['datasets', 'spaces', 'docs', 'api', 'models', 'settings', 'organizations', 'collections', 'papers', 'blog', 'join', 'login']);

/**
 * A Hugging Face file page (`/<owner>/<repo>/blob/<revision>/<path>`): its address is what `add` takes (the
 * query and fragment are the page's own state, not the file's).
 */
export function huggingfaceRequest(page: { readonly url: string }): SendRequest | null {
  const url = parseUrl(page.url);
  const match = url === null ? null : /^\/([^/]+)\/([^/]+)\/(?:blob|resolve)\/([^/]+)\/(.+[^/])$/.exec(url.pathname);
  if (url === null || match === null || HF_RESERVED.has(match[1]!)) return null;
  const path = decodeURIComponent(match[4]!);
  return { params: { ref: `${url.origin}${url.pathname}` }, label: path.slice(path.lastIndexOf('/') + 1) };
}
