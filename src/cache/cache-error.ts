import { CovetError, type CovetErrorOptions } from '../errors.js';

/**
 * The stable codes of `CacheError`:
 * - `ERR_CACHE_INVALID_KEY`: a key that is not a string.
 * - `ERR_CACHE_KEY_TOO_LARGE`: a key longer than `maxKeyLength` bytes.
 * - `ERR_CACHE_VALUE_TOO_LARGE`: a serialized value over `maxValueSize` (or a memory entry over `maxBytes`).
 * - `ERR_CACHE_UNSERIALIZABLE`: a value the cache format cannot represent (functions, symbols,
 *   class instances without `toJSON`, circular structures).
 * - `ERR_CACHE_INVALID_OPTION`: a bad option (a negative TTL, an unknown backend…).
 * - `ERR_CACHE_NOT_INTEGER`: `increment` on a value that is not an integer.
 * - `ERR_CACHE_UNAVAILABLE`: the backend cannot be reached (only `ping` and `increment` throw it;
 *   every other operation degrades to a miss and logs a warning).
 * - `ERR_CACHE_CLOSED`: an operation issued while `close()` runs (afterwards the cache connects again).
 */
export type CacheErrorCode =
  | 'ERR_CACHE_INVALID_KEY'
  | 'ERR_CACHE_KEY_TOO_LARGE'
  | 'ERR_CACHE_VALUE_TOO_LARGE'
  | 'ERR_CACHE_UNSERIALIZABLE'
  | 'ERR_CACHE_INVALID_OPTION'
  | 'ERR_CACHE_NOT_INTEGER'
  | 'ERR_CACHE_UNAVAILABLE'
  | 'ERR_CACHE_CLOSED';

/**
 * An error of `covet/cache`; `code` is one of `CacheErrorCode` and stable across releases.
 *
 * @example
 * try { await cache.set('fn', () => 1) } catch (e) { if (e instanceof CacheError) e.code } // 'ERR_CACHE_UNSERIALIZABLE'
 */
export class CacheError extends CovetError {
  declare readonly code: CacheErrorCode;

  constructor(message: string, options: CovetErrorOptions & { readonly code: CacheErrorCode }) {
    super(message, options);
  }
}
