import type { BaseCache } from './base-cache.js';
import { CacheError } from './cache-error.js';
import { type AnyRequest, type CachedOptions, createPageHandler, type PageHandler } from './page-cache.js';
import { positiveInteger } from './ttl.js';

/** Options of `cachePage`. */
export interface CachePageOptions<R = AnyRequest> extends CachedOptions<R> {
  /**
   * A shared cache (`CacheManager`, `MultiLevelCache`) to keep the pages in, so every process
   * serves them. Default: an in-process LRU of this handler's own.
   */
  readonly cache?: BaseCache;
  /** In-process store: most pages kept. Default 1000. */
  readonly maxSize?: number;
  /** In-process store: most bytes of bodies kept. Default 64 MiB. */
  readonly maxBytes?: number;
  /** In-process store: the clock in ms (tests). Default `Date.now`. */
  readonly now?: () => number;
}

/** The defaults of `CachePageOptions`. */
export const CACHE_PAGE_DEFAULTS = { ttl: 300, maxSize: 1000, maxBytes: 64 * 1024 * 1024 } as const;

/**
 * Caches a handler's whole responses for `ttl` seconds (default 300): only `200` responses to
 * `GET` and `HEAD` (which share an entry), keyed on method, path and query string plus the
 * configured `vary` request headers. A response with `Cache-Control: no-store`, `private` or
 * `no-cache`, a `Set-Cookie`, a streamed body, or a `Vary` on an unlisted header is passed
 * through uncached. Cached responses carry an `ETag` (the handler's, or a hash of the body) and
 * `If-None-Match` is answered with `304`; `X-Cache` says `HIT`, `MISS` or `STALE`. Concurrent
 * misses run the handler once. Other methods go straight to the handler.
 *
 * @example
 * app.route('/dashboard', cachePage({ ttl: 600 }, async () => ({ dashboard: 'data' })));
 */
export function cachePage<R extends AnyRequest, D>(options: CachePageOptions<R>, handler: PageHandler<R, D>): PageHandler<R, D>;
export function cachePage<R extends AnyRequest, D>(handler: PageHandler<R, D>): PageHandler<R, D>;
export function cachePage<R extends AnyRequest, D>(a: CachePageOptions<R> | PageHandler<R, D>, b?: PageHandler<R, D>): PageHandler<R, D> {
  const [options, handler] = typeof a === 'function' ? [{} as CachePageOptions<R>, a] : [a, b];
  if (typeof options !== 'object' || options === null)
    throw new CacheError('cachePage takes options and a handler', { code: 'ERR_CACHE_INVALID_OPTION' });
  if (typeof handler !== 'function') throw new CacheError('cachePage needs a handler function', { code: 'ERR_CACHE_INVALID_OPTION' });
  const withTtl: CachedOptions<R> = options.ttl === undefined ? { ...options, ttl: CACHE_PAGE_DEFAULTS.ttl } : options;
  if (options.cache !== undefined) return createPageHandler(withTtl, handler, options.cache);
  return createPageHandler(withTtl, handler, null, {
    maxSize: positiveInteger(options.maxSize ?? CACHE_PAGE_DEFAULTS.maxSize, 'maxSize'),
    maxBytes: positiveInteger(options.maxBytes ?? CACHE_PAGE_DEFAULTS.maxBytes, 'maxBytes'),
    now: options.now ?? Date.now,
  });
}
