import type { Request } from '../../request.js';
import type { Response } from '../../response.js';
import type { OAuth2Context } from './oauth2-context.js';
import { OAuth2Error } from './oauth2-error.js';
import { errorResponse, noStoreJson } from './oauth2-response.js';
import { liveRefreshToken, verifiedAccessToken } from './token-lookup.js';
import { readClientRequest } from './token-request.js';

/**
 * Token introspection (RFC 7662) for confidential clients (resource servers): `{ active: false }`
 * for anything not live, else the token's claims. The hint only changes the lookup order.
 */
export function introspectionEndpoint(ctx: OAuth2Context): (req: Request) => Promise<Response> {
  return async function oauth2Introspect(req: Request): Promise<Response> {
    try {
      const { params } = await readClientRequest(ctx, req, false);
      const token = params.get('token');
      if (token === undefined) throw new OAuth2Error('invalid_request', 'Missing token');
      const refreshFirst = params.get('token_type_hint') === 'refresh_token';
      const lookups = refreshFirst ? [refresh, access] : [access, refresh];
      for (const lookup of lookups) {
        const body = await lookup(ctx, token);
        if (body !== null) return noStoreJson(body);
      }
      return noStoreJson({ active: false });
    } catch (err) {
      return errorResponse(err);
    }
  };
}

async function access(ctx: OAuth2Context, token: string): Promise<Record<string, unknown> | null> {
  // Opaque refresh tokens have no dots: skip the JWT parse for them.
  if (!token.includes('.')) return null;
  const p = await verifiedAccessToken(ctx, token);
  if (p === null) return null;
  const body: Record<string, unknown> = { active: true, token_type: 'Bearer', client_id: p.client_id };
  for (const key of ['scope', 'sub', 'aud', 'iss', 'exp', 'iat', 'nbf', 'jti'] as const) if (p[key] !== undefined) body[key] = p[key];
  return body;
}

async function refresh(ctx: OAuth2Context, token: string): Promise<Record<string, unknown> | null> {
  if (token.includes('.')) return null;
  const r = await liveRefreshToken(ctx, token);
  if (r === null) return null;
  const body: Record<string, unknown> = { active: true, client_id: r.clientId, sub: r.subject, exp: Math.floor(r.expiresAt / 1000) };
  if (r.scope !== '') body.scope = r.scope;
  return body;
}
