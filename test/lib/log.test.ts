import { describe, expect, it } from 'vitest';
import { createLog } from '../../src/lib/log.js';

describe('the daemon log', () => {
  it('writes one line per message, without control characters, credentials or the key', () => {
    const lines: string[] = [];
    const log = createLog(() => ['k3y-0123456789abcdef'], (line) => lines.push(line));
    log('placed \x1b]0;pwned\x07Evil\u202e.safetensors\r\n2026-01-01T00:00:00.000Z forged line from https://u:p4ss@h/x?api_key=abc with k3y-0123456789abcdef');
    expect(lines).toHaveLength(1);
    const [line] = lines;
    expect(line).toMatch(/^\d{4}-\d\d-\d\dT\S+ placed Evil\.safetensors 2026-01-01T00:00:00\.000Z forged line from https:\/\/\*\*\*@h\/x\?api_key=\*\*\* with \*\*\*\n$/);
  });
});
