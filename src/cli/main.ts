import { Command, CommanderError } from 'commander';
import { registerConfig } from './commands/config.js';
import { registerDaemon } from './commands/daemon.js';
import { registerDoctor } from './commands/doctor.js';
import { registerDownloads } from './commands/downloads.js';
import { registerHistory } from './commands/history.js';
import { registerLibrary } from './commands/library.js';
import { registerReplay } from './commands/replay.js';
import { registerMigrate } from './commands/migrate.js';
import { registerService } from './commands/service.js';
import { registerStatus } from './commands/status.js';
import { registerUi } from './commands/ui.js';
import { registerWatch } from './commands/watch.js';
import { registerWorkflow } from './commands/workflow.js';
import { createCliContext, registerSettingOptions } from './context.js';
import { CliExit, errorJson, EXIT } from './exit.js';
import { PACKAGE_VERSION } from '../config/project-root.js';
import { jsonPrinted, printErr, printJson, printOut } from './output.js';

export async function main(argv: readonly string[]): Promise<number> {
  const program = new Command('comfyui-dl')
    .description('Model manager for ComfyUI: verified, resumable CivitAI downloads, placed where ComfyUI looks.')
    .version(PACKAGE_VERSION, '-V, --version', 'print the version')
    .showHelpAfterError('(run `comfyui-dl --help` for usage)')
    // Commander quotes unknown arguments back: its output goes through the same filter as ours.
    .configureOutput({ writeOut: printOut, writeErr: printErr })
    .exitOverride();
  const ctx = createCliContext(program);
  for (const register of [registerDaemon, registerDownloads, registerWorkflow, registerLibrary, registerStatus, registerHistory, registerReplay, registerMigrate, registerWatch, registerConfig, registerService, registerUi, registerDoctor]) {
    register(program, ctx);
  }
  registerSettingOptions(program);
  // Results go to stdout and diagnostics to stderr; with --json, stdout holds JSON even when the command fails.
  const json = argv.includes('--json');
  try {
    await program.parseAsync(argv as string[], { from: 'user' });
    return EXIT.OK;
  } catch (e) {
    if (e instanceof CliExit) {
      if (e.message) {
        printErr(`comfyui-dl: ${e.message}\n`);
        if (json && !jsonPrinted()) printJson(errorJson(e.exitCode, e.message, e.code));
      }
      return e.exitCode;
    }
    if (e instanceof CommanderError) {
      // Help and version end through here too, with code 0; everything else is a usage error (commander said why).
      if (e.exitCode === 0) return EXIT.OK;
      if (json) printJson(errorJson(EXIT.USAGE, e.message.replace(/^error: /, '')));
      return EXIT.USAGE;
    }
    throw e;
  }
}

// No top-level await: the CLI ships as one CommonJS bundle (see scripts/bundle-cli.mjs).
void main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
