import type { Command } from 'commander';
import { connectIpc } from '../../ipc/client.js';
import { fail } from '../exit.js';
import type { CliContext } from '../context.js';
import { wholeNumber } from '../args.js';
import { summarize } from './history.js';
import { printJsonLine, printOut } from '../output.js';

export function registerWatch(program: Command, ctx: CliContext): void {
  program
    .command('watch')
    .description('follow the event log live (Ctrl-C to stop)')
    .option('--from <pos>', 'start at this position (default: only new events)', wholeNumber('--from'))
    .option('--stream <id>', 'only this stream')
    .option('--category <name>', 'only this category')
    .option('--json', 'one JSON event per line')
    .action(async (opts: { from?: number; stream?: string; category?: string; json?: boolean }) => {
      const connected = await connectIpc(await ctx.socket(), { client: 'comfyui-dl-cli' });
      if (connected.isErr()) fail(connected.error);
      const client = connected.value;
      await new Promise<void>((resolve, reject) => {
        const sub = client.subscribe({ from: opts.from, stream: opts.stream, category: opts.category }, (frame) => {
          if (frame.t === 'event') {
            const e = frame.event;
            if (opts.json) printJsonLine(e);
            // In a log several hosts share, each event says which host's daemon recorded it.
            else printOut(`${e.position}  ${e.recordedAt}  ${typeof e.metadata.host === 'string' ? `${e.metadata.host}  ` : ''}${e.streamId}  ${e.type}  ${summarize(e)}\n`);
          } else if (frame.t === 'end') {
            if (frame.error) reject(Object.assign(new Error(frame.error.message), { code: frame.error.code }));
            else resolve();
          }
        });
        const stop = () => {
          sub.close();
          resolve();
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      }).catch((e: Error & { code: string }) => fail({ code: e.code, message: e.message }));
      await client.close();
    });
}
