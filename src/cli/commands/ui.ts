import { join } from 'node:path';
import type { Command } from 'commander';
import { appWindowLauncher, launch } from '../../gateway/app-window.js';
import { startGateway } from '../../gateway/index.js';
import { connectIpc } from '../../ipc/client.js';
import { projectRoot } from '../../config/project-root.js';
import { wholeNumber } from '../args.js';
import type { CliContext } from '../context.js';
import { CliExit, EXIT } from '../exit.js';
import { printErr, printOut } from '../output.js';

export function registerUi(program: Command, ctx: CliContext): void {
  program
    .command('ui')
    .description('open the desktop app: a local server on 127.0.0.1 bridging to the daemon, shown in an app window (Ctrl-C to stop)')
    .option('--no-open', 'open no window: print the address to open, with its access token')
    .option('--port <port>', 'listen on this port (default: the one of the last run when free, else any free one)', wholeNumber('--port'))
    .action(async (opts: { open: boolean; port?: number }) => {
      const config = await ctx.config();
      const socket = config.socket;
      const root = projectRoot(import.meta.url);
      const extensionDir = join(root, 'extension', 'dist');
      const started = await startGateway({
        socket,
        staticDir: join(root, 'desktop', 'dist'),
        host: '127.0.0.1',
        port: opts.port,
        stateFile: join(config.dataDir, 'browser-extensions.json'),
        extensionDir,
      });
      if (started.isErr()) throw new CliExit(started.error.code === 'APP_NOT_BUILT' ? EXIT.FAILED : EXIT.USAGE, started.error.message);
      const gateway = started.value;

      const probe = await connectIpc(socket, { client: 'comfyui-dl-ui', timeoutMs: 1000 });
      if (probe.isOk()) await probe.value.close();
      else printErr(`comfyui-dl: warning: ${probe.error.message}; the app shows the daemon offline until it starts\n`);

      // The address with the token is a key to the app: printed only when asked for (--no-open), never when the
      // window got a one-time launch code, or it would end up in terminal scrollback, logs and the journal.
      printOut(
        `Send models from civitai.com and huggingface.co with the browser extension: load ${extensionDir} unpacked ` +
          '(Chromium: chrome://extensions, Developer mode, Load unpacked; Firefox: about:debugging, Load Temporary Add-on, its manifest.json), ' +
          'then pair it on the app\'s Browser extension page.\n',
      );
      if (!opts.open) printOut(`comfyui-dl ui: open ${gateway.launchUrl}\n`);
      else {
        const launcher = appWindowLauncher(gateway.openUrl);
        const opened = launcher === undefined ? { ok: false as const, message: 'no chromium, chrome or xdg-open on PATH' } : await launch(launcher);
        if (!opened.ok) {
          await gateway.close();
          throw new CliExit(EXIT.FAILED, `could not open a window (${opened.message}): run \`comfyui-dl ui --no-open\` and open the address it prints in a browser`);
        }
        printOut(`comfyui-dl ui: serving ${gateway.url} in an app window\n`);
      }
      // Listening for Ctrl-C before saying so: whoever reads the line may press it at once.
      const stopped = new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      printOut('Serving the app; Ctrl-C to stop.\n');
      await stopped;
      await gateway.close();
    });
}
