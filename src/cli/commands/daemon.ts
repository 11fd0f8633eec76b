import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Command } from 'commander';
import { projectRoot } from '../../lib/project-root.js';
import { checkDataDirWritable, type Config } from '../../config/index.js';
import { CliExit, fail } from '../exit.js';
import type { CliContext } from '../context.js';

/** What the compiled daemon entry exports: the one place the CLI touches the daemon without the socket. */
interface DaemonModule {
  runDaemonUntilSignal(config: Config): Promise<number>;
}

export function registerDaemon(program: Command, ctx: CliContext): void {
  program
    .command('daemon')
    .description('run the daemon in the foreground (systemd runs it so); logs to stderr')
    .action(async () => {
      const config = await ctx.config();
      (await checkDataDirWritable(config.dataDir)).match(() => undefined, fail);
      // Loaded only here, from the compiled tree: every other command (and the CLI bundle) stays free of the
      // daemon's storage and HTTP code.
      const entry = pathToFileURL(join(projectRoot(import.meta.url), 'dist', 'src', 'daemon', 'main.js')).href;
      const load = (globalThis as { __comfyuiDlImport?: (specifier: string) => Promise<unknown> }).__comfyuiDlImport ?? ((s: string) => import(s));
      const { runDaemonUntilSignal } = (await load(entry)) as DaemonModule;
      const code = await runDaemonUntilSignal(config);
      // The daemon already logged why; the exit code is all that is left to say.
      if (code !== 0) throw new CliExit(code, '');
    });
}
