import type { Request } from '../../request.js';
import { Response } from '../../response.js';
import type { OAuth2Context } from './oauth2-context.js';
import { OAuth2Error } from './oauth2-error.js';
import { errorResponse, NO_STORE } from './oauth2-response.js';
import { revokeFamily, tokenHash } from './token-issuer.js';
import { verifiedAccessToken } from './token-lookup.js';
import { readClientRequest } from './token-request.js';

/**
 * Token revocation (RFC 7009): a client revokes its own access token (that token) or refresh
 * token (its whole family, with the access tokens issued in it). Unknown, invalid or foreign
 * tokens get the same empty 200, so the endpoint tells nothing about them.
 */
export function revocationEndpoint(ctx: OAuth2Context): (req: Request) => Promise<Response> {
  return async function oauth2Revoke(req: Request): Promise<Response> {
    try {
      const { params, client } = await readClientRequest(ctx, req, true);
      const token = params.get('token');
      if (token === undefined) throw new OAuth2Error('invalid_request', 'Missing token');
      if (token.includes('.')) {
        const p = await verifiedAccessToken(ctx, token);
        if (p !== null && p.client_id === client.id) {
          const exp = typeof p.exp === 'number' ? p.exp * 1000 : Date.now() + ctx.accessTokenLifetime * 1000;
          await ctx.store.revokeAccessToken(p.jti as string, exp);
        }
      } else {
        const found = await ctx.store.findRefreshToken(tokenHash(token));
        if (found !== null && found.record.clientId === client.id) {
          await revokeFamily(ctx, found.record.familyId);
        }
      }
      return new Response(null, { status: 200, headers: NO_STORE });
    } catch (err) {
      return errorResponse(err);
    }
  };
}
