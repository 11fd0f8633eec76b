import { dirname, join } from 'node:path';
import type { Command } from 'commander';
import { projectRoot } from '../../config/project-root.js';
import { installService, serviceStatus, uninstallService } from '../../service/service.js';
import { fail } from '../exit.js';
import { table } from '../format.js';
import type { CliContext } from '../context.js';
import { printJson, printOut } from '../output.js';

export function registerService(program: Command, ctx: CliContext): void {
  const service = program.command('service').description('run the daemon as a systemd user service');
  service
    .command('install')
    .description('write the hardened user unit with your folders, then enable and start it')
    .action(async () => {
      const c = await ctx.config();
      // Settings that differ from the defaults travel in the unit; the key stays in the config file.
      const environment: Record<string, string> = {};
      if (c.sources.socket !== 'default') environment.COMFYUI_DL_SOCKET = c.socket;
      if (c.sources.civitaiUrl !== 'default') environment.CIVITAI_BASE_URL = c.civitaiUrl;
      if (c.sources.concurrency !== 'default') environment.COMFYUI_DL_CONCURRENCY = String(c.concurrency);
      if (c.sources.connections !== 'default') environment.COMFYUI_DL_CONNECTIONS = String(c.connections);
      if (c.sources.updateInterval !== 'default') environment.COMFYUI_DL_UPDATE_INTERVAL = String(c.updateInterval);
      const installed = (await installService({
        nodePath: process.execPath,
        binPath: join(projectRoot(import.meta.url), 'bin', 'comfyui-dl'),
        modelsDir: c.modelsDir,
        dataDir: c.dataDir,
        socketDir: dirname(c.socket),
        environment,
      })).match((r) => r, fail);
      printOut(`installed ${installed.unitPath} and ${installed.desktopEntryPath}; the daemon is running (see \`comfyui-dl service status\`)\n`);
    });
  service
    .command('uninstall')
    .description('stop and disable the service and remove its files')
    .action(async () => {
      const r = (await uninstallService()).match((x) => x, fail);
      printOut(r.removed.length ? `removed ${r.removed.join(', ')}\n` : 'nothing to remove\n');
    });
  service
    .command('status')
    .description("show the service's state")
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const s = (await serviceStatus()).match((x) => x, fail);
      if (opts.json) return printJson(s);
      printOut(`${table(['', ''], [
        ['installed', String(s.installed)],
        ['state', `${s.activeState} (${s.subState})`],
        ['pid', s.mainPid === null ? '-' : String(s.mainPid)],
        ['since', s.activeSince ?? '-'],
        ['restarts', String(s.restarts)],
      ]).split('\n').slice(1).join('\n')}\n`);
    });
}
