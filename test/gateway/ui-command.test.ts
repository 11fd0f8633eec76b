import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appWindowLauncher } from '../../src/gateway/app-window.js';
import { projectRoot } from '../../src/config/project-root.js';
import { daemonHome, type DaemonHome } from '../support/daemon-process.js';
import { apiCall, portOf, send } from './support.js';

const dist = (path: string) => pathToFileURL(join(projectRoot(), 'dist', 'src', 'cli', path)).href;
// The command as main.ts wires it, run from the build like the real CLI (the program is assembled here so that
// this test does not depend on the command list).
const RUN_UI = `
import { Command } from 'commander';
import { registerUi } from '${dist('commands/ui.js')}';
import { createCliContext, registerSettingOptions } from '${dist('context.js')}';
import { CliExit } from '${dist('exit.js')}';
const program = new Command('comfyui-dl').exitOverride();
const ctx = createCliContext(program);
registerUi(program, ctx);
registerSettingOptions(program);
try {
  await program.parseAsync(process.argv.slice(1), { from: 'user' });
} catch (e) {
  if (!(e instanceof CliExit)) throw e;
  process.stderr.write(e.message + '\\n');
  process.exitCode = e.exitCode;
}
`;

interface RunningUi {
  readonly child: ChildProcess;
  readonly url: string;
  stdout(): string;
  stderr(): string;
  stop(): Promise<number | null>;
}

function fakeProgram(dir: string, name: string, record: string): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, name), `#!/bin/sh\nprintf '%s\\n' "$@" > '${record}'\n`);
  chmodSync(join(dir, name), 0o755);
}

function startUi(home: DaemonHome, args: readonly string[], pathEnv: string): Promise<RunningUi> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', RUN_UI, 'ui', ...args], {
    env: { ...home.env, PATH: pathEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const url = /(?:open|serving) (http:\/\/127\.0\.0\.1:\d+\/(?:#token=[\w-]+)?)/.exec(out)?.[1];
      if (url && out.includes('Ctrl-C')) resolve({ child, url, stdout: () => out, stderr: () => err, stop: () => (child.kill('SIGINT'), exited) });
    });
    void exited.then((code) => reject(new Error(`ui exited (${code}) before serving: ${err}`)));
  });
}

describe('comfyui-dl ui', () => {
  let home: DaemonHome;
  let bin: string;

  beforeAll(() => {
    if (!existsSync(join(projectRoot(), 'desktop', 'dist', 'index.html'))) throw new Error('the desktop app is not built: run `npm run build` first');
    home = daemonHome();
    bin = mkdtempSync(join(tmpdir(), 'comfyui-dl-bin-'));
  });
  afterAll(() => {
    home?.cleanup();
    if (bin) rmSync(bin, { recursive: true, force: true });
  });

  it('--no-open serves the app, prints the address with its token, and stops on Ctrl-C', async () => {
    const ui = await startUi(home, ['--no-open'], bin);
    const port = portOf(ui.url);
    const token = new URL(ui.url).hash.replace('#token=', '');
    const page = await send({ port, path: '/' });
    expect(page.status).toBe(200);
    expect(page.body).toContain('<div id="app">');
    // No daemon here: the app opens all the same and says so.
    await expect.poll(() => ui.stderr()).toContain('not running');
    expect((await apiCall(port, token, 'status')).status).toBe(503);
    expect(await ui.stop()).toBe(0);
    await expect(send({ port, path: '/' })).rejects.toThrow();
  });

  it('says how to install the browser extension, and asks for the same port next time so a paired one finds it', async () => {
    const first = await startUi(home, ['--no-open'], bin);
    expect(first.stdout()).toContain(`load ${join(projectRoot(), 'extension', 'dist')} unpacked`);
    expect(first.stdout()).toContain('Browser extension page');
    expect(await first.stop()).toBe(0);
    const second = await startUi(home, ['--no-open'], bin);
    expect(portOf(second.url)).toBe(portOf(first.url));
    expect(await second.stop()).toBe(0);
  });

  it('opens an app window in chromium with a one-time code, never the token', async () => {
    const record = join(bin, 'chromium-args');
    fakeProgram(join(bin, 'with-chromium'), 'chromium', record);
    fakeProgram(join(bin, 'with-chromium'), 'xdg-open', join(bin, 'unused'));
    const ui = await startUi(home, [], join(bin, 'with-chromium'));
    // The fake browser creates its record before it writes it: wait for the whole line.
    await expect.poll(() => (existsSync(record) ? readFileSync(record, 'utf8') : '')).toMatch(/\n$/);
    const args = readFileSync(record, 'utf8').trim();
    expect(args).toMatch(new RegExp(`^--app=http://127\\.0\\.0\\.1:${portOf(ui.url)}/#launch=[\\w-]{43}$`));
    // With a window opened, the token is printed nowhere: only the plain address.
    expect(ui.stdout()).toContain(`serving http://127.0.0.1:${portOf(ui.url)}/ in an app window`);
    expect(`${ui.stdout()}${ui.stderr()}`).not.toMatch(/token/);
    expect(await ui.stop()).toBe(0);
  });

  it('falls back to xdg-open, and says to use --no-open when neither is there', async () => {
    const record = join(bin, 'xdg-args');
    fakeProgram(join(bin, 'with-xdg'), 'xdg-open', record);
    const ui = await startUi(home, [], join(bin, 'with-xdg'));
    await expect.poll(() => (existsSync(record) ? readFileSync(record, 'utf8') : '')).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/#launch=.*\n$/);
    expect(await ui.stop()).toBe(0);

    const bare = spawn(process.execPath, ['--input-type=module', '-e', RUN_UI, 'ui'], { env: { ...home.env, PATH: join(bin, 'empty') } });
    let out = '';
    bare.stdout.on('data', (d: Buffer) => (out += d.toString()));
    bare.stderr.on('data', (d: Buffer) => (out += d.toString()));
    expect(await new Promise<number | null>((resolve) => bare.once('exit', resolve))).toBe(1);
    expect(out).toContain('could not open a window (no chromium, chrome or xdg-open on PATH): run `comfyui-dl ui --no-open`');
    expect(out).not.toMatch(/#token=|#launch=/);
  });

  it('says so when the port is taken', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    const child = spawn(process.execPath, ['--input-type=module', '-e', RUN_UI, 'ui', '--no-open', '--port', String(port)], { env: { ...home.env, PATH: bin } });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    blocker.close();
    expect(code).toBe(2);
    expect(err).toContain(`cannot listen on 127.0.0.1:${port} (EADDRINUSE)`);
  });

  it('finds app-capable browsers on PATH before the default browser', () => {
    const dir = join(bin, 'lookup');
    fakeProgram(dir, 'google-chrome', join(bin, 'x'));
    fakeProgram(dir, 'xdg-open', join(bin, 'x'));
    writeFileSync(join(dir, 'chromium'), 'not executable');
    expect(appWindowLauncher('http://127.0.0.1:1/#launch=x', `/nonexistent:${dir}`)).toEqual({ kind: 'app', command: join(dir, 'google-chrome'), args: ['--app=http://127.0.0.1:1/#launch=x'] });
    expect(appWindowLauncher('u', join(bin, 'empty'))).toBeUndefined();
  });
});
