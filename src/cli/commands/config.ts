import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { maskKey, saveApiKey, saveHfToken, settingsReport } from '../../config/index.js';
import { connectIpc } from '../../ipc/client.js';
import type { ConfigReport } from '../../ipc/protocol.js';
import { withClient } from '../client.js';
import { CliExit, EXIT, fail } from '../exit.js';
import { table } from '../format.js';
import type { CliContext } from '../context.js';
import { printErr, printJson, printOut } from '../output.js';

/** Reads the key without echoing it on a terminal, or from a pipe; never from argv, where `ps` would show it. */
async function readKey(prompt: string): Promise<string> {
  if (!process.stdin.isTTY) {
    let text = '';
    for await (const chunk of process.stdin) text += String(chunk);
    return text.trim();
  }
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  const muted = rl as unknown as { _writeToOutput: (s: string) => void };
  printErr(`${prompt} (input hidden): `);
  muted._writeToOutput = () => undefined;
  const key = await new Promise<string>((resolve) => rl.question('', resolve));
  rl.close();
  printErr('\n');
  return key.trim();
}

export function registerConfig(program: Command, ctx: CliContext): void {
  const config = program.command('config').description('show the settings, or store the CivitAI API key or the Hugging Face token');
  config
    .command('show')
    .description("print the running daemon's settings and where each came from (this command's own view when it is down); the key masked")
    .option('--json', 'print JSON: {view, configFile, settings: {name: {value, source}}, apiKey, hfToken}')
    .action(async (opts: { json?: boolean }) => {
      const c = await ctx.config();
      const connected = await connectIpc(c.socket, { client: 'comfyui-dl-cli' });
      let report: ConfigReport;
      let view: 'daemon' | 'cli';
      if (connected.isOk()) {
        try {
          report = (await connected.value.request('config')).match((r) => r, fail);
        } finally {
          await connected.value.close();
        }
        view = 'daemon';
      } else if (connected.error.code === 'DAEMON_UNREACHABLE') {
        printErr(`comfyui-dl: the daemon is not running at ${c.socket}; these are the settings this command resolved itself (a daemon started now would get the same, unless started with other flags or environment)\n`);
        report = settingsReport(c);
        view = 'cli';
      } else {
        fail(connected.error);
      }
      if (opts.json) return printJson({ view, ...report });
      const rows = Object.entries(report.settings).map(([key, s]) => [key, s.value === null ? '(not set)' : String(s.value), s.source]);
      printOut(`${table(['SETTING', 'VALUE', 'FROM'], [
        ...rows,
        ['apiKey', report.apiKey.value ?? '(none: set one with `comfyui-dl config set-key`)', report.apiKey.source ?? '-'],
        ['hfToken', report.hfToken?.value ?? '(none: set one with `comfyui-dl config set-key --huggingface`)', report.hfToken?.source ?? '-'],
      ])}\nconfig file: ${report.configFile}\n${view === 'daemon' ? 'as the running daemon uses them' : 'as this command resolved them (the daemon is not running)'}\n`);
    });
  config
    .command('set')
    .description('change a setting of the running daemon, kept across restarts: concurrency or connections (1-16)')
    .argument('<key>', 'concurrency (downloads at once) or connections (most per download)')
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
    .description('store the CivitAI API key, or with --huggingface the Hugging Face token (read from stdin or a hidden prompt) in the config file, mode 0600')
    .option('--huggingface', 'store a Hugging Face access token (HF_TOKEN) instead, sent only to the hub')
    .action(async (opts: { huggingface?: boolean }) => {
      const c = await ctx.config();
      const what = opts.huggingface ? 'token' : 'key';
      const key = await readKey(opts.huggingface ? 'Hugging Face token' : 'CivitAI API key');
      if (!key) throw new CliExit(EXIT.USAGE, `no ${what} given: paste it at the prompt, or pipe it in (\`comfyui-dl config set-key${opts.huggingface ? ' --huggingface' : ''} < ${what}file\`)`);
      (await (opts.huggingface ? saveHfToken : saveApiKey)(key, c.configFile)).match(() => undefined, fail);
      printOut(`saved the ${what} ${maskKey(key)} in ${c.configFile}; restart the daemon to use it\n`);
    });
}
