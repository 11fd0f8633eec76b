import type { Command } from 'commander';
import { loadConfig, type Config } from '../config/index.js';
import { CONFIG_FILE_OPTION, SETTING_KEYS, SETTINGS, type ConfigFlags } from '../config/settings.js';
import { EXIT, CliExit } from './exit.js';

export interface CliContext {
  /** Settings resolved once per run: flag > environment > config file > default. */
  config(): Promise<Config>;
  socket(): Promise<string>;
}

/** Every setting of the table gets its flag on the program, so each command accepts them. */
export function registerGlobalOptions(program: Command): void {
  for (const key of SETTING_KEYS) {
    const spec = SETTINGS[key];
    program.option(`${spec.flag} <value>`, `${spec.describe} (env ${spec.env})`);
  }
  program.option(`${CONFIG_FILE_OPTION.flag} <file>`, `${CONFIG_FILE_OPTION.describe} (env ${CONFIG_FILE_OPTION.env})`);
}

export function createCliContext(program: Command): CliContext {
  let loaded: Promise<Config> | undefined;
  const config = (): Promise<Config> =>
    (loaded ??= loadConfig(program.opts<ConfigFlags>()).then((r) =>
      r.match(
        (c) => {
          for (const w of c.warnings) process.stderr.write(`comfyui-dl: warning: ${w}\n`);
          return c;
        },
        (e) => {
          throw new CliExit(EXIT.USAGE, e.message);
        },
      ),
    ));
  return { config, socket: async () => (await config()).socket };
}
