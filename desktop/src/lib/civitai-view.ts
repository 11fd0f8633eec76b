// CivitAI's model objects, as the daemon passes them through, turned into what the Browse pages show. Parsed
// leniently: CivitAI has changed these shapes over the years, and a field the app cannot read is left out rather
// than hiding the whole model.
import { z } from 'zod';
import { NSFW_LEVEL, nsfwLevelOf } from '../../../src/sidecar/preview.js';

const optional = <T extends z.ZodType>(schema: T) => schema.nullish().catch(null);
const list = <T extends z.ZodType>(item: T) => z.array(z.unknown()).catch([]).transform((xs) => xs.flatMap((x) => {
  const parsed = item.safeParse(x);
  return parsed.success ? [parsed.data as z.output<T>] : [];
}));

const ImageSchema = z.looseObject({
  url: z.string().min(1),
  nsfwLevel: optional(z.union([z.number(), z.string()])),
  nsfw: optional(z.union([z.boolean(), z.string()])),
  type: optional(z.string()),
  width: optional(z.number()),
  height: optional(z.number()),
});

const FileSchema = z.looseObject({
  id: z.number(),
  name: z.string(),
  sizeKB: optional(z.number()),
  type: optional(z.string()),
  primary: optional(z.boolean()),
  metadata: optional(z.looseObject({ format: optional(z.string()), size: optional(z.string()), fp: optional(z.string()) })),
  pickleScanResult: optional(z.string()),
  virusScanResult: optional(z.string()),
});

const VersionSchema = z.looseObject({
  id: z.number(),
  name: z.string(),
  baseModel: optional(z.string()),
  publishedAt: optional(z.string()),
  createdAt: optional(z.string()),
  trainedWords: list(z.string()),
  files: list(FileSchema),
  images: list(ImageSchema),
  stats: optional(z.looseObject({ downloadCount: optional(z.number()) })),
});

const ModelSchema = z.looseObject({
  id: z.number(),
  name: z.string(),
  type: z.string().catch('Other'),
  description: optional(z.string()),
  creator: optional(z.looseObject({ username: optional(z.string()) })),
  tags: list(z.union([z.string(), z.looseObject({ name: z.string() }).transform((t) => t.name)])),
  stats: optional(z.looseObject({ downloadCount: optional(z.number()), thumbsUpCount: optional(z.number()), favoriteCount: optional(z.number()) })),
  modelVersions: list(VersionSchema),
});

/** The highest level shown as a picture; anything above, or unrated, is left out. */
export const SAFE_NSFW_LEVEL = NSFW_LEVEL.PG13;

export interface ImageView {
  readonly url: string;
  readonly width: number | null;
  readonly height: number | null;
}

export type ScanVerdict = 'clean' | 'pending' | 'danger' | 'unknown';

export interface FileView {
  readonly id: number;
  readonly name: string;
  readonly sizeBytes: number | null;
  readonly kind: string | null;
  readonly format: string | null;
  /** "fp16 · pruned" and the like. */
  readonly detail: string;
  readonly primary: boolean;
  readonly scan: ScanVerdict;
  /** Pickle formats can run code when loaded: shown so the user decides knowingly. */
  readonly pickle: boolean;
}

export interface VersionView {
  readonly id: number;
  readonly name: string;
  readonly baseModel: string | null;
  readonly publishedAt: string | null;
  readonly trainedWords: readonly string[];
  readonly files: readonly FileView[];
  readonly primaryFile: FileView | null;
  readonly images: readonly ImageView[];
  readonly downloads: number | null;
}

export interface ModelView {
  readonly id: number;
  readonly name: string;
  readonly type: string;
  readonly creator: string | null;
  readonly tags: readonly string[];
  readonly downloads: number | null;
  readonly likes: number | null;
  readonly description: string | null;
  readonly versions: readonly VersionView[];
  /** The newest version's first safe picture. */
  readonly cover: ImageView | null;
  /** The newest version's base model. */
  readonly baseModel: string | null;
}

