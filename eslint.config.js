import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';
import svelteParser from 'svelte-eslint-parser';

const io = ['node:*', 'fs', 'fs/*', 'net', 'http', 'https', 'child_process', 'worker_threads', 'os', 'path', 'crypto'];
const effects = ['better-sqlite3', 'kysely', 'rxjs', 'rxjs/*', 'undici'];
const layer = (patterns, message) => ({
  'no-restricted-imports': ['error', { patterns: [{ group: patterns, message }] }],
});

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'test/lint-fixtures/**', 'desktop/dist/**', 'extension/dist/**', 'coverage/**', '.vitest-tmp/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node }, ecmaVersion: 2023, sourceType: 'module' },
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  // A forgotten await on the log or a view is a write that may never happen, or a read used as a promise.
  {
    files: ['src/**/*.ts', 'scripts/**/*.ts', 'test/**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: { '@typescript-eslint/no-floating-promises': 'error' },
  },
  // The layer rules (ARCHITECTURE.md §2) are checked on the import graph by dependency-cruiser
  // (.dependency-cruiser.cjs), dynamic import() included. What the graph cannot see is checked here: a pure room may
  // do path arithmetic with node:path's POSIX functions, but not reach the platform's own path flavour through it.
  {
    files: ['src/events/**/*.ts', 'src/projections/**/*.ts', 'src/lib/**/*.ts', 'src/http/**/*.ts', 'src/routing/classify*.ts', 'src/routing/decide*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: ['node:path', 'path'].map((name) => ({
          name, allowImportNames: ['posix'], message: 'pure rooms use only posix from node:path',
        })),
      }],
    },
  },
  // Handlers and the API read the views through src/views, so each view's columns are read in one place.
  {
    files: ['src/handlers/**/*.ts', 'src/api/**/*.ts', 'src/daemon/**/*.ts'],
    rules: {
      'no-restricted-syntax': ['error', {
        selector: 'Literal[value=/^view_/]',
        message: 'read the views through the queries in src/views',
      }],
    },
  },
  {
    files: ['desktop/src/**/*.ts'],
    rules: layer(['better-sqlite3', 'kysely', '**/store/**', '**/projections/**', '**/handlers/**', '**/daemon/**', '**/api/**'],
      'the desktop app reaches the daemon only through the gateway'),
  },
  {
    // Text from outside must not drive the terminal: the CLI prints through src/cli/output.ts, which strips control
    // characters (the progress bar writes its own escape sequences around a cleaned label).
    files: ['src/cli/**/*.ts'],
    ignores: ['src/cli/output.ts', 'src/cli/progress.ts'],
    rules: {
      'no-restricted-syntax': ['error', {
        selector: "MemberExpression[object.object.name='process'][object.property.name=/^(stdout|stderr)$/][property.name='write']",
        message: 'print with printOut/printErr/printJson from src/cli/output.ts',
      }],
    },
  },
  {
    files: ['desktop/src/**/*.svelte'],
    languageOptions: {
      parser: svelteParser,
      parserOptions: { parser: tseslint.parser, extraFileExtensions: ['.svelte'] },
      globals: globals.browser,
    },
    rules: layer(['better-sqlite3', 'kysely', '**/store/**', '**/projections/**', '**/handlers/**', '**/daemon/**', '**/api/**'],
      'the desktop app reaches the daemon only through the gateway'),
  },
  {
    files: ['desktop/src/**/*.ts', 'extension/src/**/*.ts'],
    languageOptions: { globals: globals.browser },
  },
  {
    files: ['extension/src/**/*.ts'],
    rules: layer([...io, ...effects, '**/store/**', '**/handlers/**', '**/ipc/**', '**/cli/**', '**/daemon/**', '**/gateway/**'],
      'the extension runs in the browser and reaches comfyui-dl only through the gateway'),
  },
);
