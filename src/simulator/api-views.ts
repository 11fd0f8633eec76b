// The JSON CivitAI returns for models, versions, files and images, rendered from the simulated world. Two
// shapes exist, as on the real site: the summary inside `/models*`, and the detail of `/model-versions*`.
import type { SimFile, SimImage, SimModel, SimVersion } from './world.js';

export interface ViewContext {
  /** Origin of the API host; download and image URLs point there, like CivitAI's follow the request host. */
  readonly apiUrl: string;
  readonly now: number;
}

/** CivitAI's fixed account token in image URLs. */
const IMAGE_ACCOUNT = 'xG1nkqKTMzGDvpLrqFT7WA';
/** `/model-versions/:id` returns at most this many images. */
const DETAIL_IMAGE_LIMIT = 10;
/** File types whose downloadUrl carries no `format` (SRC createModelFileDownloadUrl). */
const FORMATLESS_TYPES = new Set(['Training Data']);

const AIR_ECOSYSTEMS: Readonly<Record<string, string>> = {
  'SD 1.4': 'sd1',
  'SD 1.5': 'sd1',
  'SD 2.0': 'sd2',
  'SD 2.1': 'sd2',
  'SDXL 1.0': 'sdxl',
  Pony: 'pony',
  Illustrious: 'illustrious',
  'Flux.1 D': 'flux1',
  'Flux.1 S': 'flux1',
  'Hunyuan Video': 'hyv1',
  'Wan Video 14B t2v': 'wanvideo',
};
const AIR_TYPES: Readonly<Record<string, string>> = { TextualInversion: 'embedding', Controlnet: 'controlnet' };

export function imageUrl(ctx: ViewContext, image: SimImage, transform: string): string {
  return `${ctx.apiUrl}/images/${IMAGE_ACCOUNT}/${image.uuid}/${transform}/${image.id}.${image.format}`;
}

function creatorImageUrl(ctx: ViewContext, username: string): string {
  return `${ctx.apiUrl}/images/${IMAGE_ACCOUNT}/avatar-${encodeURIComponent(username)}/width=96/${encodeURIComponent(username)}.png`;
}

function fileDownloadUrl(ctx: ViewContext, file: SimFile): string {
  const base = `${ctx.apiUrl}/api/download/models/${file.version.id}`;
  if (file.primary) return base;
  const { format, size, fp, quantType } = file.metadata;
  const params: [string, string | undefined][] = [
    ['type', file.type],
    ['format', FORMATLESS_TYPES.has(file.type) ? undefined : format],
    ['size', size],
    ['fp', fp],
    ['quantType', quantType],
  ];
  const query = params.filter((entry): entry is [string, string] => !!entry[1]).map(([k, v]) => `${k}=${encodeURIComponent(v)}`);
  return `${base}?${query.join('&')}`;
}

function versionDownloadUrl(ctx: ViewContext, version: SimVersion): string {
  return `${ctx.apiUrl}/api/download/models/${version.id}`;
}

function air(version: SimVersion): string {
  const ecosystem = AIR_ECOSYSTEMS[version.baseModel] ?? 'other';
  const type = AIR_TYPES[version.model.type] ?? version.model.type.toLowerCase();
  return `urn:air:${ecosystem}:${type}:civitai:${version.model.id}@${version.id}`;
}

function withoutEmpty(object: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined && value !== null));
}

function scanFields(file: SimFile): Record<string, unknown> {
  return {
    pickleScanResult: 'Success',
    pickleScanMessage: 'No Pickle imports',
    virusScanResult: 'Success',
    virusScanMessage: null,
    scannedAt: file.scannedAt,
  };
}

/** A file inside `/models*`: empty metadata fields stripped, `primary` only when true. */
function fileSummary(ctx: ViewContext, file: SimFile): Record<string, unknown> {
  return {
    id: file.id,
    sizeKB: file.sizeKB,
    name: file.name,
    type: file.type,
    ...scanFields(file),
    metadata: withoutEmpty({ format: file.metadata.format, size: file.metadata.size, fp: file.metadata.fp, quantType: file.metadata.quantType }),
    hashes: file.hashes,
    downloadUrl: fileDownloadUrl(ctx, file),
    ...(file.primary ? { primary: true } : {}),
  };
}

/** A file inside `/model-versions*`: metadata reduced to format/size/fp with nulls, `primary` a boolean. */
function fileDetail(ctx: ViewContext, file: SimFile): Record<string, unknown> {
  return {
    id: file.id,
    sizeKB: file.sizeKB,
    name: file.name,
    type: file.type,
    ...scanFields(file),
    metadata: { format: file.metadata.format ?? null, size: file.metadata.size ?? null, fp: file.metadata.fp ?? null },
    hashes: file.hashes,
    primary: file.primary,
    downloadUrl: fileDownloadUrl(ctx, file),
  };
}

const imageFlags = { hasMeta: true, hasPositivePrompt: true, onSite: false, remixOfId: null };

function imageSummary(ctx: ViewContext, image: SimImage, listing: boolean): Record<string, unknown> {
  return {
    ...(listing ? { id: image.id } : {}),
    url: imageUrl(ctx, image, 'original=true'),
    nsfwLevel: image.nsfwLevel,
    width: image.width,
    height: image.height,
    hash: image.blurHash,
    type: 'image',
    minor: false,
    poi: false,
    ...imageFlags,
  };
}

export function generationMeta(image: SimImage, version: SimVersion): Record<string, unknown> {
  return {
    Size: `${image.width}x${image.height}`,
    seed: image.id * 7919,
    Model: version.model.name,
    steps: 25,
    prompt: `a picture made with ${version.model.name}`,
    sampler: 'DPM++ 2M',
    cfgScale: 7,
  };
}

