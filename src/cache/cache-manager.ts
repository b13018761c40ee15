import { BaseCache, type BaseCacheOptions, resolveCacheOptions } from './base-cache.js';
import { CacheError } from './cache-error.js';
import type { CacheStore } from './cache-store.js';
import { MemoryStore } from './memory-store.js';
import type { RedisCacheClient } from './redis-client.js';
import { RedisStore } from './redis-store.js';
import { positiveInteger } from './ttl.js';

/** Options of `CacheManager`. */
export interface CacheManagerOptions extends BaseCacheOptions {
  /** `"memory"` (in process) or `"redis"`. Default `"redis"` when `redisUrl` or `redis` is given, else `"memory"`. */
  readonly backend?: 'memory' | 'redis';
  /** Where Redis is. Default `redis://127.0.0.1:6379`. */
  readonly redisUrl?: string;
  /** An `ioredis` client to use instead of a URL (not closed by `close()`). */
  readonly redis?: RedisCacheClient;
  /** Memory backend: most entries kept (least recently used evicted first). Default 1000. */
  readonly maxSize?: number;
  /** Memory backend: most bytes kept, counted on the serialized values. Default: no limit. */
  readonly maxBytes?: number;
}

/** The defaults of `CacheManagerOptions` (and those of `BaseCacheOptions`). */
export const CACHE_MANAGER_DEFAULTS = { redisUrl: 'redis://127.0.0.1:6379', maxSize: 1000 } as const;

function optionsFrom(input: CacheManagerOptions | string): CacheManagerOptions {
  if (typeof input !== 'string') return input;
  if (input === 'memory' || input.startsWith('memory://')) return { backend: 'memory' };
  if (/^rediss?:\/\//i.test(input) || input.startsWith('unix:')) return { backend: 'redis', redisUrl: input };
  throw new CacheError(`Unknown cache URL "${input}": use redis://host:port or "memory"`, { code: 'ERR_CACHE_INVALID_OPTION' });
}

function createStore(options: CacheManagerOptions, namespace: string, commandTimeout: number, now: () => number): CacheStore {
  const backend = options.backend ?? (options.redisUrl !== undefined || options.redis !== undefined ? 'redis' : 'memory');
  if (backend === 'memory') {
    return new MemoryStore({
      maxSize: positiveInteger(options.maxSize ?? CACHE_MANAGER_DEFAULTS.maxSize, 'maxSize'),
      maxBytes: options.maxBytes === undefined ? undefined : positiveInteger(options.maxBytes, 'maxBytes'),
      now,
    });
  }
  if (backend === 'redis') {
    return new RedisStore(options.redis ?? options.redisUrl ?? CACHE_MANAGER_DEFAULTS.redisUrl, { namespace, commandTimeout });
  }
  throw new CacheError(`Unknown cache backend "${String(backend)}": use "memory" or "redis"`, { code: 'ERR_CACHE_INVALID_OPTION' });
}

/**
 * A cache on one backend: `"memory"` (an LRU in this process) or `"redis"` (shared by every
 * process; `ioredis` is loaded on first use). Values are stored in the documented serialized
 * format on both, so they come back as copies and round-trip `Date`, `Buffer`, `Map`, `Set`,
 * `bigint` and `undefined`. TTLs are seconds. When Redis is unreachable, reads are misses and
 * writes are skipped, with one logged warning per outage.
 *
 * @example
 * const cache = new CacheManager({ backend: 'redis', redisUrl: 'redis://localhost:6379', defaultTtl: 3600 });
 * app.route('/expensive-operation', cache.cached({ ttl: 1800 }, async () => ({ result: compute() })));
 * app.onShutdown(() => cache.close());
 */
export class CacheManager extends BaseCache {
  /** Takes options, or a URL: `new CacheManager('redis://localhost:6379')`, `new CacheManager('memory')`. */
  constructor(options: CacheManagerOptions | string = {}) {
    const opts = optionsFrom(options);
    if (typeof opts !== 'object' || opts === null)
      throw new CacheError('CacheManager takes options or a URL', { code: 'ERR_CACHE_INVALID_OPTION' });
    const resolved = resolveCacheOptions(opts);
    super(createStore(opts, resolved.namespace, resolved.commandTimeout, resolved.now), resolved);
  }
}
