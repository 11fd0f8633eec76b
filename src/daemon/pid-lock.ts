import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { err, ok, type Result } from 'neverthrow';

export type LockError = { readonly code: 'DAEMON_RUNNING' | 'LOCK_FAILED'; readonly message: string };

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * One daemon per data folder, whatever socket it is given: two writers on one log would break the single-writer
 * design. A lock left by a killed daemon names a dead pid and is taken over.
 */
export function acquirePidLock(path: string): Result<{ release(): void }, LockError> {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(path, `${process.pid}\n`, { flag: 'wx', mode: 0o600 });
      return ok({
        release: () => {
          try {
            if (readFileSync(path, 'utf8').trim() === String(process.pid)) unlinkSync(path);
          } catch {
            // Already gone: nothing to release.
          }
        },
      });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') {
        return err({ code: 'LOCK_FAILED', message: `cannot create ${path}: ${(e as Error).message}; check that the data folder is writable` });
      }
      const pid = Number.parseInt(readFileSync(path, 'utf8'), 10);
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) {
        return err({ code: 'DAEMON_RUNNING', message: `another comfyui-dl daemon (pid ${pid}) already uses this data folder; stop it first (\`systemctl --user stop comfyui-dl\` or kill ${pid})` });
      }
      unlinkSync(path);
    }
  }
  return err({ code: 'LOCK_FAILED', message: `cannot take the lock ${path}` });
}
