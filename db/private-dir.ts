// The data directory holds the SQLite store (password hashes, contacts), its -wal/-shm journals
// and secret.key: readable by the server's user only. The directory is created 0700 and its
// files 0600, and modes left wider by an older version (or a copy) are narrowed on every start.
import fs from 'node:fs';
import path from 'node:path';

export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/**
 * Create `dir` (0700) if needed and narrow it to 0700 and the files in it to 0600. Not
 * recursive, and symlinks are not followed: the server writes only plain files at its top level.
 */
export function securePrivateDir(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  narrow(dir, PRIVATE_DIR_MODE);
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.isFile()) narrow(path.join(dir, entry.name), PRIVATE_FILE_MODE);
  }
}

/** Create `file` empty with mode 0600 unless it exists (SQLite gives its -wal/-shm the database file's mode), then narrow it. */
export function createPrivateFile(file: string): void {
  fs.closeSync(fs.openSync(file, 'a', PRIVATE_FILE_MODE));
  narrow(file, PRIVATE_FILE_MODE);
}

function narrow(target: string, mode: number): void {
  try {
    if ((fs.statSync(target).mode & 0o777) !== mode) fs.chmodSync(target, mode);
  } catch (err) {
    // Gone meanwhile (a journal SQLite removed): nothing to narrow.
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}
