import type { Request } from '../../request.js';
import type { Response } from '../../response.js';
import type { OAuth2Context } from './oauth2-context.js';
import { OAuth2Error } from './oauth2-error.js';
import { ascii } from './oauth2-params.js';
import { errorResponse, noStoreJson } from './oauth2-response.js';
import { verifyPkce } from './pkce.js';
import { grantScopes, parseScope } from './scope.js';
import { type ClientRequest, readClientRequest } from './token-request.js';
import { issueTokens, revokeFamily, type TokenResponseBody, tokenHash } from './token-issuer.js';

function required(params: Map<string, string>, name: string): string {
  const value = params.get(name);
  if (value === undefined) throw new OAuth2Error('invalid_request', `Missing ${name}`);
  return value;
}

/** RFC 6749 §4.1.3 and RFC 7636 §4.6: a code, once, by its client, with its redirect URI and verifier. */
async function authorizationCode(ctx: OAuth2Context, req: Request, { params, client }: ClientRequest): Promise<TokenResponseBody> {
  const code = required(params, 'code');
  const verifier = params.get('code_verifier');
  const taken = await ctx.store.consumeCode(tokenHash(code));
  if (taken === null) throw new OAuth2Error('invalid_grant', 'Invalid authorization code');
  const { record } = taken;
  if (taken.reused) {
    // RFC 6749 §4.1.2: a replayed code revokes what was issued from it.
    await revokeFamily(ctx, record.familyId);
    throw new OAuth2Error('invalid_grant', 'Authorization code already used');
  }
  // The code is spent from here on: a failed attempt (wrong verifier…) burns it.
  if (record.clientId !== client.id) throw new OAuth2Error('invalid_grant', 'Authorization code was issued to another client');
  if (record.expiresAt <= Date.now()) throw new OAuth2Error('invalid_grant', 'Authorization code expired');
  const redirectUri = params.get('redirect_uri');
  if (record.redirectUriGiven ? redirectUri !== record.redirectUri : redirectUri !== undefined && redirectUri !== record.redirectUri) {
    throw new OAuth2Error('invalid_grant', 'redirect_uri does not match the authorization request');
  }
  if (record.codeChallenge === null || record.codeChallengeMethod === null) {
    if (verifier !== undefined) throw new OAuth2Error('invalid_grant', 'code_verifier sent for a code issued without code_challenge');
  } else {
    if (verifier === undefined) throw new OAuth2Error('invalid_grant', 'Missing code_verifier');
    if (!verifyPkce(verifier, record.codeChallenge, record.codeChallengeMethod)) throw new OAuth2Error('invalid_grant', 'PKCE verification failed');
  }
  return issueTokens(ctx, { client, subject: record.subject, scope: record.scope, issuer: ctx.issuerFor(req), familyId: record.familyId });
}

/** RFC 6749 §6 with rotation: each refresh token works once; a reused one revokes its family. */
async function refreshToken(ctx: OAuth2Context, req: Request, { params, client }: ClientRequest): Promise<TokenResponseBody> {
  const hash = tokenHash(required(params, 'refresh_token'));
  // Looked at before it is used, so that another client presenting it, or a request asking for
  // too much, cannot spend it.
  const found = await ctx.store.findRefreshToken(hash);
  if (found === null) throw new OAuth2Error('invalid_grant', 'Invalid refresh token');
  if (found.record.clientId !== client.id) throw new OAuth2Error('invalid_grant', 'Refresh token was issued to another client');
  let scope = found.record.scope;
  const requested = params.get('scope');
  if (requested !== undefined) {
    // RFC 6749 §6: a narrower scope may be asked for, never a wider one.
    const granted = scope === '' ? [] : scope.split(' ');
    const asked = parseScope(requested);
    for (const s of asked) if (!granted.includes(s)) throw new OAuth2Error('invalid_scope', `Scope not granted originally: ${ascii(s)}`);
    scope = asked.join(' ');
  }
  const taken = await ctx.store.rotateRefreshToken(hash);
  if (taken === null) throw new OAuth2Error('invalid_grant', 'Invalid refresh token');
  const { record } = taken;
  if (taken.reused) {
    await revokeFamily(ctx, record.familyId);
    throw new OAuth2Error('invalid_grant', 'Refresh token already used');
  }
  if (record.expiresAt <= Date.now()) throw new OAuth2Error('invalid_grant', 'Refresh token expired');
  if (await ctx.store.isFamilyRevoked(record.familyId)) throw new OAuth2Error('invalid_grant', 'Refresh token revoked');
  return issueTokens(ctx, { client, subject: record.subject, scope, refreshScope: record.scope, issuer: ctx.issuerFor(req), familyId: record.familyId });
}

/** RFC 6749 §4.4: a confidential client for itself; no refresh token. */
async function clientCredentials(ctx: OAuth2Context, req: Request, { params, client }: ClientRequest): Promise<TokenResponseBody> {
  const scope = grantScopes(params.get('scope'), client.scopes, client.defaultScopes);
  return issueTokens(ctx, { client, subject: client.id, scope, issuer: ctx.issuerFor(req), familyId: null });
}

const GRANTS = {
  authorization_code: authorizationCode,
  refresh_token: refreshToken,
  client_credentials: clientCredentials,
} as const;

/** The token endpoint (RFC 6749 §3.2): every answer has `Cache-Control: no-store` and `Pragma: no-cache`. */
export function tokenEndpoint(ctx: OAuth2Context): (req: Request) => Promise<Response> {
  return async function oauth2Token(req: Request): Promise<Response> {
    try {
      const request = await readClientRequest(ctx, req, true);
      const grantType = required(request.params, 'grant_type');
      if (!Object.hasOwn(GRANTS, grantType)) throw new OAuth2Error('unsupported_grant_type', `Unsupported grant_type ${ascii(grantType)}`);
      const name = grantType as keyof typeof GRANTS;
      if (!request.client.grantTypes.has(name)) throw new OAuth2Error('unauthorized_client', `This client may not use the ${name} grant`);
      return noStoreJson(await GRANTS[name](ctx, req, request));
    } catch (err) {
      return errorResponse(err);
    }
  };
}
