import { plainText } from '../lib/terminal-text.js';

export { formatBytes } from '../lib/bytes.js';

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--:--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${String(r).padStart(2, '0')}` : `${m}:${String(r).padStart(2, '0')}`;
}

/**
 * Plain aligned columns: readable in a terminal, and still greppable. Cells are names, paths and messages from
 * outside: each is flattened to one line without control characters, so no value can break the table or the
 * terminal.
 */
export function table(header: readonly string[], cells: readonly (readonly string[])[]): string {
  const rows = cells.map((r) => r.map((cell) => plainText(cell)));
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (r: readonly string[]) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]!))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}
