// The seed's caching examples that use Redis ("Caching System", the REST API example's
// `@cache.cached`, the health check's `cache.ping()` and "Performance Optimization → Caching
// Strategies"), in their TypeScript form, on the real Redis at REDIS_URL.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { CovetApp } from '../../../src/index.js';
import { CacheManager, MemoryCache, MultiLevelCache } from '../../../src/cache/index.js';
import { DatabaseManager } from '../../../src/database/index.js';
import { TestClient } from '../../../src/testing/index.js';
import { dropNamespace, redisUrl, skipWithoutRedis, testNamespace } from './redis-helpers.js';

const T = { timeout: 30_000, skip: skipWithoutRedis };
const namespaces: string[] = [];
after(async () => {
  for (const ns of namespaces) await dropNamespace(ns);
});

function ns(label: string): string {
  const namespace = testNamespace(label);
  namespaces.push(namespace);
  return namespace;
}

describe('seed: Redis Integration', () => {
  it('caches /expensive-operation for 30 minutes with cache.cached({ ttl: 1800 })', T, async () => {
    const namespace = ns('seed-redis');
    const cache = new CacheManager({ backend: 'redis', redisUrl: redisUrl(), defaultTtl: 3600, namespace });
    let runs = 0;
    const performComplexCalculation = () => {
      runs++;
      return 42;
    };
    const app = new CovetApp();
    app.route(
      '/expensive-operation',
      cache.cached({ ttl: 1800 }, async () => {
        const result = performComplexCalculation();
        return { result };
      }),
    );
    app.onShutdown(() => cache.close());
    await using client = new TestClient(app);
    assert.deepEqual((await client.get('/expensive-operation')).json(), { result: 42 });
    assert.deepEqual((await client.get('/expensive-operation')).json(), { result: 42 });
    assert.equal(runs, 1);
    const raw = new Redis(redisUrl());
    const pttl = await raw.pttl(`${namespace}:page:GET /expensive-operation`);
    await raw.quit();
    assert.ok(pttl > 1_790_000 && pttl <= 1_800_000, `pttl ${pttl}`);
  });
});

describe('seed: Multi-level Caching', () => {
  it('tries the cache first, falls back to the database and caches the row', T, async () => {
    const db = new DatabaseManager('sqlite:///:memory:');
    await db.execute('CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT)');
    await db.execute('INSERT INTO items (id, name) VALUES (%s, %s)', 1, 'widget');
    const cache = new MultiLevelCache([{ type: 'memory', size: 1000 }, { type: 'redis', url: redisUrl() }], { namespace: ns('seed-ml') });
    let queries = 0;
    const app = new CovetApp();
    app.route('/data/{item_id:int}', async (req) => {
      const cacheKey = `data:${req.params.item_id}`;
      // Try cache first
      const cachedData = await cache.get(cacheKey);
      if (cachedData) return cachedData;
      // Fetch from database
      queries++;
      const data = await db.fetchOne('SELECT * FROM items WHERE id = %s', req.params.item_id);
      // Cache the result
      await cache.set(cacheKey, data, { ttl: 3600 });
      return data;
    });
    app.onShutdown(async () => {
      await cache.close();
      await db.close();
    });
    await using client = new TestClient(app);
    assert.deepEqual((await client.get('/data/1')).json(), { id: 1, name: 'widget' });
    assert.deepEqual((await client.get('/data/1')).json(), { id: 1, name: 'widget' });
    assert.equal(queries, 1);
  });
});

describe('seed: Complete REST API Example (cache part)', () => {
  it('caches GET /users for 5 minutes with CacheManager("redis://…") and cache.cached({ ttl: 300 })', T, async () => {
    const db = new DatabaseManager('sqlite:///:memory:');
    await db.execute('CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, email TEXT)');
    const cache = new CacheManager(redisUrl());
    // The seed's form uses the default namespace (covet:cache); start from a clean entry.
    await cache.delete('page:GET /users');
    let listed = 0;
    const app = new CovetApp();
    app.route(
      '/users',
      { methods: ['GET'] },
      cache.cached({ ttl: 300 }, async () => {
        listed++;
        const users = await db.fetchAll('SELECT * FROM users');
        return { users };
      }),
    );
    app.route('/users', { methods: ['POST'] }, async (req) => {
      const data = (await req.json()) as { name: string; email: string };
      const userId = await db.fetchVal('INSERT INTO users (name, email) VALUES (%s, %s) RETURNING id', data.name, data.email);
      return [{ id: userId, name: data.name }, 201];
    });
    app.onShutdown(async () => {
      await cache.delete('page:GET /users');
      await cache.close();
      await db.close();
    });
    await using client = new TestClient(app);
    assert.deepEqual((await client.get('/users')).json(), { users: [] });
    assert.equal((await client.post('/users', { json: { name: 'Ada', email: 'ada@example.com' } })).status, 201);
    assert.deepEqual((await client.get('/users')).json(), { users: [] }, 'cached for 5 minutes, as in the seed');
    assert.equal(listed, 1);
  });
});

describe('seed: Health Checks (redis)', () => {
  it('reports healthy when cache.ping() succeeds', T, async () => {
    const cache = new CacheManager({ redisUrl: redisUrl(), namespace: ns('seed-health') });
    const checkRedis = async () => {
      try {
        await cache.ping();
        return { status: 'healthy' };
      } catch (e) {
        return { status: 'unhealthy', error: String(e) };
      }
    };
    assert.deepEqual(await checkRedis(), { status: 'healthy' });
    await cache.close();
  });
});

describe('seed: Performance Optimization → Caching Strategies', () => {
  it('L1 memory (60 s), L2 Redis (1 h), L3 compute', T, async () => {
    const memoryCache = new MemoryCache({ maxSize: 10_000 });
    const redisCache = new CacheManager({ redisUrl: redisUrl(), namespace: ns('seed-perf') });
    let computations = 0;
    const expensiveComputation = async (param: string) => {
      computations++;
      return { param, square: param.length ** 2 };
    };
    const app = new CovetApp();
    app.route('/api/heavy-computation/{param}', async (req) => {
      const cacheKey = `computation:${req.params.param}`;
      // L1: Memory cache (fastest)
      let result = memoryCache.get(cacheKey);
      if (result) return result;
      // L2: Redis cache (fast)
      result = await redisCache.get(cacheKey);
      if (result) {
        memoryCache.set(cacheKey, result, { ttl: 60 });
        return result;
      }
      // L3: Compute (slowest)
      result = await expensiveComputation(req.params.param);
      // Cache at all levels
      await redisCache.set(cacheKey, result, { ttl: 3600 });
      memoryCache.set(cacheKey, result, { ttl: 60 });
      return result;
    });
    app.onShutdown(() => redisCache.close());
    await using client = new TestClient(app);
    assert.deepEqual((await client.get('/api/heavy-computation/abcd')).json(), { param: 'abcd', square: 16 });
    memoryCache.clear();
    assert.deepEqual((await client.get('/api/heavy-computation/abcd')).json(), { param: 'abcd', square: 16 });
    assert.ok(memoryCache.has('computation:abcd'), 'L2 refilled L1');
    assert.deepEqual((await client.get('/api/heavy-computation/abcd')).json(), { param: 'abcd', square: 16 });
    assert.equal(computations, 1);
  });
});
