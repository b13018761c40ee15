import { setTimeout as sleep } from 'node:timers/promises';
import { CovetError } from '../errors.js';
import { type CacheAccessMessage, cacheAccessChannel } from './cache-access-channel.js';
import { CacheError } from './cache-error.js';
import type { CacheLogger } from './cache-logger.js';
import type { CacheStore, StoreLock } from './cache-store.js';
import { type AnyRequest, type CachedOptions, createPageHandler, type PageHandler } from './page-cache.js';
import { type Fetched, type FetchOptions, kFetch, type Produced, type ReadThrough } from './read-through.js';
import { type DecodedEntry, deserializeEntry, serializeEntry } from './serializer.js';
import { type FlightState, SingleFlight } from './single-flight.js';
import { optionsObject, positiveInteger, ttlToMs } from './ttl.js';

/** Options every cache takes (`CacheManager`, `MultiLevelCache`). */
export interface BaseCacheOptions {
  /** Seconds an entry lives when `set` gives no `ttl`; `0` means no expiry. Default 300. */
  readonly defaultTtl?: number;
  /**
   * Prefix of every Redis key (`<namespace>:<key>`) and of the pub/sub channel; `clear()`
   * removes this namespace only. Default `covet:cache`.
   */
  readonly namespace?: string;
  /** Longest key, in UTF-8 bytes; longer ones throw `ERR_CACHE_KEY_TOO_LARGE`. Default 1024. */
  readonly maxKeyLength?: number;
  /** Largest serialized value, in bytes; larger ones throw `ERR_CACHE_VALUE_TOO_LARGE`. Default 1 MiB. */
  readonly maxValueSize?: number;
  /**
   * Seconds the stampede lock is held (Redis): while one process computes a missing value the
   * others wait for it, up to this long. Default 5.
   */
  readonly lockTtl?: number;
  /** Ms a Redis command may take before it counts as a failure (a miss). Default 1000. */
  readonly commandTimeout?: number;
  /** Where degraded operation is reported. Default `console`. */
  readonly logger?: CacheLogger;
  /** The clock in ms, for TTLs of the memory backend and stale-while-revalidate. Default `Date.now`. */
  readonly now?: () => number;
}

/** Options of `set` and `setMany`. */
export interface CacheSetOptions {
  /** Seconds to live; `0` means no expiry. Default: the cache's `defaultTtl`. */
  readonly ttl?: number;
  /** Tags to invalidate the entry by (`invalidateTags`). */
  readonly tags?: readonly string[];
}

/** Options of `getOrSet`. */
export interface GetOrSetOptions extends CacheSetOptions {
  /**
   * Seconds past `ttl` during which a stale value is still returned at once while one caller
   * refreshes it in the background. Default 0 (off).
   */
  readonly staleWhileRevalidate?: number;
  /** Take the cross-process stampede lock (Redis) on a miss. Default `true`. */
  readonly lock?: boolean;
}

/** Options of `increment`. */
export interface IncrementOptions {
  /** Seconds to live, applied when the counter has no expiry yet (typically when it is created). */
  readonly ttl?: number;
}

/** Options resolved once at construction. */
export interface ResolvedCacheOptions {
  readonly defaultTtlMs: number;
  readonly namespace: string;
  readonly maxKeyLength: number;
  readonly maxValueSize: number;
  readonly lockTtlMs: number;
  readonly commandTimeout: number;
  readonly logger: CacheLogger;
  readonly now: () => number;
}

/** The defaults of `BaseCacheOptions`. */
export const CACHE_DEFAULTS = {
  defaultTtl: 300,
  namespace: 'covet:cache',
  maxKeyLength: 1024,
  maxValueSize: 1024 * 1024,
  lockTtl: 5,
  commandTimeout: 1000,
} as const;