/**
 * CivitAI image URLs carry a transform segment (`/original=true/`, `/width=450/`); asking for the size shown
 * saves most of the bytes. Other URLs are left as they are.
 */
export function sizedImageUrl(url: string, width: number): string {
  return url.replace(/\/(?:original=true|width=\d+)[^/]*\//, `/width=${width}/`);
}

function scanVerdict(pickle: string | null | undefined, virus: string | null | undefined): ScanVerdict {
  const results = [pickle, virus].filter((r): r is string => typeof r === 'string').map((r) => r.toLowerCase());
  if (results.some((r) => r === 'danger' || r === 'error')) return 'danger';
  if (results.some((r) => r === 'pending')) return 'pending';
  if (results.length > 0 && results.every((r) => r === 'success')) return 'clean';
  return 'unknown';
}

function fileView(file: z.output<typeof FileSchema>): FileView {
  const format = file.metadata?.format ?? null;
  return {
    id: file.id,
    name: file.name,
    sizeBytes: typeof file.sizeKB === 'number' ? Math.round(file.sizeKB * 1024) : null,
    kind: file.type ?? null,
    format,
    detail: [file.metadata?.fp, file.metadata?.size].filter(Boolean).join(' · '),
    primary: file.primary === true,
    scan: scanVerdict(file.pickleScanResult, file.virusScanResult),
    pickle: format === 'PickleTensor' || /\.(ckpt|pt|pth|bin|pkl)$/i.test(file.name),
  };
}

function safeImages(images: readonly z.output<typeof ImageSchema>[]): ImageView[] {
  return images
    .filter((image) => (image.type ?? 'image') === 'image')
    .filter((image) => {
      const level = nsfwLevelOf({ url: image.url, nsfwLevel: image.nsfwLevel, nsfw: image.nsfw });
      return level !== undefined && level <= SAFE_NSFW_LEVEL;
    })
    .map((image) => ({ url: image.url, width: image.width ?? null, height: image.height ?? null }));
}

function versionView(version: z.output<typeof VersionSchema>): VersionView {
  const files = version.files.map(fileView);
  return {
    id: version.id,
    name: version.name,
    baseModel: version.baseModel ?? null,
    publishedAt: version.publishedAt ?? version.createdAt ?? null,
    trainedWords: version.trainedWords,
    files,
    primaryFile: files.find((f) => f.primary) ?? files[0] ?? null,
    images: safeImages(version.images),
    downloads: version.stats?.downloadCount ?? null,
  };
}

/** A search result or a model page, or null when it is not a model object at all. */
export function toModelView(raw: unknown): ModelView | null {
  const parsed = ModelSchema.safeParse(raw);
  if (!parsed.success) return null;
  const model = parsed.data;
  const versions = model.modelVersions.map(versionView);
  const newest = versions[0];
  return {
    id: model.id,
    name: model.name,
    type: model.type,
    creator: model.creator?.username ?? null,
    tags: model.tags,
    downloads: model.stats?.downloadCount ?? null,
    likes: model.stats?.thumbsUpCount ?? model.stats?.favoriteCount ?? null,
    description: model.description ?? null,
    versions,
    cover: newest?.images[0] ?? null,
    baseModel: newest?.baseModel ?? null,
  };
}

/** Model page descriptions are HTML from uploaders: shown as plain text, never as markup. */
export function plainText(html: string | null, maxLength = 600): string {
  if (!html) return '';
  const text = html
    .replace(/<(script|style)\b[\s\S]*?<\/\1\s*>/gi, '')
    .replace(/<(br|\/p|\/h\d|\/li)\s*\/?>/gi, '\n')
    .replace(/<[^>]*>/g, '')
    .replace(/&nbsp;/g, ' ')
    .replace(/&amp;/g, '&')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/\n{3,}/g, '\n\n')
    .trim();
  return text.length > maxLength ? `${text.slice(0, maxLength).trimEnd()}…` : text;
}
