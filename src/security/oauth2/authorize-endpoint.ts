import { HTTPException } from '../../errors.js';
import type { Request } from '../../request.js';
import { Response } from '../../response.js';
import type { OAuth2Context } from './oauth2-context.js';
import { OAuth2Error, type OAuth2ErrorCode } from './oauth2-error.js';
import { ascii, readParams } from './oauth2-params.js';
import { errorPage } from './oauth2-response.js';
import { isValidChallenge } from './pkce.js';
import { grantScopes } from './scope.js';
import { newFamilyId, randomToken, tokenHash } from './token-issuer.js';

/** Where the user agent goes back to, with the response parameters appended to the query. */
function redirectTo(req: Request, uri: string, params: Record<string, string | undefined>): Response {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined) query.set(key, value);
  const location = `${uri}${uri.includes('?') ? '&' : '?'}${query.toString()}`;
  // 303 after a POSTed consent form, so the browser follows with GET.
  return new Response(null, { status: req.method === 'POST' ? 303 : 302, headers: { location, 'cache-control': 'no-store' } });
}

/**
 * A loopback IP redirect URI of a native app (RFC 8252 §7.3): `http://127.0.0.1[:port]…` or
 * `http://[::1][:port]…`. Groups: the host, the port, and the rest (path and query).
 */
