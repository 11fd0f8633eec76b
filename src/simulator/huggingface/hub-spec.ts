// The small, typed description of a simulated Hugging Face Hub: repos with their first commit's files. Commit ids,
// blob ids, dates and bytes are derived deterministically, so two hubs built from one spec are identical.
import type { ContentSpec } from '../fixture-kinds.js';

export interface HubSpec {
  readonly repos: readonly RepoSpec[];
}

export interface RepoSpec {
  /** `owner/name`. */
  readonly id: string;
  /** Names the repo had before a rename: the hub redirects them (307, relative Location) to `id`. */
  readonly formerIds?: readonly string[];
  readonly private?: boolean;
  /** Gated repos: metadata is public, file downloads need a token whose user was granted access. */
  readonly gated?: 'auto' | 'manual';
  /** Files stored on Xet: resolve answers also carry `X-Xet-Hash` and the Xet `Link`s (the LFS route still works). */
  readonly xet?: boolean;
  readonly pipelineTag?: string;
  readonly libraryName?: string;
  readonly tags?: readonly string[];
  /** The files of the first commit on `main`. */
  readonly files: readonly HubFileSpec[];
  /** Tags pointing at the first commit. */
  readonly gitTags?: readonly string[];
}

export interface HubFileSpec {
  /** Path inside the repo, `/`-separated. */
  readonly path: string;
  readonly content: HubContentSpec;
  /** Stored with Git LFS. Default: true for model weights (by extension), false for text. */
  readonly lfs?: boolean;
}

export type HubContentSpec = ContentSpec | { readonly format: 'text'; readonly text: string };

/** One token the hub knows. Its user owns the repos of its namespace and may read the listed ones. */
export interface TokenSpec {
  readonly token: string;
  readonly user: string;
  /** Gated repos whose conditions this user accepted (and was granted). */
  readonly gatedAccess?: readonly string[];
  /** Private repos of other namespaces this user may read. */
  readonly privateAccess?: readonly string[];
}
