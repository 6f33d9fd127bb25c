// Passwords are hashed with argon2id (the library's defaults: 64 MiB, 3 passes, 4 lanes, per
// OWASP's recommendation); the hash string carries its own parameters, so they can be raised
// later without invalidating stored hashes.
import argon2 from 'argon2';

export const MIN_PASSWORD_LENGTH = 10;

export function hashPassword(password: string): Promise<string> {
  return argon2.hash(password, { type: argon2.argon2id });
}

export async function verifyPassword(hash: string, password: string): Promise<boolean> {
  try {
    return await argon2.verify(hash, password);
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
