import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../src/config/project-root.js';

// WCAG 2.2 contrast of the app's text colours on the surfaces they sit on, in both themes. The browser tests run
// axe-core on every page too; this pins the palette itself, including states a test page may not show.
const css = readFileSync(join(projectRoot(), 'desktop', 'src', 'styles.css'), 'utf8');

function palette(block: string): Record<string, string> {
  return Object.fromEntries([...block.matchAll(/--([a-z0-9-]+):\s*(#[0-9a-f]{6})/gi)].map((m) => [m[1]!, m[2]!.toLowerCase()]));
}
const light = palette(css.slice(css.indexOf(':root'), css.indexOf('@media (prefers-color-scheme: dark)')));
const dark = { ...light, ...palette(css.slice(css.indexOf('@media (prefers-color-scheme: dark)'))) };

function luminance(hex: string): number {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255).map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
  return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
}
function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi! + 0.05) / (lo! + 0.05);
}

/** Text colour → the backgrounds it is drawn on (chips sit on their soft tint, plain text on every surface). */
const PAIRS: readonly [string, readonly string[]][] = [
  ['text', ['bg', 'surface', 'surface-2']],
  ['muted', ['bg', 'surface', 'surface-2']],
  ['faint', ['bg', 'surface', 'surface-2']],
  ['accent', ['bg', 'surface', 'accent-soft']],
  ['green', ['surface', 'green-soft']],
  ['amber', ['surface', 'amber-soft']],
  ['red', ['surface', 'red-soft']],
  ['blue', ['surface', 'blue-soft']],
  ['accent-text', ['accent']],
];

describe('colour contrast of text (WCAG 2.2 AA, 4.5:1)', () => {
  for (const [theme, colours] of [['light', light], ['dark', dark]] as const) {
    it(`holds in the ${theme} theme`, () => {
      const failing = PAIRS.flatMap(([fg, bgs]) =>
        bgs.map((bg) => ({ pair: `${fg} on ${bg}`, ratio: Math.round(contrast(colours[fg]!, colours[bg]!) * 100) / 100 })).filter((p) => p.ratio < 4.5),
      );
      expect(failing).toEqual([]);
    });
  }
});
