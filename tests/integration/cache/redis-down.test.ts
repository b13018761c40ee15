// Redis going away mid-run: requests keep succeeding (as cache misses), one warning is logged
// per outage, `ping()` reports the outage, and caching resumes when Redis is back. Uses a
// redis-server of its own (stopped and restarted here), not the shared one.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { CovetApp } from '../../../src/index.js';
import { CacheManager, MultiLevelCache } from '../../../src/cache/index.js';
import { TestClient } from '../../../src/testing/index.js';
import { memoryLogger, REQUIRE_SERVICES, withServer } from '../../helpers/server.js';
import { eventually, freePort, ThrowawayRedis } from './redis-helpers.js';

const hasRedisServer = spawnSync('redis-server', ['--version']).status === 0;
const skip = !hasRedisServer && !REQUIRE_SERVICES ? 'redis-server is not installed' : false;
const T = { timeout: 60_000, skip };

function quietLogger(): ReturnType<typeof memoryLogger> & { warnings: string[]; warn: (m: string) => void } {
  const base = memoryLogger();
  const warnings: string[] = [];
  return Object.assign(base, { warnings, warn: (m: string) => void warnings.push(m) });
}

describe('cache with Redis down', () => {
  let redis: ThrowawayRedis | null = null;
  before(async () => {
    if (skip === false) redis = await ThrowawayRedis.start();
  });
  after(async () => {
    await redis?.stop();
  });

  it('serves every request while Redis is stopped mid-test, then caches again once it is back', T, async () => {
    const server = redis as ThrowawayRedis;
    const logger = quietLogger();
    const cache = new CacheManager({ backend: 'redis', redisUrl: server.url, commandTimeout: 500, logger, namespace: 'down' });
    const multi = new MultiLevelCache([{ type: 'memory', size: 100 }, { type: 'redis', url: server.url }], { commandTimeout: 500, logger, namespace: 'down-ml' });
    const app = new CovetApp({ logger });
    let renders = 0;
    let loads = 0;
    app.get('/expensive', cache.cached({ ttl: 60 }, async () => ({ renders: ++renders })));
    app.get('/data/{id:int}', async (req) => multi.getOrSet(`data:${req.params.id}`, async () => ({ id: req.params.id, loads: ++loads }), { ttl: 60 }));
    app.get('/manual', async () => {
      const hit = await cache.get('manual');
      if (hit !== undefined) return { hit };
      await cache.set('manual', 'value');
      await cache.delete('other');
      return { hit: null, has: await cache.has('manual') };
    });
    app.get('/health', async () => {
      try {
        await cache.ping();
        return { status: 'healthy' };
      } catch (err) {
        return [{ status: 'unhealthy', error: (err as Error).message }, 503];
      }
    });
    app.onShutdown(() => Promise.all([cache.close(), multi.close()]));

    await withServer(app, async ({ url }) => {
      const get = async (path: string) => {
        const res = await fetch(url + path);
        return { status: res.status, cache: res.headers.get('x-cache'), body: (await res.json()) as Record<string, unknown> };
      };
      // Up: the second request of each is a hit.
      assert.equal((await get('/expensive')).cache, 'MISS');
      assert.equal((await get('/expensive')).cache, 'HIT');
      await get('/data/1');
      assert.deepEqual((await get('/data/1')).body, { id: 1, loads: 1 });
      assert.equal((await get('/health')).body.status, 'healthy');

      await server.stop();

      // Down: every request still answers 200, as a miss, without waiting long.
      const started = Date.now();
      for (let i = 0; i < 5; i++) {
        const res = await get('/expensive');
        assert.equal(res.status, 200);
        assert.equal(res.cache, 'MISS');
        const data = await get('/data/1');
        assert.equal(data.status, 200);
        assert.equal((await get('/manual')).status, 200);
      }
      assert.ok(Date.now() - started < 15_000, `took ${Date.now() - started} ms`);
      assert.equal(renders, 6);
      assert.ok(loads >= 5, 'the multi-level cache missed too (its L1 is not trusted without pub/sub)');
      const health = await get('/health');
      assert.equal(health.status, 503);
      assert.match(String(health.body.error), /Redis is unavailable/);
      assert.equal(await cache.get('anything'), undefined);
      await assert.rejects(cache.increment('n'), { code: 'ERR_CACHE_UNAVAILABLE' });

      // One warning per cache per outage, not one per request.
      const warnings = logger.warnings.filter((w) => /serving misses/.test(w));
      assert.ok(warnings.length >= 1 && warnings.length <= 2, warnings.join('\n'));
      assert.deepEqual(logger.errors, [], 'no request failed');

      await server.start();

      await eventually(async () => {
        await get('/expensive');
        assert.equal((await get('/expensive')).cache, 'HIT');
      }, 20_000);
      await eventually(async () => assert.equal((await get('/health')).body.status, 'healthy'), 20_000);
      await eventually(async () => {
        await get('/data/2');
        const before = loads;
        await get('/data/2');
        assert.equal(loads, before);
      }, 20_000);
      assert.ok(logger.lines.some((l) => /available again/.test(l)));
    });
  });

  it('does not make every request wait while Redis hangs: requests skip it, one a second tries it again', T, async () => {
    const server = redis as ThrowawayRedis;
    const logger = quietLogger();
    const cache = new CacheManager({ backend: 'redis', redisUrl: server.url, commandTimeout: 400, logger, namespace: 'hang' });
    const app = new CovetApp({ logger });
    let renders = 0;
    app.get('/page', cache.cached({ ttl: 60 }, () => ({ renders: ++renders })));
    app.onShutdown(() => cache.close());
    await using client = new TestClient(app);
    assert.equal((await client.get('/page')).headers.get('x-cache'), 'MISS');
    assert.equal((await client.get('/page')).headers.get('x-cache'), 'HIT');
    server.pause(true);
    try {
      // The first request finds the hang (its read times out); for the next second the others skip Redis.
      const first = Date.now();
      assert.equal((await client.get('/page')).status, 200);
      assert.ok(Date.now() - first >= 350, `the first request waited ${Date.now() - first} ms`);
      const times: number[] = [];
      for (let i = 0; i < 5; i++) {
        const started = Date.now();
        const res = await client.get('/page');
        times.push(Date.now() - started);
        assert.deepEqual([res.status, res.headers.get('x-cache')], [200, 'MISS']);
      }
      // Well under the 400 ms a read of the hung Redis would wait.
      assert.ok(Math.max(...times) < 300, `requests during the hang took ${times.join(', ')} ms`);
      assert.equal(logger.warnings.filter((w) => /serving misses/.test(w)).length, 1);
    } finally {
      server.pause(false);
    }
    // Thawed: the next request that tries Redis finds it, and caching resumes.
    await eventually(async () => {
      await client.get('/page');
      assert.equal((await client.get('/page')).headers.get('x-cache'), 'HIT');
    }, 10_000);
    assert.ok(logger.lines.some((l) => /available again/.test(l)));
  });

  it('MultiLevelCache stops serving its memory level when the link to Redis hangs, then resumes', T, async () => {
    const server = redis as ThrowawayRedis;
    const logger = quietLogger();
    const options = { commandTimeout: 300, logger, namespace: 'ml-hang' };
    const a = new MultiLevelCache([{ type: 'memory', size: 100 }, { type: 'redis', url: server.url }], options);
    const b = new MultiLevelCache([{ type: 'memory', size: 100 }, { type: 'redis', url: server.url }], options);
    try {
      await a.set('k', 'v1');
      assert.equal(await b.get('k'), 'v1'); // now in b's memory level
      server.pause(true);
      let paused = true;
      try {
        // No event tells b that invalidations stopped; its PING does, within about 1 s + commandTimeout.
        await new Promise((r) => setTimeout(r, 1_800));
        assert.ok(logger.warnings.some((w) => /did not answer a PING/.test(w)), logger.warnings.join(' | '));
        // Bypassed: the read goes to Redis (which hangs: a miss), not to the old memory copy.
        // A recovery attempt runs beside it, so it costs one commandTimeout, not two.
        const started = Date.now();
        assert.equal(await b.get('k'), undefined);
        const took = Date.now() - started;
        assert.ok(took >= 250 && took < 590, `the read took ${took} ms`); // one 300 ms timeout, not two
        server.pause(false);
        paused = false;
      } finally {
        if (paused) server.pause(false);
      }
      await eventually(async () => assert.equal(await b.get('k'), 'v1'), 10_000);
      // Listening again: a change on a reaches b.
      await eventually(async () => {
        await a.set('k', 'v2');
        assert.equal(await b.get('k'), 'v2');
      }, 10_000);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('serves misses quickly when Redis was never there', T, async () => {
    const port = await freePort();
    const logger = quietLogger();
    const cache = new CacheManager(`redis://127.0.0.1:${port}`);
    const quiet = new CacheManager({ redisUrl: `redis://127.0.0.1:${port}`, commandTimeout: 300, logger });
    const app = new CovetApp({ logger });
    let renders = 0;
    app.get('/r', quiet.cached({ ttl: 60 }, () => ({ renders: ++renders })));
    await using client = new TestClient(app);
    const started = Date.now();
    for (let i = 0; i < 10; i++) assert.equal((await client.get('/r')).status, 200);
    assert.equal(renders, 10);
    assert.ok(Date.now() - started < 10_000);
    assert.equal(logger.warnings.length, 1);
    await assert.rejects(cache.ping(), { code: 'ERR_CACHE_UNAVAILABLE' });
    await cache.close();
    await quiet.close();
  });
});
