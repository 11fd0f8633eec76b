import { execFileSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, daemonHome, type DaemonHome } from '../support/daemon-process.js';

// Config files that used to be accepted and fail later (or hang): refused at load, by the real CLI and daemon.
describe('config files, through the real command line', () => {
  let home: DaemonHome;
  beforeAll(() => {
    home = daemonHome();
  });
  afterAll(() => home?.cleanup());

  const withConfig = (file: string) => ({ env: { COMFYUI_DL_CONFIG: file }, timeoutMs: 10_000 });

  it('refuses a FIFO at once, in `config show` and in the daemon, instead of hanging', async () => {
    const fifo = join(home.dir, 'fifo.json');
    execFileSync('mkfifo', [fifo]);
    for (const args of [['config', 'show'], ['daemon']]) {
      const started = Date.now();
      const r = await cli(home, args, withConfig(fifo));
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`cannot read the config file ${fifo}: it is a FIFO (named pipe), not a regular file`);
      expect(Date.now() - started).toBeLessThan(5000);
    }
  });

  it('refuses a link to /dev/zero without reading it', async () => {
    const zero = join(home.dir, 'zero.json');
    symlinkSync('/dev/zero', zero);
    const r = await cli(home, ['config', 'show'], withConfig(zero));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/it is a character device, not a regular file/);
  });

  it('says what is wrong with 1e309 and with a template that climbs out of the folder', async () => {
    const file = join(home.dir, 'config.json');
    mkdirSync(home.dir, { recursive: true });
    writeFileSync(file, '{"concurrency": 1e309}');
    const huge = await cli(home, ['config', 'show'], withConfig(file));
    expect(huge.code).toBe(2);
    expect(huge.stderr).toContain('must be an integer from 1 to 16 (got a number too large to represent)');
    writeFileSync(file, JSON.stringify({ pathTemplate: '{folder}/../../{fileName}' }));
    const climbing = await cli(home, ['daemon'], withConfig(file));
    expect(climbing.code).toBe(2);
    expect(climbing.stderr).toMatch(/setting 'pathTemplate' .* it has an empty, "\." or "\.\." segment/);
  });
});
