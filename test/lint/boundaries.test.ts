// The lint knows every layer rule: each deliberately broken fixture under test/lint-fixtures fails exactly the rule
// it is named after, and the real tree passes. Run through the real tools and the real configuration.
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const fixtures = join(root, 'test', 'lint-fixtures');
const depcruiseBin = join(root, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');
const run = promisify(execFile);

interface Violation {
  readonly rule: { readonly name: string };
  readonly from: string;
  readonly to: string;
}

/** dependency-cruiser's violations for the `src` below `cwd`, with the repository's own rules. */
async function graphViolations(cwd: string, paths: readonly string[]): Promise<Violation[]> {
  const args = [depcruiseBin, ...paths, '--config', join(root, '.dependency-cruiser.mjs'), '--output-type', 'json'];
  // depcruise exits non-zero when it finds violations; the JSON on stdout is the answer either way.
  const { stdout } = await run(process.execPath, args, { cwd, maxBuffer: 64 * 1024 * 1024 }).catch(
    (error: { stdout?: string }) => ({ stdout: error.stdout ?? '' }),
  );
  return (JSON.parse(stdout) as { summary: { violations: Violation[] } }).summary.violations;
}

const graphRules = readdirSync(fixtures).filter((name) => name !== 'eslint');

describe('the import-graph rules (dependency-cruiser)', () => {
  it('has a fixture for every rule of the configuration', async () => {
    const config = (await import(join(root, '.dependency-cruiser.mjs'))) as { default: { forbidden: { name: string }[] } };
    expect(graphRules.sort()).toEqual(config.default.forbidden.map((r) => r.name).sort());
  });

  it.each(graphRules)('a fixture breaking %s fails that rule', async (rule) => {
    const violations = await graphViolations(join(fixtures, rule), ['src']);
    expect(violations.map((v) => v.rule.name)).toContain(rule);
  }, 60_000);

  it('the tree passes', async () => {
    expect(await graphViolations(root, ['src', 'scripts'])).toEqual([]);
  }, 120_000);
});

/** What the graph cannot see, linted as if the fixture stood at the given path. */
const eslintFixtures: readonly { fixture: string; as: string; message: RegExp }[] = [
  { fixture: 'pure-path-posix-only', as: 'src/routing/classify-fixture.ts', message: /only posix from node:path/ },
  { fixture: 'cli-prints-through-output', as: 'src/cli/commands/fixture.ts', message: /src\/cli\/output\.ts/ },
  { fixture: 'desktop-through-gateway', as: 'desktop/src/fixture.ts', message: /only through the gateway/ },
  { fixture: 'extension-through-gateway', as: 'extension/src/fixture.ts', message: /only through the gateway/ },
  { fixture: 'views-through-queries', as: 'src/handlers/scan/fixture.ts', message: /queries in src\/views/ },
];

describe('the lint rules on code (ESLint)', () => {
  // The fixtures are not part of the TypeScript project, so they are linted without type information; the layer
  // rules under test need none.
  const eslint = new ESLint({
    cwd: root,
    overrideConfig: {
      languageOptions: { parserOptions: { projectService: false } },
      rules: { '@typescript-eslint/no-floating-promises': 'off' },
    },
  });

  it.each(eslintFixtures)('$fixture fails as $as', async ({ fixture, as, message }) => {
    const [result] = await eslint.lintText(readFileSync(join(fixtures, 'eslint', `${fixture}.ts`), 'utf8'), { filePath: join(root, as) });
    const errors = result?.messages.filter((m) => m.severity === 2) ?? [];
    expect(errors.map((m) => m.message)).toEqual(expect.arrayContaining([expect.stringMatching(message)]));
  }, 60_000);

  it('the same code passes where no rule applies', async () => {
    const [result] = await eslint.lintText(readFileSync(join(fixtures, 'eslint', 'pure-path-posix-only.ts'), 'utf8'), { filePath: join(root, 'src/handlers/fixture.ts') });
    expect(result?.messages.filter((m) => m.severity === 2)).toEqual([]);
  }, 60_000);
});
