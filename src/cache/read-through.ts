/**
 * The read-through entry point the caches share with page caching (internal): `kFetch` names
 * the method, the types describe its contract.
 */
export const kFetch = Symbol('covet.cache.fetch');

/** What a producer hands to `[kFetch]`: the value, and whether it may be cached (and shared). */
export interface Produced {
  readonly value: unknown;
  readonly store: boolean;
}

/** What `[kFetch]` found: the value, and where it came from. */
export interface Fetched {
  readonly value: unknown;
  readonly state: 'hit' | 'stale' | 'miss';
}

/** Options of `[kFetch]`, resolved. */
export interface FetchOptions {
  readonly ttlMs: number;
  readonly swrMs: number;
  readonly tags: readonly string[];
  readonly lock: boolean;
  /** Write failures (too large, unserializable) are logged instead of thrown (pages). */
  readonly softWrite: boolean;
}

/** A cache that can read through (`CacheManager`, `MultiLevelCache`). */
export interface ReadThrough {
  readonly maxValueSize: number;
  [kFetch](key: string, produce: () => Promise<Produced>, options: FetchOptions): Promise<Fetched>;
  fetchOptions(options: { ttl?: number; staleWhileRevalidate?: number; tags?: readonly string[] }, softWrite: boolean): FetchOptions;
}
