import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { isAbsolute, join } from 'node:path';
import { previewPathFor, type PreviewExtension } from '../sidecar/names.js';
import type { DaemonLink } from './daemon-link.js';
import { reject } from './errors.js';
import { securityHeaders, sendRejection } from './http-reply.js';

const PREVIEW_TYPES: Readonly<Record<PreviewExtension, string>> = {
  webp: 'image/webp',
  png: 'image/png',
  jpeg: 'image/jpeg',
  mp4: 'video/mp4',
};

interface Catalog {
  readonly modelsDir: string;
  readonly paths: ReadonlySet<string>;
  readonly at: number;
}

/** A miss refreshes the catalog, but not more often than this: a page of thumbnails is one `list`, not fifty. */
const REFRESH_MS = 2000;

/**
 * `GET /api/preview?path=<catalog path>`: the preview image beside a model, read-only. Only models the catalog
 * lists are looked up, and only at the preview names the sidecar writer uses, so the route can reveal no other
 * file whatever the query says.
 */
export function createPreviewRoute(link: DaemonLink): (url: URL, res: ServerResponse) => Promise<void> {
  let catalog: Catalog | undefined;

  const load = async (): Promise<Catalog | undefined> => {
    const [status, list] = await Promise.all([link.request('status', {}), link.request('list', {})]);
    if (status.isErr() || list.isErr()) return undefined;
    return { modelsDir: status.value.modelsDir, paths: new Set(list.value.models.map((m) => m.path)), at: Date.now() };
  };

  const lookup = async (path: string): Promise<Catalog | undefined> => {
    if (catalog?.paths.has(path)) return catalog;
    if (catalog === undefined || Date.now() - catalog.at > REFRESH_MS) catalog = (await load()) ?? catalog;
    return catalog?.paths.has(path) ? catalog : undefined;
  };

  return async (url, res) => {
    const notFound = reject(404, 'NOT_FOUND', 'no preview for that model');
    const path = url.searchParams.get('path') ?? '';
    const found = path === '' ? undefined : await lookup(path);
    if (found === undefined) return sendRejection(res, notFound);
    const modelFile = isAbsolute(path) ? path : join(found.modelsDir, path);
    for (const [extension, contentType] of Object.entries(PREVIEW_TYPES) as [PreviewExtension, string][]) {
      const file = previewPathFor(modelFile, extension);
      const info = await stat(file).catch(() => undefined);
      if (!info?.isFile()) continue;
      res.writeHead(200, {
        ...securityHeaders(),
        'Content-Type': contentType,
        'Content-Length': info.size,
        'Cache-Control': 'private, max-age=300',
      });
      createReadStream(file).on('error', () => res.destroy()).pipe(res);
      return;
    }
    sendRejection(res, notFound);
  };
}
