import type { Command } from 'commander';
import { checkDataDirWritable, type Config } from '../../config/index.js';
import { loadCompiled } from '../compiled-module.js';
import { CliExit, fail } from '../exit.js';
import type { CliContext } from '../context.js';

/** What the compiled daemon entry exports. */
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
      const { runDaemonUntilSignal } = await loadCompiled<DaemonModule>('daemon/main.js');
      const code = await runDaemonUntilSignal(config);
      // The daemon already logged why; the exit code is all that is left to say.
      if (code !== 0) throw new CliExit(code, '');
    });
}
