import { spawn } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Chromium-family browsers open `--app=<url>` as a window of its own, without tabs or address bar. */
const APP_BROWSERS = ['chromium', 'chromium-browser', 'google-chrome-stable', 'google-chrome'] as const;

export type AppWindowLauncher =
  | { readonly kind: 'app'; readonly command: string; readonly args: readonly string[] }
  | { readonly kind: 'default'; readonly command: string; readonly args: readonly string[] };

function onPath(name: string, pathEnv: string): string | undefined {
  for (const dir of pathEnv.split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // Not there, or not runnable: the next folder may have it.
    }
  }
  return undefined;
}

/** How to show `url`: an app window where a Chromium is installed, else the default browser, else nothing. */
export function appWindowLauncher(url: string, pathEnv: string = process.env.PATH ?? ''): AppWindowLauncher | undefined {
  for (const name of APP_BROWSERS) {
    const command = onPath(name, pathEnv);
    if (command !== undefined) return { kind: 'app', command, args: [`--app=${url}`] };
  }
  const opener = onPath('xdg-open', pathEnv);
  return opener === undefined ? undefined : { kind: 'default', command: opener, args: [url] };
}

/** Starts the browser on its own: it outlives neither needs nor waits for this process. */
export function launch(launcher: AppWindowLauncher, env: NodeJS.ProcessEnv = process.env): Promise<{ ok: true } | { ok: false; message: string }> {
  return new Promise((resolve) => {
    const child = spawn(launcher.command, launcher.args, { detached: true, stdio: 'ignore', env });
    child.once('error', (e) => resolve({ ok: false, message: `could not start ${launcher.command}: ${e.message}` }));
    child.once('spawn', () => {
      child.unref();
      resolve({ ok: true });
    });
  });
}