const LOOPBACK = /^http:\/\/(127\.0\.0\.1|\[::1\])(?::(\d{1,5}))?([/?][^#]*)?$/;

/**
 * Whether `given` is one of the client's redirect URIs: character for character, except that a
 * loopback IP URI may name any port (RFC 8252 §7.3: native apps listen on a port the system
 * picks at the time of the request). Host, path and query must still match exactly.
 */
function isRegistered(registered: readonly string[], given: string): boolean {
  if (registered.includes(given)) return true;
  const g = LOOPBACK.exec(given);
  if (g === null || (g[2] !== undefined && Number(g[2]) > 65535)) return false;
  return registered.some((uri) => {
    const r = LOOPBACK.exec(uri);
    return r !== null && r[1] === g[1] && (r[3] ?? '') === (g[3] ?? '');
  });
}

async function requestParams(req: Request): Promise<Map<string, string>> {
  if (req.method !== 'POST') return readParams(req.url.query);
  const type = (req.headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') throw new OAuth2Error('invalid_request', 'Expected an application/x-www-form-urlencoded body');
  return readParams(await req.text());
}

/**
 * The authorization endpoint (RFC 6749 §4.1.1, RFC 7636): checks the client and redirect URI
 * (failures show an error page and never redirect), then the request (failures redirect back
 * with `error`), asks `authenticateUser` who the user is, and redirects with a one-time `code`,
 * the `state` and `iss` (RFC 9207).
 *
 * `HEAD` is refused with 405 (the route is registered with `exposeHeadRoute: false`, and a
 * `HEAD` reaching the handler otherwise is refused here): a `GET` here is not safe (it signs the
 * user in and issues a code), so a `HEAD` cannot answer with `GET`'s headers without the same
 * side effects — and a link checker or mail scanner probing the URL must not mint codes.
 */
export function authorizeEndpoint(ctx: OAuth2Context): (req: Request) => Promise<Response> {
  return async function oauth2Authorize(req: Request): Promise<Response> {
    if (req.method === 'HEAD') {
      throw new HTTPException(405, 'Method Not Allowed', { headers: { allow: 'GET, POST, OPTIONS' }, code: 'ERR_METHOD_NOT_ALLOWED' });
    }
    let params: Map<string, string>;
    try {
      params = await requestParams(req);
    } catch (err) {
      if (err instanceof OAuth2Error) return errorPage(req, err);
      throw err;
    }
    const clientId = params.get('client_id');
    if (clientId === undefined) return errorPage(req, new OAuth2Error('invalid_request', 'Missing client_id'));
    const client = await ctx.findClient(clientId);
    if (client === null) return errorPage(req, new OAuth2Error('invalid_client', 'Unknown client'));
    const given = params.get('redirect_uri');
    let redirectUri: string;
    if (given === undefined) {
      // RFC 6749 §3.1.2.3: may be left out only when exactly one is registered.
      const only = client.redirectUris.length === 1 ? client.redirectUris[0] : undefined;
      if (only === undefined) return errorPage(req, new OAuth2Error('invalid_request', 'Missing redirect_uri'));
      redirectUri = only;
    } else if (isRegistered(client.redirectUris, given)) {
      redirectUri = given;
    } else {
      return errorPage(req, new OAuth2Error('invalid_request', 'redirect_uri is not registered for this client'));
    }

    const issuer = ctx.issuerFor(req);
    const state = params.get('state');
    const fail = (error: OAuth2ErrorCode, description: string): Response =>
      redirectTo(req, redirectUri, { error, error_description: description, state, iss: issuer });

    const responseType = params.get('response_type');
    if (responseType === undefined) return fail('invalid_request', 'Missing response_type');
    if (responseType !== 'code') return fail('unsupported_response_type', `Unsupported response_type ${ascii(responseType)}: only code`);
    if (!client.grantTypes.has('authorization_code')) return fail('unauthorized_client', 'This client may not use the authorization code grant');
    let scope: string;
    try {
      scope = grantScopes(params.get('scope'), client.scopes, client.defaultScopes);
    } catch (err) {
      if (err instanceof OAuth2Error) return fail(err.error, err.description ?? err.error);
      throw err;
    }

    const challenge = params.get('code_challenge');
    const methodParam = params.get('code_challenge_method');
    let method: 'S256' | 'plain' | null = null;
    if (challenge === undefined) {
      if (methodParam !== undefined) return fail('invalid_request', 'code_challenge_method without code_challenge');
      if (client.requirePkce) return fail('invalid_request', 'PKCE is required: send code_challenge with code_challenge_method=S256');
    } else {
      // RFC 7636 §4.3: no method means plain.
      const m = methodParam ?? 'plain';
      if (m !== 'S256' && m !== 'plain') return fail('invalid_request', `Unsupported code_challenge_method ${ascii(m)}`);
      if (m === 'plain' && !client.allowPlainPkce) return fail('invalid_request', 'code_challenge_method plain is not allowed: use S256');
      if (!isValidChallenge(challenge, m)) return fail('invalid_request', 'Malformed code_challenge');
      method = m;
    }

    const authenticate = ctx.authenticateUser;
    if (authenticate === undefined) {
      return errorPage(
        req,
        new OAuth2Error('server_error', 'This authorization server has no authenticateUser hook, so it cannot sign users in', { status: 501 }),
      );
    }
    let user: Awaited<ReturnType<typeof authenticate>>;
    try {
      user = await authenticate(req);
    } catch (err) {
      ctx.logError('OAuth2 authenticateUser hook failed', err);
      return fail('server_error', 'The authorization server could not authenticate the user');
    }
    if (user instanceof Response) return user;
    if (user === null || user === undefined) return fail('access_denied', 'The user did not authorize the request');
    if ((typeof user.id !== 'string' || user.id === '') && (typeof user.id !== 'number' || !Number.isFinite(user.id))) {
      ctx.logError('OAuth2 authenticateUser hook returned a user without an id', new TypeError('user.id must be a string or number'));
      return fail('server_error', 'The authorization server could not authenticate the user');
    }

    const code = randomToken();
    await ctx.store.saveCode({
      codeHash: tokenHash(code),
      clientId: client.id,
      redirectUri,
      redirectUriGiven: given !== undefined,
      scope,
      subject: String(user.id),
      codeChallenge: challenge ?? null,
      codeChallengeMethod: method,
      familyId: newFamilyId(),
      expiresAt: Date.now() + ctx.codeLifetime * 1000,
    });
    return redirectTo(req, redirectUri, { code, state, iss: issuer });
  };
}
