// A real OAuth 2.0 client (oauth4webapi) against an OAuth2Server listening on 127.0.0.1: the
// whole authorization code + PKCE flow, refresh, introspection and revocation, and access
// tokens verified by resource servers (jose with the JWKS endpoint, JWTAuth with the public key).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as jose from 'jose';
import * as oauth from 'oauth4webapi';
import { CovetApp } from '../../../src/index.js';
import { CSRFProtection, JWTAuth, OAuth2Server } from '../../../src/security/index.js';
import { withServer } from '../../helpers/server.js';

const CB = 'http://127.0.0.1:9/callback';
const insecure = { [oauth.allowInsecureRequests]: true } as const;

function makeApp(): { app: CovetApp; oauth2: OAuth2Server } {
  const oauth2 = new OAuth2Server({
    scopes: { read: 'Read', write: 'Write' },
    defaultScopes: ['read'],
    clients: {
      web: { secret: 'web-secret', redirectUris: [CB] },
      spa: { redirectUris: [CB] },
      rs: { secret: 'rs-secret', grantTypes: ['client_credentials'] },
    },
    authenticateUser: (req) => (req.headers.get('x-user') === 'alice' ? { id: 'alice' } : null),
  });
  const app = new CovetApp();
  app.includeOAuth2(oauth2);
  app.get('/api/me', oauth2.jwtAuth.requireToken(async (req) => ({ sub: req.state.user.sub, scope: req.state.user.scope })));
  return { app, oauth2 };
}

async function discover(url: string): Promise<oauth.AuthorizationServer> {
  const issuer = new URL(url);
  return oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...insecure }));
}

/** Plays the browser: the user (signed in as alice) is sent to the authorization endpoint and back. */
async function authorizeInBrowser(as: oauth.AuthorizationServer, clientId: string, scope: string): Promise<{ callback: URL; state: string; verifier: string }> {
  const verifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const url = new URL(as.authorization_endpoint as string);
  url.searchParams.set('client_id', clientId);
  url.searchParams.set('redirect_uri', CB);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('scope', scope);
  url.searchParams.set('code_challenge', await oauth.calculatePKCECodeChallenge(verifier));
  url.searchParams.set('code_challenge_method', 'S256');
  url.searchParams.set('state', state);
  const res = await fetch(url, { redirect: 'manual', headers: { 'x-user': 'alice' } });
  assert.equal(res.status, 302);
  return { callback: new URL(res.headers.get('location') as string), state, verifier };
}

