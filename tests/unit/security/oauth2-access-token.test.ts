// The access tokens of OAuth2Server are RFC 9068 JWT access tokens: `typ: at+jwt`, and iss, exp,
// aud, sub, client_id, iat, jti and scope — checked with jose as a resource server would.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as jose from 'jose';
import { CovetApp } from '../../../src/index.js';
import { JWTAuth, OAuth2Server } from '../../../src/security/index.js';
import { TestClient } from '../../../src/testing/index.js';
import { basic, introspect, ISSUER, SVC_SECRET, setup, spaTokens, token } from './oauth2-fixtures.js';

const RFC9068_CLAIMS = ['iss', 'exp', 'aud', 'sub', 'client_id', 'iat', 'jti'];
const API = 'https://api.example';

function jwksOf(oauth2: OAuth2Server): ReturnType<typeof jose.createLocalJWKSet> {
  return jose.createLocalJWKSet(oauth2.jwks() as jose.JSONWebKeySet);
}

async function clientCredentials(client: TestClient, scope = 'read'): Promise<string> {
  const res = await token(client, { grant_type: 'client_credentials', scope }, { authorization: basic('svc', SVC_SECRET) });
  assert.equal(res.status, 200, res.text);
  return (res.json() as { access_token: string }).access_token;
}

