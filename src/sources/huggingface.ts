// Hugging Face as a source: a file reference becomes the file at the commit its revision points at now (pinned,
// so the bytes cannot change under a running download), with the hub's SHA-256 for LFS files or the git blob id
// of a small file kept in git. The storage URL is asked of the hub again for every transfer and after every
// refusal: the hub (with the token) answers with a redirect to a signed storage URL, which is fetched without it.
import type { HfClient, HfResolvedFile } from '../huggingface/client.js';
import type { HfError } from '../huggingface/errors.js';
import { errAsync, okAsync } from 'neverthrow';
import { blobUrl, isCommitId, type HfFileRef } from '../huggingface/refs.js';
import type { HuggingfaceResolved, ResolveFailure, Source } from './source.js';

const failure = (e: HfError): ResolveFailure => ({
  // A repo the hub does not show may be private: that is access, not a typo, so it is not the user's input error.
  code: e.code === 'FILE_NOT_FOUND' || e.code === 'REVISION_NOT_FOUND' ? 'NOT_FOUND' : 'FAILED',
  message: e.message,
});

/** `main @ 1a2b3c4`, or the short commit when the reference named a commit. */
function revisionName(file: HfResolvedFile): string {
  return isCommitId(file.revision) ? file.commit.slice(0, 12) : `${file.revision} @ ${file.commit.slice(0, 7)}`;
}

export function resolvedFromHub(file: HfResolvedFile): HuggingfaceResolved {
  const { verification, repoInfo } = file;
  return {
    source: 'huggingface',
    repo: file.repo,
    revision: file.commit,
    requestedRevision: file.revision,
    repoPath: file.path,
    fileName: file.fileName,
    sizeBytes: file.size,
    sha256: verification.kind === 'sha256' ? verification.sha256 : null,
    gitBlobId: verification.kind === 'git-blob' ? verification.gitBlobId : null,
    url: file.resolveUrl,
    modelName: file.repo,
    versionName: revisionName(file),
    modelType: null,
    baseModel: null,
    huggingface: {
      ...repoInfo,
      lfs: file.lfs,
      ...(file.lastCommit ? { lastCommit: file.lastCommit } : {}),
      ...(file.xetHash !== undefined ? { xetHash: file.xetHash } : {}),
    },
  };
}

/**
 * The hub serves a small file kept in git itself, from `resolve`, which wants the token in a gated or private repo;
 * the transfer engine sends no credential to any host, so such a file cannot be fetched (model weights are LFS).
 */
function servedWithToken(file: HfResolvedFile): boolean {
  return !file.lfs && (file.repoInfo.private || file.repoInfo.gated !== false);
}

/** `endpoint`: HF_ENDPOINT, for the pages messages point at. */
export function huggingfaceSource(client: HfClient, endpoint: string): Source<HfFileRef, HuggingfaceResolved> {
  return {
    resolve: (ref) =>
      client.resolveFile(ref).mapErr(failure).andThen((file) =>
        servedWithToken(file)
          ? errAsync<HuggingfaceResolved, ResolveFailure>({
              code: 'FAILED',
              message: `${file.path} is a small file ${file.repo} keeps in git rather than LFS, and the repo is ${file.repoInfo.private ? 'private' : 'gated'}: comfyui-dl sends the token to the hub's API only, never with a file transfer, so it cannot fetch this one; download it from ${blobUrl({ repo: file.repo, revision: file.commit, path: file.path }, endpoint)} (model weights are LFS files and download as usual)`,
            })
          : okAsync(resolvedFromHub(file)),
      ),
    // A small file the hub serves itself has no storage URL: its pinned `resolve` URL is the one.
    storageUrl: async (resolved) =>
      (await client.refreshStorageUrl({ repo: resolved.repo, path: resolved.repoPath, commit: resolved.revision })).map((location) => ({ url: location ?? resolved.url })),
  };
}
