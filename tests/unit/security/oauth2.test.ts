import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Validator as OpenAPISchemaValidator } from '@seriousme/openapi-schema-validator';
import * as jose from 'jose';
import * as oauth from 'oauth4webapi';
import { CovetApp, html } from '../../../src/index.js';
import { OAuth2Server } from '../../../src/security/index.js';
import { TestClient } from '../../../src/testing/index.js';
import { memoryLogger } from '../../helpers/server.js';
import {
  assertError,
  authorize,
  basic,
  CB,
  challenge,
  introspect,
  ISSUER,
  redirected,
  SVC_SECRET,
  setup,
  spaCode,
  spaTokens,
  token,
  verifier,
  WEB_SECRET,
} from './oauth2-fixtures.js';

const spaAuth = (extra: Record<string, string> = {}) => {
  const v = verifier();
  return { response_type: 'code', client_id: 'spa', redirect_uri: CB, code_challenge: challenge(v), code_challenge_method: 'S256', state: 'xyz', ...extra };
};

describe('OAuth2Server: metadata and set-up', () => {
  it('serves RFC 8414 metadata at /.well-known/oauth-authorization-server', async () => {
    await using client = setup().client;
    const res = await client.get('/.well-known/oauth-authorization-server');
    assert.equal(res.status, 200);
    assert.deepEqual(res.json(), {
      issuer: ISSUER,
      authorization_endpoint: `${ISSUER}/oauth/authorize`,
      token_endpoint: `${ISSUER}/oauth/token`,
      introspection_endpoint: `${ISSUER}/oauth/introspect`,
      revocation_endpoint: `${ISSUER}/oauth/revoke`,
      jwks_uri: `${ISSUER}/.well-known/jwks.json`,
      scopes_supported: ['read', 'write', 'admin'],
      response_types_supported: ['code'],
      response_modes_supported: ['query'],
      grant_types_supported: ['authorization_code', 'client_credentials', 'refresh_token'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
      introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      revocation_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
      code_challenge_methods_supported: ['S256', 'plain'],
      authorization_response_iss_parameter_supported: true,
    });
  });

  it('constructs and serves the seed example (no key, no authenticateUser): ephemeral ES256 key, JWKS, 501 at authorize', async () => {
    const oauth2 = new OAuth2Server({
      authorizationEndpoint: '/oauth/authorize',
      tokenEndpoint: '/oauth/token',
      clients: { client_id: { secret: 'client_secret', redirectUris: ['http://localhost:3000/callback'] } },
    });
    const app = new CovetApp();
    app.includeOAuth2(oauth2);
    assert.deepEqual(app.oauth2Servers, [oauth2]);
    await using client = new TestClient(app);
    const meta = (await client.get('/.well-known/oauth-authorization-server')).json() as Record<string, unknown>;
    assert.equal(meta.issuer, 'http://testserver');
    assert.equal(meta.jwks_uri, 'http://testserver/.well-known/jwks.json');
    assert.equal(meta.scopes_supported, undefined);
    const jwks = (await client.get('/.well-known/jwks.json')).json() as { keys: { alg: string; kty: string }[] };
    assert.equal(jwks.keys.length, 1);
    assert.equal(jwks.keys[0]?.alg, 'ES256');
    const res = await client.get(`/oauth/authorize?response_type=code&client_id=client_id&state=s`);
    assertError(res, 501, {
      error: 'server_error',
      error_description: 'This authorization server has no authenticateUser hook, so it cannot sign users in',
    });
    assert.equal(res.headers.get('location'), null);
    // Client credentials need no user: they work.
    const cc = await token(client, { grant_type: 'client_credentials' }, { authorization: basic('client_id', 'client_secret') });
    assert.equal(cc.status, 200, cc.text);
    const { access_token } = cc.json() as { access_token: string };
    const keySet = jose.createLocalJWKSet(jwks as jose.JSONWebKeySet);
    const { payload, protectedHeader } = await jose.jwtVerify(access_token, keySet, { issuer: 'http://testserver' });
    assert.equal(protectedHeader.alg, 'ES256');
    assert.equal(payload.sub, 'client_id');
    assert.equal(payload.client_id, 'client_id');
  });

  it('signs with a given HS256 secret: no JWKS route, and jose verifies with the secret', async () => {
    const secret = 'an-hs256-secret-of-at-least-32-bytes-0123456789';
    const { client, oauth2 } = setup({ jwt: { secretKey: secret } });
    await using _ = client;
    assert.equal(oauth2.paths.jwks, null);
    assert.equal((await client.get('/.well-known/jwks.json')).status, 404);
    const meta = (await client.get('/.well-known/oauth-authorization-server')).json() as Record<string, unknown>;
    assert.equal(meta.jwks_uri, undefined);
    const { access_token } = await spaTokens(client);
    const { payload } = await jose.jwtVerify(access_token, new TextEncoder().encode(secret), { issuer: ISSUER, algorithms: ['HS256'] });
    assert.equal(payload.sub, 'alice');
  });

  it('describes itself as an OpenAPI 3.1 oauth2 security scheme', () => {
    const scheme = setup().oauth2.securityScheme();
    const scopes = { read: 'Read your data', write: 'Change your data', admin: 'Administer' };
    assert.deepEqual(scheme, {
      type: 'oauth2',
      description: 'OAuth 2.0: authorization code with PKCE, client credentials; JWT bearer access tokens.',
      flows: {
        authorizationCode: { authorizationUrl: `${ISSUER}/oauth/authorize`, tokenUrl: `${ISSUER}/oauth/token`, refreshUrl: `${ISSUER}/oauth/token`, scopes },
        clientCredentials: { tokenUrl: `${ISSUER}/oauth/token`, scopes },
      },
    });
    const relative = new OAuth2Server({ tokenEndpoint: '/auth/token', clients: { a: { secret: 'x', scopes: ['s1'] } } }).securityScheme();
    assert.equal(relative.flows.clientCredentials.tokenUrl, '/auth/token');
    assert.equal(relative.flows.authorizationCode.authorizationUrl, '/oauth/authorize');
    assert.deepEqual(relative.flows.authorizationCode.scopes, { s1: '' });
  });

  it("appears in the app's OpenAPI document as a valid oauth2 security scheme", async () => {
    const { app, oauth2 } = setup();
    const doc = app.openapi();
    assert.deepEqual(doc.components?.securitySchemes?.oauth2, oauth2.securityScheme());
    const result = await new OpenAPISchemaValidator().validate(structuredClone(doc) as unknown as Record<string, unknown>);
    assert.equal(result.valid, true, JSON.stringify(result.errors, null, 2));
  });

  it('without a configured issuer, takes it from Host (a malformed Host gives localhost), uncached', async () => {
    const app = new CovetApp().includeOAuth2(new OAuth2Server({ clients: {} }));
    const meta = async (host: string) => {
      const res = await app.inject({ url: '/.well-known/oauth-authorization-server', headers: { host } });
      assert.equal(res.headers.get('cache-control'), 'no-store');
      return (JSON.parse(res.body.toString()) as { issuer: string; token_endpoint: string });
    };
    assert.deepEqual(await meta('auth.example:8443'), { ...(await meta('auth.example:8443')), issuer: 'http://auth.example:8443', token_endpoint: 'http://auth.example:8443/oauth/token' });
    assert.equal((await meta('evil.example/<script>')).issuer, 'http://localhost');
    assert.equal((await meta('a b')).issuer, 'http://localhost');
  });

  it('puts the metadata of an issuer with a path at /.well-known/oauth-authorization-server/<path>', async () => {
    const oauth2 = new OAuth2Server({ issuer: 'https://auth.example/tenant-a/', clients: {} });
    assert.equal(oauth2.issuer, 'https://auth.example/tenant-a/');
    assert.equal(oauth2.paths.metadata, '/.well-known/oauth-authorization-server/tenant-a');
    const app = new CovetApp().includeOAuth2(oauth2);
    const res = await app.inject({ url: '/.well-known/oauth-authorization-server/tenant-a' });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('cache-control'), 'public, max-age=3600');
    assert.equal((JSON.parse(res.body.toString()) as { issuer: string }).issuer, 'https://auth.example/tenant-a/');
  });

  it('keeps the issuer exactly as configured (RFC 8414 §3.3): strict clients and resource servers compare it as a string', async () => {
    for (const issuer of ['https://auth.example/tenant-a/', 'https://auth.example/tenant-a', 'https://auth.example/']) {
      const oauth2 = new OAuth2Server({ issuer, clients: { svc: { secret: 'svc-secret', grantTypes: ['client_credentials'] } } });
      const app = new CovetApp().includeOAuth2(oauth2);
      await using client = new TestClient(app);
      const meta = await client.get(oauth2.paths.metadata);
      // oauth4webapi's discovery refuses metadata whose issuer is not the one it asked for.
      const as = await oauth.processDiscoveryResponse(new URL(issuer), new Response(meta.text, { status: 200, headers: { 'content-type': 'application/json' } }));
      assert.equal(as.issuer, issuer);
      const cc = await client.post('/oauth/token', { form: { grant_type: 'client_credentials', client_id: 'svc', client_secret: 'svc-secret' } });
      const { access_token } = cc.json() as { access_token: string };
      const { payload } = await jose.jwtVerify(access_token, jose.createLocalJWKSet(oauth2.jwks() as jose.JSONWebKeySet), { typ: 'at+jwt', issuer, audience: issuer });
      assert.deepEqual([payload.iss, payload.aud], [issuer, issuer]);
    }
  });

  it('takes jwt.issuer as the issuer and jwt.expirationTime as the lifetime: the tokens it signs are the ones it accepts', async () => {
    const secret = 'an-hs256-secret-of-at-least-32-bytes-0123456789';
    const clients = { spa: { redirectUris: [CB] }, web: { secret: WEB_SECRET, redirectUris: [CB] } };
    for (const options of [{ jwt: { secretKey: secret, issuer: ISSUER } }, { issuer: `${ISSUER}/`, jwt: { secretKey: secret, issuer: `${ISSUER}/` } }]) {
      const oauth2 = new OAuth2Server({ ...options, clients, authenticateUser: () => ({ id: 'alice' }) });
      const issuer = options.jwt.issuer;
      assert.equal(oauth2.issuer, issuer);
      const app = new CovetApp();
      app.includeOAuth2(oauth2);
      app.get('/api/me', oauth2.jwtAuth.requireToken(async (req) => ({ sub: req.state.user.sub })));
      await using client = new TestClient(app);
      const { access_token } = await spaTokens(client);
      const me = await client.get('/api/me', { headers: { authorization: `Bearer ${access_token}` } });
      assert.deepEqual([me.status, me.json()], [200, { sub: 'alice' }], JSON.stringify(options));
      const info = await introspect(client, access_token);
      assert.deepEqual([info.active, info.iss], [true, issuer]);
      assert.equal(((await client.get('/.well-known/oauth-authorization-server')).json() as Record<string, unknown>).issuer, issuer);
    }
    // jwt.expirationTime is the access-token lifetime (expires_in and exp agree).
    const short = new OAuth2Server({ jwt: { secretKey: secret, expirationTime: 900 }, clients: { svc: { secret: 'x', grantTypes: ['client_credentials'] } } });
    assert.equal(short.jwtAuth.algorithm, 'HS256');
    const app = new CovetApp();
    app.includeOAuth2(short);
    await using client = new TestClient(app);
    const cc = await client.post('/oauth/token', { form: { grant_type: 'client_credentials' }, headers: { authorization: basic('svc', 'x') } });
    const body = cc.json() as { access_token: string; expires_in: number };
    const claims = jose.decodeJwt(body.access_token);
    assert.deepEqual([body.expires_in, (claims.exp ?? 0) - (claims.iat ?? 0)], [900, 900]);
    assert.throws(() => new OAuth2Server({ accessTokenLifetime: 600, jwt: { secretKey: secret, expirationTime: 900 } }), {
      code: 'ERR_OAUTH2_OPTIONS',
      message: 'OAuth2Server accessTokenLifetime and jwt.expirationTime differ: give the lifetime once',
    });
    assert.throws(() => new OAuth2Server({ jwt: { secretKey: secret, expirationTime: 0 } }), { code: 'ERR_OAUTH2_OPTIONS', message: /jwt\.expirationTime/ });
    // Two different issuers cannot both be right.
    // Nor two that differ by a trailing slash: the issuer is compared character for character.
    assert.throws(() => new OAuth2Server({ issuer: `${ISSUER}/`, jwt: { secretKey: secret, issuer: ISSUER } }), { code: 'ERR_OAUTH2_OPTIONS' });
    assert.throws(() => new OAuth2Server({ issuer: ISSUER, jwt: { secretKey: secret, issuer: 'https://other.example' } }), {
      code: 'ERR_OAUTH2_OPTIONS',
      message: 'OAuth2Server issuer and jwt.issuer differ: give the issuer once',
    });
    assert.throws(() => new OAuth2Server({ jwt: { secretKey: secret, issuer: 'my-app' } }), { code: 'ERR_OAUTH2_OPTIONS' });
  });

  it('refuses bad options with ERR_OAUTH2_OPTIONS', () => {
    const bad = [
      { issuer: 'not a url' },
      { issuer: 'https://a.example/?x=1' },
      { tokenEndpoint: 'oauth/token' },
      { accessTokenLifetime: 0 },
      { codeLifetime: 1.5 },
      { clients: { a: { redirectUris: ['/relative'] } } },
      { clients: { a: { redirectUris: ['https://a.example/cb#frag'] } } },
      { clients: { a: { redirectUris: ['javascript:alert(document.location)'] } } },
      { clients: { a: { redirectUris: ['JavaScript://x/%0aalert(1)'] } } },
      { clients: { a: { redirectUris: ['data:text/html,<script>alert(1)</script>'] } } },
      { clients: { a: { redirectUris: ['vbscript:msgbox(1)'] } } },
      { clients: { a: { grantTypes: ['client_credentials' as const] } } },
      { clients: { a: { secret: '' } } },
      { clients: { '': { secret: 'x' } } },
      { realm: 'a"b' },
    ];
    for (const options of bad) assert.throws(() => new OAuth2Server(options), { code: 'ERR_OAUTH2_OPTIONS' }, JSON.stringify(options));
    // Native apps' private-use schemes (RFC 8252 §7.1) and loopback URIs stay allowed.
    assert.doesNotThrow(() => new OAuth2Server({ clients: { native: { redirectUris: ['com.example.app:/oauth2redirect', 'http://127.0.0.1:8080/cb'] } } }));
  });

  it('includeOAuth2 refuses what is not an authorization server', () => {
    assert.throws(() => new CovetApp().includeOAuth2({} as never), TypeError);
  });
});

