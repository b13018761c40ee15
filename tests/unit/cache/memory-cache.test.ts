import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LRUCache } from 'lru-cache';
import { MemoryCache } from '../../../src/cache/index.js';

function clock(start = 1_000_000): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

describe('MemoryCache', () => {
  it('evicts the least recently used entry past maxSize', () => {
    const lru = new MemoryCache<number>({ maxSize: 3 });
    lru.set('a', 1).set('b', 2).set('c', 3);
    assert.equal(lru.get('a'), 1); // a is now the most recent
    lru.set('d', 4);
    assert.equal(lru.has('b'), false);
    assert.deepEqual([...lru.keys()], ['d', 'a', 'c']);
    assert.equal(lru.size, 3);
  });

  it('behaves like lru-cache over a long random sequence of operations', () => {
    const ours = new MemoryCache<number>({ maxSize: 50 });
    const oracle = new LRUCache<string, number>({ max: 50 });
    let seed = 42;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    for (let i = 0; i < 20_000; i++) {
      const key = `k${random(120)}`;
      const op = random(10);
      if (op < 5) assert.equal(ours.get(key), oracle.get(key), `get ${key} at step ${i}`);
      else if (op < 9) {
        ours.set(key, i);
        oracle.set(key, i);
      } else assert.equal(ours.delete(key), oracle.delete(key), `delete ${key} at step ${i}`);
    }
    assert.deepEqual([...ours.keys()], [...oracle.keys()]);
  });

  it('never serves an expired entry, and drops it on access', () => {
    const c = clock();
    const lru = new MemoryCache<string>({ now: c.now, sweepInterval: 0 });
    lru.set('k', 'v', { ttl: 10 });
    c.advance(9_999);
    assert.equal(lru.get('k'), 'v');
    assert.equal(lru.remainingTtl('k'), 1);
    c.advance(1);
    assert.equal(lru.get('k'), undefined);
    assert.equal(lru.has('k'), false);
    assert.equal(lru.size, 0);
  });

  it('uses the default ttl; 0 means no expiry', () => {
    const c = clock();
    const lru = new MemoryCache<string>({ ttl: 5, now: c.now, sweepInterval: 0 });
    lru.set('short', 'x');
    lru.set('forever', 'y', { ttl: 0 });
    c.advance(3_600_000);
    assert.equal(lru.get('short'), undefined);
    assert.equal(lru.get('forever'), 'y');
    assert.equal(lru.remainingTtl('forever'), Number.POSITIVE_INFINITY);
    assert.equal(lru.remainingTtl('missing'), -1);
  });

  it('purges expired entries nobody asks for', () => {
    const c = clock();
    const lru = new MemoryCache<number>({ now: c.now, sweepInterval: 0 });
    for (let i = 0; i < 10; i++) lru.set(`k${i}`, i, { ttl: i < 6 ? 1 : 100 });
    c.advance(1_000);
    assert.equal(lru.purgeStale(), 6);
    assert.equal(lru.size, 4);
  });

  it('sweeps expired entries on a timer that does not hold the process', async () => {
    const lru = new MemoryCache<number>({ sweepInterval: 0.05 });
    lru.set('a', 1, { ttl: 0.01 });
    lru.set('b', 2, { ttl: 60 });
    const deadline = Date.now() + 10_000;
    while (lru.size > 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.equal(lru.size, 1);
    lru.close();
  });

  it('evicts by bytes with maxBytes and refuses an entry larger than the limit', () => {
    const lru = new MemoryCache<string>({ maxBytes: 10 });
    lru.set('a', '1234').set('b', '5678');
    assert.equal(lru.bytes, 8);
    lru.set('c', '90ab'); // 12 bytes → the oldest goes
    assert.equal(lru.has('a'), false);
    assert.equal(lru.bytes, 8);
    assert.throws(() => lru.set('b', 'x'.repeat(11)), { code: 'ERR_CACHE_VALUE_TOO_LARGE' });
    assert.equal(lru.get('b'), '5678', 'the old value is kept');
    // UTF-8 bytes, not characters.
    assert.throws(() => lru.set('d', 'é'.repeat(6)), { code: 'ERR_CACHE_VALUE_TOO_LARGE' });
  });

  it('sizes other values by their serialized form, or by sizeOf', () => {
    const lru = new MemoryCache<unknown>({ maxBytes: 100 });
    lru.set('obj', { a: 1 });
    assert.equal(lru.bytes, '{"a":1}'.length);
    const custom = new MemoryCache<number[]>({ maxBytes: 100, sizeOf: (v) => v.length * 8 });
    custom.set('a', [1, 2, 3]);
    assert.equal(custom.bytes, 24);
  });

  it('invalidates by tag, and forgets tags of replaced entries', () => {
    const lru = new MemoryCache<number>();
    lru.set('u1', 1, { tags: ['user:1'] });
    lru.set('u1posts', 2, { tags: ['user:1', 'posts'] });
    lru.set('u2', 3, { tags: ['user:2'] });
    lru.set('u2posts', 4, { tags: ['posts'] });
    lru.set('u2posts', 5); // replaced without tags
    assert.deepEqual(lru.invalidateTags(['user:1']).sort(), ['u1', 'u1posts']);
    assert.deepEqual(lru.invalidateTags(['posts']), []);
    assert.equal(lru.get('u2posts'), 5);
    assert.equal(lru.get('u2'), 3);
  });

  it('updates a value in place, keeping its expiry', () => {
    const c = clock();
    const lru = new MemoryCache<number>({ now: c.now, sweepInterval: 0 });
    lru.set('n', 1, { ttl: 10 });
    c.advance(5_000);
    assert.equal(lru.update('n', 2), true);
    assert.equal(lru.remainingTtl('n'), 5_000);
    assert.equal(lru.update('missing', 1), false);
    assert.equal(lru.has('missing'), false);
  });

  it('sets a live entry’s expiry with expire(), keeping its value and tags', () => {
    const c = clock();
    const lru = new MemoryCache<string>({ now: c.now });
    lru.set('a', 'x', { tags: ['t'] });
    assert.equal(lru.expire('a', 2), true);
    assert.equal(lru.remainingTtl('a'), 2000);
    assert.equal(lru.expire('missing', 2), false);
    c.advance(1000);
    assert.equal(lru.expire('a', 0), true);
    assert.equal(lru.remainingTtl('a'), Number.POSITIVE_INFINITY);
    lru.expire('a', 1);
    assert.deepEqual(lru.invalidateTags(['t']), ['a']);
    lru.set('b', 'y');
    lru.expire('b', 1);
    c.advance(1000);
    assert.equal(lru.get('b'), undefined);
  });

  it('stores undefined as a value', () => {
    const lru = new MemoryCache<undefined>();
    lru.set('u', undefined);
    assert.equal(lru.has('u'), true);
    assert.equal(lru.peek('u'), undefined);
  });

  it('validates its options', () => {
    assert.throws(() => new MemoryCache({ maxSize: 0 }), { code: 'ERR_CACHE_INVALID_OPTION' });
    assert.throws(() => new MemoryCache({ ttl: -1 }), { code: 'ERR_CACHE_INVALID_OPTION' });
    assert.throws(() => new MemoryCache().set('k', 1, { ttl: Number.NaN }), { code: 'ERR_CACHE_INVALID_OPTION' });
  });
});
