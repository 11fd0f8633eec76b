import { plainText } from '../lib/terminal-text.js';
import { formatBytes, formatDuration } from './format.js';

/**
 * One job's progress for people: a redrawn bar on a terminal, occasional plain lines elsewhere (logs, CI), so
 * piping the output never fills it with carriage returns.
 */
export function createProgressView(name: string, out: NodeJS.WriteStream = process.stderr) {
  // The bar writes its own control sequences; the file name it shows is text from outside.
  const label = plainText(name);
  const tty = out.isTTY === true;
  const samples: { t: number; bytes: number }[] = [];
  let lastPlainPercent = -10;
  let drawn = false;

  const speed = (): number => {
    const first = samples[0];
    const last = samples.at(-1);
    if (!first || !last || last.t === first.t) return 0;
    return ((last.bytes - first.bytes) * 1000) / (last.t - first.t);
  };

  return {
    update(bytesDone: number, bytesTotal: number | null): void {
      const now = Date.now();
      samples.push({ t: now, bytes: bytesDone });
      while (samples.length > 2 && now - samples[0]!.t > 5000) samples.shift();
      const rate = speed();
      const pct = bytesTotal ? Math.min(100, (bytesDone / bytesTotal) * 100) : 0;
      const eta = rate > 0 && bytesTotal ? (bytesTotal - bytesDone) / rate : NaN;
      const stats = `${pct.toFixed(1).padStart(5)}%  ${formatBytes(bytesDone)} / ${formatBytes(bytesTotal)}  ${formatBytes(rate)}/s  ETA ${formatDuration(eta)}`;
      if (tty) {
        const width = Math.max(10, Math.min(40, (out.columns ?? 80) - stats.length - label.length - 6));
        const filled = Math.round((pct / 100) * width);
        out.write(`\r\x1b[2K${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${stats}`);
        drawn = true;
      } else if (pct - lastPlainPercent >= 10) {
        lastPlainPercent = Math.floor(pct / 10) * 10;
        out.write(`${label}: ${stats}\n`);
      }
    },
    /** Takes the bar off the terminal, so what is printed next starts on a clean line. */
    clear(): void {
      if (drawn) out.write('\r\x1b[2K');
      drawn = false;
    },
    /** Ends the bar's line before anything else is printed. */
    line(text: string): void {
      this.clear();
      out.write(`${plainText(text, 'keep-lines')}\n`);
    },
  };
}
