import { redact } from './redact.js';
import { plainText } from './terminal-text.js';

export type Log = (message: string) => void;

/**
 * Daemon log lines go to stderr (journald under systemd). This is the one place all of them pass, so here secrets
 * and credentials are cut out (no caller can leak the API key by formatting an error) and control characters are
 * stripped: one message is one line, whatever a server or a file name put in it.
 */
export function createLog(secrets: () => readonly string[], write: (line: string) => void = (l) => process.stderr.write(l)): Log {
  return (message) => {
    write(`${new Date().toISOString()} ${plainText(redact(message, secrets()))}\n`);
  };
}
