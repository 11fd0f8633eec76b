// One way to write sizes, shared by the CLI and the desktop app so both say the same thing about the same file.
// Pure and dependency-free: it ships in the app's bundle too.

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'] as const;

/**
 * 812 → "812 B", 24_576 → "24.0 KiB", 52_428_800 → "50.0 MiB", 7.5 GiB → "7.5 GiB", 850 MiB → "850 MiB": steps of
 * 1024 with their IEC names, one decimal below 100 of a unit, so small files never round to zero. `unknown` is
 * what a missing size reads as.
 */
export function formatBytes(bytes: number | null | undefined, unknown = '?'): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes) || bytes < 0) return unknown;
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  if (unit === 0) return `${Math.round(value)} B`;
  // 1023.96 KiB would print as "1024.0 KiB"; say "1.0 MiB" like the next step up.
  if (value >= 1023.95 && unit < UNITS.length - 1) return `1.0 ${UNITS[unit + 1]}`;
  return `${value.toFixed(value < 100 ? 1 : 0)} ${UNITS[unit]}`;
}
