import type { Command } from 'commander';
import { wholeNumber } from '../args.js';
import type { EventJson } from '../../ipc/protocol.js';
import { plainText } from '../../lib/terminal-text.js';
import { withClient } from '../client.js';
import { fail } from '../exit.js';
import { table } from '../format.js';
import type { CliContext } from '../context.js';
import { printJson, printOut } from '../output.js';


/** One line per event: enough to follow a job without reading JSON. */
export function summarize(e: EventJson): string {
  return plainText(detail(e));
}

function detail(e: EventJson): string {
  const d = e.data;
  const pick = (...keys: string[]) => keys.filter((k) => d[k] !== undefined && d[k] !== null).map((k) => `${k}=${JSON.stringify(d[k])}`).join(' ');
  switch (e.type) {
    case 'download.requested': return pick('input');
    case 'download.resolved': return `${String(d.modelName)} / ${String(d.versionName)} → ${String(d.fileName)}`;
    case 'download.chunk_written': return pick('segment', 'offset', 'length');
    case 'download.segment_split': return pick('segment', 'at', 'newSegment');
    case 'download.placed': return pick('path');
    case 'download.failed': return `${String(d.code)}: ${String(d.message)}`;
    case 'routing.decided': return `${String(d.folder)}: ${String(d.reason)}`;
    default: return JSON.stringify(d).slice(0, 120);
  }
}

export function registerHistory(program: Command, ctx: CliContext): void {
  program
    .command('history')
    .description('print the event log, oldest first')
    .option('--since <pos>', 'only events after this position', wholeNumber('--since'))
    .option('--stream <id>', 'only this stream (e.g. download-<job>)')
    .option('--type <type>', 'only this event type (e.g. download.failed)')
    .option('--category <name>', 'only this category (e.g. download, settings)')
    .option('--limit <n>', 'at most this many events (default 1000)', wholeNumber('--limit'))
    .option('--json', 'print JSON: an array of events')
    .action(async (opts: { since?: number; stream?: string; type?: string; category?: string; limit?: number; json?: boolean }) => {
      const { events } = await withClient(await ctx.socket(), async (c) =>
        (await c.request('history', { since: opts.since, stream: opts.stream, type: opts.type, category: opts.category, limit: opts.limit })).match((r) => r, fail),
      );
      if (opts.json) return printJson(events);
      if (events.length === 0) return void printOut('no events\n');
      printOut(`${table(['POS', 'TIME', 'STREAM', 'TYPE', 'DETAIL'], events.map((e) => [String(e.position), e.recordedAt, e.streamId, e.type, summarize(e)]))}\n`);
    });
}
