// The startup scan: what model files are on disk, which bytes they hold, and who they are on CivitAI. Each
// finding is an event, so a restart knows every hash it already computed and every answer CivitAI gave.
import { randomUUID } from 'node:crypto';
import { isAbsolute, join, relative, sep } from 'node:path';
import { stat } from 'node:fs/promises';
import { setImmediate as yieldToEventLoop, setTimeout as sleep } from 'node:timers/promises';
import type { CivitaiClient } from '../../civitai/client.js';
import type { Log } from '../../lib/log.js';
import type { NewEvent } from '../../events/envelope.js';
import { createHashPool } from '../../hashing/index.js';
import { decideHash, hashCacheEntry, hashCacheKey, indexHashCache, RACY_WINDOW_MS, type FileIdentity } from './hash-cache.js';
import { MODEL_FILE_EXTENSIONS, walkModelFiles, type WalkedFile, type WalkWarning } from './walk.js';
import type { OpenedDatabase } from '../../store/database.js';
import { viewQueries } from '../../views/queries.js';
import type { AppendRequest, EventStore } from '../../store/event-store.js';
import { modelPathOf } from '../download/route-file.js';
import { catalogChanges, type SeenFile } from './catalog-changes.js';
import { identifyHashes, type Identification } from './identify.js';
import { writeIdentifiedSidecar } from './identified-sidecar.js';
import { followModelMove } from '../../sidecar/companions.js';
import { folderOfModelsPath } from '../../routing/folders.js';
import { scanScope, warningMeans } from './scan-scope.js';

export interface ScannerDeps {
  store: EventStore;
  db: OpenedDatabase;
  /** This host, in a log several share: the catalog it compares with its disk is its own part. */
  host?: string;
  client: CivitaiClient;
  log: Log;
  /** ComfyUI's models folder, always a root; events carry paths relative to it. */
  modelsDir: string;
  /**
   * The other folders ComfyUI searches (extra_model_paths.yaml), asked before each scan so an edit of the yaml
   * applies to the next one; paths stay absolute for files outside the models folder.
   */
  extraRoots?: () => Promise<readonly ScanRoot[]>;
  /** Staging/quarantine folders the walk must skip. */
  ownDirs: readonly string[];
  /** Default 2. */
  hashConcurrency?: number;
  previewMaxNsfwLevel: number;
  now?: () => number;
}

/** A folder to walk and the ComfyUI folder key of every model file below it. */
export interface ScanRoot {
  readonly path: string;
  readonly folder: string;
}

export interface ScanSummary {
  /** Model files seen (and hashed, or answered by the hash cache). */
  files: number;
  hashed: number;
  cached: number;
  discovered: number;
  moved: number;
  missing: number;
  /** Files identified on CivitAI by this scan. */
  identified: number;
  /** Files CivitAI does not know, as far as it was asked. */
  unknown: number;
  ms: number;
}

export interface ScanProgress {
  phase: 'walking' | 'hashing' | 'identifying';
  done: number;
  total: number;
}

export interface Scanner {
  /** Runs one scan (a second call while one runs returns the running one's promise). */
  scan(): Promise<ScanSummary>;
  readonly running: boolean;
  /** Live progress for `status`: {phase: 'walking'|'hashing'|'identifying', done, total} or null. */
  progress(): ScanProgress | null;
  /** Hash operations done since creation (tests count rehashes with it). */
  readonly hashOperations: number;
}

/** CivitAI's "unknown" is asked again after this long: metadata lags fresh uploads. */
export const NEGATIVE_ANSWER_TTL_MS = 7 * 86_400_000;
/** Hashes looked up per scan; the rest wait for the next scan, so a huge first scan cannot hog the API. */
export const MAX_LOOKUPS_PER_SCAN = 1000;
/** Files handed to the hash threads per batch, per thread: between batches the scan records and yields. */
const HASH_BATCH_PER_THREAD = 4;

interface WalkedModel {
  readonly file: WalkedFile;
  /** As events name it. */
  readonly path: string;
  readonly folder: string;
  /** When its stat fields were read: an entry recorded within the racy window of the mtime is not trusted. */
  readonly statAtMs: number;
}

const errnoOf = (e: unknown): string | undefined => (e as NodeJS.ErrnoException | null)?.code;

