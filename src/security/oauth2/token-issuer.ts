import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { OAuth2Client } from './oauth2-client.js';
import type { OAuth2Context } from './oauth2-context.js';

/** The token endpoint's success body (RFC 6749 §5.1). */
export interface TokenResponseBody {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  refresh_token?: string;
  scope?: string;
}

/** What an access token is issued for. */
export interface Grant {
  readonly client: OAuth2Client;
  readonly subject: string;
  /** Space-separated. */
  readonly scope: string;
  readonly issuer: string;
  /** Scope of the new refresh token when it differs (RFC 6749 §6: a refresh keeps the original scope). */
  readonly refreshScope?: string;
  /** The refresh-token family; `null` for grants without refresh tokens (client credentials). */
  readonly familyId: string | null;
}

/** SHA-256 (hex) of an opaque code or refresh token: stores keep this, never the token. */
export function tokenHash(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** 256 random bits, base64url: authorization codes and refresh tokens. */
export function randomToken(): string {
  return randomBytes(32).toString('base64url');
}

/** A new family id. */
export function newFamilyId(): string {
  return randomUUID();
}

/**
 * Signs an access token — an RFC 9068 JWT (`typ: at+jwt`) with `iss`, `exp`, `aud`, `sub`,
 * `client_id`, `iat`, `jti` and `scope` — and, when `familyId` is set and the client may
 * refresh, a new refresh token of that family.
 */
export async function issueTokens(ctx: OAuth2Context, grant: Grant): Promise<TokenResponseBody> {
  const lifetime = ctx.accessTokenLifetime;
  const jti = randomUUID();
  const claims: Record<string, unknown> = { client_id: grant.client.id };
  if (grant.scope !== '') claims.scope = grant.scope;
  const accessToken = await ctx.jwt.createToken(claims, {
    subject: grant.subject,
    issuer: grant.issuer,
    audience: ctx.audience ?? grant.issuer,
    expiresIn: lifetime,
    jti,
  });
  await ctx.store.recordAccessToken(jti, grant.familyId, Date.now() + lifetime * 1000);
  const body: TokenResponseBody = { access_token: accessToken, token_type: 'Bearer', expires_in: lifetime };
  if (grant.familyId !== null && grant.client.grantTypes.has('refresh_token')) {
    const refreshToken = randomToken();
    await ctx.store.saveRefreshToken({
      tokenHash: tokenHash(refreshToken),
      familyId: grant.familyId,
      clientId: grant.client.id,
      subject: grant.subject,
      scope: grant.refreshScope ?? grant.scope,
      expiresAt: Date.now() + ctx.refreshTokenLifetime * 1000,
    });
    body.refresh_token = refreshToken;
  }
  if (grant.scope !== '') body.scope = grant.scope;
  return body;
}

/** Revokes a whole family: its refresh tokens and every access token issued in it. */
export async function revokeFamily(ctx: OAuth2Context, familyId: string): Promise<void> {
  // Kept as long as any of its tokens could still be presented.
  const until = Date.now() + Math.max(ctx.refreshTokenLifetime, ctx.accessTokenLifetime) * 1000;
  await ctx.store.revokeFamily(familyId, until);
}
