import type { Command } from 'commander';
import type { Config } from '../../config/index.js';
import type { CheckResult } from '../../doctor/checks.js';
import { plainText } from '../../lib/terminal-text.js';
import { loadCompiled } from '../compiled-module.js';
import type { CliContext } from '../context.js';
import { CliExit, EXIT } from '../exit.js';
import { printJson, printOut } from '../output.js';

interface DoctorModule {
  runChecks(config: Config): Promise<CheckResult[]>;
  configFailure(message: string): CheckResult[];
}

export function registerDoctor(program: Command, ctx: CliContext): void {
  program
    .command('doctor')
    .description('check the setup (config, data folder, event log, daemon and socket, free space, API key, systemd unit, models folder), each problem with its fix; exit 1 when something fails')
    .option('--json', 'print JSON: {ok, checks: [{name, status, detail, fix}]}')
    .action(async (opts: { json?: boolean }) => {
      // It reads the event log with SQLite: loaded only when it runs, like the daemon.
      const doctor = await loadCompiled<DoctorModule>('doctor/checks.js');
      let checks: CheckResult[];
      try {
        checks = await doctor.runChecks(await ctx.config());
      } catch (e) {
        if (!(e instanceof CliExit)) throw e;
        checks = doctor.configFailure(e.message);
      }
      const ok = !checks.some((c) => c.status === 'fail');
      if (opts.json) printJson({ ok, checks });
      else {
        const width = Math.max(...checks.map((c) => c.name.length));
        const lines = checks.flatMap((c) => [
          `${c.status.padEnd(4)}  ${c.name.padEnd(width)}  ${plainText(c.detail)}`,
          ...(c.fix === null ? [] : [`${' '.repeat(width + 8)}fix: ${plainText(c.fix)}`]),
        ]);
        printOut(`${lines.join('\n')}\n${ok ? 'no problems found' : `${checks.filter((c) => c.status === 'fail').length} problem(s) found`}\n`);
      }
      if (!ok) throw new CliExit(EXIT.FAILED, '');
    });
}
