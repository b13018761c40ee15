import type { BaseCache } from './base-cache.js';
import { CacheError } from './cache-error.js';
import { MemoryCache } from './memory-cache.js';
import { kFetch } from './read-through.js';
import { serialize } from './serializer.js';
import { SingleFlight } from './single-flight.js';
import { optionsObject, positiveInteger, ttlToMs } from './ttl.js';

/** Options of `cacheResult`. */
export interface CacheResultOptions<A extends readonly unknown[]> {
  /** Seconds a result is kept; `0`: until evicted. Default 300. */
  readonly ttl?: number;
  /**
   * The cache key for a call. Default `fn:<name>:<the arguments, serialized>` (objects key by
   * their properties in order; an argument the cache format cannot hold throws — give `key`).
   */
  readonly key?: (...args: A) => string;
  /** Tags for `cache.invalidateTags(...)`: a list, or a function of the arguments. */
  readonly tags?: readonly string[] | ((...args: A) => readonly string[]);
  /** Seconds past `ttl` a stale result is still returned while one call refreshes it. Default 0. */
  readonly staleWhileRevalidate?: number;
  /**
   * A shared cache (`CacheManager`, `MultiLevelCache`) to keep results in (as copies, through its
   * serialization). Default: an in-process LRU of this function's own, holding the results
   * themselves (do not mutate them).
   */
  readonly cache?: BaseCache;
  /** The name in default keys. Default the function's name; required with a shared `cache` when the function has none. */
  readonly name?: string;
  /** In-process store: most results kept. Default 1000. */
  readonly maxSize?: number;
  /** In-process store: the clock in ms (tests). Default `Date.now`. */
  readonly now?: () => number;
}

/** A memoized function: the original's signature, plus ways to forget results. */
export type CachedFunction<A extends readonly unknown[], T> = ((...args: A) => Promise<Awaited<T>>) & {
  /**
   * Forgets the result for these arguments; whether there was one. A call with them still running
   * is let go: its result is not kept, and later calls run the function again.
   */
  invalidate(...args: A): Promise<boolean>;
  /** Forgets every result of this function (and lets go of the calls still running). */
  clear(): Promise<void>;
};

interface LocalResult {
  readonly value: unknown;
  /** ms; `0` when it never goes stale. */
  readonly freshUntil: number;
}

/**
 * Memoizes an async function by its arguments for `ttl` seconds. Concurrent calls with the same
 * arguments share one run; a rejection is shared by those calls and never cached.
 *
 * @example
 * const getUserPreferences = cacheResult({ ttl: 300 }, async (userId: number) =>
 *   db.fetchOne('SELECT * FROM preferences WHERE user_id = %s', userId));
 * await getUserPreferences(1); // queries; the next 5 minutes do not
 */
export function cacheResult<A extends readonly unknown[], T>(opts: CacheResultOptions<A>, fn: (...args: A) => T): CachedFunction<A, T> {
  const options = optionsObject(opts, 'cacheResult');
  if (typeof fn !== 'function') throw new CacheError('cacheResult needs a function', { code: 'ERR_CACHE_INVALID_OPTION' });
  const name = options.name ?? fn.name;
  const shared = options.cache;
  if (shared !== undefined && name === '') {
    throw new CacheError('cacheResult needs a name (options.name, or a named function) to share a cache', {
      code: 'ERR_CACHE_INVALID_OPTION',
    });
  }
  const prefix = `fn:${name || 'anonymous'}:`;
  const ttlMs = ttlToMs(options.ttl ?? 300);
  const swrMs = options.staleWhileRevalidate === undefined ? 0 : ttlToMs(options.staleWhileRevalidate, 'staleWhileRevalidate');
  const tagOption = options.tags;
  const allTag = `fn:${name || 'anonymous'}`;

  const keyOf = (args: A): string => {
    if (options.key !== undefined) return options.key(...args);
    try {
      return prefix + serialize(args);
    } catch (err) {
      throw new CacheError(`cacheResult cannot key ${name || 'the function'} on its arguments; pass options.key`, {
        code: 'ERR_CACHE_INVALID_KEY',
        cause: err,
      });
    }
  };
  const tagsOf = (args: A): readonly string[] => {
    const tags = typeof tagOption === 'function' ? tagOption(...args) : (tagOption ?? []);
    return [allTag, ...tags];
  };

  let call: (self: unknown, args: A) => Promise<Awaited<T>>;
  let invalidate: (key: string) => Promise<boolean>;
  let clear: () => Promise<void>;

  if (shared !== undefined) {
    call = async (self, args): Promise<Awaited<T>> => {
      const fetched = await shared[kFetch](
        keyOf(args),
        async () => ({ value: await fn.call(self, ...args), store: true }),
        shared.fetchOptions({ ttl: ttlMs / 1000, staleWhileRevalidate: swrMs / 1000, tags: tagsOf(args) }, false),
      );
      return fetched.value as Awaited<T>;
    };
    invalidate = (key) => shared.delete(key);
    clear = async () => {
      await shared.invalidateTags([allTag]);
    };
  } else {
    const now = options.now ?? Date.now;
    const store = new MemoryCache<LocalResult>({ maxSize: positiveInteger(options.maxSize ?? 1000, 'maxSize'), now });
    const flights = new SingleFlight<string, unknown>();
    const storeTtl = ttlMs === 0 ? 0 : (ttlMs + swrMs) / 1000;
    const compute = (self: unknown, args: A, key: string): Promise<unknown> =>
      flights.run(key, async (flight) => {
        const value = await fn.call(self, ...args);
        // Not kept when `invalidate`/`clear` came while it ran: it may predate what they forgot.
        if (!flight.dropped) {
          store.set(key, { value, freshUntil: swrMs > 0 && ttlMs > 0 ? now() + ttlMs : 0 }, { ttl: storeTtl, tags: tagsOf(args) });
        }
        return value;
      });
    call = async (self, args): Promise<Awaited<T>> => {
      const key = keyOf(args);
      const hit = store.get(key);
      if (hit !== undefined) {
        if (hit.freshUntil !== 0 && now() >= hit.freshUntil && flights.current(key) === undefined) {
          // Deliberately not awaited: the caller gets the stale result now; a failure keeps it.
          void compute(self, args, key).catch(() => {});
        }
        return hit.value as Awaited<T>;
      }
      return (await compute(self, args, key)) as Awaited<T>;
    };
    invalidate = async (key) => {
      flights.forget(key);
      return store.delete(key);
    };
    clear = async () => {
      flights.forgetAll();
      store.clear();
    };
  }

  const memoized = function (this: unknown, ...args: A): Promise<Awaited<T>> {
    return call(this, args);
  };
  Object.defineProperty(memoized, 'name', { value: name ? `cached ${name}` : 'cached' });
  return Object.assign(memoized, {
    invalidate: (...args: A) => invalidate(keyOf(args)),
    clear,
  });
}
