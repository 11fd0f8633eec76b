// The live state of the simulated catalogue: models, versions and files that tests can look up and change
// (publish a newer version, replace a file's bytes) while clients talk to the simulator.
import { createHash } from 'node:crypto';
import { buildContent, type ContentSpec } from './fixture-kinds.js';
import type { FileContent } from './content.js';
import { computeHashes, type FileHashes } from './hashes.js';
import type { FileMetadataSpec, FileSpec, ImageFormat, ImageSpec, ModelSpec, VersionSpec, WorldSpec } from './world-spec.js';

const HOUR_MS = 3_600_000;
/** Default timestamps grow with the id, so the usual "higher id = newer" holds. */
const EPOCH_MS = Date.UTC(2024, 0, 1);

function timestampFromId(id: number, offsetMs = 0): string {
  return new Date(EPOCH_MS + (id % 20_000) * HOUR_MS + offsetMs).toISOString();
}

/** A small deterministic number from a string, for stats and other decorations. */
function digestNumber(text: string, modulo: number): number {
  return createHash('sha256').update(text).digest().readUInt32LE(0) % modulo;
}

function defaultFormat(content: ContentSpec): string {
  if (content.format === 'safetensors') return 'SafeTensor';
  if (content.format === 'pickle') return 'PickleTensor';
  return 'Other';
}

/** HTTP dates have second precision; each change moves Last-Modified forward by at least one second. */
function nextHttpDate(previous: Date): Date {
  const now = Math.floor(Date.now() / 1000) * 1000;
  return new Date(Math.max(now, previous.getTime() + 1000));
}

export class SimImage {
  readonly id: number;
  readonly width: number;
  readonly height: number;
  readonly nsfwLevel: number;
  readonly format: ImageFormat;
  /** Like the real edge URLs' GUID segment. */
  readonly uuid: string;
  readonly blurHash: string;

  constructor(spec: ImageSpec) {
    this.id = spec.id;
    this.width = spec.width;
    this.height = spec.height;
    this.nsfwLevel = spec.nsfwLevel ?? 1;
    this.format = spec.format ?? 'jpeg';
    const hex = createHash('sha256').update(`image ${spec.id}`).digest('hex');
    this.uuid = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
    this.blurHash = `U${createHash('sha256').update(`blur ${spec.id}`).digest('base64url').slice(0, 35)}`;
  }
}

export class SimFile {
  readonly id: number;
  readonly version: SimVersion;
  readonly name: string;
  readonly type: string;
  readonly primary: boolean;
  readonly metadata: FileMetadataSpec;
  /** The object key on the storage host: like CivitAI's, it differs from the served file name. */
  readonly storageKey: string;
  readonly scannedAt: string;
  private contentSpec: ContentSpec;
  private readonly advertisedHashes: FileHashes | undefined;
  private revision = 0;
  private etagGeneration = 0;
  private built: ReturnType<typeof buildContent>;
  private cachedHashes: FileHashes | undefined;
  private modifiedAt: Date;

  constructor(spec: FileSpec, version: SimVersion, primary: boolean) {
    this.id = spec.id;
    this.version = version;
    this.name = spec.name;
    this.type = spec.type ?? 'Model';
    this.primary = primary;
    this.metadata = spec.metadata ?? { format: defaultFormat(spec.content) };
    this.contentSpec = spec.content;
    this.advertisedHashes = spec.hashes;
    const dot = spec.name.lastIndexOf('.');
    const [stem, extension] = dot > 0 ? [spec.name.slice(0, dot), spec.name.slice(dot)] : [spec.name, ''];
    const tag = createHash('sha256').update(`key ${spec.id}`).digest('base64url').slice(0, 4);
    this.storageKey = `${version.id}/model/${stem.toLowerCase().replace(/[^a-z0-9]+/g, '')}.${tag}${extension}`;
    this.scannedAt = timestampFromId(version.id, 15 * 60_000);
    this.modifiedAt = new Date(Date.parse(this.scannedAt) - (Date.parse(this.scannedAt) % 1000));
    this.built = buildContent(spec.content, this.seed());
  }

  private seed(): string {
    return `${this.id}:${this.revision}`;
  }

  get content(): FileContent {
    return this.built.content;
  }

  get sizeBytes(): number {
    return this.built.content.length;
  }

  get sizeKB(): number {
    return this.sizeBytes / 1024;
  }

