// Authenticated encryption for secrets at rest (credentials): AES-256-GCM under a subkey of the
// master key (deriveKey(master, 'credentials')), a fresh random 12-byte IV per encryption, and
// associated data that names the row the ciphertext belongs to (tenant id + credential id). A
// ciphertext copied into another row or another tenant therefore fails to decrypt instead of
// yielding the other row's secret. The stored form is versioned so the scheme can change:
//   v1.<iv>.<tag>.<ciphertext>   (each part base64url)
// The associated data of a credential is made by db/credential-repository.ts (credentialAad).
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { deriveKey } from './secret-key.js';

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const PART = /^[A-Za-z0-9_-]*$/;

/** The stored form is malformed, or it was tampered with, bound to another row or made with another key. */
export class SecretBoxError extends Error {
  override readonly name = 'SecretBoxError';
  constructor(message: string) {
    super(message);
    Object.setPrototypeOf(this, SecretBoxError.prototype);
  }
}

export class SecretBox {
  private readonly key: Buffer;

  /** `key`: a 32-byte subkey, never the master key itself (see SecretBox.forCredentials). */
  constructor(key: Buffer) {
    if (key.length !== 32) throw new Error('SecretBox needs a 32-byte key');
    this.key = Buffer.from(key);
  }

  /** The box for credentials, keyed by the 'credentials' subkey of the master key. */
  static forCredentials(master: Buffer): SecretBox {
    return new SecretBox(deriveKey(master, 'credentials'));
  }

  seal(plaintext: string, aad: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(aad, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const tag = cipher.getAuthTag();
    return [VERSION, iv.toString('base64url'), tag.toString('base64url'), ciphertext.toString('base64url')].join('.');
  }

  open(sealed: string, aad: string): string {
    const parts = sealed.split('.');
    if (parts.length !== 4 || parts[0] !== VERSION || !parts.slice(1).every((p) => PART.test(p))) {
      throw new SecretBoxError('not a v1 sealed secret');
    }
    const iv = Buffer.from(parts[1]!, 'base64url');
    const tag = Buffer.from(parts[2]!, 'base64url');
    const ciphertext = Buffer.from(parts[3]!, 'base64url');
    if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) throw new SecretBoxError('not a v1 sealed secret');
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(Buffer.from(aad, 'utf8'));
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8');
    } catch {
      // One message for every cause: which check failed is no business of the caller.
      throw new SecretBoxError('the secret cannot be decrypted (tampered, moved to another row, or sealed with another key)');
    }
  }
}
