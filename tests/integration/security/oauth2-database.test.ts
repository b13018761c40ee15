// DatabaseOAuth2Store on real databases: SQLite always, PostgreSQL when DATABASE_URL is set and
// MySQL when MYSQL_URL is set (both required with COVET_REQUIRE_SERVICES=1). The store contract,
// then the whole server on it.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { CovetApp } from '../../../src/index.js';
import { DatabaseOAuth2Store, OAuth2Server } from '../../../src/security/index.js';
import { TestClient, type TestDatabase } from '../../../src/testing/index.js';
import { type DbTarget, mysqlTarget, postgresTarget, sqliteTarget } from '../database/targets.js';
import { authorize, basic, CB, challenge, redirected, verifier } from '../../unit/security/oauth2-fixtures.js';
import { storeContract } from '../../unit/security/oauth2-store-contract.js';

for (const target of [sqliteTarget, postgresTarget, mysqlTarget] as DbTarget[]) {
  describe(`DatabaseOAuth2Store on ${target.name}`, { skip: target.skip }, () => {
    const dbs: TestDatabase[] = [];
    const db = (): TestDatabase => {
      const d = target.open();
      dbs.push(d);
      return d;
    };
    after(async () => {
      for (const d of dbs) await d.close();
    });

    describe('store contract', () => {
      const shared = target.name === 'sqlite' ? null : db();
      storeContract(() => new DatabaseOAuth2Store(shared ?? db(), { tablePrefix: `t${Math.random().toString(36).slice(2, 8)}_` }));
    });

    it('creates its tables itself and refuses a bad table prefix', async () => {
      const d = db();
      const store = new DatabaseOAuth2Store(d);
      await store.ensureTables();
      await store.ensureTables();
      for (const t of ['codes', 'refresh_tokens', 'access_tokens', 'revoked_families', 'clients']) {
        assert.equal(Number(await d.fetchVal(`SELECT COUNT(*) FROM covet_oauth2_${t}`)), 0, t);
      }
      assert.throws(() => new DatabaseOAuth2Store(d, { tablePrefix: 'x; DROP TABLE y; --' }), TypeError);
      assert.throws(() => new DatabaseOAuth2Store({} as never), TypeError);
      assert.throws(() => new DatabaseOAuth2Store(d, { cleanupInterval: -1 }), RangeError);
    });

    it('deletes expired rows on its own every cleanupInterval', async () => {
      const d = db();
      const store = new DatabaseOAuth2Store(d, { cleanupInterval: 0.05 });
      const expired = { clientId: 'c', redirectUri: CB, redirectUriGiven: true, scope: '', subject: 's', codeChallenge: null, codeChallengeMethod: null, familyId: 'f', expiresAt: Date.now() - 1 };
      await store.saveCode({ ...expired, codeHash: 'old' });
      await store.recordAccessToken('old-jti', null, Date.now() - 1);
      await new Promise((r) => setTimeout(r, 60));
      await store.saveCode({ ...expired, codeHash: 'new', expiresAt: Date.now() + 60_000 });
      assert.equal(Number(await d.fetchVal('SELECT COUNT(*) FROM covet_oauth2_codes')), 1);
      assert.equal(Number(await d.fetchVal('SELECT COUNT(*) FROM covet_oauth2_access_tokens')), 0);
    });

    it('shares codes and revocations between two servers (two processes) on one database', async () => {
      const d = db();
      const make = () => {
        const oauth2 = new OAuth2Server({
          issuer: 'https://auth.example',
          jwt: { secretKey: 'shared-signing-secret-0123456789abcdef' },
          store: new DatabaseOAuth2Store(d),
          clients: { spa: { redirectUris: [CB] } },
          authenticateUser: () => ({ id: 'alice' }),
        });
        const app = new CovetApp();
        app.includeOAuth2(oauth2);
        app.get('/me', oauth2.jwtAuth.requireToken((req) => ({ sub: req.state.user.sub })));
        return new TestClient(app);
      };
      await using a = make();
      await using b = make();
      const v = verifier();
      const params = redirected(await authorize(a, { response_type: 'code', client_id: 'spa', redirect_uri: CB, code_challenge: challenge(v), code_challenge_method: 'S256' }));
      const form = { grant_type: 'authorization_code', code: params.code ?? '', redirect_uri: CB, client_id: 'spa', code_verifier: v };
      const exchanged = await b.post('/oauth/token', { form });
      assert.equal(exchanged.status, 200, exchanged.text);
      const { access_token } = exchanged.json() as { access_token: string };
      assert.equal((await a.get('/me', { headers: { authorization: `Bearer ${access_token}` } })).status, 200);
      // The replay reaches the other server: it still sees the code spent, and both refuse the token.
      assert.equal((await a.post('/oauth/token', { form })).status, 400);
      assert.equal((await a.get('/me', { headers: { authorization: `Bearer ${access_token}` } })).status, 401);
      assert.equal((await b.get('/me', { headers: { authorization: `Bearer ${access_token}` } })).status, 401);
    });

    it('serves the code + PKCE flow, refresh and code-reuse revocation with clients from the database', async () => {
      const store = new DatabaseOAuth2Store(db());
      await store.saveClient(OAuth2Server.clientRecord('dbweb', { secret: 'db-secret', redirectUris: [CB] }));
      const oauth2 = new OAuth2Server({ issuer: 'https://auth.example', store, authenticateUser: () => ({ id: 42 }) });
      const app = new CovetApp();
      app.includeOAuth2(oauth2);
      await using client = new TestClient(app);
      const v = verifier();
      const params = redirected(await authorize(client, { response_type: 'code', client_id: 'dbweb', redirect_uri: CB, code_challenge: challenge(v), code_challenge_method: 'S256', state: 'st' }));
      assert.equal(params.state, 'st');
      const auth = { authorization: basic('dbweb', 'db-secret') };
      const form = { grant_type: 'authorization_code', code: params.code ?? '', redirect_uri: CB, code_verifier: v };
      const first = await client.post('/oauth/token', { form, headers: auth });
      assert.equal(first.status, 200, first.text);
      const tokens = first.json() as { access_token: string; refresh_token: string };
      assert.equal((await oauth2.jwtAuth.verifyToken(tokens.access_token)).sub, '42');
      const refreshed = await client.post('/oauth/token', { form: { grant_type: 'refresh_token', refresh_token: tokens.refresh_token }, headers: auth });
      assert.equal(refreshed.status, 200, refreshed.text);
      const second = refreshed.json() as { access_token: string };
      const replay = await client.post('/oauth/token', { form, headers: auth });
      assert.equal(replay.status, 400);
      assert.deepEqual(replay.json(), { error: 'invalid_grant', error_description: 'Authorization code already used' });
      for (const t of [tokens.access_token, second.access_token]) {
        const res = await client.post('/oauth/introspect', { form: { token: t }, headers: auth });
        assert.deepEqual(res.json(), { active: false });
      }
      const wrong = await client.post('/oauth/token', { form: { grant_type: 'client_credentials' }, headers: { authorization: basic('dbweb', 'nope') } });
      assert.equal(wrong.status, 401);
      assert.deepEqual(wrong.json(), { error: 'invalid_client', error_description: 'Client authentication failed' });
    });
  });
}
