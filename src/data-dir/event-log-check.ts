import { closeSync, openSync, readSync, statSync } from 'node:fs';
import Database from 'better-sqlite3';
import { err, ok, type Result } from 'neverthrow';
import { errnoCode } from '../ipc/unix-path.js';

/**
 * Is the event log safe to append to? Run before the daemon opens it for writing (and by `comfyui-dl doctor`),
 * because SQLite happily appends to a database whose other pages are garbage, and an append-only log that is
 * damaged must be repaired by a person (a backup, or a new log), never written further.
 */

export type EventLogState = 'absent' | 'ok';

export interface EventLogProblem {
  readonly code: 'LOG_EMPTY' | 'LOG_DAMAGED' | 'WAL_DAMAGED' | 'NOT_A_LOG' | 'LOG_UNREADABLE';
  /** The file at fault. */
  readonly file: string;
  /** What is wrong, in words. */
  readonly what: string;
  /** What to do about it. */
  readonly fix: string;
  /** All of it in one line. */
  readonly message: string;
}

const WAL_MAGIC = [0x377f0682, 0x377f0683];
const WAL_HEADER_BYTES = 32;
/** The first problems are enough to tell damage; a full list of a badly broken file is no use to anyone. */
const MAX_REPORTED = 5;

export function checkEventLog(dbPath: string): Result<EventLogState, EventLogProblem> {
  const walPath = `${dbPath}-wal`;
  const problem = (code: EventLogProblem['code'], file: string, what: string, fix: string): Result<never, EventLogProblem> =>
    err({ code, file, what, fix, message: `the event log ${file} ${what}: the daemon will not write to it. ${fix.charAt(0).toUpperCase()}${fix.slice(1)}` });
  const setAside = `move ${dbPath} and its -wal and -shm files aside (e.g. to a folder of their own)`;
  const recover = `${setAside}, then either put a backup of events.db in its place and run \`comfyui-dl replay\` once the daemon is up, or start fresh (the daemon begins a new log and its startup scan finds your models again)`;

  let size: number;
  try {
    size = statSync(dbPath).size;
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') return ok('absent');
    return problem('LOG_UNREADABLE', dbPath, `cannot be read (${errnoCode(e)})`, 'fix the permissions of the file and its folder, or choose another --data-dir');
  }
  // The daemon writes the log's first page the moment it creates it: an empty file is a log that was cut off.
  if (size === 0 && !nonEmpty(walPath)) {
    return problem('LOG_EMPTY', dbPath, 'is empty (0 bytes): it was truncated, or created by something else', `If you created it, delete it. Otherwise ${recover}`);
  }
  const wal = checkWalHeader(walPath);
  if (wal !== undefined) {
    return problem('WAL_DAMAGED', walPath, `is not a write-ahead log (${wal}): the last events written may be lost in it`,
      `Either ${recover}, or move only ${walPath} aside to keep the log as of its last checkpoint`);
  }
  let db: Database.Database | undefined;
  try {
    // Read-only: no checkpoint on close, so not even SQLite writes to a log that may be damaged.
    db = new Database(dbPath, { readonly: true, fileMustExist: true });
    const rows = db.pragma(`quick_check(${MAX_REPORTED})`, { simple: false }) as { quick_check: string }[];
    const findings = rows.map((r) => r.quick_check).filter((r) => r !== 'ok');
    if (findings.length > 0) return problem('LOG_DAMAGED', dbPath, `is damaged (SQLite's quick_check: ${findings.join('; ')})`, recover);
    const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all() as string[]);
    if (tables.length > 0 && !tables.includes('events')) {
      return problem('NOT_A_LOG', dbPath, `is an SQLite database of something else (tables ${tables.slice(0, 5).join(', ')})`, 'choose another --data-dir, or move that file away');
    }
    return ok('ok');
  } catch (e) {
    const code = (e as { code?: string }).code ?? '';
    if (code === 'SQLITE_NOTADB') return problem('LOG_DAMAGED', dbPath, 'is not an SQLite database (its header is damaged, or it is another kind of file)', recover);
    if (code === 'SQLITE_CORRUPT') return problem('LOG_DAMAGED', dbPath, `is damaged (${(e as Error).message})`, recover);
    if (code === 'SQLITE_CANTOPEN' || code === 'SQLITE_PERM' || code === 'SQLITE_READONLY') {
      return problem('LOG_UNREADABLE', dbPath, `cannot be opened (${(e as Error).message})`, 'fix the permissions of the file and its folder, or choose another --data-dir');
    }
    return problem('LOG_DAMAGED', dbPath, `cannot be checked (${(e as Error).message})`, recover);
  } finally {
    db?.close();
  }
}

function nonEmpty(path: string): boolean {
  try {
    return statSync(path).size > 0;
  } catch {
    return false;
  }
}

/**
 * SQLite silently ignores a write-ahead log whose header is invalid, and with it every transaction the log held.
 * Our writer never leaves one (the header is one sector, rewritten whole), so such a header is damage from
 * outside. A WAL that is valid up to a torn last frame is the normal trace of a crash and is not judged here.
 */
function checkWalHeader(walPath: string): string | undefined {
  let fd: number;
  try {
    fd = openSync(walPath, 'r');
  } catch {
    return undefined;
  }
  try {
    const header = Buffer.alloc(WAL_HEADER_BYTES);
    const read = readSync(fd, header, 0, WAL_HEADER_BYTES, 0);
    if (read === 0) return undefined;
    if (read < WAL_HEADER_BYTES) return `${read} bytes, shorter than its 32-byte header`;
    const magic = header.readUInt32BE(0);
    if (!WAL_MAGIC.includes(magic)) return 'its header has the wrong magic number';
    const [s0, s1] = walChecksum(header.subarray(0, 24), magic === 0x377f0683);
    if (s0 !== header.readUInt32BE(24) || s1 !== header.readUInt32BE(28)) return "its header's checksum does not match";
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/** SQLite's WAL checksum over 32-bit words in the byte order the magic number names (sqlite.org/fileformat2.html). */
function walChecksum(bytes: Buffer, bigEndian: boolean): [number, number] {
  let s0 = 0;
  let s1 = 0;
  for (let i = 0; i < bytes.length; i += 8) {
    const x0 = bigEndian ? bytes.readUInt32BE(i) : bytes.readUInt32LE(i);
    const x1 = bigEndian ? bytes.readUInt32BE(i + 4) : bytes.readUInt32LE(i + 4);
    s0 = (s0 + x0 + s1) >>> 0;
    s1 = (s1 + x1 + s0) >>> 0;
  }
  return [s0, s1];
}
