// CacheManager on the real Redis at REDIS_URL. Without it these tests skip, unless
// COVET_REQUIRE_SERVICES=1 (CI), where they fail.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { CovetApp, HTTPException, Response } from '../../../src/index.js';
import { CacheManager, type CacheManagerOptions, cacheResult } from '../../../src/cache/index.js';
import { TestClient } from '../../../src/testing/index.js';
import { memoryLogger } from '../../helpers/server.js';
import { CacheChild, dropNamespace, eventually, redisUrl, skipWithoutRedis, testNamespace } from './redis-helpers.js';

const T = { timeout: 30_000, skip: skipWithoutRedis };
const namespaces: string[] = [];
const caches: CacheManager[] = [];
let raw: Redis | null = null;

function inspector(): Redis {
  return (raw ??= new Redis(redisUrl()));
}

function redisCache(options: Partial<CacheManagerOptions> = {}, namespace = testNamespace('redis')): CacheManager {
  namespaces.push(namespace);
  const cache = new CacheManager({ backend: 'redis', redisUrl: redisUrl(), namespace, ...options });
  caches.push(cache);
  return cache;
}

after(async () => {
  await Promise.all(caches.map((c) => c.close()));
  for (const ns of namespaces) await dropNamespace(ns);
  await raw?.quit();
});