/** Resolves the common options (once, at construction). */
export function resolveCacheOptions(options: BaseCacheOptions): ResolvedCacheOptions {
  const namespace = options.namespace ?? CACHE_DEFAULTS.namespace;
  if (typeof namespace !== 'string' || namespace === '') {
    throw new CacheError('namespace must be a non-empty string', { code: 'ERR_CACHE_INVALID_OPTION' });
  }
  return {
    defaultTtlMs: ttlToMs(options.defaultTtl ?? CACHE_DEFAULTS.defaultTtl, 'defaultTtl'),
    namespace,
    maxKeyLength: positiveInteger(options.maxKeyLength ?? CACHE_DEFAULTS.maxKeyLength, 'maxKeyLength'),
    maxValueSize: positiveInteger(options.maxValueSize ?? CACHE_DEFAULTS.maxValueSize, 'maxValueSize'),
    lockTtlMs: ttlToMs(options.lockTtl ?? CACHE_DEFAULTS.lockTtl, 'lockTtl'),
    commandTimeout: positiveInteger(options.commandTimeout ?? CACHE_DEFAULTS.commandTimeout, 'commandTimeout'),
    logger: options.logger ?? console,
    now: options.now ?? Date.now,
  };
}

const FATAL_CODES = new Set([
  'ERR_MISSING_DEPENDENCY',
  'ERR_CACHE_CLOSED',
  'ERR_CACHE_VALUE_TOO_LARGE',
  'ERR_CACHE_UNSERIALIZABLE',
  'ERR_CACHE_INVALID_OPTION',
  'ERR_CACHE_INVALID_KEY',
  'ERR_CACHE_KEY_TOO_LARGE',
]);

/** Whether an error is the caller's problem (rethrown) rather than the backend's (degraded). */
function isFatal(err: unknown): boolean {
  return err instanceof CovetError && FATAL_CODES.has(err.code);
}

function checkTags(tags: readonly string[] | undefined): readonly string[] {
  if (tags === undefined) return [];
  if (!Array.isArray(tags) || tags.some((t) => typeof t !== 'string')) {
    throw new CacheError('tags must be an array of strings', { code: 'ERR_CACHE_INVALID_OPTION' });
  }
  return tags;
}

/** After a backend failure, how long requests skip the backend before one tries it again. */
const RETRY_AFTER_FAILURE_MS = 1000;

/**
 * The API shared by `CacheManager` and `MultiLevelCache`: values in, copies out, TTLs in seconds,
 * single-flight and a cross-process lock on misses, and a backend outage turned into misses
 * plus one logged warning (never a failed request, and while it lasts requests skip the
 * backend, one a second trying it again). Accept it where either cache will do.
 *
 * @example
 * function routes(app: CovetApp, cache: BaseCache) { app.get('/stats', cache.cached({ ttl: 60 }, loadStats)) }
 */
export class BaseCache implements ReadThrough {
  readonly #store: CacheStore;
  readonly #opts: ResolvedCacheOptions;
  readonly #flights = new SingleFlight<string, Produced & { readonly cached: boolean }>();
  #outage = false;
  /** While the backend is failing: when the next request may try it again (ms, `Date.now`). */
  #retryAt = 0;
  /** While the backend is failing: a request is trying it. */
  #probing = false;

  constructor(store: CacheStore, options: ResolvedCacheOptions) {
    this.#store = store;
    this.#opts = options;
  }

  /** `"memory"`, `"redis"` or `"multi-level"`. */
  get backend(): CacheStore['kind'] {
    return this.#store.kind;
  }

  /** The largest serialized value accepted, in bytes (`maxValueSize`). */
  get maxValueSize(): number {
    return this.#opts.maxValueSize;
  }

  /** The namespace keys live under. */
  get namespace(): string {
    return this.#opts.namespace;
  }

  /** The store, for the subclasses. */
  protected get store(): CacheStore {
    return this.#store;
  }

  /**
   * The value under `key`, or `undefined` when there is none (or the backend is unreachable).
   * A stored `undefined` also reads as `undefined`; `has` tells them apart.
   *
   * @example
   * const cached = await cache.get(`data:${id}`); if (cached !== undefined) return cached;
   */
  async get<T = unknown>(key: string): Promise<T | undefined> {
    this.#checkKey(key);
    const entry = await this.#read(key);
    return entry === undefined ? undefined : (entry.value as T);
  }

