// Comments cite the design by section of ARCHITECTURE.md; a citation of a section that is not there, or of a file
// that is not in the repository, is a comment that lies.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');

function sourceFiles(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' || entry.name === 'dist' ? [] : sourceFiles(path);
    return /\.(ts|mjs|js|svelte)$/.test(entry.name) ? [path] : [];
  });
}

it('every citation of the architecture names a section of ARCHITECTURE.md', () => {
  const sections = new Set([...readFileSync(join(root, 'ARCHITECTURE.md'), 'utf8').matchAll(/^## (§\d+) /gm)].map((m) => m[1]));
  const files = [...['src', 'test', 'scripts', 'desktop/src', 'extension/src'].flatMap(sourceFiles), 'eslint.config.js', '.dependency-cruiser.mjs'];
  const cited: string[] = [];
  const dangling: string[] = [];
  for (const file of files) {
    const text = readFileSync(join(root, file), 'utf8');
    for (const m of text.matchAll(/ARCHITECTURE(\.md)?((?: §\d+(?:,| and)?)+)/g)) {
      for (const section of m[2]?.match(/§\d+/g) ?? []) {
        cited.push(section);
        if (m[1] === undefined || !sections.has(section)) dangling.push(`${file}: ${m[0]}`);
      }
    }
  }
  expect(cited.length).toBeGreaterThan(0);
  expect(dangling).toEqual([]);
});
