import type { Command } from 'commander';
import { loadConfig, type Config } from '../config/index.js';
import { CONFIG_FILE_OPTION, SETTING_KEYS, SETTINGS, type ConfigFlags } from '../config/settings.js';
import { EXIT, CliExit } from './exit.js';
import { printErr } from './output.js';

export interface CliContext {
  /** Settings resolved once per run: flag > environment > config file > default. */
  config(): Promise<Config>;
  socket(): Promise<string>;
}

/**
 * Every setting of the table gets its flag on the program and on every command, so both
 * `comfyui-dl --socket S status` and `comfyui-dl status --socket S` work. Options are positional (a command's own
 * flags follow it), which keeps `add --version <id>` from being taken for the program's `--version`.
 */
export function registerSettingOptions(program: Command): void {
  const add = (cmd: Command): void => {
    for (const key of SETTING_KEYS) {
      const spec = SETTINGS[key];
      cmd.option(`${spec.flag} <value>`, `${spec.describe} (env ${spec.env})`);
    }
    cmd.option(`${CONFIG_FILE_OPTION.flag} <file>`, `${CONFIG_FILE_OPTION.describe} (env ${CONFIG_FILE_OPTION.env})`);
    cmd.commands.forEach(add);
  };
  program.enablePositionalOptions();
  add(program);
}

export function createCliContext(program: Command): CliContext {
  let flags: ConfigFlags = {};
  program.hook('preAction', (_program, action) => {
    flags = action.optsWithGlobals<ConfigFlags>();
  });
  let loaded: Promise<Config> | undefined;
  const config = (): Promise<Config> =>
    (loaded ??= loadConfig(flags).then((r) =>
      r.match(
        (c) => {
          for (const w of c.warnings) printErr(`comfyui-dl: warning: ${w}\n`);
          return c;
        },
        (e) => {
          throw new CliExit(EXIT.USAGE, e.message);
        },
      ),
    ));
  return { config, socket: async () => (await config()).socket };
}