  /** The values of `keys`, in order (`undefined` for each miss). */
  async getMany<T = unknown>(keys: readonly string[]): Promise<(T | undefined)[]> {
    for (const key of keys) this.#checkKey(key);
    let payloads: (string | undefined)[];
    if (!this.#usable()) return keys.map(() => undefined);
    try {
      payloads = await this.#store.getMany(keys);
      this.#recovered();
    } catch (err) {
      this.#degrade(err, 'getMany');
      return keys.map(() => undefined);
    }
    return payloads.map((payload, i) => this.#decode(keys[i] as string, payload)?.value as T | undefined);
  }

  /**
   * Stores a value for `ttl` seconds (default `defaultTtl`; `0`: no expiry). A value the cache
   * format cannot hold, or one over `maxValueSize`, throws before anything is written.
   *
   * @example
   * await cache.set(`data:${id}`, row, { ttl: 3600, tags: [`item:${id}`] });
   */
  async set(key: string, value: unknown, opts?: CacheSetOptions): Promise<void> {
    this.#checkKey(key);
    const options = optionsObject(opts, 'set');
    const ttlMs = options.ttl === undefined ? this.#opts.defaultTtlMs : ttlToMs(options.ttl);
    const tags = checkTags(options.tags);
    const payload = this.#encode(key, value, undefined);
    // A load in flight for this key would overwrite the new value with an older one.
    this.#flights.forget(key);
    await this.#guardWrite(() => this.#store.set([[key, payload]], ttlMs, tags), 'set');
  }

  /** Stores several values with the same options: all of them or, on bad input, none. */
  async setMany(
    entries: Iterable<readonly [string, unknown]> | Readonly<Record<string, unknown>>,
    opts?: CacheSetOptions,
  ): Promise<void> {
    const options = optionsObject(opts, 'setMany');
    const pairs: [string, unknown][] =
      Symbol.iterator in entries ? [...(entries as Iterable<readonly [string, unknown]>)].map(([k, v]) => [k, v]) : Object.entries(entries);
    const ttlMs = options.ttl === undefined ? this.#opts.defaultTtlMs : ttlToMs(options.ttl);
    const tags = checkTags(options.tags);
    const encoded = pairs.map(([key, value]): [string, string] => {
      this.#checkKey(key);
      return [key, this.#encode(key, value, undefined)];
    });
    if (encoded.length === 0) return;
    for (const [key] of encoded) this.#flights.forget(key);
    await this.#guardWrite(() => this.#store.set(encoded, ttlMs, tags), 'setMany');
  }

  /**
   * Removes an entry; whether there was one. A load of it in flight (`getOrSet`, `cached`,
   * `cacheResult`) is let go: it stores nothing, and later calls start a new one.
   */
  async delete(key: string): Promise<boolean> {
    this.#checkKey(key);
    this.#flights.forget(key);
    try {
      const n = await this.#store.delete([key]);
      this.#recovered();
      return n > 0;
    } catch (err) {
      this.#degrade(err, 'delete');
      return false;
    }
  }

  /** Whether an entry exists (a stored `undefined` counts; a stale one too). */
  async has(key: string): Promise<boolean> {
    this.#checkKey(key);
    if (!this.#usable()) return false;
    try {
      const found = await this.#store.has(key);
      this.#recovered();
      return found;
    } catch (err) {
      this.#degrade(err, 'has');
      return false;
    }
  }

  /** Removes every entry of this cache's namespace (and nothing else in Redis), and lets go of loads in flight. */
  async clear(): Promise<void> {
    this.#flights.forgetAll();
    await this.#guardWrite(() => this.#store.clear(), 'clear');
  }

  /**
   * Removes every entry stored with any of `tags` (by `set`, `getOrSet`, `cached`, `cachePage`
   * or `cacheResult`); resolves to how many were removed. Loads in flight in this process are let
   * go (whatever their tags): they store nothing, and later calls start new ones.
   *
   * @example
   * await cache.invalidateTags(['user:1']);
   */
  async invalidateTags(tags: readonly string[] | string): Promise<number> {
    const list = checkTags(typeof tags === 'string' ? [tags] : tags);
    if (list.length === 0) return 0;
    this.#flights.forgetAll();
    try {
      const n = await this.#store.invalidateTags(list);
      this.#recovered();
      return n;
    } catch (err) {
      this.#degrade(err, 'invalidateTags');
      return 0;
    }
  }

  /**
   * The cached value, or `loader()`'s, stored for next time. Concurrent misses of one key run the
   * loader once in this process; with Redis, a short lock makes all processes run it once (the
   * others wait for the value). With `staleWhileRevalidate`, an expired value is returned at once
   * while a single refresh runs in the background. A loader's rejection is shared by the callers
   * that waited for it and nothing is cached.
   *
   * @example
   * const user = await cache.getOrSet(`user:${id}`, () => db.fetchOne('SELECT * FROM users WHERE id = %s', id), { ttl: 60 });
   */
  async getOrSet<T>(key: string, loader: () => T | Promise<T>, options?: GetOrSetOptions): Promise<T> {
    if (typeof loader !== 'function') throw new CacheError('getOrSet needs a loader function', { code: 'ERR_CACHE_INVALID_OPTION' });
    const resolved = this.fetchOptions(optionsObject(options, 'getOrSet'), false);
    const fetched = await this[kFetch](key, async () => ({ value: await loader(), store: true }), resolved);
    return fetched.value as T;
  }

  /** Resolves `getOrSet`-style options. */
  fetchOptions(options: GetOrSetOptions, softWrite: boolean): FetchOptions {
    return {
      ttlMs: options.ttl === undefined ? this.#opts.defaultTtlMs : ttlToMs(options.ttl),
      swrMs: options.staleWhileRevalidate === undefined ? 0 : ttlToMs(options.staleWhileRevalidate, 'staleWhileRevalidate'),
      tags: checkTags(options.tags),
      lock: options.lock ?? true,
      softWrite,
    };
  }

  /**
   * Adds `amount` (default 1) to an integer entry, creating it when absent, and resolves to the
   * new value (Redis `INCRBY`; an existing expiry is kept). Unlike the other operations it throws
   * `ERR_CACHE_UNAVAILABLE` when the backend is down, since it has no value to return.
   *
   * @example
   * const views = await cache.increment(`views:${id}`, 1, { ttl: 86400 });
   */
  async increment(key: string, amount = 1, opts?: IncrementOptions): Promise<number> {
    this.#checkKey(key);
    const options = optionsObject(opts, 'increment');
    if (!Number.isSafeInteger(amount))
      throw new CacheError('increment amount must be a safe integer', { code: 'ERR_CACHE_INVALID_OPTION' });
    const ttlMs = options.ttl === undefined ? 0 : ttlToMs(options.ttl);
    this.#flights.forget(key);
    const value = await this.#store.increment(key, amount, ttlMs);
    this.#recovered();
    return value;
  }

  /**
   * Checks the backend: resolves `true`, or throws `ERR_CACHE_UNAVAILABLE` (for health checks).
   *
   * @example
   * health.check('redis', async () => { await cache.ping(); return { status: 'healthy' } });
   */
  async ping(): Promise<true> {
    await this.#store.ping();
    this.#recovered();
    return true;
  }

  /**
   * Wraps a route handler so its `200` responses to `GET`/`HEAD` are cached in this cache for
   * `ttl` seconds (default `defaultTtl`), keyed on method, path and query string (plus the
   * `vary` request headers), with an `ETag` and `304` answers to `If-None-Match`. See `cachePage`
   * for the rules.
   *
   * @example
   * app.route('/expensive', cache.cached({ ttl: 1800 }, async () => ({ result: compute() })));
   */
  cached<R extends AnyRequest, D>(options: CachedOptions<R>, handler: PageHandler<R, D>): PageHandler<R, D>;
  cached<R extends AnyRequest, D>(handler: PageHandler<R, D>): PageHandler<R, D>;
  cached<R extends AnyRequest, D>(a: CachedOptions<R> | PageHandler<R, D>, b?: PageHandler<R, D>): PageHandler<R, D> {
    const [options, handler] = typeof a === 'function' ? [{}, a] : [optionsObject(a, 'cached()'), b];
    if (typeof handler !== 'function') throw new CacheError('cached() needs a handler function', { code: 'ERR_CACHE_INVALID_OPTION' });
    return createPageHandler(options, handler, this);
  }

  /** Closes the backend's connections (the ones the cache created) and timers. */
  async close(): Promise<void> {
    await this.#store.close();
  }

  // ------------------------------------------------------------------ internals

  /**
   * Read-through: a fresh hit, a stale hit (refreshed in the background), or a miss computed
   * once (single-flight, then the store's lock) by `produce`. A produced value with
   * `store: false` is not cached, and callers that waited for it produce their own.
   */
  async [kFetch](key: string, produce: () => Promise<Produced>, options: FetchOptions): Promise<Fetched> {
    this.#checkKey(key);
    const hit = await this.#read(key);
    if (hit !== undefined) {
      if (hit.freshUntil === undefined || this.#opts.now() < hit.freshUntil) return { value: hit.value, state: 'hit' };
      if (this.#flights.current(key) === undefined) {
        // Deliberately not awaited: the caller gets the stale value now. Failures are logged.
        void this.#flights
          .run(key, (flight) => this.#compute(key, produce, options, flight))
          .catch((err: unknown) => {
            this.#warn('A background cache refresh failed; the stale value stays until it expires', err, key);
          });
      }
      return { value: hit.value, state: 'stale' };
    }
    const joined = this.#flights.current(key) !== undefined;
    const result = await this.#flights.run(key, (flight) => this.#compute(key, produce, options, flight));
    if (joined && !result.store) return { value: (await produce()).value, state: 'miss' };
    return { value: result.value, state: result.cached ? 'hit' : 'miss' };
  }

  async #compute(
    key: string,
    produce: () => Promise<Produced>,
    options: FetchOptions,
    flight: FlightState,
  ): Promise<Produced & { readonly cached: boolean }> {
    let lock: StoreLock | null | undefined;
    if (options.lock && this.#usable()) {
      lock = await this.#lock(key);
      if (lock === null) {
        // Another process is computing it: wait for its value (or for its lock to go away).
        const deadline = Date.now() + this.#opts.lockTtlMs;
        let delay = 10;
        while (lock === null) {
          await sleep(delay);
          delay = Math.min(delay * 2, 100);
          const fresh = this.#fresh(await this.#read(key));
          if (fresh !== undefined) return { value: fresh.value, store: true, cached: true };
          lock = Date.now() > deadline || !this.#usable() ? undefined : await this.#lock(key);
        }
      }
      if (lock !== undefined) {
        // The value may have landed between our miss and taking the lock.
        const fresh = this.#fresh(await this.#read(key));
        if (fresh !== undefined) {
          await lock.release();
          return { value: fresh.value, store: true, cached: true };
        }
      }
    }
    // Released as "uncacheable" unless a value was stored (an uncacheable page, an error such as
    // a 404 thrown by the handler…), so that the processes waiting for it run their own at once
    // instead of taking the lock one after another.
    let uncacheable = true;
    try {
      const produced = await produce();
      // A load that an invalidation (delete, set, clear…) overtook holds what was there before
      // it: handed to the callers that asked before, never stored (as lru-cache's fetch).
      let stored = produced.store && !flight.dropped && (await this.#write(key, produced.value, options));
      if (stored && flight.dropped) {
        // Overtaken while writing: the invalidation may have reached the backend first.
        stored = false;
        await this.#store.delete([key]).catch(() => 0);
      }
      uncacheable = !stored;
      return { ...produced, cached: false };
    } finally {
      await lock?.release(uncacheable);
    }
  }

  /** The store's lock on `key`; `undefined` (go on without one) when the backend failed. */
  async #lock(key: string): Promise<StoreLock | null | undefined> {
    try {
      const lock = await this.#store.lock(key, this.#opts.lockTtlMs);
      this.#recovered();
      return lock;
    } catch (err) {
      this.#degrade(err, 'lock', key);
      return undefined;
    }
  }

  #fresh(entry: DecodedEntry | undefined): DecodedEntry | undefined {
    if (entry === undefined) return undefined;
    return entry.freshUntil === undefined || this.#opts.now() < entry.freshUntil ? entry : undefined;
  }

  /** Stores a produced value; whether it was stored. */
  async #write(key: string, value: unknown, options: FetchOptions): Promise<boolean> {
    const freshUntil = options.swrMs > 0 && options.ttlMs > 0 ? this.#opts.now() + options.ttlMs : undefined;
    const ttlMs = options.ttlMs === 0 ? 0 : options.ttlMs + options.swrMs;
    let payload: string;
    try {
      payload = this.#encode(key, value, freshUntil);
    } catch (err) {
      if (!options.softWrite) throw err;
      this.#warn('A value was not cached', err, key);
      return false;
    }
    if (!this.#usable()) return false;
    try {
      await this.#store.set([[key, payload]], ttlMs, options.tags);
      this.#recovered();
      return true;
    } catch (err) {
      if (isFatal(err)) {
        // The caller's value, not the backend: a page too large for a memory `maxBytes`, say.
        if (!options.softWrite) throw err;
        this.#warn('A value was not cached', err, key);
        return false;
      }
      this.#degrade(err, 'set', key);
      return false;
    }
  }

  async #read(key: string): Promise<DecodedEntry | undefined> {
    let payload: string | undefined;
    if (!this.#usable()) {
      if (cacheAccessChannel.hasSubscribers) this.#publishAccess(key, false);
      return undefined;
    }
    try {
      payload = await this.#store.get(key);
      this.#recovered();
    } catch (err) {
      this.#degrade(err, 'get', key);
      if (cacheAccessChannel.hasSubscribers) this.#publishAccess(key, false);
      return undefined;
    }
    const entry = this.#decode(key, payload);
    if (cacheAccessChannel.hasSubscribers) this.#publishAccess(key, entry !== undefined);
    return entry;
  }

  #publishAccess(key: string, hit: boolean): void {
    const message: CacheAccessMessage = { backend: this.#store.kind, namespace: this.#opts.namespace, key, hit };
    cacheAccessChannel.publish(message);
  }

  #decode(key: string, payload: string | undefined): DecodedEntry | undefined {
    if (payload === undefined) return undefined;
    try {
      return deserializeEntry(payload);
    } catch (err) {
      this.#warn('A cache entry could not be decoded; treating it as a miss', err, key);
      return undefined;
    }
  }

  #encode(key: string, value: unknown, freshUntil: number | undefined): string {
    const payload = serializeEntry(value, freshUntil);
    const max = this.#opts.maxValueSize;
    if (payload.length > max || (payload.length * 3 > max && Buffer.byteLength(payload) > max)) {
      throw new CacheError(
        `The value for "${key.slice(0, 100)}" is ${Buffer.byteLength(payload)} bytes serialized, more than maxValueSize (${max})`,
        {
          code: 'ERR_CACHE_VALUE_TOO_LARGE',
        },
      );
    }
    return payload;
  }

  #checkKey(key: string): void {
    if (typeof key !== 'string') throw new CacheError(`A cache key must be a string, got ${typeof key}`, { code: 'ERR_CACHE_INVALID_KEY' });
    const max = this.#opts.maxKeyLength;
    if (key.length > max || (key.length * 3 > max && Buffer.byteLength(key) > max)) {
      throw new CacheError(`Cache key "${key.slice(0, 50)}…" is longer than maxKeyLength (${max} bytes)`, {
        code: 'ERR_CACHE_KEY_TOO_LARGE',
      });
    }
  }

