// Bundles the CLI into one CommonJS file that bin/comfyui-dl loads with a V8 code cache. A short command is
// mostly start-up: Node's ESM loader resolving and reading hundreds of small modules (zod's alone), then V8
// compiling them. One file removes the first cost and the code cache the second. The daemon is not bundled: the
// `daemon` command imports the compiled tree by a computed path.
import { readdirSync, rmSync } from 'node:fs';
import { build } from 'esbuild';

await build({
  entryPoints: ['src/cli/main.ts'],
  outfile: 'dist/cli.cjs',
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external: ['better-sqlite3', 'kysely', 'undici', 'rxjs'],
  // import.meta does not exist in CommonJS; the modules only use its url, to find the package root.
  define: { 'import.meta.url': '__import_meta_url' },
  banner: { js: "const __import_meta_url = require('node:url').pathToFileURL(__filename).href;" },
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: 'warning',
});

// V8 accepts a code cache for a source of the same length, so a rebuilt bundle whose edits kept its length (a `1`
// that became a `2`) would run the old code: every cache of an older bundle goes with it.
for (const name of readdirSync('dist')) if (/^cli\.cjs\..*\.cache$/.test(name)) rmSync(`dist/${name}`, { force: true });
