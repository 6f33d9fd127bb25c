// Short-lived access tokens (JWT, HS256, 15 minutes) name a user and the tenant they act in;
// the role is read from the membership on every request so a demotion takes effect at once.
// Refresh tokens and API keys are opaque random strings stored only as keyed hashes.
import { createHmac, randomBytes } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { deriveKey } from '../security/secret-key.js';

export const ACCESS_TOKEN_TTL_SECONDS = 15 * 60;
export const REFRESH_TOKEN_TTL_MS = 30 * 24 * 3600 * 1000;
const ISSUER = 'tadfuq';

export interface AccessClaims {
  sub: string;
  tid: string;
}

export class TokenService {
  private readonly accessKey: Buffer;
  private readonly opaqueKey: Buffer;

  constructor(master: Buffer) {
    this.accessKey = deriveKey(master, 'access-token');
    this.opaqueKey = deriveKey(master, 'api-key');
  }

  issueAccess(userId: string, tenantId: string, ttlSeconds = ACCESS_TOKEN_TTL_SECONDS): string {
    return jwt.sign({ tid: tenantId }, this.accessKey, { algorithm: 'HS256', subject: userId, issuer: ISSUER, expiresIn: ttlSeconds });
  }

  /** Throws jsonwebtoken's TokenExpiredError / JsonWebTokenError on a bad token. */
  verifyAccess(token: string): AccessClaims {
    const claims = jwt.verify(token, this.accessKey, { algorithms: ['HS256'], issuer: ISSUER }) as jwt.JwtPayload;
    if (typeof claims.sub !== 'string' || typeof claims.tid !== 'string') throw new jwt.JsonWebTokenError('token lacks subject or tenant');
    return { sub: claims.sub, tid: claims.tid };
  }

  /** A new opaque secret with a readable prefix (`tdf_rt_…` refresh tokens, `tdf_key_…` API keys). */
  newOpaque(prefix: 'tdf_rt' | 'tdf_key' | 'tdf_inv'): string {
    return `${prefix}_${randomBytes(32).toString('base64url')}`;
  }

  /** Keyed hash of an opaque secret: what the database stores and looks up. */
  hashOpaque(secret: string): string {
    return createHmac('sha256', this.opaqueKey).update(secret).digest('hex');
  }
}
