import { closeSync, openSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { err, ok, type Result } from 'neverthrow';

export type LockError = { readonly code: 'DAEMON_RUNNING' | 'LOCK_FAILED'; readonly message: string };

export interface DataDirLock {
  release(): void;
}

export const LOCK_FILE = 'daemon.lock';
/** Who holds the lock, for people and messages only: the lock itself never trusts it. */
export const PID_FILE = 'daemon.pid';

/**
 * One daemon per data folder, whatever socket it is given: two writers on one log would break the single-writer
 * design.
 *
 * The lock is an OS lock that the kernel drops when the holder dies, however it dies, so a crash never leaves a
 * lock behind and a recycled pid can never keep a daemon out (a pid file checked with kill(pid, 0) did both).
 * Node has no flock() API. Of the ways to get one:
 * - a `flock(1)` child holding the lock needs util-linux at run time, one more process, and the child outlives a
 *   `kill -9` of the daemon (keeping the lock) unless it is tied to a pipe;
 * - a native addon (fs-ext and the like) is a compiled dependency for one system call, and the maintained ones
 *   lag Node releases;
 * - SQLite, already here through better-sqlite3, takes POSIX fcntl() locks on its database files and manages them
 *   correctly within one process (fcntl locks are per process and vanish when any descriptor of the file is
 *   closed; SQLite tracks its descriptors by inode for exactly that reason).
 * So the lock is a small SQLite database held in EXCLUSIVE locking mode: once `BEGIN EXCLUSIVE` succeeds, the
 * connection keeps its exclusive lock until it is closed or the process ends. A second daemon, in this process or
 * another, gets SQLITE_BUSY at once (busy timeout 0). The file is never deleted, since unlinking a lock file
 * lets two processes lock two different inodes under one name; only the informational pid file comes and goes.
 */
export function acquireDataDirLock(dataDir: string): Result<DataDirLock, LockError> {
  const pidPath = join(dataDir, PID_FILE);
  const locked = lockDatabase(dataDir);
  if (locked.isErr()) return err(locked.error);
  try {
    writeFileSync(pidPath, `${process.pid}\n`, { mode: 0o600 });
  } catch {
    // Only informational: the lock is held all the same.
  }
  return ok({
    release: () => {
      if (readHolder(pidPath) === process.pid) {
        try {
          unlinkSync(pidPath);
        } catch {
          // Already gone.
        }
      }
      locked.value.close();
    },
  });
}

/** Whether a daemon holds the lock of `dataDir` right now (for `doctor`): tries it and lets go at once. */
export function dataDirLocked(dataDir: string): Result<boolean, LockError> {
  const probe = lockDatabase(dataDir);
  if (probe.isOk()) {
    probe.value.close();
    return ok(false);
  }
  return probe.error.code === 'DAEMON_RUNNING' ? ok(true) : err(probe.error);
}

function lockDatabase(dataDir: string): Result<Database.Database, LockError> {
  const lockPath = join(dataDir, LOCK_FILE);
  let db: Database.Database;
  try {
    // Created private before SQLite opens it. Never opened here when it exists: closing any descriptor of a file
    // drops every fcntl lock this process holds on it, SQLite's included.
    createPrivate(lockPath);
    db = new Database(lockPath, { timeout: 0 });
  } catch (e) {
    return err({ code: 'LOCK_FAILED', message: `cannot open the lock file ${lockPath}: ${(e as Error).message}; check that the data folder is writable` });
  }
  try {
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('BEGIN EXCLUSIVE');
    db.exec('COMMIT');
    return ok(db);
  } catch (e) {
    db.close();
    const code = (e as { code?: string }).code;
    if (code === 'SQLITE_BUSY') {
      const holder = readHolder(join(dataDir, PID_FILE));
      const who = holder === undefined ? 'another comfyui-dl daemon' : `another comfyui-dl daemon (pid ${holder})`;
      return err({ code: 'DAEMON_RUNNING', message: `${who} already uses this data folder; stop it first (\`systemctl --user stop comfyui-dl\`${holder === undefined ? '' : ` or kill ${holder}`}), or give this one another --data-dir` });
    }
    const fix = code === 'SQLITE_NOTADB' ? 'it is not a lock file comfyui-dl made: remove it (no daemon can be holding it) and start again' : 'check that the data folder is writable';
    return err({ code: 'LOCK_FAILED', message: `cannot take the lock ${lockPath}: ${(e as Error).message}; ${fix}` });
  }
}

function createPrivate(path: string): void {
  try {
    closeSync(openSync(path, 'wx', 0o600));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
}

function readHolder(pidPath: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(pidPath, 'utf8'), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}