describe('OAuth2Server: authorization endpoint', () => {
  it('redirects with code, state and iss (302, no-store), for a public client with S256', async () => {
    await using client = setup().client;
    const res = await authorize(client, spaAuth());
    const params = redirected(res);
    assert.deepEqual(Object.keys(params).sort(), ['code', 'iss', 'state']);
    assert.equal(params.state, 'xyz');
    assert.equal(params.iss, ISSUER);
    assert.match(params.code ?? '', /^[A-Za-z0-9_-]{43}$/);
    assert.equal(res.headers.get('cache-control'), 'no-store');
  });

  it('refuses HEAD with 405 and Allow, without calling authenticateUser or issuing a code', async () => {
    let asked = 0;
    let saved = 0;
    const { oauth2, client } = setup({
      authenticateUser: () => {
        asked++;
        return { id: 'alice' };
      },
    });
    await using _ = client;
    const saveCode = oauth2.store.saveCode.bind(oauth2.store);
    oauth2.store.saveCode = (record) => {
      saved++;
      return saveCode(record);
    };
    const res = await client.head(`/oauth/authorize?${new URLSearchParams(spaAuth())}`, { headers: { 'x-user': 'alice' } });
    assert.equal(res.status, 405);
    assert.equal(res.headers.get('allow'), 'GET, POST, OPTIONS');
    assert.equal(res.headers.get('location'), null);
    assert.equal(res.text, '');
    assert.deepEqual([asked, saved], [0, 0]);
    // OPTIONS and other methods give the same Allow, without HEAD.
    const options = await client.options('/oauth/authorize');
    assert.equal(options.status, 204);
    assert.equal(options.headers.get('allow'), 'GET, POST, OPTIONS');
    const put = await client.put('/oauth/authorize');
    assert.equal(put.status, 405);
    assert.equal(put.headers.get('allow'), 'GET, POST, OPTIONS');
    // GET still issues one.
    redirected(await authorize(client, spaAuth()));
    assert.deepEqual([asked, saved], [1, 1]);
  });

  it('accepts the request as a POSTed form too (303)', async () => {
    await using client = setup().client;
    const res = await client.post('/oauth/authorize', { form: spaAuth(), headers: { 'x-user': 'alice' } });
    assert.equal(res.status, 303);
    assert.match(res.headers.get('location') ?? '', /^https:\/\/app\.example\/cb\?code=[^&]+&state=xyz&iss=/);
  });

  it('keeps a registered redirect URI query and appends to it', async () => {
    const { client } = setup({ clients: { q: { redirectUris: ['https://app.example/cb?tenant=a'] } } });
    await using _ = client;
    const res = await authorize(client, { ...spaAuth({ client_id: 'q', redirect_uri: 'https://app.example/cb?tenant=a' }) });
    assert.match(res.headers.get('location') ?? '', /^https:\/\/app\.example\/cb\?tenant=a&code=/);
  });

  it('uses the only registered redirect URI when none is given, and refuses to guess among several', async () => {
    await using client = setup().client;
    const { redirect_uri: _r, ...noRedirect } = spaAuth();
    redirected(await authorize(client, noRedirect));
    const res = await authorize(client, { response_type: 'code', client_id: 'web', state: 's' });
    assertError(res, 400, { error: 'invalid_request', error_description: 'Missing redirect_uri' });
    assert.equal(res.headers.get('location'), null);
  });

  it('never redirects to an unregistered URI (open-redirect attempts): 400 error page', async () => {
    await using client = setup().client;
    const attempts = [
      'https://app.example/cb/../evil',
      'https://app.example.evil.com/cb',
      'https://app.example/cb?extra=1',
      'https://app.example/cb/',
      'https://app.example/cb#frag',
      'HTTPS://APP.EXAMPLE/cb',
      'https://app.example:443/cb',
      'https://app.example/cb%2F..%2Fevil',
      'https://evil.example/?https://app.example/cb',
      'https://user@app.example/cb',
      'http://app.example/cb',
      'https://app.example/c',
    ];
    for (const uri of attempts) {
      const res = await authorize(client, spaAuth({ redirect_uri: uri }));
      assert.equal(res.headers.get('location'), null, uri);
      assertError(res, 400, { error: 'invalid_request', error_description: 'redirect_uri is not registered for this client' });
    }
  });

  it('shows a browser the error page for an unregistered redirect URI, never a redirect', async () => {
    await using client = setup().client;
    const query = new URLSearchParams(spaAuth({ redirect_uri: 'https://evil.example/cb' }));
    const res = await client.get(`/oauth/authorize?${query}`, { headers: { 'x-user': 'alice', accept: 'text/html,application/xhtml+xml,*/*;q=0.8' } });
    assert.equal(res.status, 400);
    assert.equal(res.headers.get('location'), null);
    assert.equal(res.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.equal(res.headers.get('cache-control'), 'no-store');
    assert.equal(
      res.text,
      '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Authorization error</title></head><body><h1>Authorization error</h1>' +
        '<p><code>invalid_request</code></p><p>redirect_uri is not registered for this client</p></body></html>',
    );
  });

  it('lets a native app pick any port for a loopback IP redirect URI (RFC 8252 §7.3), nothing else', async () => {
    const { client } = setup({
      clients: { cli: { redirectUris: ['http://127.0.0.1/callback', 'http://[::1]:8080/cb?x=1', 'http://localhost:3000/callback'] } },
    });
    await using _ = client;
    for (const uri of ['http://127.0.0.1:51004/callback', 'http://127.0.0.1/callback', 'http://[::1]/cb?x=1', 'http://[::1]:65535/cb?x=1']) {
      const v = verifier();
      const res = await authorize(client, spaAuth({ client_id: 'cli', redirect_uri: uri, code_challenge: challenge(v) }));
      assert.equal(res.status, 302, uri);
      const back = new URL(res.headers.get('location') ?? '');
      assert.equal(`${back.origin}${back.pathname}`, new URL(uri).origin + new URL(uri).pathname, uri);
      // The token request names the URI the authorization request used, port and all.
      const code = back.searchParams.get('code') ?? '';
      const form = { grant_type: 'authorization_code', client_id: 'cli', code, code_verifier: v };
      assert.equal((await token(client, { ...form, redirect_uri: uri })).status, 200, uri);
    }
    const other = await authorize(client, spaAuth({ client_id: 'cli', redirect_uri: 'http://127.0.0.1:51004/callback' }));
    const { code } = redirected(other, 'http://127.0.0.1:51004/callback');
    assertError(await token(client, { grant_type: 'authorization_code', client_id: 'cli', code: code ?? '', redirect_uri: 'http://127.0.0.1:51005/callback', code_verifier: verifier() }), 400, {
      error: 'invalid_grant',
      error_description: 'redirect_uri does not match the authorization request',
    });
    const refused = [
      'http://127.0.0.1:51004/callback/',
      'http://127.0.0.1:51004/other',
      'http://127.0.0.1:99999/callback',
      'http://127.0.0.1:51004/callback#x',
      'https://127.0.0.1:51004/callback',
      'http://127.0.0.2:51004/callback',
      'http://[::1]:51004/callback',
      'http://127.0.0.1:51004/cb?x=1',
      'http://[::1]:8080/cb?x=2',
      'http://user@127.0.0.1:51004/callback',
      'http://127.0.0.1:51004@evil.example/callback',
      'http://localhost:51004/callback',
    ];
    for (const uri of refused) {
      const res = await authorize(client, spaAuth({ client_id: 'cli', redirect_uri: uri }));
      assert.equal(res.headers.get('location'), null, uri);
      assertError(res, 400, { error: 'invalid_request', error_description: 'redirect_uri is not registered for this client' });
    }
  });

  it('shows an HTML error page (escaped, framing denied) to browsers', async () => {
    await using client = setup().client;
    const res = await client.get('/oauth/authorize?client_id=<script>&response_type=code', { headers: { accept: 'text/html,*/*' } });
    assert.equal(res.status, 400);
    assert.equal(res.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.equal(res.headers.get('x-frame-options'), 'DENY');
    assert.ok(res.text.includes('<code>invalid_client</code>'));
    assert.ok(res.text.includes('Unknown client'));
    assert.ok(!res.text.includes('<script>'));
  });

  it('answers unknown or missing clients and malformed or duplicated parameters with an error page', async () => {
    await using client = setup().client;
    const cases: [string, string, string][] = [
      ['response_type=code&client_id=nobody', 'invalid_client', 'Unknown client'],
      ['response_type=code', 'invalid_request', 'Missing client_id'],
      ['response_type=code&client_id=', 'invalid_request', 'Missing client_id'],
      ['response_type=code&client_id=spa&client_id=web', 'invalid_request', 'Parameter client_id is repeated'],
      [`response_type=code&client_id=spa&redirect_uri=${encodeURIComponent(CB)}&redirect_uri=https%3A%2F%2Fevil.example%2F`, 'invalid_request', 'Parameter redirect_uri is repeated'],
      ['response_type=code&client_id=spa&state=a&state=b', 'invalid_request', 'Parameter state is repeated'],
      ['response_type=code&client_id=%E0%A4%A', 'invalid_request', 'Malformed request parameters'],
    ];
    for (const [query, error, description] of cases) {
      const res = await client.get(`/oauth/authorize?${query}`, { headers: { 'x-user': 'alice' } });
      assert.equal(res.headers.get('location'), null, query);
      assertError(res, 400, { error, error_description: description });
    }
  });

  it('redirects request errors back to the client with error, error_description, state and iss', async () => {
    await using client = setup().client;
    const v = verifier();
    const cases: [Record<string, string>, string, string][] = [
      [spaAuth({ response_type: '' }), 'invalid_request', 'Missing response_type'],
      [spaAuth({ response_type: 'token' }), 'unsupported_response_type', 'Unsupported response_type token: only code'],
      [spaAuth({ scope: 'read delete' }), 'invalid_scope', 'Scope not allowed for this client: delete'],
      [spaAuth({ scope: 'read  write' }), 'invalid_scope', 'Malformed scope parameter'],
      [spaAuth({ code_challenge: '' }), 'invalid_request', 'code_challenge_method without code_challenge'],
      [spaAuth({ code_challenge: '', code_challenge_method: '' }), 'invalid_request', 'PKCE is required: send code_challenge with code_challenge_method=S256'],
      [spaAuth({ code_challenge: v, code_challenge_method: 'plain' }), 'invalid_request', 'code_challenge_method plain is not allowed: use S256'],
      [spaAuth({ code_challenge: v, code_challenge_method: '' }), 'invalid_request', 'code_challenge_method plain is not allowed: use S256'],
      [spaAuth({ code_challenge_method: 'S512' }), 'invalid_request', 'Unsupported code_challenge_method S512'],
      [spaAuth({ code_challenge: 'too-short' }), 'invalid_request', 'Malformed code_challenge'],
      [spaAuth({ client_id: 'web', redirect_uri: CB, scope: 'admin' }), 'invalid_scope', 'Scope not allowed for this client: admin'],
    ];
    for (const [query, error, description] of cases) {
      const params = redirected(await authorize(client, query));
      assert.deepEqual(params, { error, error_description: description, state: 'xyz', iss: ISSUER }, JSON.stringify(query));
    }
    const noState = redirected(await authorize(client, { response_type: 'token', client_id: 'spa', redirect_uri: CB }));
    assert.equal(noState.state, undefined);
  });

  it('refuses a client not allowed the authorization code grant with unauthorized_client', async () => {
    const { client } = setup({ clients: { m2m: { secret: 'x', redirectUris: [CB], grantTypes: ['client_credentials'] } } });
    await using _ = client;
    assert.deepEqual(redirected(await authorize(client, spaAuth({ client_id: 'm2m' }))), {
      error: 'unauthorized_client',
      error_description: 'This client may not use the authorization code grant',
      state: 'xyz',
      iss: ISSUER,
    });
  });

  it('accepts plain PKCE only from a client that allows it', async () => {
    await using client = setup().client;
    const v = verifier();
    const params = redirected(await authorize(client, spaAuth({ client_id: 'plain', code_challenge: v, code_challenge_method: 'plain' })));
    const res = await token(client, { grant_type: 'authorization_code', code: params.code ?? '', redirect_uri: CB, client_id: 'plain', code_verifier: v });
    assert.equal(res.status, 200, res.text);
  });

  it('supports a consent page that POSTs back: the hook can read the form', async () => {
    const oauth2 = new OAuth2Server({
      issuer: ISSUER,
      clients: { spa: { redirectUris: [CB] } },
      authenticateUser: async (req) => {
        if (req.method === 'GET') return html(`<form method="post"><input type="hidden" name="q" value="${req.url.query}"><button name="approve" value="yes">Allow</button></form>`);
        return (await req.form()).get('approve') === 'yes' ? { id: 'alice' } : null;
      },
    });
    const app = new CovetApp().includeOAuth2(oauth2);
    await using client = new TestClient(app);
    const page = await client.get(`/oauth/authorize?${new URLSearchParams(spaAuth())}`);
    assert.equal(page.status, 200);
    assert.ok(page.text.includes('Allow'));
    const approved = await client.post('/oauth/authorize', { form: { ...spaAuth(), approve: 'yes' } });
    assert.equal(approved.status, 303);
    assert.match(approved.headers.get('location') ?? '', /[?&]code=/);
    const declined = await client.post('/oauth/authorize', { form: { ...spaAuth(), approve: 'no' } });
    assert.match(declined.headers.get('location') ?? '', /[?&]error=access_denied/);
    const wrongType = await client.post('/oauth/authorize', { json: spaAuth() });
    assertError(wrongType, 400, { error: 'invalid_request', error_description: 'Expected an application/x-www-form-urlencoded body' });
  });

  it('asks authenticateUser: null → access_denied; a Response is sent as is; a throw → server_error, logged', async () => {
    const logger = memoryLogger();
    const oauth2 = new OAuth2Server({
      issuer: ISSUER,
      clients: { spa: { redirectUris: [CB] } },
      authenticateUser: (req) => {
        const mode = req.headers.get('x-mode');
        if (mode === 'login') return html('<form>login</form>', 200);
        if (mode === 'throw') throw new Error('session store down');
        if (mode === 'noid') return { id: '' };
        return null;
      },
    });
    const app = new CovetApp({ logger });
    app.includeOAuth2(oauth2);
    await using client = new TestClient(app);
    const q = `/oauth/authorize?${new URLSearchParams(spaAuth())}`;
    assert.deepEqual(redirected(await client.get(q)), { error: 'access_denied', error_description: 'The user did not authorize the request', state: 'xyz', iss: ISSUER });
    const login = await client.get(q, { headers: { 'x-mode': 'login' } });
    assert.equal(login.status, 200);
    assert.equal(login.text, '<form>login</form>');
    const thrown = redirected(await client.get(q, { headers: { 'x-mode': 'throw' } }));
    assert.equal(thrown.error, 'server_error');
    assert.equal((logger.errors[0] as Error).message, 'session store down');
    assert.equal(redirected(await client.get(q, { headers: { 'x-mode': 'noid' } })).error, 'server_error');
  });
});

describe('OAuth2Server: token endpoint, authorization code', () => {
  it('exchanges a code for a JWT access token and a refresh token, no-store and no-cache', async () => {
    const { client, oauth2 } = setup();
    await using _ = client;
    const { code, verifier: v } = await spaCode(client, { scope: 'read write' });
    const res = await token(client, { grant_type: 'authorization_code', code, redirect_uri: CB, client_id: 'spa', code_verifier: v });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    assert.equal(res.headers.get('pragma'), 'no-cache');
    assert.equal(res.headers.get('content-type'), 'application/json; charset=utf-8');
    const body = res.json() as Record<string, unknown>;
    assert.deepEqual(Object.keys(body).sort(), ['access_token', 'expires_in', 'refresh_token', 'scope', 'token_type']);
    assert.equal(body.token_type, 'Bearer');
    assert.equal(body.expires_in, 3600);
    assert.equal(body.scope, 'read write');
    const { payload } = await jose.jwtVerify(String(body.access_token), jose.createLocalJWKSet(oauth2.jwks() as jose.JSONWebKeySet), { issuer: ISSUER });
    assert.equal(payload.sub, 'alice');
    assert.equal(payload.client_id, 'spa');
    assert.equal(payload.scope, 'read write');
    assert.equal((payload.exp ?? 0) - (payload.iat ?? 0), 3600);
    const me = await client.get('/api/me', { headers: { authorization: `Bearer ${String(body.access_token)}` } });
    assert.deepEqual(me.json(), { sub: 'alice', scope: 'read write' });
  });

  it('grants the default scopes when none are asked for', async () => {
    await using client = setup().client;
    assert.equal((await spaTokens(client)).scope, 'read');
  });

  it('lets a confidential client use PKCE too, or not, with Basic or post authentication', async () => {
    await using client = setup().client;
    const v = verifier();
    const withPkce = redirected(await authorize(client, { response_type: 'code', client_id: 'web', redirect_uri: CB, code_challenge: challenge(v), code_challenge_method: 'S256' }));
    const a = await token(client, { grant_type: 'authorization_code', code: withPkce.code ?? '', redirect_uri: CB, code_verifier: v }, { authorization: basic('web', WEB_SECRET) });
    assert.equal(a.status, 200, a.text);
    const without = redirected(await authorize(client, { response_type: 'code', client_id: 'web', redirect_uri: CB }));
    const b = await token(client, { grant_type: 'authorization_code', code: without.code ?? '', redirect_uri: CB, client_id: 'web', client_secret: WEB_SECRET });
    assert.equal(b.status, 200, b.text);
  });

  it('makes a code single-use: the second use fails with invalid_grant and revokes the tokens issued from it', async () => {
    await using client = setup().client;
    const { code, verifier: v } = await spaCode(client);
    const form = { grant_type: 'authorization_code', code, redirect_uri: CB, client_id: 'spa', code_verifier: v };
    const first = await token(client, form);
    assert.equal(first.status, 200);
    const { access_token, refresh_token } = first.json() as { access_token: string; refresh_token: string };
    assert.equal((await introspect(client, access_token)).active, true);
    assertError(await token(client, form), 400, { error: 'invalid_grant', error_description: 'Authorization code already used' });
    assert.deepEqual(await introspect(client, access_token), { active: false });
    assert.deepEqual(await introspect(client, refresh_token), { active: false });
    assert.equal((await client.get('/api/me', { headers: { authorization: `Bearer ${access_token}` } })).status, 401);
    assertError(await token(client, { grant_type: 'refresh_token', refresh_token, client_id: 'spa' }), 400, { error: 'invalid_grant', error_description: 'Refresh token revoked' });
  });

  it('lets exactly one of several concurrent exchanges of a code succeed', async () => {
    await using client = setup().client;
    const { code, verifier: v } = await spaCode(client);
    const form = { grant_type: 'authorization_code', code, redirect_uri: CB, client_id: 'spa', code_verifier: v };
    const results = await Promise.all(Array.from({ length: 5 }, () => token(client, form)));
    assert.deepEqual(results.map((r) => r.status).sort(), [200, 400, 400, 400, 400]);
    const winner = results.find((r) => r.status === 200)?.json() as { access_token: string };
    // The replays revoked what the winner got.
    assert.deepEqual(await introspect(client, winner.access_token), { active: false });
  });

  it('refuses a wrong PKCE verifier (and the code is spent)', async () => {
    await using client = setup().client;
    const { code, verifier: v } = await spaCode(client);
    const base = { grant_type: 'authorization_code', code, redirect_uri: CB, client_id: 'spa' };
    assertError(await token(client, { ...base, code_verifier: verifier() }), 400, { error: 'invalid_grant', error_description: 'PKCE verification failed' });
    assertError(await token(client, { ...base, code_verifier: v }), 400, { error: 'invalid_grant', error_description: 'Authorization code already used' });
  });

  it('refuses a missing or malformed verifier, and a verifier for a code issued without challenge', async () => {
    await using client = setup().client;
    const a = await spaCode(client);
    assertError(await token(client, { grant_type: 'authorization_code', code: a.code, redirect_uri: CB, client_id: 'spa' }), 400, {
      error: 'invalid_grant',
      error_description: 'Missing code_verifier',
    });
    const b = await spaCode(client);
    assertError(await token(client, { grant_type: 'authorization_code', code: b.code, redirect_uri: CB, client_id: 'spa', code_verifier: 'short' }), 400, {
      error: 'invalid_grant',
      error_description: 'PKCE verification failed',
    });
    const c = redirected(await authorize(client, { response_type: 'code', client_id: 'web', redirect_uri: CB }));
    assertError(await token(client, { grant_type: 'authorization_code', code: c.code ?? '', redirect_uri: CB, code_verifier: verifier() }, { authorization: basic('web', WEB_SECRET) }), 400, {
      error: 'invalid_grant',
      error_description: 'code_verifier sent for a code issued without code_challenge',
    });
  });

  it('refuses an expired code', async () => {
    const { client } = setup({ codeLifetime: 1 });
    await using _ = client;
    const { code, verifier: v } = await spaCode(client);
    await new Promise((r) => setTimeout(r, 1050));
    assertError(await token(client, { grant_type: 'authorization_code', code, redirect_uri: CB, client_id: 'spa', code_verifier: v }), 400, {
      error: 'invalid_grant',
      error_description: 'Authorization code expired',
    });
  });

  it('refuses an unknown code, a code of another client, and a different or missing redirect_uri', async () => {
    await using client = setup().client;
    assertError(await token(client, { grant_type: 'authorization_code', code: 'nope', redirect_uri: CB, client_id: 'spa', code_verifier: verifier() }), 400, {
      error: 'invalid_grant',
      error_description: 'Invalid authorization code',
    });
    const a = await spaCode(client);
    assertError(await token(client, { grant_type: 'authorization_code', code: a.code, redirect_uri: CB, client_id: 'plain', code_verifier: a.verifier }), 400, {
      error: 'invalid_grant',
      error_description: 'Authorization code was issued to another client',
    });
    const b = redirected(await authorize(client, { response_type: 'code', client_id: 'web', redirect_uri: CB }));
    assertError(await token(client, { grant_type: 'authorization_code', code: b.code ?? '', redirect_uri: 'https://app.example/other' }, { authorization: basic('web', WEB_SECRET) }), 400, {
      error: 'invalid_grant',
      error_description: 'redirect_uri does not match the authorization request',
    });
    const c = redirected(await authorize(client, { response_type: 'code', client_id: 'web', redirect_uri: CB }));
    assertError(await token(client, { grant_type: 'authorization_code', code: c.code ?? '' }, { authorization: basic('web', WEB_SECRET) }), 400, {
      error: 'invalid_grant',
      error_description: 'redirect_uri does not match the authorization request',
    });
  });
});

describe('OAuth2Server: token endpoint, requests and client authentication', () => {
  it('answers malformed requests with invalid_request, unknown grants with unsupported_grant_type', async () => {
    await using client = setup().client;
    const auth = { authorization: basic('web', WEB_SECRET) };
    assertError(await client.post('/oauth/token', { json: { grant_type: 'client_credentials' }, headers: auth }), 400, {
      error: 'invalid_request',
      error_description: 'Expected an application/x-www-form-urlencoded body',
    });
    assertError(await token(client, {}, auth), 400, { error: 'invalid_request', error_description: 'Missing grant_type' });
    assertError(await token(client, { grant_type: 'password', username: 'a', password: 'b' }, auth), 400, {
      error: 'unsupported_grant_type',
      error_description: 'Unsupported grant_type password',
    });
    assertError(await token(client, { grant_type: 'authorization_code' }, auth), 400, { error: 'invalid_request', error_description: 'Missing code' });
    assertError(await token(client, { grant_type: 'refresh_token' }, auth), 400, { error: 'invalid_request', error_description: 'Missing refresh_token' });
    const dup = await client.post('/oauth/token', {
      content: 'grant_type=client_credentials&scope=read&scope=write',
      headers: { ...auth, 'content-type': 'application/x-www-form-urlencoded' },
    });
    assertError(dup, 400, { error: 'invalid_request', error_description: 'Parameter scope is repeated' });
    const bad = await client.post('/oauth/token', { content: 'grant_type=%ZZ', headers: { ...auth, 'content-type': 'application/x-www-form-urlencoded' } });
    assertError(bad, 400, { error: 'invalid_request', error_description: 'Malformed request parameters' });
    assert.equal((await client.get('/oauth/token')).status, 405);
  });

  it('refuses a grant the client may not use with unauthorized_client', async () => {
    await using client = setup().client;
    assertError(await token(client, { grant_type: 'client_credentials', client_id: 'spa' }), 400, {
      error: 'unauthorized_client',
      error_description: 'This client may not use the client_credentials grant',
    });
    assertError(await token(client, { grant_type: 'authorization_code', code: 'x' }, { authorization: basic('svc', SVC_SECRET) }), 400, {
      error: 'unauthorized_client',
      error_description: 'This client may not use the authorization_code grant',
    });
  });

  it('answers malformed Authorization headers with 401 invalid_client and a Basic challenge', async () => {
    await using client = setup().client;
    const cases: [string, string][] = [
      ['Basic !!!notbase64', 'Malformed Basic credentials'],
      ['Basic d2Vi', 'Malformed Basic credentials'],
      [`Basic ${Buffer.from('web').toString('base64')}`, 'Malformed Basic credentials'],
      [`Basic ${Buffer.from('web:x').toString('base64').replace(/=+$/, '')}`, 'Malformed Basic credentials'],
      ['Basic', 'Malformed Basic credentials'],
      ['Basic ', 'Malformed Basic credentials'],
      [`Basic ${Buffer.from(':secret').toString('base64')}`, 'Malformed Basic credentials'],
      [`Basic ${Buffer.from('web:%ZZ').toString('base64')}`, 'Malformed Basic credentials'],
      [`Basic ${Buffer.from([0x77, 0x3a, 0xff, 0xfe]).toString('base64')}`, 'Malformed Basic credentials'],
      ['Bearer abc.def.ghi', 'Unsupported authentication scheme: use Basic'],
      ['Digest username="web"', 'Unsupported authentication scheme: use Basic'],
    ];
    for (const [header, description] of cases) {
      const res = await token(client, { grant_type: 'client_credentials' }, { authorization: header });
      assertError(res, 401, { error: 'invalid_client', error_description: description });
      assert.equal(res.headers.get('www-authenticate'), 'Basic realm="oauth2", charset="UTF-8"', header);
    }
  });

  it('refuses wrong secrets and unknown clients: 401 with a Basic challenge, however the client authenticated', async () => {
    await using client = setup().client;
    const body = { error: 'invalid_client', error_description: 'Client authentication failed' };
    for (const auth of [basic('web', 'wrong'), basic('web', `${WEB_SECRET}x`), basic('web', ''), basic('nobody', WEB_SECRET), basic('spa', 'anything')]) {
      const res = await token(client, { grant_type: 'client_credentials' }, { authorization: auth });
      assertError(res, 401, body);
      assert.equal(res.headers.get('www-authenticate'), 'Basic realm="oauth2", charset="UTF-8"');
    }
    for (const form of [
      { client_id: 'web', client_secret: 'wrong' },
      { client_id: 'nobody', client_secret: 'x' },
      { client_id: 'web' },
      { client_id: 'spa', client_secret: 'x' },
    ]) {
      const res = await token(client, { grant_type: 'client_credentials', ...form });
      assertError(res, 401, body);
      assert.equal(res.headers.get('www-authenticate'), 'Basic realm="oauth2", charset="UTF-8"');
    }
    const none = await token(client, { grant_type: 'client_credentials' });
    assertError(none, 401, { error: 'invalid_client', error_description: 'Client authentication required' });
    assert.equal(none.headers.get('www-authenticate'), 'Basic realm="oauth2", charset="UTF-8"');
  });

  it('form-urldecodes the id and secret inside Basic (RFC 6749 §2.3.1)', async () => {
    await using client = setup().client;
    const ok = await token(client, { grant_type: 'client_credentials' }, { authorization: basic('svc', SVC_SECRET) });
    assert.equal(ok.status, 200, ok.text);
    const raw = await token(client, { grant_type: 'client_credentials' }, { authorization: `Basic ${Buffer.from(`svc:${SVC_SECRET}`).toString('base64')}` });
    assertError(raw, 401, { error: 'invalid_client', error_description: 'Malformed Basic credentials' });
  });

  it('refuses two authentication methods at once and a client_id that contradicts Basic', async () => {
    await using client = setup().client;
    assertError(await token(client, { grant_type: 'client_credentials', client_secret: WEB_SECRET }, { authorization: basic('web', WEB_SECRET) }), 400, {
      error: 'invalid_request',
      error_description: 'Use one client authentication method, not two',
    });
    assertError(await token(client, { grant_type: 'client_credentials', client_id: 'svc' }, { authorization: basic('web', WEB_SECRET) }), 400, {
      error: 'invalid_request',
      error_description: 'client_id does not match the Basic credentials',
    });
    assertError(await token(client, { grant_type: 'client_credentials', client_secret: 'x' }), 400, { error: 'invalid_request', error_description: 'Missing client_id' });
  });
});

describe('OAuth2Server: client credentials and refresh tokens', () => {
  it('issues a client-credentials token for the client itself, without a refresh token', async () => {
    const { client, oauth2 } = setup();
    await using _ = client;
    const res = await token(client, { grant_type: 'client_credentials', scope: 'admin' }, { authorization: basic('svc', SVC_SECRET) });
    assert.equal(res.status, 200, res.text);
    const body = res.json() as Record<string, unknown>;
    assert.deepEqual(Object.keys(body).sort(), ['access_token', 'expires_in', 'scope', 'token_type']);
    const claims = await oauth2.jwtAuth.verifyToken(String(body.access_token));
    assert.equal(claims.sub, 'svc');
    assert.equal(claims.scope, 'admin');
    assertError(await token(client, { grant_type: 'client_credentials', scope: 'write' }, { authorization: basic('svc', SVC_SECRET) }), 400, {
      error: 'invalid_scope',
      error_description: 'Scope not allowed for this client: write',
    });
  });

  it('rotates refresh tokens; reusing an old one revokes the whole family', async () => {
    await using client = setup().client;
    const first = await spaTokens(client);
    const r1 = await token(client, { grant_type: 'refresh_token', refresh_token: first.refresh_token, client_id: 'spa' });
    assert.equal(r1.status, 200, r1.text);
    const second = r1.json() as { access_token: string; refresh_token: string; scope: string };
    assert.notEqual(second.refresh_token, first.refresh_token);
    assert.equal(second.scope, 'read');
    assert.deepEqual(await introspect(client, first.refresh_token), { active: false });
    assert.equal((await introspect(client, second.access_token)).active, true);
    // The old token comes back (stolen?): refused, and everything of the family dies.
    assertError(await token(client, { grant_type: 'refresh_token', refresh_token: first.refresh_token, client_id: 'spa' }), 400, {
      error: 'invalid_grant',
      error_description: 'Refresh token already used',
    });
    assert.deepEqual(await introspect(client, second.access_token), { active: false });
    assert.deepEqual(await introspect(client, first.access_token), { active: false });
    assertError(await token(client, { grant_type: 'refresh_token', refresh_token: second.refresh_token, client_id: 'spa' }), 400, {
      error: 'invalid_grant',
      error_description: 'Refresh token revoked',
    });
  });

  it('narrows the scope on refresh but never widens it', async () => {
    await using client = setup().client;
    const { code, verifier: v } = await spaCode(client, { scope: 'read write' });
    const t = (await token(client, { grant_type: 'authorization_code', code, redirect_uri: CB, client_id: 'spa', code_verifier: v })).json() as { refresh_token: string };
    assertError(await token(client, { grant_type: 'refresh_token', refresh_token: t.refresh_token, client_id: 'spa', scope: 'read admin' }), 400, {
      error: 'invalid_scope',
      error_description: 'Scope not granted originally: admin',
    });
    // The refused request did not spend the token: a narrower scope still works.
    const narrowed = await token(client, { grant_type: 'refresh_token', refresh_token: t.refresh_token, client_id: 'spa', scope: 'write' });
    assert.equal(narrowed.status, 200, narrowed.text);
    const n = narrowed.json() as { scope: string; refresh_token: string };
    assert.equal(n.scope, 'write');
    // The new refresh token keeps the original scope (RFC 6749 §6).
    assert.equal((await introspect(client, n.refresh_token)).scope, 'read write');
  });

  it('refuses a refresh token of another client without spending it, and unknown or expired ones', async () => {
    const { client } = setup({ refreshTokenLifetime: 1 });
    await using _ = client;
    const t = await spaTokens(client);
    assertError(await token(client, { grant_type: 'refresh_token', refresh_token: t.refresh_token, client_id: 'plain' }), 400, {
      error: 'invalid_grant',
      error_description: 'Refresh token was issued to another client',
    });
    assertError(await token(client, { grant_type: 'refresh_token', refresh_token: 'nope', client_id: 'spa' }), 400, { error: 'invalid_grant', error_description: 'Invalid refresh token' });
    await new Promise((r) => setTimeout(r, 1050));
    assertError(await token(client, { grant_type: 'refresh_token', refresh_token: t.refresh_token, client_id: 'spa' }), 400, {
      error: 'invalid_grant',
      error_description: 'Refresh token expired',
    });
  });
});

describe('OAuth2Server: introspection (RFC 7662) and revocation (RFC 7009)', () => {
  it('introspects access and refresh tokens for an authenticated confidential client', async () => {
    await using client = setup().client;
    const t = await spaTokens(client);
    const access = await introspect(client, t.access_token);
    assert.deepEqual(Object.keys(access).sort(), ['active', 'aud', 'client_id', 'exp', 'iat', 'iss', 'jti', 'scope', 'sub', 'token_type']);
    assert.equal(access.active, true);
    assert.equal(access.aud, ISSUER);
    assert.equal(access.token_type, 'Bearer');
    assert.equal(access.client_id, 'spa');
    assert.equal(access.sub, 'alice');
    const refresh = await introspect(client, t.refresh_token);
    assert.deepEqual(Object.keys(refresh).sort(), ['active', 'client_id', 'exp', 'scope', 'sub']);
    for (const junk of ['nope', 'a.b.c', '', 'x'.repeat(5000)]) {
      if (junk === '') continue;
      assert.deepEqual(await introspect(client, junk), { active: false });
    }
    const hinted = await client.post('/oauth/introspect', { form: { token: t.refresh_token, token_type_hint: 'refresh_token' }, headers: { authorization: basic('web', WEB_SECRET) } });
    assert.equal((hinted.json() as { active: boolean }).active, true);
  });

  it('requires client authentication for introspection, and a token', async () => {
    await using client = setup().client;
    // RFC 7662 §2.3: 401 for missing or invalid client credentials, by any method.
    const none = await client.post('/oauth/introspect', { form: { token: 'x' } });
    assertError(none, 401, { error: 'invalid_client', error_description: 'Client authentication required' });
    assert.equal(none.headers.get('www-authenticate'), 'Basic realm="oauth2", charset="UTF-8"');
    const post = await client.post('/oauth/introspect', { form: { token: 'x', client_id: 'web', client_secret: 'nope' } });
    assertError(post, 401, { error: 'invalid_client', error_description: 'Client authentication failed' });
    assert.equal(post.headers.get('www-authenticate'), 'Basic realm="oauth2", charset="UTF-8"');
    assertError(await client.post('/oauth/introspect', { form: { token: 'x', client_id: 'spa' } }), 401, {
      error: 'invalid_client',
      error_description: 'This endpoint needs client authentication: public clients may not call it',
    });
    const wrong = await client.post('/oauth/introspect', { form: { token: 'x' }, headers: { authorization: basic('web', 'nope') } });
    assertError(wrong, 401, { error: 'invalid_client', error_description: 'Client authentication failed' });
    assertError(await client.post('/oauth/introspect', { form: {}, headers: { authorization: basic('web', WEB_SECRET) } }), 400, { error: 'invalid_request', error_description: 'Missing token' });
  });

  it('revokes an access token (introspection and requireToken refuse it); unknown tokens still get 200', async () => {
    await using client = setup().client;
    const t = await spaTokens(client);
    const res = await client.post('/oauth/revoke', { form: { token: t.access_token, client_id: 'spa' } });
    assert.equal(res.status, 200);
    assert.equal(res.text, '');
    assert.equal(res.headers.get('cache-control'), 'no-store');
    assert.deepEqual(await introspect(client, t.access_token), { active: false });
    assert.equal((await client.get('/api/me', { headers: { authorization: `Bearer ${t.access_token}` } })).status, 401);
    // The refresh token lives on: only that access token was revoked.
    assert.equal((await introspect(client, t.refresh_token)).active, true);
    for (const unknown of ['nope', 'a.b.c', t.access_token]) {
      assert.equal((await client.post('/oauth/revoke', { form: { token: unknown, client_id: 'spa' } })).status, 200);
    }
  });

  it('revoking a refresh token revokes its family; another client cannot revoke it', async () => {
    await using client = setup().client;
    const t = await spaTokens(client);
    assert.equal((await client.post('/oauth/revoke', { form: { token: t.refresh_token, client_id: 'plain' } })).status, 200);
    assert.equal((await introspect(client, t.refresh_token)).active, true);
    assert.equal((await client.post('/oauth/revoke', { form: { token: t.access_token }, headers: { authorization: basic('web', WEB_SECRET) } })).status, 200);
    assert.equal((await introspect(client, t.access_token)).active, true);
    assert.equal((await client.post('/oauth/revoke', { form: { token: t.refresh_token, token_type_hint: 'refresh_token', client_id: 'spa' } })).status, 200);
    assert.deepEqual(await introspect(client, t.refresh_token), { active: false });
    assert.deepEqual(await introspect(client, t.access_token), { active: false });
  });

  it('answers bad revocation requests with RFC errors', async () => {
    await using client = setup().client;
    assertError(await client.post('/oauth/revoke', { form: { client_id: 'spa' } }), 400, { error: 'invalid_request', error_description: 'Missing token' });
    assertError(await client.post('/oauth/revoke', { form: { token: 'x' } }), 401, { error: 'invalid_client', error_description: 'Client authentication required' });
    const res = await client.post('/oauth/revoke', { form: { token: 'x' }, headers: { authorization: 'Basic %%%' } });
    assertError(res, 401, { error: 'invalid_client', error_description: 'Malformed Basic credentials' });
  });
});
