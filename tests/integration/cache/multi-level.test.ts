// MultiLevelCache (memory L1 + Redis L2) on the real Redis at REDIS_URL, including the proof
// that a delete in one process evicts the L1 copy in another. Without REDIS_URL these tests
// skip, unless COVET_REQUIRE_SERVICES=1 (CI), where they fail.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { CovetApp } from '../../../src/index.js';
import { MultiLevelCache } from '../../../src/cache/index.js';
import { TestClient } from '../../../src/testing/index.js';
import { memoryLogger } from '../../helpers/server.js';
import { CacheChild, dropNamespace, eventually, redisUrl, skipWithoutRedis, testNamespace } from './redis-helpers.js';

const T = { timeout: 30_000, skip: skipWithoutRedis };
const namespaces: string[] = [];
const caches: MultiLevelCache[] = [];
let raw: Redis | null = null;

function inspector(): Redis {
  return (raw ??= new Redis(redisUrl()));
}

function multi(namespace: string, memoryTtl?: number, maxBytes?: number): MultiLevelCache {
  if (!namespaces.includes(namespace)) namespaces.push(namespace);
  const memory = { type: 'memory', size: 1000, ...(memoryTtl === undefined ? {} : { ttl: memoryTtl }), ...(maxBytes === undefined ? {} : { maxBytes }) } as const;
  const cache = new MultiLevelCache([memory, { type: 'redis', url: redisUrl() }], { namespace, logger: memoryLogger() });
  caches.push(cache);
  return cache;
}

after(async () => {
  await Promise.all(caches.map((c) => c.close()));
  for (const ns of namespaces) await dropNamespace(ns);
  await raw?.quit();
});

