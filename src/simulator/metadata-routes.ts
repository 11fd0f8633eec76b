// The `/api/v1/*` metadata endpoints other than `/models` search, as pure functions of the world.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { projectRoot } from '../config/project-root.js';
import { generationMeta, imageUrl, modelView, versionDetail, type ViewContext } from './api-views.js';
import { nextPageUrl } from './next-page.js';
import { json, type Reply } from './reply.js';
import type { SimImage, SimVersion, World } from './world.js';

const METADATA_ERRORS = {
  modelNotFound: { error: 'Model not found' },
  missingFile: { error: 'Missing model file' },
  missingVersionId: { error: 'Missing modelVersionId' },
  missingHash: { error: 'Missing hash' },
  unauthorized: { error: 'Unauthorized' },
} as const;

/** by-hash answers are cached longer at the edge than other public endpoints. */
const BY_HASH_CACHE = { 'Cache-Control': 'public, s-maxage=3600, stale-while-revalidate=1800' };
const BULK_HASH_LIMIT = 100;
const BULK_HASH_IDS_LIMIT = 10_000;
const IMAGES_DEFAULT_LIMIT = 100;
const IMAGES_MAX_LIMIT = 200;

const modelIdSchema = z.object({ id: z.coerce.number().int().min(1).max(2_147_483_647) });

export function getModel(ctx: ViewContext, world: World, id: string): Reply {
  const parsed = modelIdSchema.safeParse({ id });
  if (!parsed.success) return json(400, { error: z.prettifyError(parsed.error) });
  const model = world.model(parsed.data.id);
  if (!model) return json(404, { error: `No model with id ${id}` });
  return json(200, modelView(ctx, model, { listing: false }));
}

function publiclyVisible(version: SimVersion | undefined): version is SimVersion {
  return version !== undefined && version.published && version.model.mode !== 'TakenDown';
}

export function getVersion(ctx: ViewContext, world: World, id: string): Reply {
  const numeric = Number(id);
  if (numeric === 0) return json(400, METADATA_ERRORS.missingVersionId);
  const version = Number.isSafeInteger(numeric) ? world.version(numeric) : undefined;
  if (!publiclyVisible(version)) return json(404, METADATA_ERRORS.modelNotFound);
  if (!version.primaryFile) return json(404, METADATA_ERRORS.missingFile);
  return json(200, versionDetail(ctx, version));
}

/** Exact match on any stored hash; with duplicates the oldest published version wins (publishedAt, then id). */
function versionByHash(world: World, hash: string): SimVersion | undefined {
  return world
    .filesWithHash(hash)
    .map((file) => file.version)
    .filter(publiclyVisible)
    .sort((a, b) => Date.parse(a.publishedAt) - Date.parse(b.publishedAt) || a.id - b.id)[0];
}

export function getVersionByHash(ctx: ViewContext, world: World, hash: string): Reply {
  if (hash === '') return json(400, METADATA_ERRORS.missingHash);
  const version = versionByHash(world, hash);
  if (!version) return json(404, METADATA_ERRORS.modelNotFound, BY_HASH_CACHE);
  return json(200, versionDetail(ctx, version), BY_HASH_CACHE);
}

const sha256List = (limit: number) => z.array(z.string().length(64)).max(limit);

function parseHashList(body: Buffer, limit: number): { ok: true; hashes: string[] } | { ok: false; reply: Reply } {
  let raw: unknown;
  try {
    raw = JSON.parse(body.toString('utf8'));
  } catch {
    raw = undefined;
  }
  const parsed = sha256List(limit).safeParse(raw);
  if (!parsed.success) {
    return { ok: false, reply: json(400, { error: `Request must include an array of SHA256 Hashes. ${z.prettifyError(parsed.error)}` }) };
  }
  return { ok: true, hashes: parsed.data };
}

/** `POST /model-versions/by-hash`: unmatched hashes are dropped, each version appears once. */
export function postVersionsByHash(ctx: ViewContext, world: World, body: Buffer): Reply {
  const parsed = parseHashList(body, BULK_HASH_LIMIT);
  if (!parsed.ok) return parsed.reply;
  const versions = new Map<number, SimVersion>();
  for (const hash of parsed.hashes) {
    const version = versionByHash(world, hash);
    if (version) versions.set(version.id, version);
  }
  return json(200, [...versions.values()].map((version) => versionDetail(ctx, version)));
}

