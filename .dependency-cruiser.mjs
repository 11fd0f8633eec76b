// The layer rules of ARCHITECTURE.md §2, checked on the import graph (static and dynamic `import()` alike) by
// `npm run lint`. Each rule has a deliberately broken fixture under test/lint-fixtures/ that must fail it.

import { join } from 'node:path';

/** Rooms without effects: the event catalogue and deciders, the projections, the classifier, shared helpers. */
const PURE = '^src/(events|projections|lib|http)/|^src/routing/(classify|decide)[^/]*[.]ts$';
/** Node modules that touch the world; `path` is allowed for its POSIX string functions (see eslint.config.js). */
const IO_CORE = '^(assert|async_hooks|child_process|cluster|crypto|dgram|diagnostics_channel|dns|fs|fs/promises|http|http2|https|inspector|module|net|os|perf_hooks|process|readline|repl|stream|timers|timers/promises|tls|tty|url|util|v8|vm|wasi|worker_threads|zlib)$';

export default {
  forbidden: [
    {
      name: 'no-cycles',
      severity: 'error',
      comment: 'Modules form a tree of arrows: a cycle makes load order and ownership ambiguous.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'pure-imports-no-io',
      severity: 'error',
      comment: 'Pure rooms import no Node I/O module and no package but zod and neverthrow.',
      from: { path: PURE },
      to: { dependencyTypesNot: ['local', 'type-only'], pathNot: '^path$|^node_modules/(zod|neverthrow)/' },
    },
    {
      name: 'pure-reaches-no-io',
      severity: 'error',
      comment: 'A pure room does not reach I/O through a sibling room either: nothing it imports, however far, does I/O.',
      from: { path: PURE },
      to: { reachable: true, path: [IO_CORE, '^node_modules/(better-sqlite3|kysely|rxjs|undici|@huggingface/hub|esbuild|yaml)/'] },
    },
    {
      name: 'pure-imports-no-effect-rooms',
      severity: 'error',
      comment: 'Pure rooms know nothing of the rooms that do effects.',
      from: { path: PURE },
      to: { path: '^src/(store|handlers|ipc|cli|daemon|api|gateway|transfer|civitai|huggingface|sources|notify|service|doctor|config|sidecar|hashing|workflow|simulator)/' },
    },
    {
      name: 'events-below-projections',
      severity: 'error',
      comment: 'Events and lib are below the projections that fold them.',
      from: { path: '^src/(events|lib)/' },
      to: { path: '^src/projections/' },
    },
    {
      name: 'handlers-not-daemon',
      severity: 'error',
      comment: 'Handlers are wired by the composition root; they never reach back up into it.',
      from: { path: '^src/handlers/' },
      to: { path: '^src/daemon/' },
    },
    {
      name: 'only-the-entry-imports-daemon',
      severity: 'error',
      comment: 'src/daemon is the composition root: nothing but itself imports it (the CLI starts it by file name).',
      from: { pathNot: '^src/daemon/' },
      to: { path: '^src/daemon/' },
    },
    {
      name: 'ipc-not-cli',
      severity: 'error',
      comment: 'The socket protocol is below every client; it never imports the CLI.',
      from: { path: '^src/ipc/' },
      to: { path: '^src/(cli|api|daemon|gateway)/' },
    },
    {
      name: 'cli-through-ipc',
      severity: 'error',
      comment: 'The CLI reaches the daemon only through src/ipc: never its store, views, handlers or method tables.',
      from: { path: '^src/cli/' },
      to: { path: ['^src/(store|projections|handlers|daemon|api)/', '^node_modules/(better-sqlite3|kysely)/'] },
    },
  ],
  options: {
    tsConfig: { fileName: join(import.meta.dirname, 'tsconfig.json') },
    tsPreCompilationDeps: true,
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^test/lint-fixtures/' },
    detectProcessBuiltinModuleCalls: true,
  },
};