describe('OAuth2Server with oauth4webapi (real client, real socket)', () => {
  it('runs discovery, code + PKCE (confidential, Basic), refresh, introspection and revocation', async () => {
    const { app } = makeApp();
    await withServer(app, async ({ url }) => {
      const as = await discover(url);
      assert.equal(as.issuer, url);
      const client: oauth.Client = { client_id: 'web' };
      const auth = oauth.ClientSecretBasic('web-secret');

      const { callback, state, verifier } = await authorizeInBrowser(as, 'web', 'read write');
      const params = oauth.validateAuthResponse(as, client, callback, state);
      const tokenRes = await oauth.authorizationCodeGrantRequest(as, client, auth, params, CB, verifier, insecure);
      const tokens = await oauth.processAuthorizationCodeResponse(as, client, tokenRes);
      assert.equal(tokens.token_type, 'bearer');
      assert.equal(tokens.scope, 'read write');
      assert.equal(tokens.expires_in, 3600);
      assert.ok(tokens.refresh_token);

      // A protected resource of the same app accepts the token.
      const me = await oauth.protectedResourceRequest(tokens.access_token, 'GET', new URL('/api/me', url), undefined, undefined, insecure);
      assert.deepEqual(await me.json(), { sub: 'alice', scope: 'read write' });

      // Refresh (rotation): a new pair.
      const refreshed = await oauth.processRefreshTokenResponse(as, client, await oauth.refreshTokenGrantRequest(as, client, auth, tokens.refresh_token as string, insecure));
      assert.notEqual(refreshed.refresh_token, tokens.refresh_token);
      assert.notEqual(refreshed.access_token, tokens.access_token);

      // Introspection.
      const info = await oauth.processIntrospectionResponse(as, client, await oauth.introspectionRequest(as, client, auth, refreshed.access_token, insecure));
      assert.equal(info.active, true);
      assert.equal(info.sub, 'alice');
      assert.equal(info.client_id, 'web');
      assert.equal(info.scope, 'read write');
      assert.equal(info.iss, url);
      const old = await oauth.processIntrospectionResponse(as, client, await oauth.introspectionRequest(as, client, auth, tokens.refresh_token as string, insecure));
      assert.equal(old.active, false);

      // Revocation of the refresh token ends the family.
      await oauth.processRevocationResponse(await oauth.revocationRequest(as, client, auth, refreshed.refresh_token as string, insecure));
      const after = await oauth.processIntrospectionResponse(as, client, await oauth.introspectionRequest(as, client, auth, refreshed.access_token, insecure));
      assert.equal(after.active, false);
      await assert.rejects(
        oauth.processRefreshTokenResponse(as, client, await oauth.refreshTokenGrantRequest(as, client, auth, refreshed.refresh_token as string, insecure)),
        (err: unknown) => err instanceof oauth.ResponseBodyError && err.error === 'invalid_grant' && err.status === 400,
      );
      // Revoking something unknown is fine.
      await oauth.processRevocationResponse(await oauth.revocationRequest(as, client, auth, 'not-a-token', insecure));
    });
  });

  it('runs code + PKCE for a public client, and reports a replayed code as invalid_grant', async () => {
    const { app } = makeApp();
    await withServer(app, async ({ url }) => {
      const as = await discover(url);
      const client: oauth.Client = { client_id: 'spa' };
      const { callback, state, verifier } = await authorizeInBrowser(as, 'spa', 'read');
      const params = oauth.validateAuthResponse(as, client, callback, state);
      const tokens = await oauth.processAuthorizationCodeResponse(as, client, await oauth.authorizationCodeGrantRequest(as, client, oauth.None(), params, CB, verifier, insecure));
      assert.equal(tokens.scope, 'read');
      await assert.rejects(
        oauth.processAuthorizationCodeResponse(as, client, await oauth.authorizationCodeGrantRequest(as, client, oauth.None(), params, CB, verifier, insecure)),
        (err: unknown) => err instanceof oauth.ResponseBodyError && err.error === 'invalid_grant' && err.error_description === 'Authorization code already used',
      );
      const rs: oauth.Client = { client_id: 'rs' };
      const info = await oauth.processIntrospectionResponse(as, rs, await oauth.introspectionRequest(as, rs, oauth.ClientSecretPost('rs-secret'), tokens.access_token, insecure));
      assert.equal(info.active, false);
    });
  });

  it('sees an authorization error with its state through validateAuthResponse', async () => {
    const { app } = makeApp();
    await withServer(app, async ({ url }) => {
      const as = await discover(url);
      const client: oauth.Client = { client_id: 'web' };
      const { callback, state } = await authorizeInBrowser(as, 'web', 'delete');
      assert.throws(
        () => oauth.validateAuthResponse(as, client, callback, state),
        (err: unknown) => err instanceof oauth.AuthorizationResponseError && err.error === 'invalid_scope',
      );
    });
  });

  it('issues RFC 9068 access tokens that oauth4webapi validates as a resource server (typ at+jwt, aud the issuer)', async () => {
    const { app } = makeApp();
    await withServer(app, async ({ url }) => {
      const as = await discover(url);
      const client: oauth.Client = { client_id: 'web' };
      const { callback, state, verifier } = await authorizeInBrowser(as, client.client_id, 'read write');
      const params = oauth.validateAuthResponse(as, client, callback, state);
      const res = await oauth.authorizationCodeGrantRequest(as, client, oauth.ClientSecretBasic('web-secret'), params, CB, verifier, insecure);
      const tokens = await oauth.processAuthorizationCodeResponse(as, client, res);
      const request = new Request(`${url}/api/data`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
      const claims = await oauth.validateJwtAccessToken(as, request, url, insecure);
      assert.deepEqual([claims.iss, claims.aud, claims.sub, claims.client_id, claims.scope], [url, url, 'alice', 'web', 'read write']);
      await assert.rejects(
        oauth.validateJwtAccessToken(as, request.clone(), 'https://other.example', insecure),
        (err: unknown) => err instanceof oauth.OperationProcessingError && /"aud"/.test(err.message),
      );
    });
  });

  it('issues client-credentials tokens that jose (via JWKS) and a public-key JWTAuth verify', async () => {
    const { app } = makeApp();
    await withServer(app, async ({ url }) => {
      const as = await discover(url);
      const client: oauth.Client = { client_id: 'rs' };
      const res = await oauth.clientCredentialsGrantRequest(as, client, oauth.ClientSecretPost('rs-secret'), { scope: 'read' }, insecure);
      const tokens = await oauth.processClientCredentialsResponse(as, client, res);
      assert.equal(tokens.refresh_token, undefined);

      const jwks = jose.createRemoteJWKSet(new URL(as.jwks_uri as string));
      const { payload, protectedHeader } = await jose.jwtVerify(tokens.access_token, jwks, { issuer: url, audience: url, typ: 'at+jwt', algorithms: ['ES256'] });
      assert.equal(protectedHeader.alg, 'ES256');
      assert.equal(payload.sub, 'rs');
      assert.equal(payload.client_id, 'rs');
      assert.equal(payload.scope, 'read');

      // A separate resource server that only has the public key.
      const keys = (await (await fetch(as.jwks_uri as string)).json()) as { keys: Record<string, unknown>[] };
      const resource = new JWTAuth({ algorithm: 'ES256', publicKey: keys.keys[0] as Record<string, string>, issuer: url });
      const claims = await resource.verifyToken(tokens.access_token);
      assert.equal(claims.sub, 'rs');
      const rsApp = new CovetApp();
      rsApp.get('/data', resource.requireToken(async (req) => ({ client: req.state.user.client_id })));
      const r = await rsApp.inject({ url: '/data', headers: { authorization: `Bearer ${tokens.access_token}` } });
      assert.equal(r.status, 200);
      assert.deepEqual(JSON.parse(r.body.toString()), { client: 'rs' });
    });
  });

  it('works behind the seed\'s CSRFProtection: token, introspection and revocation are exempt; the consent POST is not', async () => {
    const { app } = makeApp();
    app.addMiddleware(new CSRFProtection({ secretKey: 'csrf-secret-key', safeMethods: ['GET', 'HEAD', 'OPTIONS'], exemptPaths: ['/api/webhook'] }));
    app.post('/api/notes', () => ({ saved: true }));
    await withServer(app, async ({ url }) => {
      // Metadata and JWKS are public documents: no CSRF cookie, and shared caches may keep them.
      // (This server has no configured issuer, so its metadata follows Host and is not cached.)
      const documents = { '/.well-known/oauth-authorization-server': 'no-store', '/.well-known/jwks.json': 'public, max-age=3600' };
      for (const [path, cacheControl] of Object.entries(documents)) {
        const doc = await fetch(`${url}${path}`);
        assert.deepEqual([doc.status, doc.headers.getSetCookie(), doc.headers.get('cache-control')], [200, [], cacheControl], path);
      }
      const as = await discover(url);
      const client: oauth.Client = { client_id: 'rs' };
      const auth = oauth.ClientSecretBasic('rs-secret');
      const res = await oauth.clientCredentialsGrantRequest(as, client, auth, { scope: 'read' }, insecure);
      assert.equal(res.status, 200);
      assert.deepEqual(res.headers.getSetCookie(), [], 'no CSRF cookie on a client-authenticated endpoint');
      const tokens = await oauth.processClientCredentialsResponse(as, client, res);
      assert.equal(tokens.token_type, 'bearer');
      assert.equal(tokens.scope, 'read');

      const info = await oauth.processIntrospectionResponse(as, client, await oauth.introspectionRequest(as, client, auth, tokens.access_token, insecure));
      assert.equal(info.active, true);
      assert.equal(info.client_id, 'rs');
      const revoked = await oauth.revocationRequest(as, client, auth, tokens.access_token, insecure);
      assert.equal(revoked.status, 200);
      await oauth.processRevocationResponse(revoked);
      const after = await oauth.processIntrospectionResponse(as, client, await oauth.introspectionRequest(as, client, auth, tokens.access_token, insecure));
      assert.equal(after.active, false);

      // The user's consent (POST to the authorization endpoint) and the app's own routes stay protected.
      const consent = await fetch(`${url}/oauth/authorize`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-user': 'alice' },
        body: new URLSearchParams({ response_type: 'code', client_id: 'spa', redirect_uri: CB, code_challenge: 'x'.repeat(43), code_challenge_method: 'S256' }),
        redirect: 'manual',
      });
      assert.equal(consent.status, 403);
      assert.deepEqual(await consent.json(), { error: 'CSRF token missing' });
      const notes = await fetch(`${url}/api/notes`, { method: 'POST' });
      assert.equal(notes.status, 403);
      assert.deepEqual(await notes.json(), { error: 'CSRF token missing' });
    });
  });
});