/** `POST /model-versions/by-hash/ids`: `[{modelVersionId, hash}]`. */
export function postVersionIdsByHash(world: World, body: Buffer): Reply {
  const parsed = parseHashList(body, BULK_HASH_IDS_LIMIT);
  if (!parsed.ok) return parsed.reply;
  const found = parsed.hashes.flatMap((hash) => {
    const version = versionByHash(world, hash);
    return version ? [{ modelVersionId: version.id, hash: hash.toUpperCase() }] : [];
  });
  return json(200, found);
}

export function getMe(authenticated: boolean): Reply {
  if (!authenticated) return json(401, METADATA_ERRORS.unauthorized);
  return json(200, { id: 4242, username: 'sim_user', tier: null, status: 'active', isMember: false, subscriptions: [] });
}

let enums: unknown;
export function getEnums(): Reply {
  enums ??= JSON.parse(readFileSync(join(projectRoot(import.meta.url), 'fixtures', 'civitai', 'enums.json'), 'utf8'));
  return json(200, enums);
}

const NSFW_NAMES: readonly [number, string][] = [[8, 'X'], [4, 'Mature'], [2, 'Soft']];

function imageListItem(ctx: ViewContext, image: SimImage, version: SimVersion, withMeta: boolean): Record<string, unknown> {
  return {
    id: image.id,
    url: imageUrl(ctx, image, `width=${image.width}`),
    hash: image.blurHash,
    width: image.width,
    height: image.height,
    nsfw: image.nsfwLevel > 1,
    nsfwLevel: NSFW_NAMES.find(([bit]) => image.nsfwLevel >= bit)?.[1] ?? 'None',
    browsingLevel: image.nsfwLevel,
    createdAt: version.publishedAt,
    postId: image.id + 100_000,
    stats: { cryCount: 0, laughCount: 0, likeCount: version.stat(`likes ${image.id}`, 500), dislikeCount: 0, heartCount: 0, commentCount: 0 },
    meta: withMeta ? generationMeta(image, version) : null,
    username: version.model.creator,
    baseModel: version.baseModel,
    modelVersionIds: [version.id],
  };
}

const imagesQuerySchema = z.object({
  limit: z.coerce.number().int().min(0).max(IMAGES_MAX_LIMIT).default(IMAGES_DEFAULT_LIMIT),
  cursor: z.coerce.number().int().min(0).default(0),
  modelId: z.coerce.number().int().optional(),
  modelVersionId: z.coerce.number().int().optional(),
  username: z.string().optional(),
  withMeta: z.enum(['true', 'false']).optional(),
});

/** `GET /api/v1/images`, cursor-paged (the cursor is an offset). */
export function listImages(ctx: ViewContext, world: World, params: URLSearchParams): Reply {
  const parsed = imagesQuerySchema.safeParse(Object.fromEntries(params));
  if (!parsed.success) return json(400, { error: parsed.error });
  const query = parsed.data;
  const all = world.models
    .filter((model) => query.modelId === undefined || model.id === query.modelId)
    .filter((model) => query.username === undefined || model.creator === query.username)
    .flatMap((model) => model.versions)
    .filter((version) => publiclyVisible(version) && (query.modelVersionId === undefined || version.id === query.modelVersionId))
    .flatMap((version) => version.images.map((image) => ({ image, version })));
  const slice = all.slice(query.cursor, query.cursor + query.limit);
  const next = query.cursor + query.limit;
  const metadata: Record<string, unknown> = {};
  if (next < all.length) {
    metadata.nextCursor = next;
    metadata.nextPage = nextPageUrl(ctx.apiUrl, '/api/v1/images', params, String(next));
  }
  const withMeta = query.withMeta === 'true';
  return json(200, { items: slice.map(({ image, version }) => imageListItem(ctx, image, version, withMeta)), metadata });
}
