// Token revocation shared through a real Redis (REDIS_URL). Without REDIS_URL the suite is
// skipped, unless COVET_REQUIRE_SERVICES=1 (CI), where a missing Redis is a failure. The last
// suite (a Redis that is down or does not answer) needs no Redis.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer, type Socket } from 'node:net';
import { after, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { CovetApp } from '../../../src/index.js';
import { JWTAuth, RedisRevocationStore } from '../../../src/security/index.js';
import { TestClient } from '../../../src/testing/index.js';
import { REQUIRE_SERVICES } from '../../helpers/server.js';

const REDIS_URL = process.env.REDIS_URL;
if (REQUIRE_SERVICES && !REDIS_URL) throw new Error('REDIS_URL is required (COVET_REQUIRE_SERVICES=1) for the Redis revocation tests');
const SECRET = 'redis-revocation-secret-0123456789';

describe('JWT revocation in Redis', { skip: REDIS_URL ? undefined : 'REDIS_URL not set' }, () => {
  const url = REDIS_URL as string;
  const prefix = `covet:test:${randomUUID()}:`;
  const closers: (() => Promise<unknown>)[] = [];
  after(async () => {
    for (const close of closers) await close();
  });

  function instance(): JWTAuth {
    const auth = new JWTAuth({ secretKey: SECRET, revocationStore: new RedisRevocationStore(url, { prefix }) });
    closers.push(() => auth.close());
    return auth;
  }

  it('a token revoked on one instance is refused by another (same Redis), with a TTL until its expiry', async () => {
    const a = instance();
    const b = instance();
    const token = await a.createToken({ user: 'alice' });
    assert.equal((await b.verifyToken(token)).user, 'alice');
    assert.equal(await a.revokeToken(token), true);
    assert.equal(await b.revokeToken(token), false, 'already revoked (SET NX)');
    await assert.rejects(b.verifyToken(token), { code: 'ERR_JWT_REVOKED', status: 401 });
    const app = new CovetApp();
    app.get('/me', b.requireToken(async (req) => ({ user: req.state.user.user })));
    await using client = new TestClient(app);
    const res = await client.get('/me', { headers: { authorization: `Bearer ${token}` } });
    assert.equal(res.status, 401);
    assert.deepEqual(res.json(), { error: 'Token revoked' });
    const redis = new Redis(url);
    closers.push(() => redis.quit());
    const jti = JSON.parse(Buffer.from(token.split('.')[1] as string, 'base64url').toString()).jti as string;
    const ttl = await redis.ttl(`${prefix}${jti}`);
    assert.ok(ttl > 3500 && ttl <= 3600, `ttl ${ttl}`);
  });

  it('a refresh token is used once across instances, even when two race', async () => {
    const a = instance();
    const b = instance();
    const { refreshToken } = await a.createTokenPair({ user: 'bob' });
    const results = await Promise.allSettled([a.refreshToken(refreshToken), b.refreshToken(refreshToken)]);
    assert.deepEqual(results.map((r) => r.status).sort(), ['fulfilled', 'rejected']);
    const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    assert.equal((rejected.reason as { code: string }).code, 'ERR_JWT_REVOKED');
  });

  it('accepts a redis:// URL directly and an existing client', async () => {
    const direct = new JWTAuth({ secretKey: SECRET, revocationStore: url });
    closers.push(() => direct.close());
    const id = randomUUID();
    assert.equal(await direct.revokeJti(id, Math.floor(Date.now() / 1000) + 60), true);
    assert.equal(await direct.isRevoked(id), true);
    const client = new Redis(url);
    closers.push(() => client.quit());
    const shared = new JWTAuth({ secretKey: SECRET, revocationStore: client });
    assert.equal(await shared.isRevoked(id), true);
    await shared.close(); // does not close a client it did not create
    assert.equal(await client.ping(), 'PONG');
  });

  it('answers 503 when Redis cannot be reached (fails closed)', async () => {
    const dead = new JWTAuth({ secretKey: SECRET, revocationStore: 'redis://127.0.0.1:1' });
    closers.push(() => dead.close().catch(() => {}));
    const token = await dead.createToken({ user: 'x' });
    await assert.rejects(dead.verifyToken(token), { status: 503, code: 'ERR_JWT_STORE_UNAVAILABLE' });
  });
});

describe('JWT revocation when Redis does not answer', () => {
  it('answers 503 within the command timeout when Redis accepts connections but never replies', { timeout: 10_000 }, async () => {
    // A stand-in for a frozen Redis (paused, swapping, behind a black-holing network): it
    // accepts the connection and reads, but never answers.
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => {
      sockets.add(socket);
      socket.on('data', () => {});
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as { port: number };
    const auth = new JWTAuth({ secretKey: SECRET, revocationStore: new RedisRevocationStore(`redis://127.0.0.1:${port}`, { commandTimeout: 300 }) });
    try {
      const app = new CovetApp();
      app.get('/me', auth.requireToken(async (req) => ({ user: req.state.user.user })));
      const token = await auth.createToken({ user: 'alice' });
      const started = Date.now();
      const res = await app.inject({ url: '/me', headers: { authorization: `Bearer ${token}` } });
      assert.equal(res.status, 503);
      assert.deepEqual(JSON.parse(res.body.toString()), { error: 'Token revocation check unavailable' });
      assert.ok(Date.now() - started < 5000, `answered after ${Date.now() - started} ms`);
    } finally {
      await Promise.race([auth.close().catch(() => {}), new Promise((r) => setTimeout(r, 500))]);
      for (const socket of sockets) socket.destroy();
      await new Promise((r) => silent.close(r));
    }
  });

  it('does not log ioredis "Unhandled error event" lines while Redis is unreachable', async () => {
    const logged: unknown[][] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => void logged.push(args);
    const dead = new JWTAuth({ secretKey: SECRET, revocationStore: 'redis://127.0.0.1:1' });
    try {
      const token = await dead.createToken({ user: 'x' });
      await assert.rejects(dead.verifyToken(token), { status: 503, code: 'ERR_JWT_STORE_UNAVAILABLE' });
      await new Promise((r) => setTimeout(r, 200));
    } finally {
      console.error = original;
      await dead.close().catch(() => {});
    }
    assert.deepEqual(logged.filter((args) => String(args[0]).includes('ioredis')), []);
  });

  it('refuses a commandTimeout that is not a positive integer', () => {
    assert.throws(() => new RedisRevocationStore('redis://127.0.0.1:6379', { commandTimeout: 0 }), { code: 'ERR_JWT_STORE' });
  });
});