  /** Computed once per content (a full pass over the bytes), unless the spec advertises its own. */
  get hashes(): FileHashes {
    if (this.advertisedHashes) return this.advertisedHashes;
    this.cachedHashes ??= computeHashes(this.built.content, this.built.tensorDataStart);
    return this.cachedHashes;
  }

  /** The hashes of the bytes actually served, whatever the spec advertises. */
  get servedSha256(): string {
    this.cachedHashes ??= computeHashes(this.built.content, this.built.tensorDataStart);
    const sha = this.cachedHashes.SHA256;
    if (sha === undefined) throw new Error('computeHashes always yields SHA256');
    return sha;
  }

  get etag(): string {
    return `"${createHash('md5').update(`${this.seed()}:${this.etagGeneration}`).digest('hex')}"`;
  }

  get lastModified(): Date {
    return this.modifiedAt;
  }

  /** As if the same bytes were uploaded again: new ETag and Last-Modified. */
  touch(): void {
    this.etagGeneration += 1;
    this.modifiedAt = nextHttpDate(this.modifiedAt);
  }

  /** New bytes (so a new SHA-256 and ETag), optionally of another kind. */
  replace(content: ContentSpec = this.contentSpec): void {
    this.contentSpec = content;
    this.revision += 1;
    this.built = buildContent(content, this.seed());
    this.cachedHashes = undefined;
    this.touch();
  }
}

export class SimVersion {
  readonly id: number;
  readonly model: SimModel;
  readonly name: string;
  readonly baseModel: string;
  readonly baseModelType: string | undefined;
  readonly description: string | undefined;
  readonly trainedWords: readonly string[];
  readonly createdAt: string;
  readonly publishedAt: string;
  readonly updatedAt: string;
  readonly status: string;
  readonly nsfwLevel: number;
  readonly requireAuth: boolean;
  readonly usageControl: string;
  readonly earlyAccessEndsAt: string | undefined;
  readonly files: readonly SimFile[];
  readonly images: readonly SimImage[];
  /** Epoch ms before which `/models` does not list this version yet (CivitAI's cache lag). */
  readonly listedFrom: number;

  constructor(spec: VersionSpec, model: SimModel, listedFrom = 0) {
    this.id = spec.id;
    this.model = model;
    this.name = spec.name;
    this.baseModel = spec.baseModel;
    this.baseModelType = spec.baseModelType;
    this.description = spec.description;
    this.trainedWords = spec.trainedWords ?? [];
    this.publishedAt = spec.publishedAt ?? timestampFromId(spec.id, 30 * 60_000);
    this.createdAt = new Date(Date.parse(this.publishedAt) - 30 * 60_000).toISOString();
    this.updatedAt = new Date(Date.parse(this.publishedAt) + 39).toISOString();
    this.status = spec.status ?? 'Published';
    this.nsfwLevel = spec.nsfwLevel ?? model.nsfwLevel;
    this.requireAuth = spec.requireAuth ?? false;
    this.usageControl = spec.usageControl ?? 'Download';
    this.earlyAccessEndsAt = spec.earlyAccessEndsAt;
    const primaryIndex = Math.max(0, spec.files.findIndex((file) => file.primary === true));
    this.files = spec.files.map((file, i) => new SimFile(file, this, i === primaryIndex));
    this.images = (spec.images ?? []).map((image) => new SimImage(image));
    this.listedFrom = listedFrom;
  }

  get index(): number {
    return this.model.versions.indexOf(this);
  }

  get primaryFile(): SimFile | undefined {
    return this.files.find((file) => file.primary);
  }

  get published(): boolean {
    return this.status === 'Published';
  }

  /** An early-access gate that is still closed at `now`. */
  earlyAccessActive(now = Date.now()): boolean {
    return this.earlyAccessEndsAt !== undefined && Date.parse(this.earlyAccessEndsAt) > now;
  }

  stat(name: string, modulo: number): number {
    return digestNumber(`version ${this.id} ${name}`, modulo);
  }
}

export class SimModel {
  readonly id: number;
  readonly name: string;
  readonly type: string;
  readonly creator: string;
  readonly description: string;
  readonly tags: readonly string[];
  readonly nsfw: boolean;
  readonly nsfwLevel: number;
  readonly poi: boolean;
  readonly mode: 'Archived' | 'TakenDown' | undefined;
  /** Display order (index 0 first). */
  readonly versions: SimVersion[] = [];

