/**
 * What a backend does for `CacheManager`: serialized values (strings) under keys, with TTLs in
 * ms (`0`: none) and tags. Keys arrive validated and without the namespace; a store adds its
 * own. Internal: the public API is the cache classes.
 */
export interface CacheStore {
  readonly kind: 'memory' | 'redis' | 'multi-level';
  get(key: string): Promise<string | undefined>;
  getMany(keys: readonly string[]): Promise<(string | undefined)[]>;
  /** Writes every entry or none. */
  set(entries: readonly (readonly [key: string, payload: string])[], ttlMs: number, tags: readonly string[]): Promise<void>;
  has(key: string): Promise<boolean>;
  /** How many of `keys` existed. */
  delete(keys: readonly string[]): Promise<number>;
  /** Removes this store's namespace (and only it). */
  clear(): Promise<void>;
  /** Adds `amount` to an integer (created as `amount`, with `ttlMs`, when absent). */
  increment(key: string, amount: number, ttlMs: number): Promise<number>;
  /** Removes the entries tagged with any of `tags`; how many. */
  invalidateTags(tags: readonly string[]): Promise<number>;
  ping(): Promise<void>;
  /**
   * A lock shared by every process using the backend: the lock when acquired, `null` when another
   * holder has it, `undefined` when the store has no shared locks (or cannot reach the backend),
   * or when the last holder found the value uncacheable (go on without a lock).
   */
  lock(key: string, ttlMs: number): Promise<StoreLock | null | undefined>;
  close(): Promise<void>;
}

/** A held lock. */
export interface StoreLock {
  /**
   * Gives the lock up. `uncacheable`: the holder stored nothing (a `404` page, `no-store`, an
   * error…), so the processes waiting for it should compute their own at once rather than take
   * the lock in turn; `lock()` then answers `undefined` for a while.
   */
  release(uncacheable?: boolean): Promise<void>;
}
