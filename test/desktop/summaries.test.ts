import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasSummary, summarizeEvent } from '../../desktop/src/lib/event-summary.js';
import { eventRegistry } from '../../src/events/index.js';
import { formatBytes } from '../../src/lib/bytes.js';

const dir = join(import.meta.dirname, '../fixtures/events');
const golden = readdirSync(dir).map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as { type: string; data: Record<string, unknown> });

describe('the timeline in words', () => {
  it('has a summary of its own for every event type the daemon writes', () => {
    expect([...eventRegistry.definitions.keys()].filter((type) => !hasSummary(type))).toEqual([]);
  });

  it.each(golden)('says what $type means without JSON, placeholders or CLI commands', ({ type, data }) => {
    const line = summarizeEvent({ type, data });
    expect(line.length).toBeGreaterThan(3);
    expect(line).not.toMatch(/[{}"]|undefined|NaN|\bnull\b|`comfyui-dl/);
  });
});

describe('one byte formatter for the CLI and the app', () => {
  it('never rounds a small file to zero, and names binary units as such', () => {
    expect([0, 812, 1023, 1024, 24_576, 1_048_575, 52_428_800, 900 * 1024 ** 2, 7.5 * 1024 ** 3, 70.4 * 1024 ** 4].map((n) => formatBytes(n)))
      .toEqual(['0 B', '812 B', '1023 B', '1.0 KiB', '24.0 KiB', '1.0 MiB', '50.0 MiB', '900 MiB', '7.5 GiB', '70.4 TiB']);
    expect([formatBytes(null), formatBytes(undefined), formatBytes(-1), formatBytes(Number.NaN)]).toEqual(['?', '?', '?', '?']);
    expect(formatBytes(null, '—')).toBe('—');
  });
});