function imageDetail(ctx: ViewContext, image: SimImage, version: SimVersion): Record<string, unknown> {
  return {
    url: imageUrl(ctx, image, `width=${image.width}`),
    nsfwLevel: image.nsfwLevel,
    width: image.width,
    height: image.height,
    hash: image.blurHash,
    type: 'image',
    metadata: { hash: image.blurHash, size: image.width * image.height, width: image.width, height: image.height },
    minor: false,
    poi: false,
    meta: generationMeta(image, version),
    availability: 'Public',
    ...imageFlags,
  };
}

/** What an archived or taken-down model still shows of its versions. */
function downloadable(version: SimVersion): boolean {
  return version.model.mode === undefined;
}

function versionSummary(ctx: ViewContext, version: SimVersion, options: { listing: boolean; primaryFileOnly?: boolean }): Record<string, unknown> {
  const earlyAccess = version.earlyAccessActive(ctx.now);
  const files = options.primaryFileOnly ? version.files.filter((file) => file.primary) : version.files;
  return withoutEmpty({
    id: version.id,
    index: version.index,
    name: version.name,
    // Search results (2024 sample) also carry these; `/models/:id` (2025 sample) does not.
    modelId: options.listing ? version.model.id : undefined,
    description: options.listing ? version.description : undefined,
    baseModel: version.baseModel,
    baseModelType: version.baseModelType,
    createdAt: version.createdAt,
    publishedAt: version.publishedAt,
    status: version.status,
    availability: earlyAccess ? 'EarlyAccess' : 'Public',
    nsfwLevel: version.nsfwLevel,
    trainedWords: version.trainedWords,
    covered: true,
    earlyAccessDeadline: earlyAccess ? version.earlyAccessEndsAt : undefined,
    stats: {
      downloadCount: version.stat('downloads', 50_000),
      ratingCount: 0,
      rating: 0,
      thumbsUpCount: version.stat('thumbsUp', 5_000),
      thumbsDownCount: version.stat('thumbsDown', 20),
    },
    files: downloadable(version) ? files.map((file) => fileSummary(ctx, file)) : undefined,
    images: version.model.mode === 'TakenDown' ? undefined : version.images.map((image) => imageSummary(ctx, image, options.listing)),
    downloadUrl: downloadable(version) ? versionDownloadUrl(ctx, version) : undefined,
  });
}

/** The versions `/models*` shows: published, and past the listing lag of a fresh publish. */
export function listedVersions(model: SimModel, now: number): SimVersion[] {
  return model.versions.filter((version) => version.published && version.listedFrom <= now);
}

export function modelView(ctx: ViewContext, model: SimModel, options: { listing: boolean; primaryFileOnly?: boolean }): Record<string, unknown> {
  return {
    id: model.id,
    name: model.name,
    description: model.description,
    allowNoCredit: true,
    allowCommercialUse: ['Image', 'RentCivit', 'Rent', 'Sell'],
    allowDerivatives: true,
    allowDifferentLicense: true,
    type: model.type,
    minor: false,
    sfwOnly: false,
    poi: model.poi,
    nsfw: model.nsfw,
    nsfwLevel: model.nsfwLevel,
    availability: 'Public',
    cosmetic: null,
    supportsGeneration: false,
    ...(model.mode ? { mode: model.mode } : {}),
    stats: {
      downloadCount: model.stat('downloads', 100_000),
      favoriteCount: 0,
      thumbsUpCount: model.stat('thumbsUp', 10_000),
      thumbsDownCount: model.stat('thumbsDown', 50),
      commentCount: model.stat('comments', 200),
      ratingCount: 0,
      rating: 0,
      tippedAmountCount: model.stat('tips', 1_000),
    },
    creator: { username: model.creator, image: creatorImageUrl(ctx, model.creator) },
    tags: model.tags,
    modelVersions: listedVersions(model, ctx.now).map((version) => versionSummary(ctx, version, options)),
  };
}

/** `/model-versions/:id` and the by-hash lookups. */
export function versionDetail(ctx: ViewContext, version: SimVersion): Record<string, unknown> {
  const earlyAccess = version.earlyAccessActive(ctx.now);
  const model = version.model;
  return {
    id: version.id,
    modelId: model.id,
    name: version.name,
    createdAt: version.createdAt,
    updatedAt: version.updatedAt,
    status: version.status,
    publishedAt: version.publishedAt,
    trainedWords: version.trainedWords,
    trainingStatus: null,
    trainingDetails: null,
    baseModel: version.baseModel,
    baseModelType: version.baseModelType ?? null,
    earlyAccessEndsAt: earlyAccess ? version.earlyAccessEndsAt : null,
    earlyAccessConfig: earlyAccess ? { timeframe: 7, chargeForDownload: true, downloadPrice: 500, chargeForGeneration: false } : null,
    description: version.description ?? null,
    uploadType: 'Created',
    usageControl: version.usageControl,
    air: air(version),
    stats: {
      downloadCount: version.stat('downloads', 50_000),
      ratingCount: 0,
      rating: 0,
      thumbsUpCount: version.stat('thumbsUp', 5_000),
    },
    model: { name: model.name, type: model.type, nsfw: model.nsfw, poi: model.poi, ...(model.mode ? { mode: model.mode } : {}) },
    files: downloadable(version) ? version.files.map((file) => fileDetail(ctx, file)) : [],
    images: version.images.slice(0, DETAIL_IMAGE_LIMIT).map((image) => imageDetail(ctx, image, version)),
    downloadUrl: versionDownloadUrl(ctx, version),
  };
}
