import type { Request } from '../../request.js';
import { type ClientCredentials, checkClient, invalidClient, readClientCredentials } from './client-auth.js';
import type { OAuth2Client } from './oauth2-client.js';
import type { OAuth2Context } from './oauth2-context.js';
import { OAuth2Error } from './oauth2-error.js';
import { readParams } from './oauth2-params.js';

/** A back-channel request (token, introspection, revocation): its parameters and its authenticated client. */
export interface ClientRequest {
  readonly params: Map<string, string>;
  readonly client: OAuth2Client;
  readonly credentials: ClientCredentials;
}

/**
 * Reads a back-channel POST: an `application/x-www-form-urlencoded` body (RFC 6749 §3.2) and the
 * client's authentication. `allowPublic`: whether a public client (no secret) may call.
 */
export async function readClientRequest(ctx: OAuth2Context, req: Request, allowPublic: boolean): Promise<ClientRequest> {
  const type = (req.headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') throw new OAuth2Error('invalid_request', 'Expected an application/x-www-form-urlencoded body');
  const params = readParams(await req.text());
  const credentials = readClientCredentials(req.headers.get('authorization'), params, ctx.realm);
  if (credentials === null) throw invalidClient(ctx.realm, 'Client authentication required');
  const client = checkClient(credentials, await ctx.findClient(credentials.clientId), ctx.realm);
  if (!allowPublic && client.secretHash === null) throw invalidClient(ctx.realm, 'This endpoint needs client authentication: public clients may not call it');
  return { params, client, credentials };
}