  async #guardWrite(write: () => Promise<unknown>, op: string): Promise<void> {
    if (!this.#usable()) return;
    try {
      await write();
      this.#recovered();
    } catch (err) {
      if (isFatal(err)) throw err;
      this.#degrade(err, op);
    }
  }

  /**
   * Whether to use the backend now. While it is failing (down, or hanging until
   * `commandTimeout`), requests skip it — a miss, a write not made — and one request a second
   * tries it again, so an outage never makes every request wait.
   */
  #usable(): boolean {
    if (!this.#outage) return true;
    if (this.#probing || Date.now() < this.#retryAt) return false;
    this.#probing = true;
    return true;
  }

  /** A backend failure: fatal ones are rethrown; the rest are logged once per outage. */
  #degrade(err: unknown, op: string, key?: string): void {
    if (isFatal(err)) throw err;
    this.#retryAt = Date.now() + RETRY_AFTER_FAILURE_MS;
    this.#probing = false;
    if (this.#outage) return;
    this.#outage = true;
    this.#warn(`Cache backend (${this.#store.kind}) failed during ${op}; serving misses until it is back`, err, key);
  }

  #recovered(): void {
    if (!this.#outage) return;
    this.#outage = false;
    this.#probing = false;
    this.#opts.logger.info?.(`Cache backend (${this.#store.kind}) is available again`);
  }

  #warn(message: string, err: unknown, key: string | undefined): void {
    const logger = this.#opts.logger;
    const meta = key === undefined ? { error: err } : { error: err, key };
    if (typeof logger.warn === 'function') logger.warn(message, meta);
    else logger.error(message, meta);
  }
}
