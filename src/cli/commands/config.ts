import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { maskKey, saveApiKey } from '../../config/index.js';
import { SETTING_KEYS } from '../../config/settings.js';
import { withClient } from '../client.js';
import { CliExit, EXIT, fail } from '../exit.js';
import { table } from '../format.js';
import type { CliContext } from '../context.js';
import { printErr, printJson, printOut } from '../output.js';

/** Reads the key without echoing it on a terminal, or from a pipe; never from argv, where `ps` would show it. */
async function readKey(): Promise<string> {
  if (!process.stdin.isTTY) {
    let text = '';
    for await (const chunk of process.stdin) text += String(chunk);
    return text.trim();
  }
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  const muted = rl as unknown as { _writeToOutput: (s: string) => void };
  printErr('CivitAI API key (input hidden): ');
  muted._writeToOutput = () => undefined;
  const key = await new Promise<string>((resolve) => rl.question('', resolve));
  rl.close();
  printErr('\n');
  return key.trim();
}

export function registerConfig(program: Command, ctx: CliContext): void {
  const config = program.command('config').description('show the settings, or store the CivitAI API key');
  config
    .command('show')
    .description('print every setting, where it came from, and the key masked')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const c = await ctx.config();
      const rows = SETTING_KEYS.map((k) => ({ setting: k, value: c[k], source: c.sources[k] }));
      const apiKey = { value: c.hasApiKey ? maskKey(c.apiKey) : null, source: c.sources.apiKey };
      if (opts.json) return printJson({ configFile: c.configFile, settings: Object.fromEntries(rows.map((r) => [r.setting, { value: r.value, source: r.source }])), apiKey });
      printOut(`${table(['SETTING', 'VALUE', 'FROM'], [
        ...rows.map((r) => [r.setting, String(r.value), r.source]),
        ['apiKey', apiKey.value ?? '(none: set one with `comfyui-dl config set-key`)', apiKey.source ?? '-'],
      ])}\nconfig file: ${c.configFile}\n`);
    });
  config
    .command('set')
    .description('change a setting of the running daemon, kept across restarts: concurrency or connections (1-16)')
    .argument('<key>', 'concurrency (downloads at once) or connections (per download)')
    .argument('<value>', 'a whole number from 1 to 16')
    .action(async (key: string, value: string) => {
      if (key !== 'concurrency' && key !== 'connections') throw new CliExit(EXIT.USAGE, `unknown live setting '${key}': use concurrency or connections (other settings go in ${(await ctx.config()).configFile})`);
      const n = Number(value);
      if (!/^\d+$/.test(value) || n < 1 || n > 16) throw new CliExit(EXIT.USAGE, `${key} must be a whole number from 1 to 16, got '${value}'`);
      const r = await withClient(await ctx.socket(), async (c) => (await c.request('settings.set', { key, value: n })).match((x) => x, fail));
      printOut(`${r.key} is now ${r.value}\n`);
    });
  config
    .command('set-key')
    .description('store the CivitAI API key (read from stdin or a hidden prompt) in the config file, mode 0600')
    .action(async () => {
      const c = await ctx.config();
      const key = await readKey();
      if (!key) throw new CliExit(EXIT.USAGE, 'no key given: paste it at the prompt, or pipe it in (`comfyui-dl config set-key < keyfile`)');
      (await saveApiKey(key, c.configFile)).match(() => undefined, fail);
      printOut(`saved the key ${maskKey(key)} in ${c.configFile}; restart the daemon to use it\n`);
    });
}
