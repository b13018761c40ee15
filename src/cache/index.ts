export {
  BaseCache,
  type BaseCacheOptions,
  CACHE_DEFAULTS,
  type CacheSetOptions,
  type GetOrSetOptions,
  type IncrementOptions,
} from './base-cache.js';
export { CacheError, type CacheErrorCode } from './cache-error.js';
export type { CacheLogger } from './cache-logger.js';
export { CACHE_MANAGER_DEFAULTS, CacheManager, type CacheManagerOptions } from './cache-manager.js';
export { CACHE_PAGE_DEFAULTS, cachePage, type CachePageOptions } from './cache-page.js';
export { type CachedFunction, cacheResult, type CacheResultOptions } from './cache-result.js';
export { MemoryCache, type MemoryCacheOptions, type MemoryCacheSetOptions } from './memory-cache.js';
export { type CacheLayer, type MemoryLayer, MultiLevelCache, type RedisLayer } from './multi-level-cache.js';
export type { AnyRequest, CachedOptions, PageEntry, PageHandler } from './page-cache.js';
export type { RedisCacheClient } from './redis-client.js';
export { deserialize, serialize } from './serializer.js';
export { type FlightState, SingleFlight } from './single-flight.js';
export type { CacheAccessMessage } from './cache-access-channel.js';
