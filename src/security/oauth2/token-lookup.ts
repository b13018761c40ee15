import type { TokenPayload } from '../jwt-auth.js';
import { JWTError } from '../jwt-error.js';
import type { OAuth2Context } from './oauth2-context.js';
import type { RefreshTokenRecord } from './oauth2-store.js';
import { tokenHash } from './token-issuer.js';

/** A valid access token issued by this server (signature, expiry, revocation checked), or `null`. */
export async function verifiedAccessToken(ctx: OAuth2Context, token: string): Promise<TokenPayload | null> {
  try {
    const payload = await ctx.jwt.verifyToken(token);
    return typeof payload.client_id === 'string' && typeof payload.jti === 'string' ? payload : null;
  } catch (err) {
    if (err instanceof JWTError) return null;
    throw err;
  }
}

/** A live refresh token (known, unused, unexpired, family not revoked), or `null`. */
export async function liveRefreshToken(ctx: OAuth2Context, token: string): Promise<RefreshTokenRecord | null> {
  const found = await ctx.store.findRefreshToken(tokenHash(token));
  if (found === null || found.reused || found.record.expiresAt <= Date.now()) return null;
  return (await ctx.store.isFamilyRevoked(found.record.familyId)) ? null : found.record;
}
