// Shutdown while Redis hangs or is down: the stores that open their own ioredis client
// (RedisSessionStore, RedisRevocationStore through JWTAuth, RedisRateLimitStore through
// RateLimiter) must close without throwing — a frozen Redis used to make `close()` reject with
// "Command timed out", so `app.close()` failed ("One or more shutdown hooks failed") and
// `covet run` exited 1. Uses a redis-server of its own (frozen and killed here).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, describe, it } from 'node:test';
import { CovetApp } from '../../../src/index.js';
import { RedisSessionStore } from '../../../src/http/session-redis-store.js';
import { JWTAuth, RateLimiter } from '../../../src/security/index.js';
import { memoryLogger, REQUIRE_SERVICES } from '../../helpers/server.js';
import { ThrowawayRedis } from '../cache/redis-helpers.js';

const hasRedisServer = spawnSync('redis-server', ['--version']).status === 0;
const skip = !hasRedisServer && !REQUIRE_SERVICES ? 'redis-server is not installed' : false;
const T = { timeout: 30_000, skip };

describe('Redis-backed stores close while Redis is unavailable', () => {
  const servers: ThrowawayRedis[] = [];
  after(async () => {
    for (const redis of servers) {
      redis.pause(false);
      await redis.stop();
    }
  });

  /** Opens every store's connection (one command each), so there is something to close. */
  async function openStores(url: string) {
    const sessions = new RedisSessionStore(url, { commandTimeout: 300 });
    const jwt = new JWTAuth({ secretKey: 'close-test-secret-0123456789abcdef', revocationStore: url });
    const limiter = new RateLimiter({ defaultLimits: '5/minute', storage: url as `redis://${string}`, failOpen: false });
    const app = new CovetApp({ logger: memoryLogger() });
    app.addMiddleware(limiter);
    app.get('/', () => 'ok');
    app.onShutdown(() => sessions.close());
    app.onShutdown(() => jwt.close());
    app.onShutdown(() => limiter.close());
    assert.equal(await sessions.get('nope'), null);
    assert.equal(await jwt.isRevoked('nope'), false);
    assert.equal((await app.inject({ url: '/' })).status, 200);
    return { app };
  }

  it('a frozen Redis (no answer to QUIT): close() resolves and the app shuts down cleanly', T, async () => {
    const redis = await ThrowawayRedis.start();
    servers.push(redis);
    const { app } = await openStores(redis.url);
    redis.pause(true);
    const started = Date.now();
    await assert.doesNotReject(app.close());
    // Each QUIT is bounded by its store's command timeout (300 ms, 1 s, 1 s).
    assert.ok(Date.now() - started < 5_000, `closing took ${Date.now() - started} ms`);
    redis.pause(false);
  });

  it('each store on its own: close() resolves while Redis is frozen', T, async () => {
    const redis = await ThrowawayRedis.start();
    servers.push(redis);
    const sessions = new RedisSessionStore(redis.url, { commandTimeout: 300 });
    const jwt = new JWTAuth({ secretKey: 'close-test-secret-0123456789abcdef', revocationStore: redis.url });
    await sessions.set('s', { a: 1 }, 60);
    await jwt.isRevoked('nope');
    redis.pause(true);
    await assert.doesNotReject(sessions.close());
    await assert.doesNotReject(jwt.close());
    redis.pause(false);
  });

  it('a Redis that went away: close() resolves at once', T, async () => {
    const redis = await ThrowawayRedis.start();
    servers.push(redis);
    const { app } = await openStores(redis.url);
    await redis.stop();
    const started = Date.now();
    await assert.doesNotReject(app.close());
    assert.ok(Date.now() - started < 1_000, `closing took ${Date.now() - started} ms`);
  });
});
