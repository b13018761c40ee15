import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CacheError, CacheManager, cacheResult } from '../../../src/cache/index.js';
import { memoryLogger } from '../../helpers/server.js';

function clock(start = 1_700_000_000_000): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('CacheManager (memory backend)', () => {
  it('gets, sets, deletes and clears', async () => {
    const cache = new CacheManager({ backend: 'memory' });
    assert.equal(cache.backend, 'memory');
    assert.equal(await cache.get('missing'), undefined);
    await cache.set('a', { n: 1 });
    assert.deepEqual(await cache.get('a'), { n: 1 });
    assert.equal(await cache.has('a'), true);
    assert.equal(await cache.delete('a'), true);
    assert.equal(await cache.delete('a'), false);
    await cache.set('b', 2);
    await cache.clear();
    assert.equal(await cache.has('b'), false);
    assert.equal(await cache.ping(), true);
  });

  it('takes a URL or "memory" instead of options', () => {
    assert.equal(new CacheManager('memory').backend, 'memory');
    assert.equal(new CacheManager('redis://127.0.0.1:1').backend, 'redis');
    assert.equal(new CacheManager({ redisUrl: 'redis://127.0.0.1:1' }).backend, 'redis');
    assert.throws(() => new CacheManager('postgres://x'), { code: 'ERR_CACHE_INVALID_OPTION' });
    assert.throws(() => new CacheManager({ backend: 'disk' as 'memory' }), { code: 'ERR_CACHE_INVALID_OPTION' });
  });

  it('returns copies: changing a value after set or after get does not change the cache', async () => {
    const cache = new CacheManager();
    const value = { list: [1, 2] };
    await cache.set('k', value);
    value.list.push(3);
    const got = (await cache.get<{ list: number[] }>('k')) as { list: number[] };
    assert.deepEqual(got.list, [1, 2]);
    got.list.push(4);
    assert.deepEqual(await cache.get('k'), { list: [1, 2] });
  });

  it('round-trips rich values, and tells a stored undefined from a miss with has()', async () => {
    const cache = new CacheManager();
    const value = { at: new Date(5), big: 10n ** 20n, bytes: Buffer.from('xy'), ids: new Set([1]), byId: new Map([[1, 'a']]), gone: undefined, none: null };
    await cache.set('rich', value);
    assert.deepEqual(await cache.get('rich'), value);
    await cache.set('u', undefined);
    assert.equal(await cache.get('u'), undefined);
    assert.equal(await cache.has('u'), true);
    await cache.set('n', null);
    assert.equal(await cache.get('n'), null);
  });

  it('expires entries after ttl seconds (defaultTtl otherwise; 0 for never)', async () => {
    const c = clock();
    const cache = new CacheManager({ defaultTtl: 60, now: c.now });
    await cache.set('default', 1);
    await cache.set('short', 2, { ttl: 1.5 });
    await cache.set('forever', 3, { ttl: 0 });
    c.advance(1_499);
    assert.equal(await cache.get('short'), 2);
    c.advance(1);
    assert.equal(await cache.get('short'), undefined);
    assert.equal(await cache.has('short'), false);
    c.advance(58_500);
    assert.equal(await cache.get('default'), undefined);
    c.advance(10 * 365 * 86_400_000);
    assert.equal(await cache.get('forever'), 3);
  });

  it('evicts the least recently used entries past maxSize', async () => {
    const cache = new CacheManager({ maxSize: 2 });
    await cache.set('a', 1);
    await cache.set('b', 2);
    await cache.get('a');
    await cache.set('c', 3);
    assert.deepEqual(await cache.getMany(['a', 'b', 'c']), [1, undefined, 3]);
  });

  it('gets and sets many at once, from pairs or an object', async () => {
    const cache = new CacheManager();
    await cache.setMany({ a: 1, b: new Date(0) });
    await cache.setMany(
      new Map<string, unknown>([
        ['c', 3],
        ['d', [4]],
      ]),
      { ttl: 10 },
    );
    await cache.setMany([['e', 'five']]);
    assert.deepEqual(await cache.getMany(['a', 'b', 'c', 'd', 'e', 'x']), [1, new Date(0), 3, [4], 'five', undefined]);
  });

  describe('bad input', () => {
    it('refuses an unserializable value at set, keeping what was there', async () => {
      const cache = new CacheManager();
      await cache.set('k', 'old');
      await assert.rejects(cache.set('k', { handler() {} }), (err: unknown) => {
        assert.ok(err instanceof CacheError);
        assert.equal(err.code, 'ERR_CACHE_UNSERIALIZABLE');
        assert.match(err.message, /value\.handler: it is a function/);
        return true;
      });
      assert.equal(await cache.get('k'), 'old');
    });

    it('writes nothing of a setMany with one bad value', async () => {
      const cache = new CacheManager();
      await assert.rejects(cache.setMany({ a: 1, b: Symbol('x'), c: 3 }), { code: 'ERR_CACHE_UNSERIALIZABLE' });
      assert.deepEqual(await cache.getMany(['a', 'b', 'c']), [undefined, undefined, undefined]);
    });

    it('refuses keys and values beyond the limits', async () => {
      const cache = new CacheManager({ maxKeyLength: 16, maxValueSize: 100 });
      await assert.rejects(cache.set('k'.repeat(17), 1), { code: 'ERR_CACHE_KEY_TOO_LARGE' });
      await assert.rejects(cache.get('é'.repeat(9)), { code: 'ERR_CACHE_KEY_TOO_LARGE' });
      await assert.rejects(cache.set('big', 'x'.repeat(200)), (err: unknown) => {
        assert.ok(err instanceof CacheError);
        assert.equal(err.code, 'ERR_CACHE_VALUE_TOO_LARGE');
        assert.match(err.message, /maxValueSize \(100\)/);
        return true;
      });
      assert.equal(await cache.has('big'), false);
      await assert.rejects(cache.get(42 as unknown as string), { code: 'ERR_CACHE_INVALID_KEY' });
      const defaults = new CacheManager();
      await assert.rejects(defaults.set('k'.repeat(1025), 1), { code: 'ERR_CACHE_KEY_TOO_LARGE' });
      await assert.rejects(defaults.set('huge', Buffer.alloc(1024 * 1024)), { code: 'ERR_CACHE_VALUE_TOO_LARGE' });
    });

    it('refuses an entry larger than the memory maxBytes', async () => {
      const cache = new CacheManager({ maxBytes: 64 });
      await cache.set('small', 'x'.repeat(10));
      await assert.rejects(cache.set('large', 'x'.repeat(100)), { code: 'ERR_CACHE_VALUE_TOO_LARGE' });
      assert.equal(await cache.get('small'), 'x'.repeat(10));
    });

    it('refuses bad TTLs and tags', async () => {
      const cache = new CacheManager();
      await assert.rejects(cache.set('k', 1, { ttl: -1 }), { code: 'ERR_CACHE_INVALID_OPTION' });
      await assert.rejects(cache.set('k', 1, { tags: 'user:1' as unknown as string[] }), { code: 'ERR_CACHE_INVALID_OPTION' });
      assert.throws(() => new CacheManager({ defaultTtl: Number.NaN }), { code: 'ERR_CACHE_INVALID_OPTION' });
      assert.throws(() => new CacheManager({ maxSize: 0 }), { code: 'ERR_CACHE_INVALID_OPTION' });
    });

    it('refuses a TTL given on its own instead of in { ttl }, rather than ignoring it', async () => {
      const cache = new CacheManager();
      const bare = 60 as unknown as { ttl: number };
      const refused = { code: 'ERR_CACHE_INVALID_OPTION', message: 'set takes its options as an object, such as { ttl: 60 } (seconds); got 60' };
      await assert.rejects(cache.set('k', 1, bare), refused);
      assert.equal(await cache.has('k'), false, 'nothing was written');
      await assert.rejects(cache.setMany({ k: 1 }, bare), { code: 'ERR_CACHE_INVALID_OPTION' });
      await assert.rejects(cache.getOrSet('k', () => 1, bare), { code: 'ERR_CACHE_INVALID_OPTION' });
      await assert.rejects(cache.increment('n', 1, bare), { code: 'ERR_CACHE_INVALID_OPTION' });
      assert.throws(() => cache.cached(bare, () => 1), { code: 'ERR_CACHE_INVALID_OPTION' });
      assert.throws(() => cacheResult(bare, async () => 1), { code: 'ERR_CACHE_INVALID_OPTION' });
      // No options at all is still fine.
      await cache.set('k', 1, undefined);
      assert.equal(await cache.get('k'), 1);
    });
  });

  describe('getOrSet', () => {
    it('computes a miss once and serves it after', async () => {
      const cache = new CacheManager();
      let calls = 0;
      const load = async () => ({ n: ++calls });
      assert.deepEqual(await cache.getOrSet('k', load, { ttl: 60 }), { n: 1 });
      assert.deepEqual(await cache.getOrSet('k', load, { ttl: 60 }), { n: 1 });
      assert.equal(calls, 1);
    });

    it('runs the loader once for concurrent misses (single-flight)', async () => {
      const cache = new CacheManager();
      let calls = 0;
      let release!: () => void;
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      const load = async () => {
        calls++;
        await gate;
        return 'value';
      };
      const all = Promise.all(Array.from({ length: 20 }, () => cache.getOrSet('hot', load)));
      await tick();
      release();
      assert.deepEqual(await all, Array(20).fill('value'));
      assert.equal(calls, 1);
    });

    it('shares a rejection with the callers that waited and caches nothing', async () => {
      const cache = new CacheManager();
      let calls = 0;
      const load = async () => {
        calls++;
        await tick();
        throw new Error('db down');
      };
      const results = await Promise.allSettled([cache.getOrSet('k', load), cache.getOrSet('k', load)]);
      assert.deepEqual(
        results.map((r) => r.status),
        ['rejected', 'rejected'],
      );
      assert.equal(calls, 1);
      assert.equal(await cache.has('k'), false);
      assert.equal(await cache.getOrSet('k', async () => 'ok'), 'ok');
    });

    it('caches undefined results too', async () => {
      const cache = new CacheManager();
      let calls = 0;
      const load = async () => {
        calls++;
        return undefined;
      };
      await cache.getOrSet('nothing', load);
      await cache.getOrSet('nothing', load);
      assert.equal(calls, 1);
    });

    it('lets go of a load in flight on delete, set, increment, clear and invalidateTags', async () => {
      const cache = new CacheManager();
      let version = 0;
      let loads = 0;
      const load = async () => {
        loads++;
        const seen = version;
        await new Promise((r) => setTimeout(r, 30));
        return seen;
      };
      const invalidations: [string, (key: string) => Promise<unknown>][] = [
        ['delete', (key) => cache.delete(key)],
        ['clear', () => cache.clear()],
        ['invalidateTags', () => cache.invalidateTags(['t'])],
      ];
      for (const [name, invalidate] of invalidations) {
        const key = `k-${name}`;
        loads = 0;
        const old = cache.getOrSet(key, load, { tags: ['t'] });
        await tick();
        version++;
        await invalidate(key);
        assert.equal(await cache.getOrSet(key, load, { tags: ['t'] }), version, `${name}: a new load, not the old one joined`);
        assert.equal(await old, version - 1);
        assert.equal(await cache.get(key), version, `${name}: the old result was not stored`);
        assert.equal(loads, 2);
      }
      // A set or an increment while a load runs: the newer value stays.
      const pending = cache.getOrSet('s', load);
      await tick();
      await cache.set('s', 'set meanwhile');
      await pending;
      assert.equal(await cache.get('s'), 'set meanwhile');
      const counting = cache.getOrSet('n', load);
      await tick();
      assert.equal(await cache.increment('n', 5), 5);
      await counting;
      assert.equal(await cache.get('n'), 5);
    });

    it('refuses an unserializable result with a clear error', async () => {
      const cache = new CacheManager();
      await assert.rejects(
        cache.getOrSet('k', async () => ({ fn: () => 1 })),
        { code: 'ERR_CACHE_UNSERIALIZABLE' },
      );
      assert.equal(await cache.has('k'), false);
    });

    it('serves a stale value at once and refreshes it once in the background (stale-while-revalidate)', async () => {
      const c = clock();
      const cache = new CacheManager({ now: c.now });
      let version = 0;
      let release: (() => void) | null = null;
      const load = async () => {
        version++;
        if (version > 1) await new Promise<void>((resolve) => (release = resolve));
        return `v${version}`;
      };
      const options = { ttl: 10, staleWhileRevalidate: 30 };
      assert.equal(await cache.getOrSet('k', load, options), 'v1');
      c.advance(10_000); // stale, still within the window
      assert.equal(await cache.getOrSet('k', load, options), 'v1');
      assert.equal(await cache.getOrSet('k', load, options), 'v1');
      assert.equal(version, 2, 'one refresh for both stale reads');
      (release as unknown as () => void)();
      for (let i = 0; i < 20 && (await cache.getOrSet('k', load, options)) !== 'v2'; i++) await tick();
      assert.equal(await cache.getOrSet('k', load, options), 'v2');
      c.advance(40_001); // past ttl + window: a plain miss
      version = 9;
      assert.equal(await cache.getOrSet('k', async () => 'v10', options), 'v10');
    });

    it('logs a failed background refresh and keeps the stale value', async () => {
      const c = clock();
      const logger = memoryLogger();
      const cache = new CacheManager({ now: c.now, logger });
      await cache.getOrSet('k', async () => 'old', { ttl: 1, staleWhileRevalidate: 60 });
      c.advance(2_000);
      assert.equal(
        await cache.getOrSet(
          'k',
          async () => {
            throw new Error('refresh failed');
          },
          { ttl: 1, staleWhileRevalidate: 60 },
        ),
        'old',
      );
      for (let i = 0; i < 20 && logger.lines.length === 0; i++) await tick();
      assert.match(logger.lines.join('\n'), /background cache refresh failed/);
      assert.equal(await cache.get('k'), 'old');
    });
  });

  describe('increment', () => {
    it('creates, adds and keeps the expiry', async () => {
      const c = clock();
      const cache = new CacheManager({ now: c.now });
      assert.equal(await cache.increment('views', 1, { ttl: 10 }), 1);
      c.advance(6_000);
      assert.equal(await cache.increment('views', 5, { ttl: 10 }), 6);
      assert.equal(await cache.increment('views'), 7);
      assert.equal(await cache.get('views'), 7);
      c.advance(4_000);
      assert.equal(await cache.get('views'), undefined, 'the first TTL still applies');
      assert.equal(await cache.increment('down', -3), -3);
    });

    it('applies the ttl to an existing counter that has no expiry (as Redis does)', async () => {
      const c = clock();
      const cache = new CacheManager({ now: c.now });
      await cache.set('n', 5, { ttl: 0 });
      assert.equal(await cache.increment('n', 1, { ttl: 1 }), 6);
      assert.equal(await cache.increment('n', 1, { ttl: 60 }), 7, 'an expiry it has is kept');
      c.advance(999);
      assert.equal(await cache.get('n'), 7);
      c.advance(1);
      assert.equal(await cache.get('n'), undefined);
      await cache.set('m', 1, { ttl: 0, tags: ['t'] });
      await cache.increment('m', 1, { ttl: 10 });
      assert.equal(await cache.invalidateTags(['t']), 1, 'tags are kept');
    });

    it('refuses a value that is not an integer, and a bad amount', async () => {
      const cache = new CacheManager();
      await cache.set('name', 'ada');
      await assert.rejects(cache.increment('name'), { code: 'ERR_CACHE_NOT_INTEGER' });
      await cache.set('float', 1.5);
      await assert.rejects(cache.increment('float'), { code: 'ERR_CACHE_NOT_INTEGER' });
      await assert.rejects(cache.increment('n', 0.5), { code: 'ERR_CACHE_INVALID_OPTION' });
    });
  });

  describe('tags', () => {
    it('invalidates every entry stored with a tag', async () => {
      const cache = new CacheManager();
      await cache.set('user:1', { name: 'a' }, { tags: ['user:1'] });
      await cache.set('user:1:posts', [1, 2], { tags: ['user:1', 'posts'] });
      await cache.getOrSet('user:1:prefs', async () => ({ dark: true }), { tags: ['user:1'] });
      await cache.set('user:2', { name: 'b' }, { tags: ['user:2'] });
      assert.equal(await cache.invalidateTags(['user:1']), 3);
      assert.deepEqual(await cache.getMany(['user:1', 'user:1:posts', 'user:1:prefs', 'user:2']), [undefined, undefined, undefined, { name: 'b' }]);
      assert.equal(await cache.invalidateTags('user:2'), 1);
      assert.equal(await cache.invalidateTags([]), 0);
    });
  });
});
