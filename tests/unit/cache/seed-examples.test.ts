// The seed's caching examples that need no Redis, in their TypeScript form (the Redis ones are
// in tests/integration/cache/seed-examples.test.ts).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CovetApp } from '../../../src/index.js';
import { CacheManager, cachePage, cacheResult, MemoryCache } from '../../../src/cache/index.js';
import { DatabaseManager } from '../../../src/database/index.js';
import { TestClient } from '../../../src/testing/index.js';

describe('seed: Cache Decorators', () => {
  it('cache_result memoizes get_user_preferences and cache_page caches the dashboard', async () => {
    const db = new DatabaseManager('sqlite:///:memory:');
    await db.execute('CREATE TABLE preferences (user_id INTEGER, theme TEXT)');
    await db.execute('INSERT INTO preferences (user_id, theme) VALUES (%s, %s)', 1, 'dark');
    let queries = 0;

    // @cache_result(ttl=300)
    const getUserPreferences = cacheResult({ ttl: 300 }, async (userId: number) => {
      queries++;
      return db.fetchOne('SELECT * FROM preferences WHERE user_id = %s', userId);
    });

    const app = new CovetApp();
    let renders = 0;
    // @app.route("/dashboard") @cache_page(ttl=600)
    app.route(
      '/dashboard',
      cachePage({ ttl: 600 }, async () => {
        renders++;
        return { dashboard: 'data' };
      }),
    );

    assert.deepEqual(await getUserPreferences(1), { user_id: 1, theme: 'dark' });
    await db.execute('UPDATE preferences SET theme = %s WHERE user_id = %s', 'light', 1);
    assert.deepEqual(await getUserPreferences(1), { user_id: 1, theme: 'dark' }, 'served from the cache');
    assert.equal(queries, 1);

    await using client = new TestClient(app);
    for (let i = 0; i < 3; i++) assert.deepEqual((await client.get('/dashboard')).json(), { dashboard: 'data' });
    assert.equal(renders, 1);
    await db.close();
  });
});

describe('seed: Caching Strategies (Performance Optimization), with an in-process L2', () => {
  it('checks L1, then L2, then computes, and fills both levels', async () => {
    const memoryCache = new MemoryCache({ maxSize: 1000 });
    const redisCache = new CacheManager({ backend: 'memory' }); // the Redis version runs in tests/integration
    let computations = 0;
    const expensiveComputation = async (param: string) => {
      computations++;
      return { param, value: param.length };
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
      await redisCache.set(cacheKey, result, { ttl: 3600 });
      memoryCache.set(cacheKey, result, { ttl: 60 });
      return result;
    });
    await using client = new TestClient(app);
    assert.deepEqual((await client.get('/api/heavy-computation/abc')).json(), { param: 'abc', value: 3 });
    assert.deepEqual((await client.get('/api/heavy-computation/abc')).json(), { param: 'abc', value: 3 });
    memoryCache.clear(); // L1 gone: L2 answers and refills L1
    assert.deepEqual((await client.get('/api/heavy-computation/abc')).json(), { param: 'abc', value: 3 });
    assert.ok(memoryCache.has('computation:abc'));
    assert.equal(computations, 1);
  });
});
