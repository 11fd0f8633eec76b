export type Log = (message: string) => void;

/**
 * Daemon log lines go to stderr (journald under systemd). Secrets are cut out of every line here, the one
 * place all of them pass, so no caller can leak the API key by formatting an error.
 */
export function createLog(secrets: () => readonly string[], write: (line: string) => void = (l) => process.stderr.write(l)): Log {
  return (message) => {
    let line = message;
    for (const secret of secrets()) if (secret.length >= 4) line = line.split(secret).join('****');
    write(`${new Date().toISOString()} ${line}\n`);
  };
}
