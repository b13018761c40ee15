// The behaviour every OAuth2Store must have, run against the memory store (unit tests) and the
// database store on each database (integration tests).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { it } from 'node:test';
import { type AuthorizationCodeRecord, OAuth2Server, type OAuth2Store, type RefreshTokenRecord } from '../../../src/security/index.js';

const code = (over: Partial<AuthorizationCodeRecord> = {}): AuthorizationCodeRecord => ({
  codeHash: randomUUID().replace(/-/g, ''),
  clientId: 'spa',
  redirectUri: 'https://app.example/cb',
  redirectUriGiven: true,
  scope: 'read',
  subject: 'alice',
  codeChallenge: 'x'.repeat(43),
  codeChallengeMethod: 'S256',
  familyId: randomUUID(),
  expiresAt: Date.now() + 60_000,
  ...over,
});

const refresh = (over: Partial<RefreshTokenRecord> = {}): RefreshTokenRecord => ({
  tokenHash: randomUUID().replace(/-/g, ''),
  familyId: randomUUID(),
  clientId: 'spa',
  subject: 'alice',
  scope: 'read write',
  expiresAt: Date.now() + 60_000,
  ...over,
});

/** Registers the contract's tests (inside the caller's `describe`). */
export function storeContract(open: () => OAuth2Store & { saveClient?(c: unknown): Promise<void> }): void {
  it('stores a code and hands it out once, atomically among concurrent callers', async () => {
    const store = open();
    const record = code();
    await store.saveCode(record);
    const results = await Promise.all(Array.from({ length: 8 }, () => store.consumeCode(record.codeHash)));
    assert.equal(results.filter((r) => r?.reused === false).length, 1);
    assert.equal(results.filter((r) => r?.reused === true).length, 7);
    assert.deepEqual(results[0]?.record, record);
    assert.equal(await store.consumeCode('unknown'), null);
  });

  it('rotates a refresh token once, atomically; finds it without using it', async () => {
    const store = open();
    const record = refresh();
    await store.saveRefreshToken(record);
    assert.deepEqual(await store.findRefreshToken(record.tokenHash), { record, reused: false });
    const results = await Promise.all(Array.from({ length: 8 }, () => store.rotateRefreshToken(record.tokenHash)));
    assert.equal(results.filter((r) => r?.reused === false).length, 1);
    assert.deepEqual(await store.findRefreshToken(record.tokenHash), { record, reused: true });
    assert.equal(await store.rotateRefreshToken('unknown'), null);
    assert.equal(await store.findRefreshToken('unknown'), null);
  });

  it('revokes access tokens one by one and with their family', async () => {
    const store = open();
    const family = randomUUID();
    const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()];
    const exp = Date.now() + 60_000;
    await store.recordAccessToken(a, family, exp);
    await store.recordAccessToken(b, family, exp);
    await store.recordAccessToken(c, null, exp);
    assert.equal(await store.isAccessTokenRevoked(a), false);
    assert.equal(await store.isAccessTokenRevoked('never-seen'), false);
    await store.revokeAccessToken(c, exp);
    assert.equal(await store.isAccessTokenRevoked(c), true);
    assert.equal(await store.isAccessTokenRevoked(a), false);
    assert.equal(await store.isFamilyRevoked(family), false);
    await store.revokeFamily(family, exp);
    await store.revokeFamily(family, exp); // twice is fine
    assert.equal(await store.isFamilyRevoked(family), true);
    assert.equal(await store.isAccessTokenRevoked(a), true);
    assert.equal(await store.isAccessTokenRevoked(b), true);
    // A jti never recorded can still be revoked (a token from before a restart).
    await store.revokeAccessToken('orphan', exp);
    assert.equal(await store.isAccessTokenRevoked('orphan'), true);
  });

  it('keeps registered clients (secrets hashed) and deletes expired records', async () => {
    const store = open();
    assert.equal(typeof store.saveClient, 'function');
    const client = OAuth2Server.clientRecord('stored', { secret: 's3cret', redirectUris: ['https://app.example/cb'], scopes: ['read'] });
    assert.equal(client.secretHash, OAuth2Server.hashSecret('s3cret'));
    await store.saveClient?.(client);
    await store.saveClient?.({ ...client, scopes: ['read', 'write'] });
    assert.deepEqual(await store.getClient?.('stored'), { ...client, scopes: ['read', 'write'] });
    assert.equal(await store.getClient?.('nobody'), null);
    // Client ids are case-sensitive and exact, whatever the database's collation.
    assert.equal(await store.getClient?.('STORED'), null);
    assert.equal(await store.getClient?.('stored '), null);
    // Saving "STORED" never replaces "stored": it is another client, or refused where the
    // database cannot tell the two apart.
    try {
      await store.saveClient?.(OAuth2Server.clientRecord('STORED', { redirectUris: ['https://evil.example/cb'] }));
    } catch (err) {
      assert.equal((err as { code?: string }).code, 'ERR_OAUTH2_OPTIONS');
    }
    assert.deepEqual(await store.getClient?.('stored'), { ...client, scopes: ['read', 'write'] });
    const old = code({ expiresAt: Date.now() - 1 });
    await store.saveCode(old);
    await store.saveRefreshToken(refresh({ expiresAt: Date.now() - 1 }));
    assert.ok(((await store.deleteExpired?.()) ?? 0) >= 2);
    assert.equal(await store.consumeCode(old.codeHash), null);
  });
}
