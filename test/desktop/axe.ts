// axe-core, the accessibility engine, run inside a page of the app. It is injected through the DevTools protocol
// (page.evaluate), which the app's Content-Security-Policy does not cover, so the page under test stays as users
// get it.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeViolation {
  readonly id: string;
  readonly impact: string | null;
  readonly help: string;
  readonly targets: string[];
}

/** WCAG 2.0–2.2 A and AA rules, plus axe's best practices; prints one line per page and theme. */
export async function axeCheck(page: Page, label: string): Promise<AxeViolation[]> {
  if (!(await page.evaluate(() => 'axe' in globalThis))) await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run(context: unknown, options: unknown): Promise<{ violations: { id: string; impact: string | null; help: string; nodes: { target: string[] }[] }[] }> } }).axe;
    const result = await axe.run((globalThis as unknown as { document: unknown }).document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] }, resultTypes: ['violations'] });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.slice(0, 5).map((n) => n.target.join(' ')) }));
  });
  const serious = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  const detail = violations.map((v) => `${v.impact ?? '?'} ${v.id} (${v.targets.length} node${v.targets.length === 1 ? '' : 's'})`).join(', ');
  console.log(`axe ${label}: ${violations.length} violation(s), ${serious.length} serious or critical${detail ? ` — ${detail}` : ''}`);
  return violations;
}
