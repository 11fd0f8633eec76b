import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { execSystemctl, type SystemctlRunner } from '../../src/service/systemctl.js';

export interface TempDir {
  readonly path: string;
  remove(): Promise<void>;
}

export async function tempDir(): Promise<TempDir> {
  return removable(await mkdtemp(join(tmpdir(), 'cdl-service-')));
}

/**
 * For folders the service will write: not under /tmp, which the unit refuses because the service sees a
 * private /tmp. The project itself may sit under /tmp (a fresh clone in CI), so the user's cache folder is used.
 */
export async function tempDirOutsideTmp(): Promise<TempDir> {
  const base = join(homedir(), '.cache', 'comfyui-dl-tests');
  await mkdir(base, { recursive: true });
  return removable(await mkdtemp(join(base, 'service-')));
}

function removable(path: string): TempDir {
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

/** The first executable of that name in PATH, or undefined (tests that need it are skipped, saying why). */
export function findProgram(name: string): string | undefined {
  return (process.env.PATH ?? '')
    .split(delimiter)
    .map((dir) => join(dir, name))
    .find((candidate) => {
      try {
        accessSync(candidate, constants.X_OK);
        return true;
      } catch {
        return false;
      }
    });
}

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export function run(program: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(program, [...args], { env, encoding: 'utf8' }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
      resolve({ code, stdout, stderr });
    });
  });
}

export interface FakeSystemctl {
  /** The real runner, with the fake's folder first in PATH. */
  readonly runner: SystemctlRunner;
  /** The argument lists it was called with, in order. */
  calls(): Promise<string[][]>;
}

/**
 * A `systemctl` shell script in `dir`/bin that appends its arguments (tab-separated, one call a line) to a log
 * and then runs `behaviour` (shell code; `$@` holds the arguments).
 */
export async function fakeSystemctl(dir: string, behaviour = 'exit 0'): Promise<FakeSystemctl> {
  const bin = join(dir, 'bin');
  const log = join(dir, 'systemctl.log');
  await mkdir(bin, { recursive: true });
  await writeFile(log, '');
  const script = `#!/bin/sh\nfor a in "$@"; do printf '%s\\t' "$a"; done >> '${log}'\necho >> '${log}'\n${behaviour}\n`;
  await writeFile(join(bin, 'systemctl'), script);
  await chmod(join(bin, 'systemctl'), 0o755);
  return {
    runner: execSystemctl({ ...process.env, PATH: `${bin}${delimiter}${process.env.PATH ?? ''}` }),
    calls: async () =>
      (await readFile(log, 'utf8'))
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => line.split('\t').slice(0, -1)),
  };
}
