// The master key behind credential encryption and token signing. From TADFUQ_SECRET_KEY (32
// bytes as 64 hex chars or base64) or, for the embedded default, generated once into
// <data dir>/secret.key (mode 0600). Several processes on several machines (queue mode) must
// share one key: set TADFUQ_SECRET_KEY there. Each use derives its own subkey (HKDF), so a
// token signature can never be replayed as a ciphertext key or the other way round.
import fs from 'node:fs';
import path from 'node:path';
import { hkdfSync, randomBytes } from 'node:crypto';

export const SECRET_KEY_FILE = 'secret.key';

export function parseSecretKey(value: string): Buffer {
  const trimmed = value.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(trimmed) ? Buffer.from(trimmed, 'hex') : Buffer.from(trimmed, 'base64');
  if (key.length !== 32) throw new Error('TADFUQ_SECRET_KEY must be 32 bytes: 64 hex characters or base64 of 32 bytes');
  return key;
}

export function loadSecretKey(options: { secretKey?: string | undefined; dataDir: string }): Buffer {
  if (options.secretKey) return parseSecretKey(options.secretKey);
  const file = path.join(options.dataDir, SECRET_KEY_FILE);
  try {
    return parseSecretKey(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  fs.mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  const fresh = randomBytes(32).toString('hex');
  try {
    // 'wx': two processes starting at once must not each write a different key.
    fs.writeFileSync(file, fresh + '\n', { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  return parseSecretKey(fs.readFileSync(file, 'utf8'));
}

export type KeyPurpose = 'credentials' | 'access-token' | 'api-key' | 'webhook' | 'erasure';

export function deriveKey(master: Buffer, purpose: KeyPurpose): Buffer {
  return Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), `tadfuq:${purpose}`, 32));
}
