// Passwords are hashed with argon2id at 64 MiB, 3 passes, 4 lanes (stronger than OWASP's
// minimum); the hash string carries its own parameters, so they can be raised later without
// invalidating stored hashes. @node-rs/argon2 ships per-platform binaries as optional
// dependencies: no install script, no compiler (the `argon2` package's 0.45 prebuilt crashes
// Node 20 on load).
import { hash, verify, type Algorithm } from '@node-rs/argon2';

// Algorithm is a `declare const enum`, which verbatimModuleSyntax cannot read at run time: its value.
const ARGON2ID = 2 as Algorithm.Argon2id;

export const MIN_PASSWORD_LENGTH = 10;

export function hashPassword(password: string): Promise<string> {
  return hash(password, { algorithm: ARGON2ID, memoryCost: 65_536, timeCost: 3, parallelism: 4 });
}

export async function verifyPassword(stored: string, password: string): Promise<boolean> {
  try {
    return await verify(stored, password);
  } catch {
    return false; // a malformed stored hash never authenticates
  }
}

// Compared against when the email is unknown, so a miss costs as long as a wrong password
// (no user enumeration by timing).
let dummy: Promise<string> | undefined;
export function dummyHash(): Promise<string> {
  return (dummy ??= hashPassword('tadfuq-dummy-password-for-timing'));
}
