import type { Command } from 'commander';
import { loadCompiled } from '../compiled-module.js';
import { CliExit, EXIT } from '../exit.js';
import type { CliContext } from '../context.js';
import { printErr, printJson, printOut } from '../output.js';
import { passwordOf, redact } from '../../lib/redact.js';
import type { Result } from 'neverthrow';

/** What the compiled migration module exports (it runs in this process: the daemon must be stopped). */
interface MigrateModule {
  migrateLog(options: { dataDir: string; to: string; host: string; log: (line: string) => void }): Promise<Result<{ events: number; to: string; views: Record<string, number>; ms: number }, { code: string; message: string }>>;
}

export function registerMigrate(program: Command, ctx: CliContext): void {
  program
    .command('migrate')
    .description('copy this host\'s SQLite event log into an empty PostgreSQL database, event by event, and check that the views match')
    .requiredOption('--to <url>', 'the PostgreSQL database: postgres://user:password@host:5432/db')
    .option('--json', 'print JSON')
    .action(async (opts: { to: string; json?: boolean }) => {
      if (!/^postgres(ql)?:\/\//i.test(opts.to)) throw new CliExit(EXIT.USAGE, '--to takes a postgres:// URL');
      const config = await ctx.config();
      const secrets = passwordOf(opts.to);
      const { migrateLog } = await loadCompiled<MigrateModule>('data-dir/migrate-log.js');
      const report = await migrateLog({ dataDir: config.dataDir, to: opts.to, host: config.hostName, log: (line) => printErr(`${redact(line, secrets)}\n`) });
      if (report.isErr()) throw new CliExit(EXIT.FAILED, redact(report.error.message, secrets));
      if (opts.json) return printJson(report.value);
      const views = Object.entries(report.value.views).map(([name, rows]) => `${name} ${rows}`).join(', ');
      printOut(
        `copied ${report.value.events} events to ${report.value.to} in ${report.value.ms} ms, as recorded by host ${config.hostName}\n` +
          `views match: ${views}\n` +
          `now start the daemon with --database-url (or COMFYUI_DL_DATABASE_URL) and --host-name ${config.hostName}\n`,
      );
    });
}
