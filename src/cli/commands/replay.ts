import type { Command } from 'commander';
import { withClient } from '../client.js';
import { fail } from '../exit.js';

import type { CliContext } from '../context.js';
import { printJson, printOut } from '../output.js';

export function registerReplay(program: Command, ctx: CliContext): void {
  program
    .command('replay')
    .description('rebuild every view (queue, catalog, settings) from the event log; runs no side effect')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const r = await withClient(await ctx.socket(), async (c) => (await c.request('replay')).match((x) => x, fail));
      if (opts.json) return printJson(r);
      printOut(`replayed ${r.events} events into ${r.views} views in ${r.ms} ms\n`);
    });
}
