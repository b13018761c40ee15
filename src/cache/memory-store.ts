import { CacheError } from './cache-error.js';
import type { CacheStore, StoreLock } from './cache-store.js';
import { MemoryCache } from './memory-cache.js';
import { deserialize } from './serializer.js';

/** Options of the memory backend. */
export interface MemoryStoreOptions {
  readonly maxSize: number;
  readonly maxBytes: number | undefined;
  readonly now: () => number;
}

/**
 * The `"memory"` backend: serialized values in a `MemoryCache`, so a value comes back as a copy,
 * exactly as it would from Redis, and `maxBytes` counts the bytes really held.
 */
export class MemoryStore implements CacheStore {
  readonly kind = 'memory';
  readonly #lru: MemoryCache<string>;

  constructor(options: MemoryStoreOptions) {
    this.#lru = new MemoryCache<string>({
      maxSize: options.maxSize,
      now: options.now,
      ...(options.maxBytes === undefined ? {} : { maxBytes: options.maxBytes, sizeOf: (payload: string) => Buffer.byteLength(payload) }),
    });
  }

  /** The underlying LRU (tests and stats). */
  get lru(): MemoryCache<string> {
    return this.#lru;
  }

  async get(key: string): Promise<string | undefined> {
    return this.#lru.get(key);
  }

  async getMany(keys: readonly string[]): Promise<(string | undefined)[]> {
    return keys.map((key) => this.#lru.get(key));
  }

  async set(entries: readonly (readonly [string, string])[], ttlMs: number, tags: readonly string[]): Promise<void> {
    const options = { ttl: ttlMs / 1000, tags };
    if (entries.length === 1) {
      const [key, payload] = entries[0] as readonly [string, string];
      this.#lru.set(key, payload, options);
      return;
    }
    // All or nothing: every entry must fit before any is written.
    for (const [key, payload] of entries) {
      if (this.#lru.maxBytes !== Number.POSITIVE_INFINITY && Buffer.byteLength(payload) > this.#lru.maxBytes) {
        throw new CacheError(`Cache entry "${key.slice(0, 100)}" is larger than maxBytes (${this.#lru.maxBytes})`, {
          code: 'ERR_CACHE_VALUE_TOO_LARGE',
        });
      }
    }
    for (const [key, payload] of entries) this.#lru.set(key, payload, options);
  }

  async has(key: string): Promise<boolean> {
    return this.#lru.has(key);
  }

  async delete(keys: readonly string[]): Promise<number> {
    let n = 0;
    for (const key of keys) if (this.#lru.delete(key)) n++;
    return n;
  }

  async clear(): Promise<void> {
    this.#lru.clear();
  }

  async increment(key: string, amount: number, ttlMs: number): Promise<number> {
    const payload = this.#lru.get(key);
    if (payload === undefined) {
      this.#lru.set(key, String(amount), { ttl: ttlMs / 1000 });
      return amount;
    }
    const current = deserialize(payload);
    if (typeof current !== 'number' || !Number.isSafeInteger(current)) {
      throw new CacheError(`Cannot increment "${key.slice(0, 100)}": its value is not an integer`, { code: 'ERR_CACHE_NOT_INTEGER' });
    }
    const next = current + amount;
    if (!Number.isSafeInteger(next)) {
      throw new CacheError(`Cannot increment "${key.slice(0, 100)}": the result is not a safe integer`, { code: 'ERR_CACHE_NOT_INTEGER' });
    }
    this.#lru.update(key, String(next));
    // As Redis: the ttl applies when the counter has no expiry yet.
    if (ttlMs > 0 && this.#lru.remainingTtl(key) === Number.POSITIVE_INFINITY) this.#lru.expire(key, ttlMs / 1000);
    return next;
  }

  async invalidateTags(tags: readonly string[]): Promise<number> {
    return this.#lru.invalidateTags(tags).length;
  }

  async ping(): Promise<void> {}

  async lock(): Promise<StoreLock | null | undefined> {
    // One process: in-process single-flight already makes concurrent misses compute once.
    return undefined;
  }

  async close(): Promise<void> {
    this.#lru.close();
  }
}
