// `GET /api/v1/models`: filters, sorting and the two paging schemes (opaque cursor, capped pages).
import { z } from 'zod';
import { listedVersions, modelView, type ViewContext } from './api-views.js';
import { nextPageUrl } from './next-page.js';
import { json, type Reply } from './reply.js';
import type { SimModel } from './world.js';

/** The ModelType enum of the August 2026 server; unknown values are a 400 like the real zod schema. */
const MODEL_TYPES = [
  'Checkpoint', 'TextualInversion', 'Hypernetwork', 'AestheticGradient', 'LORA', 'LoCon', 'DoRA', 'Controlnet', 'Upscaler',
  'MotionModule', 'VAE', 'TextEncoder', 'UNet', 'CLIPVision', 'Poses', 'Wildcards', 'Workflows', 'ComfyWorkflows', 'Detection',
  'VisionLanguage', 'CLIP', 'LLM', 'Other',
] as const;
const SORTS = ['Highest Rated', 'Most Downloaded', 'Most Liked', 'Most Discussed', 'Most Collected', 'Most Images', 'Newest', 'Oldest'] as const;
const PERIODS = ['AllTime', 'Year', 'Month', 'Week', 'Day'] as const;
const MAX_PAGED_ITEMS = 1000;

const booleanString = z.enum(['true', 'false']).transform((value) => value === 'true');
const list = z.array(z.string());

const modelsQuerySchema = z.object({
  limit: z.coerce.number().int().min(0).max(100).default(100),
  page: z.coerce.number().int().min(1).optional(),
  cursor: z.string().optional(),
  query: z.string().optional(),
  ids: list.transform((values) => values.flatMap((value) => value.split(',')).map(Number)).pipe(z.array(z.number().int().positive())).optional(),
  tag: z.string().optional(),
  username: z.string().optional(),
  types: z.array(z.enum(MODEL_TYPES)).optional(),
  baseModels: list.optional(),
  sort: z.enum(SORTS).default('Highest Rated'),
  period: z.enum(PERIODS).default('AllTime'),
  nsfw: booleanString.optional(),
  primaryFileOnly: booleanString.optional(),
  favorites: booleanString.optional(),
  hidden: booleanString.optional(),
});
type ModelsQuery = z.infer<typeof modelsQuerySchema>;
const REPEATABLE = new Set(['ids', 'types', 'baseModels']);

/** Query parameters as the server's zod sees them: repeatable ones as arrays, the rest as their first value. */
function queryObject(params: URLSearchParams): Record<string, string | string[]> {
  const object: Record<string, string | string[]> = {};
  for (const key of new Set(params.keys())) {
    object[key] = REPEATABLE.has(key) ? params.getAll(key) : (params.get(key) ?? '');
  }
  return object;
}

const MODELS_ERRORS = {
  tooManyPages: { error: "You've requested too many pages, please use cursors instead" },
  pageWithQuery: { error: 'Cannot use page param with query search. Use cursor-based pagination.' },
  unauthorized: { error: 'Unauthorized' },
} as const;

function latestPublish(model: SimModel, now: number): number {
  return Math.max(0, ...listedVersions(model, now).map((version) => Date.parse(version.publishedAt)));
}

function sortKey(model: SimModel, sort: ModelsQuery['sort'], now: number): number {
  switch (sort) {
    case 'Most Downloaded':
      return model.stat('downloads', 100_000);
    case 'Most Discussed':
      return model.stat('comments', 200);
    case 'Newest':
      return latestPublish(model, now);
    case 'Oldest':
      return -latestPublish(model, now);
    default:
      return model.stat('thumbsUp', 10_000);
  }
}

function matches(model: SimModel, query: ModelsQuery, now: number): boolean {
  const versions = listedVersions(model, now);
  if (versions.length === 0) return false;
  if (!query.nsfw && (model.nsfwLevel & 1) === 0) return false;
  if (query.ids && !query.ids.includes(model.id)) return false;
  if (query.types && !query.types.some((type) => type === model.type)) return false;
  if (query.username && model.creator.toLowerCase() !== query.username.toLowerCase()) return false;
  if (query.tag && !model.tags.includes(query.tag)) return false;
  if (query.baseModels && !versions.some((version) => query.baseModels?.includes(version.baseModel))) return false;
  if (query.query && !model.name.toLowerCase().includes(query.query.toLowerCase())) return false;
  return true;
}

/** Opaque to clients; shaped like the real `"22138|364671|25494"`, with the offset of the next item last. */
function encodeCursor(sortValue: number, lastId: number, offset: number, search: boolean): string {
  return search ? String(offset) : `${sortValue}|${lastId}|${offset}`;
}

function cursorOffset(cursor: string): number | undefined {
  const offset = Number(cursor.split('|').at(-1));
  return Number.isSafeInteger(offset) && offset >= 0 ? offset : undefined;
}

export function listModels(ctx: ViewContext, models: readonly SimModel[], params: URLSearchParams, authenticated: boolean): Reply {
  const parsed = modelsQuerySchema.safeParse(queryObject(params));
  if (!parsed.success) return json(400, { error: parsed.error });
  const query = parsed.data;
  if ((query.favorites || query.hidden) && !authenticated) return json(401, MODELS_ERRORS.unauthorized);
  if (query.page !== undefined && query.query !== undefined) return json(400, MODELS_ERRORS.pageWithQuery);
  if (query.page !== undefined && query.page * query.limit > MAX_PAGED_ITEMS) return json(429, MODELS_ERRORS.tooManyPages);

  const found = models
    .filter((model) => matches(model, query, ctx.now))
    .map((model) => ({ model, key: sortKey(model, query.sort, ctx.now) }))
    .sort((a, b) => b.key - a.key || b.model.id - a.model.id);
  const offset = query.cursor !== undefined ? cursorOffset(query.cursor) : ((query.page ?? 1) - 1) * query.limit;
  if (offset === undefined) return json(400, { error: `Invalid cursor: ${query.cursor}` });
  const slice = found.slice(offset, offset + query.limit);
  const last = slice.at(-1);
  const more = offset + query.limit < found.length && last !== undefined;
  const metadata: Record<string, unknown> = {};
  if (more) {
    metadata.nextCursor = encodeCursor(last.key, last.model.id, offset + query.limit, query.query !== undefined);
    metadata.nextPage = nextPageUrl(ctx.apiUrl, '/api/v1/models', params, String(metadata.nextCursor));
  }
  if (query.page !== undefined && query.cursor === undefined) {
    metadata.currentPage = query.page;
    metadata.pageSize = query.limit;
  }
  const options = { listing: true, primaryFileOnly: query.primaryFileOnly ?? false };
  return json(200, { items: slice.map(({ model }) => modelView(ctx, model, options)), metadata });
}