describe('MultiLevelCache', () => {
  it('connects and listens again after close(): other instances still evict its memory copies', T, async () => {
    const ns = testNamespace('ml-reopen');
    const a = multi(ns);
    const b = multi(ns);
    await a.set('k', 'one', { ttl: 60 });
    assert.equal(await b.get('k'), 'one');
    await b.close();
    assert.equal(await b.get('k'), 'one'); // reconnected, and back in its memory level
    await a.set('k', 'two', { ttl: 60 });
    await eventually(async () => assert.equal(await b.get('k'), 'two'));
  });

  it('writes through to Redis and reads through, filling L1 from Redis', T, async () => {
    const ns = testNamespace('ml');
    const a = multi(ns);
    const b = multi(ns);
    assert.equal(a.backend, 'multi-level');
    await a.set('k', { v: 1, at: new Date(0) }, { ttl: 60 });
    assert.equal(await inspector().get(`${ns}:k`), '{"v":1,"at":{"$D":"1970-01-01T00:00:00.000Z"}}');
    assert.deepEqual(await b.get('k'), { v: 1, at: new Date(0) }); // L2 → b's L1
    // Change Redis behind the caches' backs: b answers from its L1 now.
    await inspector().set(`${ns}:k`, '{"v":"changed behind our back"}', 'PX', 60_000);
    assert.deepEqual(await b.get('k'), { v: 1, at: new Date(0) });
    assert.deepEqual(await a.get('k'), { v: 1, at: new Date(0) });
  });

  it('evicts other instances’ L1 copies on set, delete, increment, tags and clear', T, async () => {
    const ns = testNamespace('ml-inval');
    const a = multi(ns);
    const b = multi(ns);
    await a.set('k', 'v1');
    assert.equal(await b.get('k'), 'v1');
    await a.set('k', 'v2');
    await eventually(async () => assert.equal(await b.get('k'), 'v2'));
    await a.delete('k');
    await eventually(async () => assert.equal(await b.get('k'), undefined));

    await a.set('n', 1);
    assert.equal(await b.get('n'), 1);
    assert.equal(await a.increment('n', 2), 3);
    await eventually(async () => assert.equal(await b.get('n'), 3));

    await a.set('tagged', 'x', { tags: ['user:1'] });
    assert.equal(await b.get('tagged'), 'x');
    assert.equal(await b.invalidateTags(['user:1']), 1);
    await eventually(async () => assert.equal(await a.get('tagged'), undefined));

    await b.set('c', 'y');
    assert.equal(await a.get('c'), 'y');
    await b.clear();
    await eventually(async () => assert.equal(await a.get('c'), undefined));
  });

  it('caps the L1 lifetime with the memory level’s ttl and follows Redis TTLs', T, async () => {
    const ns = testNamespace('ml-ttl');
    const a = multi(ns, 0.2);
    await a.set('k', 'v', { ttl: 60 });
    assert.equal(await a.get('k'), 'v');
    await inspector().set(`${ns}:k`, '"from redis"', 'PX', 60_000);
    await eventually(async () => assert.equal(await a.get('k'), 'from redis'));
    await a.set('short', 'v', { ttl: 0.2 });
    await eventually(async () => assert.equal(await a.get('short'), undefined));
  });

  it('keeps an entry larger than the memory level’s maxBytes in Redis only, and still evicts other copies', T, async () => {
    const ns = testNamespace('ml-maxbytes');
    const a = multi(ns, undefined, 1000);
    const b = multi(ns, undefined, 1000);
    const big = 'x'.repeat(5000);
    // Whether an instance answers from Redis: change Redis behind its back (an L1 copy would hide it).
    const fromRedis = async (cache: MultiLevelCache, key: string): Promise<boolean> => {
      const before = await inspector().get(`${ns}:${key}`);
      await inspector().set(`${ns}:${key}`, '"behind your back"', 'KEEPTTL');
      const seen = await cache.get(key);
      await inspector().set(`${ns}:${key}`, before as string, 'KEEPTTL');
      return seen === 'behind your back';
    };
    await b.set('k', 'old');
    assert.equal(await b.get('k'), 'old'); // in b's L1
    await a.set('k', big); // used to write Redis, then throw ERR_CACHE_VALUE_TOO_LARGE without telling b
    assert.equal(await inspector().get(`${ns}:k`), JSON.stringify(big));
    assert.equal(await a.get('k'), big);
    assert.equal(await fromRedis(a, 'k'), true);
    await eventually(async () => assert.equal(await b.get('k'), big));
    assert.equal(await fromRedis(b, 'k'), true);

    const c = multi(ns, undefined, 1000);
    assert.equal(await c.get('k'), big); // read through, not filled into L1
    assert.equal(await fromRedis(c, 'k'), true);
    assert.equal(await c.getOrSet('k2', async () => big, { ttl: 60 }), big);
    assert.equal(await c.getOrSet('k2', async () => 'recomputed', { ttl: 60 }), big);
    await c.setMany({ small: 's', large: big });
    assert.deepEqual(await a.getMany(['small', 'large']), ['s', big]);
    assert.equal(await fromRedis(c, 'small'), false);
    assert.equal(await fromRedis(c, 'large'), true);
  });

  it('serves and caches cached() pages larger than the memory level’s maxBytes (in Redis)', T, async () => {
    const ns = testNamespace('ml-maxbytes-http');
    let runs = 0;
    const makeApp = () => {
      const cache = multi(ns, undefined, 64 * 1024);
      const app = new CovetApp();
      app.get('/report', cache.cached({ ttl: 60 }, async () => ({ runs: ++runs, rows: Array.from({ length: 3000 }, (_, i) => ({ id: i, name: `row ${i}` })) })));
      return app;
    };
    await using one = new TestClient(makeApp());
    await using two = new TestClient(makeApp());
    const first = await one.get('/report');
    assert.equal(first.status, 200);
    assert.equal(first.headers.get('x-cache'), 'MISS');
    const body = first.json() as { runs: number; rows: unknown[] };
    assert.equal(body.runs, 1);
    assert.equal(body.rows.length, 3000);
    assert.ok(first.text.length > 64 * 1024);
    for (const client of [one, two, one]) {
      const again = await client.get('/report');
      assert.equal(again.status, 200);
      assert.equal(again.headers.get('x-cache'), 'HIT');
      assert.equal(again.text, first.text);
    }
    assert.equal(runs, 1);
  });

  it('computes a miss once across instances', T, async () => {
    const ns = testNamespace('ml-lock');
    const instances = [multi(ns), multi(ns), multi(ns)];
    let computed = 0;
    const load = async () => {
      computed++;
      await new Promise((r) => setTimeout(r, 200));
      return 'v';
    };
    const results = await Promise.all(instances.map((c) => c.getOrSet('k', load)));
    assert.deepEqual(results, ['v', 'v', 'v']);
    assert.equal(computed, 1);
  });

  it('a delete in one process evicts the L1 copy in another process', { ...T, timeout: 60_000 }, async () => {
    const ns = testNamespace('ml-procs');
    namespaces.push(ns);
    const here = multi(ns);
    const child = new CacheChild({ CACHE_KIND: 'multi', REDIS_URL: redisUrl(), CACHE_NAMESPACE: ns });
    try {
      await here.set('shared', { version: 1 }, { ttl: 300 });
      assert.deepEqual(await child.call('get', 'shared'), { version: 1 }); // now in the child's L1
      // Proof the child serves from its L1: Redis changes without a message, the child does not see it.
      await inspector().set(`${ns}:shared`, '{"version":"raw"}', 'PX', 300_000);
      assert.deepEqual(await child.call('get', 'shared'), { version: 1 });

      await here.delete('shared');
      await eventually(async () => assert.equal(await child.call('get', 'shared'), undefined));

      // And the other way round, with a set.
      await child.call('set', 'other', 'from child', 300);
      assert.equal(await here.get('other'), 'from child');
      await child.call('set', 'other', 'changed in child', 300);
      await eventually(async () => assert.equal(await here.get('other'), 'changed in child'));
      await child.call('delete', 'other');
      await eventually(async () => assert.equal(await here.get('other'), undefined));
    } finally {
      await child.close();
    }
  });

  it('validates its levels', () => {
    assert.throws(() => new MultiLevelCache([]), { code: 'ERR_CACHE_INVALID_OPTION' });
    assert.throws(() => new MultiLevelCache([{ type: 'redis' }, { type: 'memory' }]), { code: 'ERR_CACHE_INVALID_OPTION' });
    assert.throws(() => new MultiLevelCache([{ type: 'disk' } as never]), { code: 'ERR_CACHE_INVALID_OPTION' });
    assert.equal(new MultiLevelCache([{ type: 'memory', size: 10 }]).backend, 'memory');
    assert.equal(new MultiLevelCache([{ type: 'redis', url: 'redis://127.0.0.1:1' }]).backend, 'redis');
  });
});
