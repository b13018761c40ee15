import { BaseCache, type BaseCacheOptions, resolveCacheOptions } from './base-cache.js';
import { CacheError } from './cache-error.js';
import type { CacheStore } from './cache-store.js';
import { CACHE_MANAGER_DEFAULTS } from './cache-manager.js';
import { MemoryStore } from './memory-store.js';
import { MultiLevelStore } from './multi-level-store.js';
import type { RedisCacheClient } from './redis-client.js';
import { RedisStore } from './redis-store.js';
import { positiveInteger, ttlToMs } from './ttl.js';

/** The memory level of a `MultiLevelCache`. */
export interface MemoryLayer {
  readonly type: 'memory';
  /** Most entries kept in this process. Default 1000. */
  readonly size?: number;
  /**
   * Most bytes kept (serialized). An entry larger than this is kept in Redis only (reads of it
   * go to Redis). Default: no limit.
   */
  readonly maxBytes?: number;
  /** Longest an entry stays in memory, seconds; `0`: as long as in Redis. Default 0. */
  readonly ttl?: number;
}

/** The Redis level of a `MultiLevelCache`. */
export interface RedisLayer {
  readonly type: 'redis';
  /** Default `redis://127.0.0.1:6379`. */
  readonly url?: string;
  /** An `ioredis` client instead of `url` (it must support `duplicate()` for pub/sub). */
  readonly client?: RedisCacheClient;
}

/** One level of a `MultiLevelCache`. */
export type CacheLayer = MemoryLayer | RedisLayer;

function createStore(layers: readonly CacheLayer[], namespace: string, commandTimeout: number, options: BaseCacheOptions): CacheStore {
  if (!Array.isArray(layers) || layers.length === 0 || layers.length > 2) {
    throw new CacheError('MultiLevelCache takes one or two levels: [{ type: "memory", size }, { type: "redis", url }]', {
      code: 'ERR_CACHE_INVALID_OPTION',
    });
  }
  const [first, second] = layers as [CacheLayer, CacheLayer | undefined];
  for (const layer of layers) {
    if (typeof layer !== 'object' || layer === null || (layer.type !== 'memory' && layer.type !== 'redis')) {
      throw new CacheError('A cache level is { type: "memory", size } or { type: "redis", url }', { code: 'ERR_CACHE_INVALID_OPTION' });
    }
  }
  const now = options.now ?? Date.now;
  const redisOf = (layer: RedisLayer): RedisStore =>
    new RedisStore(layer.client ?? layer.url ?? CACHE_MANAGER_DEFAULTS.redisUrl, { namespace, commandTimeout });
  const memory = (layer: MemoryLayer) => ({
    size: positiveInteger(layer.size ?? CACHE_MANAGER_DEFAULTS.maxSize, 'size'),
    maxBytes: layer.maxBytes === undefined ? undefined : positiveInteger(layer.maxBytes, 'maxBytes'),
  });
  if (second === undefined) {
    if (first.type === 'redis') return redisOf(first);
    const m = memory(first);
    return new MemoryStore({ maxSize: m.size, maxBytes: m.maxBytes, now });
  }
  if (first.type !== 'memory' || second.type !== 'redis') {
    throw new CacheError('MultiLevelCache levels go from fastest to slowest: memory first, then redis', {
      code: 'ERR_CACHE_INVALID_OPTION',
    });
  }
  const m = memory(first);
  return new MultiLevelStore(redisOf(second), {
    l1Size: m.size,
    l1MaxBytes: m.maxBytes,
    l1TtlMs: ttlToMs(first.ttl ?? 0),
    commandTimeout,
    logger: options.logger ?? console,
    now,
  });
}

/**
 * A memory level (L1) in front of Redis (L2), with the `CacheManager` API. Reads try L1, then
 * Redis, and fill L1 from Redis (for the time Redis has left); writes go to Redis, then L1. A
 * `set`, `delete`, `clear`, `increment` or `invalidateTags` on one instance evicts the L1 copies
 * of every other instance through Redis pub/sub (channel `<namespace>~events`), so processes
 * never serve each other's outdated values. While Redis is down (or its link hangs: a PING a
 * second on the subscriber connection notices), L1 is emptied and bypassed: every read is a miss
 * (one warning logged) until Redis is back.
 *
 * @example
 * const cache = new MultiLevelCache([{ type: 'memory', size: 1000 }, { type: 'redis', url: 'redis://localhost:6379' }]);
 * const data = (await cache.get(`data:${id}`)) ?? (await load(id));
 */
export class MultiLevelCache extends BaseCache {
  constructor(layers: readonly CacheLayer[], options: BaseCacheOptions = {}) {
    const resolved = resolveCacheOptions(options);
    super(createStore(layers, resolved.namespace, resolved.commandTimeout, options), resolved);
  }
}