  constructor(spec: ModelSpec) {
    this.id = spec.id;
    this.name = spec.name;
    this.type = spec.type;
    this.creator = spec.creator ?? 'sim_creator';
    this.description = spec.description ?? `<p>${spec.name}, a model of the CivitAI simulator.</p>`;
    this.tags = spec.tags ?? [];
    this.nsfw = spec.nsfw ?? false;
    this.nsfwLevel = spec.nsfwLevel ?? 1;
    this.poi = spec.poi ?? false;
    this.mode = spec.mode;
  }

  stat(name: string, modulo: number): number {
    return digestNumber(`model ${this.id} ${name}`, modulo);
  }
}

export interface PublishOptions {
  /** `/models/:id` lists the new version only after this delay, while `/model-versions/:id` knows it at once. */
  readonly listedAfterMs?: number;
}

export interface ReplaceFileOptions {
  /** Default: the version's primary file. */
  readonly fileId?: number;
  /** Default: the same kind of content, with new bytes. */
  readonly content?: ContentSpec;
}

export class World {
  private readonly modelList: SimModel[] = [];
  private readonly modelsById = new Map<number, SimModel>();
  private readonly versionsById = new Map<number, SimVersion>();
  private readonly filesById = new Map<number, SimFile>();
  private readonly imagesById = new Map<number, SimImage>();
  private readonly filesByStorageKey = new Map<string, SimFile>();

  constructor(spec: WorldSpec) {
    for (const model of spec.models) this.addModel(model);
  }

  get models(): readonly SimModel[] {
    return this.modelList;
  }

  model(id: number): SimModel | undefined {
    return this.modelsById.get(id);
  }

  version(id: number): SimVersion | undefined {
    return this.versionsById.get(id);
  }

  file(id: number): SimFile | undefined {
    return this.filesById.get(id);
  }

  fileByStorageKey(key: string): SimFile | undefined {
    return this.filesByStorageKey.get(key);
  }

  image(id: number): SimImage | undefined {
    return this.imagesById.get(id);
  }

  /** Every file whose advertised hashes contain `hash` (any type, case-insensitive, exact match). */
  filesWithHash(hash: string): SimFile[] {
    const wanted = hash.toUpperCase();
    return [...this.filesById.values()].filter((file) => Object.values(file.hashes).some((value) => value.toUpperCase() === wanted));
  }

  addModel(spec: ModelSpec): SimModel {
    if (this.modelsById.has(spec.id)) throw new Error(`model ${spec.id} already exists`);
    const model = new SimModel(spec);
    this.modelList.push(model);
    this.modelsById.set(model.id, model);
    for (const version of spec.versions) this.attach(model, version, 'end');
    return model;
  }

  /** Adds a newer version at index 0, as a creator publishing an update. */
  publishVersion(modelId: number, spec: VersionSpec, options: PublishOptions = {}): SimVersion {
    const model = this.modelsById.get(modelId);
    if (!model) throw new Error(`no model ${modelId}`);
    const listedFrom = options.listedAfterMs ? Date.now() + options.listedAfterMs : 0;
    return this.attach(model, { ...spec, publishedAt: spec.publishedAt ?? new Date().toISOString() }, 'start', listedFrom);
  }

  /** New bytes for a file (new SHA-256, ETag and Last-Modified), as when a creator re-uploads it. */
  replaceFile(versionId: number, options: ReplaceFileOptions = {}): SimFile {
    const version = this.versionsById.get(versionId);
    if (!version) throw new Error(`no version ${versionId}`);
    const file = options.fileId === undefined ? version.primaryFile : version.files.find((f) => f.id === options.fileId);
    if (!file) throw new Error(`version ${versionId} has no file ${options.fileId ?? '(primary)'}`);
    file.replace(options.content);
    return file;
  }

  private attach(model: SimModel, spec: VersionSpec, at: 'start' | 'end', listedFrom = 0): SimVersion {
    if (this.versionsById.has(spec.id)) throw new Error(`version ${spec.id} already exists`);
    const version = new SimVersion(spec, model, listedFrom);
    for (const file of version.files) {
      if (this.filesById.has(file.id)) throw new Error(`file ${file.id} already exists`);
      this.filesById.set(file.id, file);
      this.filesByStorageKey.set(file.storageKey, file);
    }
    for (const image of version.images) this.imagesById.set(image.id, image);
    this.versionsById.set(version.id, version);
    if (at === 'start') model.versions.unshift(version);
    else model.versions.push(version);
    return version;
  }
}
