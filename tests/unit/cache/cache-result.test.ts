import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CacheManager, cacheResult } from '../../../src/cache/index.js';

function clock(start = 1_700_000_000_000): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('cacheResult', () => {
  it('memoizes by arguments for ttl seconds', async () => {
    const c = clock();
    const calls: unknown[] = [];
    const getUser = cacheResult({ ttl: 300, now: c.now }, async (id: number, opts?: { full: boolean }) => {
      calls.push([id, opts]);
      return { id, full: opts?.full ?? false };
    });
    assert.deepEqual(await getUser(1), { id: 1, full: false });
    assert.deepEqual(await getUser(1), { id: 1, full: false });
    assert.deepEqual(await getUser(1, { full: true }), { id: 1, full: true });
    assert.deepEqual(await getUser(2), { id: 2, full: false });
    assert.equal(calls.length, 3);
    c.advance(300_000);
    await getUser(1);
    assert.equal(calls.length, 4);
  });

  it('tells arguments apart by type (1 vs "1", null vs undefined, dates)', async () => {
    let calls = 0;
    const f = cacheResult({ ttl: 60 }, async (_x: unknown) => ++calls);
    for (const arg of [1, '1', null, undefined, new Date(0), new Date(1), 1n]) await f(arg);
    assert.equal(calls, 7);
    await f(new Date(0));
    assert.equal(calls, 7);
  });

  it('runs concurrent calls with the same arguments once and shares a rejection', async () => {
    let calls = 0;
    const slow = cacheResult({ ttl: 60 }, async (x: number) => {
      calls++;
      await tick();
      if (x < 0) throw new Error('negative');
      return x * 2;
    });
    assert.deepEqual(await Promise.all([slow(2), slow(2), slow(2)]), [4, 4, 4]);
    assert.equal(calls, 1);
    const failed = await Promise.allSettled([slow(-1), slow(-1)]);
    assert.deepEqual(
      failed.map((r) => r.status),
      ['rejected', 'rejected'],
    );
    assert.equal(calls, 2);
    await assert.rejects(slow(-1), /negative/);
    assert.equal(calls, 3, 'rejections are not cached');
  });

  it('keeps `this`, and can invalidate one call or all of them', async () => {
    let calls = 0;
    const service = {
      factor: 3,
      scale: cacheResult({ ttl: 60 }, async function (this: { factor: number }, x: number) {
        calls++;
        return x * this.factor;
      }),
    };
    assert.equal(await service.scale(2), 6);
    assert.equal(await service.scale.invalidate(2), true);
    assert.equal(await service.scale(2), 6);
    assert.equal(calls, 2);
    await service.scale.clear();
    await service.scale(2);
    assert.equal(calls, 3);
    assert.equal(service.scale.name, 'cached');
  });

  it('does not keep a result that invalidate() or clear() overtook, and later calls load afresh', async () => {
    for (const shared of [undefined, new CacheManager()]) {
      const db = { theme: 'light' };
      let loads = 0;
      const getPrefs = cacheResult({ ttl: 300, ...(shared ? { cache: shared } : {}) }, async function getPrefs(_id: number) {
        loads++;
        const snapshot = { ...db }; // the SELECT runs now…
        await new Promise((r) => setTimeout(r, 50)); // …and the row travels back slowly
        return snapshot;
      });
      const inflight = getPrefs(1);
      await tick();
      db.theme = 'dark';
      await getPrefs.invalidate(1);
      assert.deepEqual(await getPrefs(1), { theme: 'dark' }, 'a call after invalidate() does not join the old load');
      assert.deepEqual(await inflight, { theme: 'light' }, 'the old call still gets its own result');
      assert.deepEqual(await getPrefs(1), { theme: 'dark' }, 'and the old result was not stored over the new one');
      assert.equal(loads, 2);

      const before = getPrefs(2);
      await tick();
      db.theme = 'blue';
      await getPrefs.clear();
      assert.deepEqual(await before, { theme: 'dark' });
      assert.deepEqual(await getPrefs(2), { theme: 'blue' });
      assert.equal(loads, 4);
    }
  });

  it('takes a key function, and refuses arguments it cannot key on without one', async () => {
    let calls = 0;
    const byConn = cacheResult({ ttl: 60, key: (conn: { id: number }, q: string) => `q:${conn.id}:${q}` }, async (_c: { id: number; run(): void }, q: string) => {
      calls++;
      return q.length;
    });
    const conn = { id: 7, run() {} };
    await byConn(conn, 'abc');
    await byConn(conn, 'abc');
    assert.equal(calls, 1);
    const naive = cacheResult({ ttl: 60 }, async function load(_c: { run(): void }) {
      return 1;
    });
    await assert.rejects(naive(conn), { code: 'ERR_CACHE_INVALID_KEY' });
  });

  it('serves stale results while refreshing once (stale-while-revalidate)', async () => {
    const c = clock();
    let version = 0;
    const f = cacheResult({ ttl: 10, staleWhileRevalidate: 60, now: c.now }, async () => ++version);
    assert.equal(await f(), 1);
    c.advance(10_000);
    const stale = await Promise.all([f(), f(), f()]);
    assert.deepEqual(stale, [1, 1, 1]);
    for (let i = 0; i < 10; i++) await tick();
    assert.equal(await f(), 2);
    assert.equal(version, 2);
  });

  it('shares results through a CacheManager, under fn:<name>: keys and tags', async () => {
    const cache = new CacheManager();
    let calls = 0;
    async function getUserPreferences(userId: number) {
      calls++;
      return { userId, theme: 'dark', since: new Date(0) };
    }
    const a = cacheResult({ ttl: 300, cache, tags: (id) => [`user:${id}`] }, getUserPreferences);
    const b = cacheResult({ ttl: 300, cache }, getUserPreferences);
    assert.deepEqual(await a(1), { userId: 1, theme: 'dark', since: new Date(0) });
    assert.deepEqual(await b(1), { userId: 1, theme: 'dark', since: new Date(0) }, 'same name, same key');
    assert.equal(calls, 1);
    assert.ok(await cache.has('fn:getUserPreferences:[1]'));
    assert.equal(await cache.invalidateTags(['user:1']), 1);
    await a(1);
    await a(2);
    assert.equal(calls, 3);
    await a.clear();
    assert.equal(await cache.has('fn:getUserPreferences:[2]'), false);
    assert.throws(() => cacheResult({ ttl: 1, cache }, async () => 1), { code: 'ERR_CACHE_INVALID_OPTION' });
    assert.ok(cacheResult({ ttl: 1, cache, name: 'named' }, async () => 1));
  });
});
