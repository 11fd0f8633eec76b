// The small, typed description of a simulated CivitAI catalogue. Everything not given is derived
// deterministically from the ids (dates, stats, image hashes…), so two worlds built from one spec are identical.
import type { ContentSpec } from './fixture-kinds.js';

export interface WorldSpec {
  readonly models: readonly ModelSpec[];
}

export interface ModelSpec {
  readonly id: number;
  readonly name: string;
  /** CivitAI ModelType: Checkpoint, LORA, TextualInversion, VAE, Controlnet, Upscaler… */
  readonly type: string;
  readonly creator?: string;
  readonly description?: string;
  readonly tags?: readonly string[];
  readonly nsfw?: boolean;
  /** Bit flags PG=1, PG13=2, R=4, X=8, XXX=16. Default 1. */
  readonly nsfwLevel?: number;
  readonly poi?: boolean;
  readonly mode?: 'Archived' | 'TakenDown';
  /** In display order: the first is index 0, normally the newest. */
  readonly versions: readonly VersionSpec[];
}

export interface VersionSpec {
  readonly id: number;
  readonly name: string;
  readonly baseModel: string;
  readonly baseModelType?: string;
  readonly description?: string;
  readonly trainedWords?: readonly string[];
  /** ISO timestamp; by default derived from the id, so higher ids are newer. */
  readonly publishedAt?: string;
  readonly status?: 'Published' | 'Draft' | 'Unpublished' | 'Scheduled';
  readonly nsfwLevel?: number;
  /** Downloads need a valid key even when anonymous downloads are allowed. */
  readonly requireAuth?: boolean;
  readonly usageControl?: 'Download' | 'Generation' | 'InternalGeneration' | 'ExternalGeneration';
  /** ISO timestamp: until then, downloads answer 403 Early Access with this deadline. */
  readonly earlyAccessEndsAt?: string;
  readonly files: readonly FileSpec[];
  readonly images?: readonly ImageSpec[];
}

export interface FileMetadataSpec {
  readonly format?: string;
  readonly size?: string;
  readonly fp?: string;
  readonly quantType?: string;
}

export interface FileSpec {
  readonly id: number;
  /** The download file name, as in `files[].name` and Content-Disposition. */
  readonly name: string;
  /** ModelFileType; default `Model`. */
  readonly type?: string;
  /** Default: the first file of the version. */
  readonly primary?: boolean;
  /** Default: `format` from the content (SafeTensor / PickleTensor / Other). */
  readonly metadata?: FileMetadataSpec;
  readonly content: ContentSpec;
  /** Advertised hashes instead of the real ones: `{}` for a file CivitAI never hashed, or a wrong SHA256 (e.g.
   *  the hash of the zip that was uploaded) to exercise verification failures. */
  readonly hashes?: Readonly<Record<string, string>>;
}

export interface ImageSpec {
  readonly id: number;
  readonly width: number;
  readonly height: number;
  readonly nsfwLevel?: number;
  readonly format?: ImageFormat;
}

export type ImageFormat = 'jpeg' | 'png' | 'webp';
