import { expectTypeOf } from 'expect-type';
import { Redis } from 'ioredis';
import { CovetApp } from '../../src/index.js';
import { type CachedFunction, CacheManager, cachePage, cacheResult, MemoryCache, MultiLevelCache, type RedisCacheClient } from '../../src/cache/index.js';

const app = new CovetApp();
const cache = new CacheManager({ backend: 'redis', redisUrl: 'redis://localhost:6379', defaultTtl: 3600 });

// Path params stay typed through the wrappers.
app.get('/users/{id:int}', cache.cached({ ttl: 60 }, async (req) => {
  expectTypeOf(req.params.id).toEqualTypeOf<number>();
  return { id: req.params.id };
}));
app.route('/pages/{slug}', cachePage({ ttl: 600, key: (req) => `page:${req.params.slug}`, tags: (req) => [req.params.slug] }, (req) => {
  expectTypeOf(req.params.slug).toEqualTypeOf<string>();
  return req.params.slug;
}));
app.get('/dashboard', cachePage(async () => ({ dashboard: 'data' })));

// Values: `unknown` unless asked for.
async function values(): Promise<void> {
  expectTypeOf(await cache.get('k')).toEqualTypeOf<unknown>();
  expectTypeOf(await cache.get<{ n: number }>('k')).toEqualTypeOf<{ n: number } | undefined>();
  expectTypeOf(await cache.getOrSet('k', async () => 42)).toEqualTypeOf<number>();
  expectTypeOf(await cache.getMany<string>(['a'])).toEqualTypeOf<(string | undefined)[]>();
  expectTypeOf(await cache.increment('n')).toEqualTypeOf<number>();
  expectTypeOf(await cache.ping()).toEqualTypeOf<true>();
}
void values;

// A memoized function keeps its signature.
const getPrefs = cacheResult({ ttl: 300, tags: (userId) => [`user:${userId}`] }, async (userId: number) => ({ userId, theme: 'dark' }));
expectTypeOf(getPrefs).parameters.toEqualTypeOf<[userId: number]>();
expectTypeOf(getPrefs).returns.toEqualTypeOf<Promise<{ userId: number; theme: string }>>();
expectTypeOf(getPrefs).toMatchTypeOf<CachedFunction<[number], Promise<{ userId: number; theme: string }>>>();

// An ioredis client fits the structural client type.
const client: RedisCacheClient = new Redis({ lazyConnect: true });
new CacheManager({ redis: client });
new MultiLevelCache([{ type: 'memory', size: 1000 }, { type: 'redis', client: new Redis({ lazyConnect: true }) }]);

// The sync LRU.
const lru = new MemoryCache<{ n: number }>({ maxSize: 10 });
expectTypeOf(lru.get('k')).toEqualTypeOf<{ n: number } | undefined>();

// @ts-expect-error TTLs are numbers (seconds)
void cache.set('k', 1, { ttl: '60' });
// @ts-expect-error a level has a known type
new MultiLevelCache([{ type: 'disk' }]);
// @ts-expect-error the TTL is an option: `{ ttl: 60 }`
void cache.set('k', 1, 60);
// @ts-expect-error a misspelt option
void cache.set('k', 1, { tll: 60 });
