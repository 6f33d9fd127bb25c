// SecretBox: AES-256-GCM with a random IV per seal and associated data binding a ciphertext
// to its row. Every way of opening something that was not sealed for exactly this row under
// exactly this key must fail.
import { expect } from 'chai';
import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import { SecretBox, SecretBoxError } from '../../server/security/secret-box.js';
import { deriveKey } from '../../server/security/secret-key.js';

const master = randomBytes(32);
const box = SecretBox.forCredentials(master);
const AAD = 'tenant-a\u0000cred-1';

function openError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected open() to throw');
}

/** Flip one bit of one base64url character of part `index` (1 iv, 2 tag, 3 ciphertext). */
function tamper(sealed: string, index: number): string {
  const parts = sealed.split('.');
  const bytes = Buffer.from(parts[index]!, 'base64url');
  bytes[0] = bytes[0]! ^ 0x01;
  parts[index] = bytes.toString('base64url');
  return parts.join('.');
}

describe('security: SecretBox', () => {
  it('round-trips any text, Arabic included', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 300 }), fc.string({ maxLength: 80 }), (plain, aad) => {
        expect(box.open(box.seal(plain, aad), aad)).to.equal(plain);
      }),
      { numRuns: 200 },
    );
    const secret = JSON.stringify({ token: 'سر-الرمز-123' });
    expect(box.open(box.seal(secret, AAD), AAD)).to.equal(secret);
  });

  it('stores a versioned v1.<iv>.<tag>.<ciphertext> string without the plaintext, with a fresh IV each time', () => {
    const plain = 'sk-live-PLAINTEXT-TOKEN';
    const a = box.seal(plain, AAD);
    const b = box.seal(plain, AAD);
    expect(a).to.match(/^v1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]+$/);
    expect(a).to.not.include(plain);
    expect(Buffer.from(a.split('.')[3]!, 'base64url').toString('latin1')).to.not.include('PLAINTEXT');
    expect(a.split('.')[1]).to.not.equal(b.split('.')[1]);
    expect(a).to.not.equal(b);
  });

  it('refuses a tampered IV, tag or ciphertext', () => {
    const sealed = box.seal('the secret', AAD);
    for (const part of [1, 2, 3]) {
      expect(openError(() => box.open(tamper(sealed, part), AAD)), `part ${part}`).to.be.instanceOf(SecretBoxError);
    }
    // Truncated ciphertext and swapped parts too.
    const [v, iv, tag, ct] = sealed.split('.');
    expect(openError(() => box.open([v, iv, tag, ct!.slice(0, -2)].join('.'), AAD))).to.be.instanceOf(SecretBoxError);
    expect(openError(() => box.open([v, iv, ct, tag].join('.'), AAD))).to.be.instanceOf(SecretBoxError);
  });

  it('refuses malformed and unknown-version strings', () => {
    const sealed = box.seal('x', AAD);
    for (const bad of ['', 'v1', 'v1.a.b', sealed.replace(/^v1/, 'v2'), sealed + '.extra', sealed.replace('.', '.!')]) {
      expect(openError(() => box.open(bad, AAD)), JSON.stringify(bad)).to.be.instanceOf(SecretBoxError);
    }
  });

  it('refuses the wrong associated data (a ciphertext moved to another row or tenant)', () => {
    const sealed = box.seal('the secret', AAD);
    for (const other of ['tenant-b\u0000cred-1', 'tenant-a\u0000cred-2', '', AAD + ' ']) {
      expect(openError(() => box.open(sealed, other)), JSON.stringify(other)).to.be.instanceOf(SecretBoxError);
    }
  });

  it('refuses another key: another master key, or another purpose of the same master key', () => {
    const sealed = box.seal('the secret', AAD);
    expect(openError(() => SecretBox.forCredentials(randomBytes(32)).open(sealed, AAD))).to.be.instanceOf(SecretBoxError);
    expect(openError(() => new SecretBox(deriveKey(master, 'webhook')).open(sealed, AAD))).to.be.instanceOf(SecretBoxError);
    // The master key itself is not the credentials key.
    expect(openError(() => new SecretBox(master).open(sealed, AAD))).to.be.instanceOf(SecretBoxError);
    // The same master key (another process) opens it.
    expect(SecretBox.forCredentials(Buffer.from(master)).open(sealed, AAD)).to.equal('the secret');
  });

  it('says nothing of the plaintext when it refuses', () => {
    const err = openError(() => box.open(tamper(box.seal('hunter2-secret', AAD), 3), AAD)) as Error;
    expect(err.message).to.not.include('hunter2');
  });

  it('needs a 32-byte key', () => {
    expect(() => new SecretBox(randomBytes(16))).to.throw(/32-byte/);
  });
});
