// The Redis stores given an ioredis client of the app's own (which, by default, waits for ever
// for an answer): while that Redis hangs, a request must still end within the store's
// commandTimeout — the session store's 500, the revocation check's 503, the rate limiter's
// failOpen policy — as with the URL form, instead of hanging. Uses a redis-server of its own.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { CovetApp, RedisSessionStore, SessionMiddleware } from '../../../src/index.js';
import { JWTAuth, RateLimiter, RedisRateLimitStore, RedisRevocationStore } from '../../../src/security/index.js';
import { memoryLogger, REQUIRE_SERVICES } from '../../helpers/server.js';
import { ThrowawayRedis } from '../cache/redis-helpers.js';

const hasRedisServer = spawnSync('redis-server', ['--version']).status === 0;
const skip = !hasRedisServer && !REQUIRE_SERVICES ? 'redis-server is not installed' : false;

describe('Redis stores with a client passed in, while Redis hangs', { timeout: 30_000, skip }, () => {
  let redis: ThrowawayRedis | null = null;
  let client: Redis | null = null;
  after(async () => {
    redis?.pause(false);
    client?.disconnect();
    await redis?.stop();
  });

  it('answer within commandTimeout: session 500, revoked-token check 503, rate limit 503 (failOpen: false)', async () => {
    redis = await ThrowawayRedis.start();
    client = new Redis(redis.url);
    const jwt = new JWTAuth({ secretKey: 'hang-test-secret-0123456789abcdef', revocationStore: new RedisRevocationStore(client, { commandTimeout: 300 }) });
    const limiter = new RateLimiter({ storage: new RedisRateLimitStore(client, { commandTimeout: 300 }), failOpen: false, onStoreError: () => {} });
    const sessions = new SessionMiddleware({ secretKey: 'hang-test-session-secret-0123', store: new RedisSessionStore(client, { commandTimeout: 300 }) });
    const app = new CovetApp({ logger: memoryLogger() });
    app.post('/session', { middleware: [sessions] }, (req) => {
      req.session.set('n', 1);
      return 'ok';
    });
    app.get('/limited', limiter.limit('5/minute', () => 'ok'));
    app.get('/token', jwt.requireToken(() => 'ok'));
    const token = await jwt.createToken({ sub: 'ann' });
    const auth = { authorization: `Bearer ${token}` };
    // Everything works while Redis answers.
    assert.equal((await app.inject({ method: 'POST', url: '/session' })).status, 200);
    assert.equal((await app.inject({ url: '/limited' })).status, 200);
    assert.equal((await app.inject({ url: '/token', headers: auth })).status, 200);

    redis.pause(true);
    const timed = async (req: Parameters<CovetApp['inject']>[0]) => {
      const started = Date.now();
      const res = await Promise.race([app.inject(req), new Promise<null>((r) => setTimeout(() => r(null), 5_000))]);
      return { res, ms: Date.now() - started };
    };
    const session = await timed({ method: 'POST', url: '/session' });
    assert.equal(session.res?.status, 500, 'the session store failed within its timeout');
    const limited = await timed({ url: '/limited' });
    assert.equal(limited.res?.status, 503);
    assert.deepEqual(JSON.parse(limited.res?.body.toString() ?? 'null'), { error: 'Service Unavailable' });
    const revoked = await timed({ url: '/token', headers: auth });
    assert.equal(revoked.res?.status, 503);
    assert.deepEqual(JSON.parse(revoked.res?.body.toString() ?? 'null'), { error: 'Token revocation check unavailable' });
    for (const { ms } of [session, limited, revoked]) assert.ok(ms < 2_000, `took ${ms} ms`);
    redis.pause(false);
  });

  it('RedisRateLimitStore refuses a commandTimeout that is not a positive integer', () => {
    assert.throws(() => new RedisRateLimitStore('redis://127.0.0.1:6379', { commandTimeout: 0 }), { code: 'ERR_RATE_LIMIT_OPTIONS' });
  });
});