export function createScanner(deps: ScannerDeps): Scanner {
  const { store, db, log, modelsDir } = deps;
  const views = viewQueries(db, deps.host);
  const now = deps.now ?? Date.now;
  const concurrency = Math.max(1, deps.hashConcurrency ?? 2);
  let current: Promise<ScanSummary> | undefined;
  let progress: ScanProgress | null = null;
  let hashOperations = 0;

  const absolute = (path: string): string => (isAbsolute(path) ? path : join(modelsDir, path));

  async function record(scanId: string, requests: readonly { streamId: string; event: NewEvent }[]): Promise<void> {
    if (requests.length === 0) return;
    const batch: AppendRequest[] = requests.map((r) => ({
      streamId: r.streamId, events: [r.event], metadata: { actor: 'scan', correlationId: scanId },
    }));
    const appended = await store.append(batch);
    if (appended.isErr()) throw new Error(`the scan could not record what it found: ${appended.error.message}`);
  }

  /**
   * The yaml's folders come first, so that one inside the models folder is walked under its own key; the models
   * folder then covers ComfyUI's own folders (and any other folder in it), each directory walked once.
   */
  async function scanRoots(): Promise<{ paths: string[]; folderOf: (root: string, inRoot: string) => string }> {
    const extra = ((await deps.extraRoots?.()) ?? []).filter((r) => r.path !== modelsDir);
    const keys = new Map(extra.map((r) => [r.path, r.folder]));
    return {
      paths: [...new Set([...extra.map((r) => r.path), modelsDir])],
      folderOf: (root, inRoot) => keys.get(root) ?? folderOfModelsPath(inRoot),
    };
  }

  async function walk(roots: Awaited<ReturnType<typeof scanRoots>>, onWarning: (w: WalkWarning) => void): Promise<WalkedModel[]> {
    const walked: WalkedModel[] = [];
    const ownDirs = [...deps.ownDirs, ...roots.paths.map((root) => join(root, '.comfyui-dl'))];
    for await (const file of walkModelFiles(roots.paths, { extensions: MODEL_FILE_EXTENSIONS, ownDirs, onWarning })) {
      const inRoot = relative(file.root, file.path).split(sep).join('/');
      walked.push({ file, path: modelPathOf(modelsDir, file.path), folder: roots.folderOf(file.root, inRoot), statAtMs: now() });
      progress = { phase: 'walking', done: walked.length, total: walked.length };
    }
    return walked;
  }

  /** Hashes what the cache cannot answer, off the main thread, recording each new hash as it comes. */
  async function hashAll(scanId: string, walked: readonly WalkedModel[], unseen: string[]): Promise<{ seen: SeenFile[]; hashed: number; cached: number }> {
    const cache = indexHashCache(
      (await views.hashCache()).map((r) => ({
        dev: r.dev, ino: r.ino, size: r.size, mtimeMs: r.mtime_ms, sha256: r.sha256, checkedAtMs: r.checked_at_ms,
      })),
    );
    const seen: SeenFile[] = [];
    const uncached: WalkedModel[] = [];
    for (const w of walked) {
      const decision = decideHash(cache, w.file);
      if (decision.kind === 'cached') seen.push({ path: w.path, folder: w.folder, sha256: decision.sha256, size: w.file.size });
      else uncached.push(w);
    }
    const cached = seen.length;
    const pending = await outOfRacyWindow(uncached);
    progress = { phase: 'hashing', done: 0, total: pending.length };
    const pool = createHashPool({ size: concurrency });
    try {
      const batchSize = concurrency * HASH_BATCH_PER_THREAD;
      for (let at = 0; at < pending.length; at += batchSize) {
        const batch = pending.slice(at, at + batchSize);
        const results = await Promise.allSettled(batch.map((w) => {
          hashOperations += 1;
          return pool.hashFile(w.file.realPath);
        }));
        const events: { streamId: string; event: NewEvent }[] = [];
        results.forEach((result, i) => {
          const w = batch[i]!;
          if (result.status === 'rejected') {
            // Gone since the walk: simply not seen. Any other failure: not known to be gone.
            if (errnoOf(result.reason) !== 'ENOENT') {
              unseen.push(w.path);
              log(`scan: cannot read ${w.file.path} (${errnoOf(result.reason) ?? String(result.reason)}); skipped`);
            }
            return;
          }
          const sha256 = result.value;
          seen.push({ path: w.path, folder: w.folder, sha256, size: w.file.size });
          events.push({ streamId: `file-${sha256}`, event: hashedEvent(w, sha256) });
        });
        await record(scanId, events);
        progress = { phase: 'hashing', done: Math.min(pending.length, at + batch.length), total: pending.length };
        await yieldToEventLoop();
      }
    } finally {
      await pool.close();
    }
    return { seen, hashed: seen.length - cached, cached };
  }

  /**
   * Files written just before the walk would get entries the next scan cannot trust, and be hashed again after
   * every restart. Waiting out the window once (at most its length) and reading their stat fields again makes
   * their entries trustworthy: a later write can no longer share the mtime read now.
   */
  async function outOfRacyWindow(files: readonly WalkedModel[]): Promise<WalkedModel[]> {
    const racy = (w: WalkedModel) => w.statAtMs - w.file.mtimeMs < RACY_WINDOW_MS;
    const fresh = files.filter(racy);
    if (fresh.length === 0) return [...files];
    const waitMs = Math.max(...fresh.map((w) => w.file.mtimeMs + RACY_WINDOW_MS - now()));
    await sleep(Math.min(RACY_WINDOW_MS, Math.max(0, waitMs)));
    const restated = await Promise.all(fresh.map(async (w): Promise<WalkedModel> => {
      try {
        const { dev, ino, size, mtimeMs } = await stat(w.file.path);
        return { ...w, file: { ...w.file, dev, ino, size, mtimeMs }, statAtMs: now() };
      } catch {
        // Gone meanwhile (or unreadable now): hashing it says which.
        return w;
      }
    }));
    return [...files.filter((w) => !racy(w)), ...restated];
  }

  function hashedEvent(w: WalkedModel, sha256: string): NewEvent {
    const identity: FileIdentity = w.file;
    const entry = hashCacheEntry(identity, sha256, w.statAtMs);
    // A racy entry is hashed again next scan; its id must differ from the trusted one that scan will record.
    const trusted = entry.checkedAtMs - entry.mtimeMs >= RACY_WINDOW_MS;
    const key = hashCacheKey(identity);
    return {
      eventId: trusted ? `hash:${key}` : `hash:${key}@${entry.checkedAtMs}`,
      type: 'file.hashed',
      data: { path: w.path, ...entry },
    };
  }

  /** Sidecars and previews left behind by a moved model file follow it, and its sidecar is pointed at it. */
  async function followMoves(scanId: string, moves: readonly { from: string; to: string; sha256: string }[]): Promise<void> {
    for (const move of moves) {
      try {
        const moved = await followModelMove(absolute(move.from), absolute(move.to), MODEL_FILE_EXTENSIONS);
        if (moved.length === 0) continue;
        const named = moved.map((m) => ({ from: modelPathOf(modelsDir, m.from), to: modelPathOf(modelsDir, m.to) }));
        await record(scanId, [{ streamId: `file-${move.sha256}`, event: { eventId: `${scanId}:sidecar.moved:${move.to}`, type: 'sidecar.moved', data: { path: move.to, moved: named } } }]);
      } catch (e) {
        log(`scan: the sidecar or preview of ${move.from} could not follow it to ${move.to}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  }

  /** Every answer CivitAI gave, by hash: one narrow read, however many files (no limit on bound parameters). */
  async function identities(): Promise<Map<string, { known: number; checked_at: string }>> {
    const rows = await views.identityChecks();
    return new Map(rows.map((r) => [r.sha256, r]));
  }

  async function identify(scanId: string, pathsBySha: ReadonlyMap<string, readonly string[]>): Promise<readonly Identification[]> {
    const known = await identities();
    const wanted = [...pathsBySha].filter(([sha]) => {
      const row = known.get(sha);
      return row === undefined || (row.known === 0 && now() - Date.parse(row.checked_at) > NEGATIVE_ANSWER_TTL_MS);
    }).slice(0, MAX_LOOKUPS_PER_SCAN);
    progress = { phase: 'identifying', done: 0, total: wanted.length };
    const outcome = await identifyHashes(
      { client: deps.client, log, onProgress: (done) => { progress = { phase: 'identifying', done, total: wanted.length }; } },
      wanted.map(([sha256, paths]) => ({ sha256, paths: paths.map(absolute) })),
    );
    await record(scanId, [
      ...outcome.identified.map(({ sha256, version, source }) => ({
        streamId: `file-${sha256}`,
        event: {
          eventId: `identified:${sha256}`,
          type: 'file.identified',
          data: {
            sha256, modelId: version.modelId, versionId: version.id, modelName: version.model.name, versionName: version.name,
            modelType: version.model.type, baseModel: version.baseModel || null, source, civitai: version,
          },
        },
      })),
      ...outcome.unknown.map((sha256) => ({
        streamId: `file-${sha256}`,
        event: { eventId: `${scanId}:unidentified:${sha256}`, type: 'file.unidentified', data: { sha256 } },
      })),
    ]);
    return outcome.identified;
  }

  /** The models of the identified files, asked once for all of them (the client sends 100 ids per request). */
  async function modelsOf(identified: readonly Identification[]): Promise<Map<number, Record<string, unknown>>> {
    const ids = [...new Set(identified.map((i) => i.version.modelId))];
    if (ids.length === 0) return new Map();
    const answer = await deps.client.getModels({ ids });
    if (answer.isErr()) {
      log(`scan: could not fetch the models' tags, description and license (${answer.error.message}); the sidecars get the version's data`);
      return new Map();
    }
    return new Map(answer.value.map((model) => [model.id, model as Record<string, unknown>]));
  }

  async function writeSidecars(identified: readonly Identification[], pathsBySha: ReadonlyMap<string, readonly string[]>): Promise<void> {
    const models = await modelsOf(identified);
    for (const { sha256, version } of identified) {
      for (const path of pathsBySha.get(sha256) ?? []) {
        try {
          await writeIdentifiedSidecar({ maxNsfwLevel: deps.previewMaxNsfwLevel }, absolute(path), sha256, version, models.get(version.modelId) ?? null);
        } catch (e) {
          log(`scan: no sidecar for ${path}: ${e instanceof Error ? e.message : String(e)}`);
        }
      }
      await yieldToEventLoop();
    }
  }

  async function runScan(): Promise<ScanSummary> {
    const startedAt = performance.now();
    const scanId = randomUUID();
    const streamId = `scan-${scanId}`;
    const roots = await scanRoots();
    await record(scanId, [{ streamId, event: { eventId: `${scanId}:started`, type: 'scan.started', data: { roots: roots.paths } } }]);
    // Taken before the walk: a file a download places meanwhile is not in it, so it can never be called missing.
    const catalog = await views.catalogPresence();

    const unscannedRoots = new Set<string>();
    const unseen: string[] = [];
    const absentRoots: string[] = [];
    progress = { phase: 'walking', done: 0, total: 0 };
    const walked = await walk(roots, (w) => {
      // What is gone is simply not seen, so the files below it are missing; what is unreadable is left alone.
      if (w.code === 'ROOT_MISSING') return void absentRoots.push(w.path);
      if (warningMeans(w) === 'unknown') {
        if (roots.paths.includes(w.path)) unscannedRoots.add(w.path);
        else unseen.push(modelPathOf(modelsDir, w.path));
      }
      log(`scan: ${w.message}`);
    });
    if (absentRoots.length > 0) log(`scan: ${absentRoots.length} model folder(s) do not exist (yet): ${absentRoots.join(', ')}; files recorded there, if any, are missing`);

    const { seen, hashed, cached } = await hashAll(scanId, walked, unseen);
    const inScope = scanScope({ modelsDir, extraRoots: roots.paths.filter((r) => r !== modelsDir), unscannedRoots, unseen });
    const changes = catalogChanges(catalog.map((r) => ({ ...r, missing: r.missing === 1 })), seen, inScope);
    await record(scanId, changes.map((c) => ({
      streamId: `file-${c.data.sha256}`,
      event: { eventId: `${scanId}:${c.type}:${'to' in c.data ? c.data.to : c.data.path}`, type: c.type, data: c.data },
    })));
    await followMoves(scanId, changes.flatMap((c) => (c.type === 'file.moved' ? [c.data] : [])));

    // A file downloaded from Hugging Face (placed by now, whenever it started) has a known source: CivitAI is not
    // asked who it is.
    const fromHub = await views.hfCatalogSha256s();
    const pathsBySha = new Map<string, string[]>();
    for (const f of seen.filter((file) => !fromHub.has(file.sha256))) {
      const paths = pathsBySha.get(f.sha256);
      if (paths) paths.push(f.path);
      else pathsBySha.set(f.sha256, [f.path]);
    }
    const identified = await identify(scanId, pathsBySha);
    await writeSidecars(identified, pathsBySha);

    const answers = await identities();
    const count = (type: string) => changes.filter((c) => c.type === type).length;
    const summary: ScanSummary = {
      files: seen.length,
      hashed,
      cached,
      discovered: count('file.discovered'),
      moved: count('file.moved'),
      missing: count('file.missing'),
      identified: identified.reduce((n, i) => n + (pathsBySha.get(i.sha256)?.length ?? 0), 0),
      unknown: seen.filter((f) => answers.get(f.sha256)?.known === 0).length,
      ms: Math.round(performance.now() - startedAt),
    };
    await record(scanId, [{ streamId, event: { eventId: `${scanId}:completed`, type: 'scan.completed', data: summary } }]);
    return summary;
  }

  return {
    scan() {
      current ??= runScan().finally(() => {
        current = undefined;
        progress = null;
      });
      return current;
    },
    get running() {
      return current !== undefined;
    },
    progress: () => progress,
    get hashOperations() {
      return hashOperations;
    },
  };
}
