// `GET /api/download/models/:versionId`: CivitAI's decision table (first match wins), ending in a 307 to a
// presigned storage URL. Literals are the server's own.
import { z } from 'zod';
import type { Caller } from './caller.js';
import { downloadQuerySchema, selectFile } from './file-selection.js';
import { html, json, pages, redirect, type Reply } from './reply.js';
import type { SimFile, SimVersion, World } from './world.js';

const NO_STORE = { 'Cache-Control': 'no-store, max-age=0' };

const DOWNLOAD_ERRORS = {
  notFound: { error: 'File not found' },
  archived: { error: 'Model archived, not available for download' },
  downloadsDisabled: { error: 'Unauthorized', message: 'The creator of this asset has disabled downloads on this file' },
  loginRequired: { error: 'Unauthorized', message: 'The creator of this asset requires you to be logged in to download it' },
  earlyAccessMessage: 'This asset is in Early Access. You can use Buzz access it now!',
} as const;

export interface DownloadRequest {
  readonly versionId: string;
  readonly query: URLSearchParams;
  readonly caller: Caller;
  /** The site-wide switch: every download needs a valid key (CivitAI's default since 2024). */
  readonly requireAuth: boolean;
  readonly method: string;
  readonly now: number;
}

export type DownloadDecision = { readonly kind: 'reply'; readonly reply: Reply } | { readonly kind: 'serve'; readonly file: SimFile };

/** Browsers get `res.send(message)` (a bare string, HTML content type) where API clients get JSON. */
function failure(caller: Caller, status: number, body: { error: string; message?: string }): DownloadDecision {
  const reply = caller.browser ? html(status, body.message ?? body.error, NO_STORE) : json(status, body, NO_STORE);
  return { kind: 'reply', reply };
}

function visible(version: SimVersion | undefined): version is SimVersion {
  return version !== undefined && version.published && !version.model.poi;
}

export function decideDownload(world: World, request: DownloadRequest): DownloadDecision {
  const { caller, versionId } = request;
  const params = downloadQuerySchema.safeParse(Object.fromEntries(request.query));
  if (!/^\d+$/.test(versionId) || !params.success) {
    const error = params.success ? `Invalid modelVersionId: ${versionId}` : z.prettifyError(params.error);
    return failure(caller, 400, { error });
  }
  const version = world.version(Number(versionId));
  if (!visible(version)) return failure(caller, 404, DOWNLOAD_ERRORS.notFound);
  if (version.model.mode === 'Archived' || version.model.mode === 'TakenDown') return failure(caller, 410, DOWNLOAD_ERRORS.archived);
  if (version.usageControl !== 'Download') return failure(caller, 401, DOWNLOAD_ERRORS.downloadsDisabled);

  // HEAD was seen answering 401 even with a valid key; clients must probe with a ranged GET instead.
  const needsKey = request.requireAuth || version.requireAuth;
  if (request.method === 'HEAD' || (needsKey && !caller.authenticated)) {
    if (caller.browser) {
      const returnUrl = encodeURIComponent(`/model-versions/${version.id}`);
      return { kind: 'reply', reply: redirect(`/login?returnUrl=${returnUrl}&reason=download-auth`, NO_STORE) };
    }
    return failure(caller, 401, DOWNLOAD_ERRORS.loginRequired);
  }
  if (version.earlyAccessActive(request.now)) {
    if (caller.browser) return { kind: 'reply', reply: redirect(`/model-versions/${version.id}`, NO_STORE) };
    const body = { error: 'Early Access', deadline: version.earlyAccessEndsAt, message: DOWNLOAD_ERRORS.earlyAccessMessage };
    return { kind: 'reply', reply: json(403, body, NO_STORE) };
  }
  const file = selectFile(version, params.data);
  if (!file) return failure(caller, 404, DOWNLOAD_ERRORS.notFound);
  return { kind: 'serve', file };
}

/** The success answer: the presigned URL, never cached. */
export function downloadRedirect(signedUrl: string): Reply {
  return redirect(signedUrl, NO_STORE);
}

/** The page a download link shows when the session expired (a fault clients must not save as the model). */
export function loginPage(): Reply {
  return html(200, pages.login, NO_STORE);
}