describe('OAuth2Server access tokens (RFC 9068)', () => {
  it('issues at+jwt tokens with iss, exp, aud (default: the issuer), sub, client_id, iat, jti and scope, as jose verifies them', async () => {
    const { client, oauth2 } = setup();
    await using _ = client;
    assert.equal(oauth2.audience, ISSUER);
    const { access_token } = await spaTokens(client);
    const { payload, protectedHeader } = await jose.jwtVerify(access_token, jwksOf(oauth2), {
      typ: 'at+jwt',
      issuer: ISSUER,
      audience: ISSUER,
      algorithms: ['ES256'],
      requiredClaims: RFC9068_CLAIMS,
    });
    assert.deepEqual(protectedHeader, { alg: 'ES256', typ: 'at+jwt', kid: oauth2.jwks().keys[0]?.kid });
    assert.deepEqual(Object.keys(payload).sort(), ['aud', 'client_id', 'exp', 'iat', 'iss', 'jti', 'scope', 'sub']);
    assert.deepEqual([payload.iss, payload.aud, payload.sub, payload.client_id, payload.scope], [ISSUER, ISSUER, 'alice', 'spa', 'read']);
    assert.equal((payload.exp ?? 0) - (payload.iat ?? 0), 3600);
    // A plain-JWT expectation is refused by jose: the type says what the token is for.
    await assert.rejects(jose.jwtVerify(access_token, jwksOf(oauth2), { typ: 'JWT' }), { code: 'ERR_JWT_CLAIM_VALIDATION_FAILED', claim: 'typ' });
  });

  it('names the client as sub for client credentials', async () => {
    const { client, oauth2 } = setup();
    await using _ = client;
    const { payload } = await jose.jwtVerify(await clientCredentials(client, 'admin'), jwksOf(oauth2), { typ: 'at+jwt', issuer: ISSUER, audience: ISSUER, requiredClaims: RFC9068_CLAIMS });
    assert.deepEqual([payload.sub, payload.client_id, payload.scope], ['svc', 'svc', 'admin']);
  });

  it('uses the audience option as aud, and oauth2.jwtAuth, introspection and revocation keep working', async () => {
    const { client, oauth2 } = setup({ audience: API });
    await using _ = client;
    const t = await spaTokens(client);
    const { payload } = await jose.jwtVerify(t.access_token, jwksOf(oauth2), { typ: 'at+jwt', issuer: ISSUER, audience: API, requiredClaims: RFC9068_CLAIMS });
    assert.equal(payload.aud, API);
    await assert.rejects(jose.jwtVerify(t.access_token, jwksOf(oauth2), { audience: ISSUER }), { code: 'ERR_JWT_CLAIM_VALIDATION_FAILED', claim: 'aud' });
    const me = await client.get('/api/me', { headers: { authorization: `Bearer ${t.access_token}` } });
    assert.deepEqual(me.json(), { sub: 'alice', scope: 'read' });
    const info = await introspect(client, t.access_token);
    assert.deepEqual([info.active, info.aud, info.client_id], [true, API, 'spa']);
    assert.equal((await client.post('/oauth/revoke', { form: { token: t.access_token, client_id: 'spa' } })).status, 200);
    assert.deepEqual(await introspect(client, t.access_token), { active: false });
    assert.equal((await client.get('/api/me', { headers: { authorization: `Bearer ${t.access_token}` } })).status, 401);
  });

  it('puts a list audience in aud as a list; the legacy jwt.audience still sets it', async () => {
    const listed = setup({ audience: [API, 'https://billing.example'] });
    await using _a = listed.client;
    const a = await clientCredentials(listed.client);
    assert.deepEqual((await jose.jwtVerify(a, jwksOf(listed.oauth2), { typ: 'at+jwt', audience: 'https://billing.example' })).payload.aud, [API, 'https://billing.example']);
    assert.equal((await listed.oauth2.jwtAuth.verifyToken(a)).sub, 'svc');

    const legacy = setup({ jwt: { secretKey: 'an-hs256-secret-of-at-least-32-bytes-0123456789', audience: API } });
    await using _b = legacy.client;
    const b = await clientCredentials(legacy.client);
    const { payload, protectedHeader } = await jose.jwtVerify(b, new TextEncoder().encode('an-hs256-secret-of-at-least-32-bytes-0123456789'), {
      typ: 'at+jwt',
      audience: API,
    });
    assert.deepEqual([protectedHeader.typ, payload.aud], ['at+jwt', API]);
    assert.equal(legacy.oauth2.audience, API);
  });

  it('oauth2.jwtAuth requires at+jwt and its audience: a plain JWT or another audience signed with the same key is refused', async () => {
    const secret = 'an-hs256-secret-of-at-least-32-bytes-0123456789';
    const { client, oauth2 } = setup({ jwt: { secretKey: secret } });
    await using _ = client;
    const plain = await new JWTAuth({ secretKey: secret, issuer: ISSUER, audience: ISSUER }).createToken({ client_id: 'spa' });
    await assert.rejects(oauth2.jwtAuth.verifyToken(plain), { code: 'ERR_JWT_TYPE' });
    const elsewhere = await new JWTAuth({ secretKey: secret, issuer: ISSUER, audience: API, type: 'at+jwt' }).createToken({ client_id: 'spa' });
    await assert.rejects(oauth2.jwtAuth.verifyToken(elsewhere), { code: 'ERR_JWT_AUDIENCE' });
    for (const t of [plain, elsewhere]) {
      assert.equal((await client.get('/api/me', { headers: { authorization: `Bearer ${t}` } })).status, 401);
      assert.deepEqual(await introspect(client, t), { active: false });
    }
  });

  it('without a configured issuer, aud is the issuer of the request, and jwtAuth accepts it', async () => {
    const oauth2 = new OAuth2Server({ clients: { svc: { secret: SVC_SECRET, grantTypes: ['client_credentials'] } } });
    assert.equal(oauth2.audience, undefined);
    const app = new CovetApp();
    app.includeOAuth2(oauth2);
    app.get('/api/me', oauth2.jwtAuth.requireToken(async (req) => ({ sub: req.state.user.sub })));
    await using client = new TestClient(app);
    const access = await clientCredentials(client, 'anything');
    const { payload } = await jose.jwtVerify(access, jwksOf(oauth2), { typ: 'at+jwt', issuer: 'http://testserver', audience: 'http://testserver', requiredClaims: RFC9068_CLAIMS });
    assert.equal(payload.sub, 'svc');
    assert.deepEqual((await client.get('/api/me', { headers: { authorization: `Bearer ${access}` } })).json(), { sub: 'svc' });
  });

  it('verifies elsewhere with a public-key JWTAuth: any aud without an audience option, its own aud with one', async () => {
    const { client, oauth2 } = setup({ audience: API });
    await using _ = client;
    const access = await clientCredentials(client);
    const publicKey = oauth2.jwks().keys[0] as unknown as Record<string, string>;
    const open = new JWTAuth({ algorithm: 'ES256', publicKey, issuer: ISSUER });
    assert.equal((await open.verifyToken(access)).client_id, 'svc');
    const pinned = new JWTAuth({ algorithm: 'ES256', publicKey, issuer: ISSUER, audience: API, type: 'at+jwt' });
    assert.equal((await pinned.verifyToken(access)).client_id, 'svc');
    const other = new JWTAuth({ algorithm: 'ES256', publicKey, issuer: ISSUER, audience: 'https://billing.example' });
    await assert.rejects(other.verifyToken(access), { code: 'ERR_JWT_AUDIENCE' });
  });

  it('refuses an empty audience with ERR_OAUTH2_OPTIONS', () => {
    for (const audience of ['', [], ['ok', '']]) {
      assert.throws(() => new OAuth2Server({ audience }), { code: 'ERR_OAUTH2_OPTIONS' }, JSON.stringify(audience));
    }
  });
});
