import { CacheError } from './cache-error.js';

/**
 * Seconds → ms, validated: TTLs are seconds everywhere in `covet/cache`, `0` meaning no expiry.
 *
 * @example
 * ttlToMs(1.5) // 1500
 */
export function ttlToMs(ttl: number, what = 'ttl'): number {
  if (typeof ttl !== 'number' || !(ttl >= 0) || ttl === Number.POSITIVE_INFINITY) {
    throw new CacheError(`${what} must be a finite number of seconds >= 0 (0 means no expiry), got ${String(ttl)}`, {
      code: 'ERR_CACHE_INVALID_OPTION',
    });
  }
  // A tiny positive TTL must not round to 0, which would mean "for ever".
  return ttl === 0 ? 0 : Math.max(1, Math.round(ttl * 1000));
}

/** Validates a count option (`maxSize`, `maxBytes`…). */
export function positiveInteger(value: number, what: string): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new CacheError(`${what} must be a positive integer, got ${String(value)}`, { code: 'ERR_CACHE_INVALID_OPTION' });
  }
  return value;
}

/**
 * The options argument of a cache call: an object, or nothing. A TTL passed on its own
 * (`cache.set(key, value, 60)`) is refused rather than silently ignored: TTLs go in `{ ttl }`.
 *
 * @example
 * const { ttl } = optionsObject(options, 'set');
 */
export function optionsObject<T extends object>(options: T | undefined, what: string): T {
  if (options === undefined || options === null) return {} as T;
  if (typeof options !== 'object') {
    const got = typeof options === 'number' ? String(options) : `a ${typeof options}`;
    throw new CacheError(`${what} takes its options as an object, such as { ttl: 60 } (seconds); got ${got}`, {
      code: 'ERR_CACHE_INVALID_OPTION',
    });
  }
  return options;
}