describe('CacheManager (redis backend)', () => {
  it('connects again after close(), so an app started and stopped twice keeps its cache (two TestClients)', T, async () => {
    const cache = redisCache();
    const app = new CovetApp();
    app.onShutdown(() => cache.close());
    app.get('/count', async () => ({ n: await cache.increment('hits') }));
    for (const expected of [1, 2]) {
      await using client = new TestClient(app);
      const res = await client.get('/count');
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(res.json(), { n: expected });
    }
    // While close() runs, an operation is refused; once it is done, the next one reconnects.
    await cache.set('k', 1, { ttl: 60 });
    const closing = cache.close();
    await assert.rejects(cache.increment('hits'), { code: 'ERR_CACHE_CLOSED' });
    await closing;
    assert.equal(await cache.get('k'), 1);
  });

  it('round-trips rich values through Redis, stored in the documented format', T, async () => {
    const cache = redisCache();
    const value = { at: new Date('2026-01-01T00:00:00Z'), bytes: Buffer.from([1, 2, 3]), ids: new Set([1, 2]), byId: new Map([[1, { name: 'a' }]]), big: 2n ** 70n, gone: undefined, none: null };
    await cache.set('rich', value, { ttl: 60 });
    assert.deepEqual(await cache.get('rich'), value);
    const stored = await inspector().get(`${cache.namespace}:rich`);
    assert.equal(
      stored,
      '{"at":{"$D":"2026-01-01T00:00:00.000Z"},"bytes":{"$B":"AQID"},"ids":{"$S":[1,2]},"byId":{"$M":[[1,{"name":"a"}]]},"big":{"$n":"1180591620717411303424"},"gone":{"$u":1},"none":null}',
    );
    await cache.set('plain', { name: 'Ada', tags: ['x'] });
    assert.equal(await inspector().get(`${cache.namespace}:plain`), '{"name":"Ada","tags":["x"]}', 'plain JSON stays readable by anyone');
    await inspector().set(`${cache.namespace}:foreign`, '{"written":"elsewhere"}');
    assert.deepEqual(await cache.get('foreign'), { written: 'elsewhere' });
  });

  it('sets TTLs in Redis (seconds; defaultTtl; 0 for none) and expires entries', T, async () => {
    const cache = redisCache({ defaultTtl: 120 });
    await cache.set('default', 1);
    await cache.set('short', 1, { ttl: 0.2 });
    await cache.set('forever', 1, { ttl: 0 });
    const pttl = await inspector().pttl(`${cache.namespace}:default`);
    assert.ok(pttl > 110_000 && pttl <= 120_000, `pttl ${pttl}`);
    assert.equal(await inspector().pttl(`${cache.namespace}:forever`), -1);
    await eventually(async () => assert.equal(await cache.get('short'), undefined));
    assert.equal(await cache.has('default'), true);
  });

  it('deletes, checks and clears its own namespace only', T, async () => {
    const a = redisCache();
    const b = redisCache();
    await a.set('k', 'a');
    await b.set('k', 'b');
    await a.set('tagged', 1, { tags: ['t'] });
    await inspector().set(`${a.namespace}x:outside`, 'not ours');
    namespaces.push(`${a.namespace}x`);
    assert.equal(await a.has('k'), true);
    await a.clear();
    assert.equal(await a.get('k'), undefined);
    assert.equal(await inspector().exists(`${a.namespace}~t:t`), 0, 'tag sets go too');
    assert.equal(await b.get('k'), 'b');
    assert.equal(await inspector().get(`${a.namespace}x:outside`), 'not ours');
    assert.equal(await b.delete('k'), true);
    assert.equal(await b.delete('k'), false);
  });

  it('gets and sets many, writing nothing when one value is bad', T, async () => {
    const cache = redisCache();
    await cache.setMany({ a: 1, b: new Date(0), c: [3] }, { ttl: 60, tags: ['many'] });
    assert.deepEqual(await cache.getMany(['a', 'b', 'c', 'd']), [1, new Date(0), [3], undefined]);
    assert.ok((await inspector().pttl(`${cache.namespace}:b`)) > 50_000);
    await assert.rejects(cache.setMany({ x: 1, y: () => 2 }), { code: 'ERR_CACHE_UNSERIALIZABLE' });
    assert.equal(await inspector().exists(`${cache.namespace}:x`), 0);
    assert.equal(await cache.invalidateTags(['many']), 3);
  });

  it('refuses huge keys and values before touching Redis', T, async () => {
    const cache = redisCache({ maxValueSize: 1024 });
    await assert.rejects(cache.set('big', 'x'.repeat(2000)), { code: 'ERR_CACHE_VALUE_TOO_LARGE' });
    await assert.rejects(cache.set('k'.repeat(2000), 1), { code: 'ERR_CACHE_KEY_TOO_LARGE' });
    assert.equal(await inspector().exists(`${cache.namespace}:big`), 0);
  });

  it('increments with INCRBY, keeping the expiry, and refuses non-integers', T, async () => {
    const cache = redisCache();
    assert.equal(await cache.increment('hits', 1, { ttl: 60 }), 1);
    assert.equal(await cache.increment('hits', 41), 42);
    assert.equal(await cache.get('hits'), 42);
    const pttl = await inspector().pttl(`${cache.namespace}:hits`);
    assert.ok(pttl > 50_000 && pttl <= 60_000);
    await cache.set('name', 'ada');
    await assert.rejects(cache.increment('name'), { code: 'ERR_CACHE_NOT_INTEGER' });
  });

  it('invalidates tags across instances', T, async () => {
    const ns = testNamespace('tags');
    const a = redisCache({}, ns);
    const b = redisCache({}, ns);
    await a.set('user:1', { name: 'x' }, { tags: ['user:1'] });
    await b.set('user:1:posts', [1], { tags: ['user:1'], ttl: 10 });
    await b.set('user:2', 2, { tags: ['user:2'] });
    assert.equal(await b.invalidateTags(['user:1']), 2);
    assert.deepEqual(await a.getMany(['user:1', 'user:1:posts', 'user:2']), [undefined, undefined, 2]);
  });

  it('keeps a tag set to about the live entries: expired members are trimmed, the set expires with its last', T, async () => {
    const ns = testNamespace('tagset');
    const cache = redisCache({}, ns);
    const tagKey = `${ns}~t:t`;
    await cache.set('old1', 1, { ttl: 0.1, tags: ['t'] });
    await cache.setMany({ old2: 2, old3: 3 }, { ttl: 0.1, tags: ['t', 'u'] });
    assert.deepEqual(await inspector().zrange(tagKey, 0, -1), [`${ns}:old1`, `${ns}:old2`, `${ns}:old3`]);
    assert.ok((await inspector().pttl(tagKey)) <= 100);
    await new Promise((r) => setTimeout(r, 150));
    await cache.set('new', 'n', { ttl: 60, tags: ['t'] });
    assert.deepEqual(await inspector().zrange(tagKey, 0, -1), [`${ns}:new`]);
    const pttl = await inspector().pttl(tagKey);
    assert.ok(pttl > 59_000 && pttl <= 60_000, `pttl ${pttl}`);
    assert.equal(await inspector().exists(`${ns}~t:u`), 0, 'a tag nobody writes any more expires with its entries');
    // A member without expiry keeps the set for good.
    await cache.set('forever', 'f', { ttl: 0, tags: ['t'] });
    assert.equal(await inspector().zscore(tagKey, `${ns}:forever`), 'inf');
    assert.equal(await inspector().pttl(tagKey), -1);
    // A shorter write does not shorten the set's life below its longest member.
    await cache.set('forever', 'f', { ttl: 5, tags: ['t'] });
    const longest = await inspector().pttl(tagKey);
    assert.ok(longest > 59_000 && longest <= 60_000, `pttl ${longest}`);
    assert.equal(await cache.invalidateTags(['t']), 2);
    assert.deepEqual(await cache.getMany(['new', 'forever']), [undefined, undefined]);
    assert.equal(await inspector().exists(tagKey), 0);
  });

  it('memoized results under steady traffic leave a bounded tag set, and clear() still drops them all', T, async () => {
    const ns = testNamespace('tagset-fn');
    const cache = redisCache({}, ns);
    let runs = 0;
    const memoize = (ttl: number) =>
      cacheResult({ ttl, cache }, async function getPrefs(userId: number) {
        runs++;
        return { userId };
      });
    const shortLived = memoize(0.1);
    for (let id = 0; id < 200; id++) await shortLived(id);
    await new Promise((r) => setTimeout(r, 150));
    const getPrefs = memoize(60);
    for (let id = 200; id < 210; id++) await getPrefs(id);
    assert.equal(await inspector().zcard(`${ns}~t:fn:getPrefs`), 10); // was 210, and growing
    await getPrefs.clear();
    assert.equal(await inspector().exists(`${ns}~t:fn:getPrefs`), 0);
    runs = 0;
    assert.deepEqual(await getPrefs(205), { userId: 205 });
    assert.equal(runs, 1);
  });

  it('computes a missing value once across instances that share Redis (stampede lock)', T, async () => {
    const ns = testNamespace('stampede');
    const instances = Array.from({ length: 5 }, () => redisCache({}, ns));
    let computed = 0;
    const load = async () => {
      computed++;
      await new Promise((r) => setTimeout(r, 300));
      return { expensive: true };
    };
    const results = await Promise.all(instances.flatMap((cache) => [cache.getOrSet('hot', load, { ttl: 60 }), cache.getOrSet('hot', load, { ttl: 60 })]));
    assert.equal(computed, 1);
    assert.ok(results.every((r) => r.expensive === true));
    assert.equal(await inspector().exists(`${ns}~l:hot`), 0, 'the lock is released');
  });

  it('computes once across processes, too', { ...T, timeout: 60_000 }, async () => {
    const ns = testNamespace('procs');
    namespaces.push(ns);
    const children = Array.from({ length: 3 }, () => new CacheChild({ CACHE_KIND: 'redis', REDIS_URL: redisUrl(), CACHE_NAMESPACE: ns }));
    try {
      // Every child loads its modules first, so they really start together.
      await Promise.all(children.map((c) => c.call('get', 'warm-up')));
      const results = await Promise.all(children.map((c) => c.call<string>('getOrSetSlow', 'report', 500)));
      assert.equal(new Set(results).size, 1, 'all got the one computed value');
      assert.equal(await inspector().get(`${ns}:report:computed`), '1');
    } finally {
      await Promise.all(children.map((c) => c.close()));
    }
  });

  it('lets waiters compute when the lock holder fails', T, async () => {
    const ns = testNamespace('lockfail');
    const [a, b] = [redisCache({}, ns), redisCache({}, ns)];
    let holding: () => void = () => {};
    const held = new Promise<void>((r) => {
      holding = r;
    });
    const failing = a.getOrSet('k', async () => {
      holding();
      await new Promise((r) => setTimeout(r, 100));
      throw new Error('holder failed');
    });
    // b starts once a holds the lock (its loader runs), however slow a's first commands were.
    await held;
    const started = Date.now();
    const waiter = b.getOrSet('k', async () => 'from b');
    await assert.rejects(failing, /holder failed/);
    assert.equal(await waiter, 'from b');
    assert.ok(Date.now() - started < 4_000, 'did not wait for the lock to expire');
  });

  it('lets waiters run their own handler at once when the lock holder’s response is not cacheable', T, async () => {
    const ns = testNamespace('lock-uncacheable');
    let running = 0;
    let peak = 0;
    let runs = 0;
    const slow = async <V>(value: () => V): Promise<V> => {
      runs++;
      peak = Math.max(peak, ++running);
      await new Promise((r) => setTimeout(r, 300));
      running--;
      return value();
    };
    const clients = Array.from({ length: 4 }, () => {
      const cache = redisCache({}, ns);
      const app = new CovetApp();
      app.get('/item/{id}', cache.cached({ ttl: 60 }, () => slow(() => new Response('{"error":"no such item"}', { status: 404, headers: { 'content-type': 'application/json' } }))));
      app.get('/live', cache.cached({ ttl: 60 }, () => slow(() => new Response('{"price":1}', { headers: { 'cache-control': 'no-store', 'content-type': 'application/json' } }))));
      app.get('/thrown/{id}', cache.cached({ ttl: 60 }, () => slow(() => {
        throw new HTTPException(404, 'no such item');
      })));
      return new TestClient(app);
    });
    try {
      for (const path of ['/item/42', '/live', '/thrown/42']) {
        for (const wave of [1, 2]) {
          running = peak = runs = 0;
          const responses = await Promise.all(clients.map((c) => c.get(path)));
          for (const res of responses) {
            if (path === '/live') {
              assert.equal(res.status, 200);
              assert.deepEqual(res.json(), { price: 1 });
            } else if (path === '/thrown/42') {
              assert.equal(res.status, 404);
              assert.deepEqual(res.json(), { error: 'no such item' });
            } else {
              assert.equal(res.status, 404);
              assert.deepEqual(res.json(), { error: 'no such item' });
            }
          }
          assert.equal(runs, 4);
          // First wave: one holder, then the three waiters together (they used to take the lock
          // one after another: 1). Right after, the lock remembers: all four at once.
          assert.equal(peak, wave === 1 ? 3 : 4, `${path}, wave ${wave}`);
        }
      }
    } finally {
      for (const c of clients) await c.close();
    }
  });

  it('does not store a load that an invalidation overtook; calls after it load afresh', T, async () => {
    const cache = redisCache();
    await cache.ping();
    const db = { theme: 'light' };
    let loads = 0;
    const getPrefs = cacheResult({ ttl: 300, cache }, async function getPrefs(_id: number) {
      loads++;
      const snapshot = { ...db };
      await new Promise((r) => setTimeout(r, 100));
      return snapshot;
    });
    const inflight = getPrefs(1);
    await new Promise((r) => setTimeout(r, 20));
    db.theme = 'dark';
    await getPrefs.invalidate(1);
    assert.deepEqual(await getPrefs(1), { theme: 'dark' });
    assert.deepEqual(await inflight, { theme: 'light' });
    assert.equal(await inspector().get(`${cache.namespace}:fn:getPrefs:[1]`), '{"theme":"dark"}');
    assert.deepEqual(await getPrefs(1), { theme: 'dark' });
    assert.equal(loads, 2);
  });

  it('serves stale values while one refresh runs (stale-while-revalidate)', T, async () => {
    let t = Date.now();
    const cache = redisCache({ now: () => t });
    let version = 0;
    const load = async () => ++version;
    assert.equal(await cache.getOrSet('swr', load, { ttl: 10, staleWhileRevalidate: 60 }), 1);
    const pttl = await inspector().pttl(`${cache.namespace}:swr`);
    assert.ok(pttl > 60_000, 'kept in Redis for ttl + the stale window');
    t += 11_000;
    assert.equal(await cache.getOrSet('swr', load, { ttl: 10, staleWhileRevalidate: 60 }), 1);
    await eventually(async () => assert.equal(await cache.getOrSet('swr', load, { ttl: 10, staleWhileRevalidate: 60 }), 2));
    assert.equal(version, 2);
  });

  it('shares cached pages and memoized results between app instances', T, async () => {
    const ns = testNamespace('pages');
    let renders = 0;
    const makeApp = () => {
      const cache = redisCache({}, ns);
      const app = new CovetApp();
      app.get('/report', cache.cached({ ttl: 60 }, async (req) => ({ renders: ++renders, q: req.queryParams.get('q') })));
      return app;
    };
    await using one = new TestClient(makeApp());
    await using two = new TestClient(makeApp());
    const first = await one.get('/report?q=1');
    const second = await two.get('/report?q=1');
    assert.deepEqual(second.json(), first.json());
    assert.equal(second.headers.get('x-cache'), 'HIT');
    assert.equal(second.headers.get('etag'), first.headers.get('etag'));
    assert.equal((await two.get('/report?q=1', { headers: { 'if-none-match': first.headers.get('etag') as string } })).status, 304);
    assert.equal(renders, 1);

    let calls = 0;
    const shared = redisCache({}, ns);
    const prefs = cacheResult({ ttl: 60, cache: shared, name: 'prefs' }, async (id: number) => ({ id, calls: ++calls }));
    const prefsElsewhere = cacheResult({ ttl: 60, cache: redisCache({}, ns), name: 'prefs' }, async (id: number) => ({ id, calls: ++calls }));
    assert.deepEqual(await prefs(7), { id: 7, calls: 1 });
    assert.deepEqual(await prefsElsewhere(7), { id: 7, calls: 1 });
  });

  it('treats an undecodable entry as a miss and logs it', T, async () => {
    const logger = memoryLogger();
    const cache = redisCache({ logger });
    await inspector().set(`${cache.namespace}:broken`, 'not json {');
    assert.equal(await cache.get('broken'), undefined);
    assert.match(logger.lines.join('\n'), /could not be decoded/);
  });

  it('uses a client it is given and leaves it open', T, async () => {
    const client = new Redis(redisUrl());
    const logger = memoryLogger();
    const cache = new CacheManager({ redis: client, namespace: testNamespace('client'), logger });
    namespaces.push(cache.namespace);
    await cache.set('k', 1);
    assert.equal(await cache.get('k'), 1);
    assert.equal(await cache.ping(), true);
    await cache.close();
    assert.equal(await client.ping(), 'PONG');
    await client.quit();
    // The cache keeps using the client it was given; the owner quit it, so reads are misses.
    assert.equal(await cache.get('k'), undefined);
    assert.match(logger.lines.join('\n'), /failed during get; serving misses/);
  });
});
