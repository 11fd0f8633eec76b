// The CivitAI simulator in its own process (so serving bytes never shares a CPU thread with a client under test),
// with its big benchmark file, and that file's facts as a client learns them: expected SHA-256, size, signed URL.
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { z } from 'zod';
import { processCpuSeconds, startProcess, stopProcess } from './proc.js';

const StartLine = z.object({
  apiUrl: z.string().url(),
  bigFile: z.object({ versionId: z.number().int(), fileId: z.number().int() }),
  manyFiles: z.object({ firstVersionId: z.number().int(), count: z.number().int() }).optional(),
});

const VersionJson = z.object({
  files: z.array(z.object({ id: z.number().int(), name: z.string(), hashes: z.object({ SHA256: z.string().regex(/^[0-9A-Fa-f]{64}$/) }) })),
});

export interface BenchServer {
  readonly apiUrl: string;
  readonly versionId: number;
  readonly fileName: string;
  /** Lowercase hex, from the API as the daemon reads it. */
  readonly sha256: string;
  readonly sizeBytes: number;
  /** A fresh signed storage URL, taken from the download endpoint's redirect as a client does. */
  signedUrl(): Promise<string>;
  /** CPU the simulator process has used so far, in seconds. */
  cpuSeconds(): number;
  /** The small files, when the server was started with some. */
  readonly many: readonly ServedFile[];
  stop(): Promise<void>;
}

/** One of the many small files: what a client learns of it. */
export interface ServedFile {
  readonly versionId: number;
  readonly fileName: string;
  readonly sha256: string;
  signedUrl(): Promise<string>;
}

export interface BenchServerOptions {
  readonly fileMib: number;
  /** Also serve this many LoRA-sized files of `manyFileMib` each. */
  readonly manyFiles?: { readonly count: number; readonly fileMib: number };
  /** Per-connection cap on the storage host, bytes per second. */
  readonly throttleBytesPerSecond?: number;
  readonly timeoutMs: number;
}

const simulatorMain = fileURLToPath(new URL('../../src/simulator/main.js', import.meta.url));

async function firstLine(stream: NodeJS.ReadableStream, timeoutMs: number): Promise<string> {
  const lines = createInterface({ input: stream });
  try {
    return await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the simulator printed nothing within ${timeoutMs / 1000} s`)), timeoutMs);
      lines.once('line', (line) => {
        clearTimeout(timer);
        resolve(line);
      });
      lines.once('close', () => reject(new Error('the simulator exited before printing its URLs')));
    });
  } finally {
    lines.close();
  }
}

async function signedUrlOf(apiUrl: string, versionId: number): Promise<string> {
  const response = await request(`${apiUrl}/api/download/models/${versionId}`);
  await response.body.dump();
  const location = response.headers.location;
  if (response.statusCode !== 307 || typeof location !== 'string') {
    throw new Error(`the download endpoint answered ${response.statusCode} without a redirect`);
  }
  return location;
}

export async function startBenchServer(options: BenchServerOptions): Promise<BenchServer> {
  const throttle = options.throttleBytesPerSecond === undefined ? [] : ['--throttle-bytes-per-second', String(options.throttleBytesPerSecond)];
  const many = options.manyFiles === undefined ? [] : ['--many-files', String(options.manyFiles.count), '--many-file-mib', String(options.manyFiles.fileMib)];
  const child = startProcess(process.execPath, [simulatorMain, '--big-file-mib', String(options.fileMib), ...throttle, ...many], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const pid = child.pid;
    if (child.stdout === null || pid === undefined) throw new Error('the simulator did not start');
    const started = StartLine.parse(JSON.parse(await firstLine(child.stdout, options.timeoutMs)));
    const { apiUrl } = started;
    const { versionId, fileId } = started.bigFile;
    // The first metadata request makes the simulator hash the whole file once; later ones are instant.
    const primaryFile = async (version: number) => {
      const answer = await request(`${apiUrl}/api/v1/model-versions/${version}`, { headersTimeout: options.timeoutMs, bodyTimeout: options.timeoutMs });
      const files = VersionJson.parse(await answer.body.json()).files;
      return { files, first: files[0] };
    };
    const file = (await primaryFile(versionId)).files.find((f) => f.id === fileId);
    if (file === undefined) throw new Error(`the simulator lists no file ${fileId} in version ${versionId}`);
    const manyFiles: ServedFile[] = [];
    for (let i = 0; i < (started.manyFiles?.count ?? 0); i++) {
      const version = (started.manyFiles?.firstVersionId ?? 0) + i;
      const { first } = await primaryFile(version);
      if (first === undefined) throw new Error(`the simulator lists no file in version ${version}`);
      manyFiles.push({ versionId: version, fileName: first.name, sha256: first.hashes.SHA256.toLowerCase(), signedUrl: () => signedUrlOf(apiUrl, version) });
    }
    const head = await request(await signedUrlOf(apiUrl, versionId), { method: 'HEAD' });
    await head.body.dump();
    const sizeBytes = Number(head.headers['content-length']);
    if (!(sizeBytes > 0)) throw new Error('the storage host sent no Content-Length for the big file');
    return {
      apiUrl,
      versionId,
      fileName: file.name,
      sha256: file.hashes.SHA256.toLowerCase(),
      sizeBytes,
      signedUrl: () => signedUrlOf(apiUrl, versionId),
      cpuSeconds: () => processCpuSeconds(pid),
      many: manyFiles,
      stop: () => stopProcess(child),
    };
  } catch (error) {
    await stopProcess(child);
    throw error;
  }
}
