import type { Command } from 'commander';
import { withClient } from '../client.js';
import { fail } from '../exit.js';
import { table } from '../format.js';
import type { CliContext } from '../context.js';
import { printJson, printOut } from '../output.js';

export function registerStatus(program: Command, ctx: CliContext): void {
  program
    .command('status')
    .description('show what the daemon is doing: log position, queue counts, folders')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const status = await withClient(await ctx.socket(), async (c) => (await c.request('status')).match((r) => r, fail));
      if (opts.json) return printJson(status);
      const queue = Object.entries(status.queue).map(([state, n]) => `${n} ${state}`).join(', ') || 'empty';
      printOut(
        `${table(['', ''], [
          ['daemon', `comfyui-dl ${status.version} (pid ${status.pid}, up ${status.uptimeSeconds} s)`],
          ['log', `${status.dbPath} at position ${status.position}`],
          ['models', status.modelsDir],
          ['queue', queue],
          ...(status.host ? [['host', status.host]] : []),
          // Every host sharing the log, with when its daemon last said it was up (every 30 s while it runs).
          ...(status.hosts ?? []).map((h) => ['', `${h.name}${h.name === status.host ? ' (this one)' : ''}: last seen ${h.lastSeenAt}, ${h.running} running, comfyui-dl ${h.version}`]),
          ...(typeof status.storageProblem === 'string' ? [['held', `downloads wait: cannot write the event log (${status.storageProblem})`]] : []),
        ]).split('\n').slice(1).join('\n')}\n`,
      );
    });
}
