import { CacheError } from './cache-error.js';
import { serialize } from './serializer.js';
import { positiveInteger, ttlToMs } from './ttl.js';

/** Options of `MemoryCache`. */
export interface MemoryCacheOptions<V> {
  /** Most entries kept; past it the least recently used go first. Default 1000. */
  readonly maxSize?: number;
  /**
   * Most bytes kept (by `sizeOf`); past it the least recently used go first. An entry larger
   * than this is refused with `ERR_CACHE_VALUE_TOO_LARGE`. Default: no byte limit.
   */
  readonly maxBytes?: number;
  /**
   * The size of an entry in bytes, used with `maxBytes` only. Default: the UTF-8 length of a
   * string, the length of bytes, else the length of the value in the cache's serialized format.
   */
  readonly sizeOf?: (value: V, key: string) => number;
  /** Seconds an entry lives unless `set` says otherwise; `0` means no expiry. Default `0`. */
  readonly ttl?: number;
  /**
   * Seconds between sweeps that drop expired entries nobody asked for (expired entries are never
   * served either way). The timer does not keep the process alive; `0` turns sweeping off.
   * Default 60.
   */
  readonly sweepInterval?: number;
  /** The clock, in ms (tests inject a fake one). Default `Date.now`. */
  readonly now?: () => number;
}

/** Options of `MemoryCache.set`. */
export interface MemoryCacheSetOptions {
  /** Seconds to live; `0` means no expiry. Default: the cache's `ttl`. */
  readonly ttl?: number;
  /** Tags for `invalidateTags`. */
  readonly tags?: readonly string[];
  /** The entry's size in bytes when it is known already (skips `sizeOf`). */
  readonly size?: number;
}

/** "No entry" in the index-linked recency list. */
const NONE = 0xffff_ffff;

function defaultSizeOf(value: unknown): number {
  if (typeof value === 'string') return Buffer.byteLength(value);
  if (value instanceof Uint8Array) return value.byteLength;
  return Buffer.byteLength(serialize(value));
}

/**
 * An in-process LRU cache with per-entry TTLs: `get`/`set`/`delete` are O(1) (a `Map` from key
 * to slot plus a recency list linked through typed arrays, the layout `lru-cache` uses), expired
 * entries are never returned and are dropped on access, by eviction or by the periodic sweep.
 * Synchronous, and it stores references (no copies): this is the structure behind the
 * `"memory"` backend, usable on its own as a fast L1.
 *
 * @example
 * const memoryCache = new MemoryCache<object>({ maxSize: 1000 });
 * memoryCache.set('computation:x', { result: 42 }, { ttl: 60 });
 * memoryCache.get('computation:x'); // { result: 42 } for 60 s
 */
export class MemoryCache<V = unknown> {
  readonly maxSize: number;
  readonly maxBytes: number;
  readonly #defaultTtlMs: number;
  readonly #sizeOf: ((value: V, key: string) => number) | null;
  readonly #userNow: (() => number) | null;
  readonly #sweepMs: number;
  readonly #index = new Map<string, number>();
  readonly #tagIndex = new Map<string, Set<string>>();
  // Slot-indexed storage; slots are reused through #free.
  #keys: (string | undefined)[] = [];
  #values: (V | undefined)[] = [];
  #newer: Uint32Array;
  #older: Uint32Array;
  /** Expiry in ms per slot, 0 for none; `null` until an entry with a TTL arrives. */
  #expires: Float64Array | null = null;
  #sizes: Float64Array | null = null;
  #tags: (readonly string[] | null)[] = [];
  #free: number[] = [];
  #used = 0;
  /** Most recently used. */
  #head = NONE;
  /** Least recently used. */
  #tail = NONE;
  #bytes = 0;
  #timer: NodeJS.Timeout | null = null;
  /** The clock reading of the current synchronous run (0: none yet). */
  #cachedNow = 0;

  constructor(options: MemoryCacheOptions<V> = {}) {
    this.maxSize = positiveInteger(options.maxSize ?? 1000, 'maxSize');
    if (this.maxSize >= NONE) throw new CacheError('maxSize is too large', { code: 'ERR_CACHE_INVALID_OPTION' });
    this.maxBytes = options.maxBytes === undefined ? Number.POSITIVE_INFINITY : positiveInteger(options.maxBytes, 'maxBytes');
    this.#defaultTtlMs = ttlToMs(options.ttl ?? 0);
    this.#sizeOf = options.maxBytes === undefined ? null : (options.sizeOf ?? defaultSizeOf);
    this.#userNow = options.now ?? null;
    this.#sweepMs = ttlToMs(options.sweepInterval ?? 60, 'sweepInterval');
    const initial = Math.min(this.maxSize, 256);
    this.#newer = new Uint32Array(initial);
    this.#older = new Uint32Array(initial);
    if (this.#sizeOf !== null) this.#sizes = new Float64Array(initial);
  }

  /** Live entries (expired ones not yet dropped count until they are). */
  get size(): number {
    return this.#index.size;
  }

  /** Bytes held, by `sizeOf` (0 without `maxBytes`). */
  get bytes(): number {
    return this.#bytes;
  }

  /** The value, or `undefined` when absent or expired; marks it most recently used. */
  get(key: string): V | undefined {
    const i = this.#index.get(key);
    if (i === undefined) return undefined;
    const expires = this.#expires;
    if (expires !== null) {
      const at = expires[i] as number;
      if (at !== 0 && at <= this.#now()) {
        this.#remove(i);
        return undefined;
      }
    }
    if (i !== this.#head) this.#toFront(i);
    return this.#values[i];
  }

  /** The value without touching recency; `undefined` when absent or expired. */
  peek(key: string): V | undefined {
    const i = this.#live(key);
    return i === NONE ? undefined : this.#values[i];
  }

  /** Whether a live entry exists (a stored `undefined` counts). */
  has(key: string): boolean {
    return this.#live(key) !== NONE;
  }

  /** Ms until the entry expires: `Infinity` without expiry, `-1` when absent. */
  remainingTtl(key: string): number {
    const i = this.#live(key);
    if (i === NONE) return -1;
    const at = this.#expires === null ? 0 : (this.#expires[i] as number);
    return at === 0 ? Number.POSITIVE_INFINITY : at - this.#exactNow();
  }

  /**
   * Stores a value (most recently used), evicting the least recently used past `maxSize` or
   * `maxBytes`. A value too large for `maxBytes` throws and leaves the old entry in place.
   */
  set(key: string, value: V, options?: MemoryCacheSetOptions): this {
    const ttlMs = options === undefined || options.ttl === undefined ? this.#defaultTtlMs : ttlToMs(options.ttl);
    let size = 0;
    if (this.#sizeOf !== null) {
      size = options?.size ?? this.#sizeOf(value, key);
      if (size > this.maxBytes) {
        throw new CacheError(`Cache entry "${key.slice(0, 100)}" is ${size} bytes, more than maxBytes (${this.maxBytes})`, {
          code: 'ERR_CACHE_VALUE_TOO_LARGE',
        });
      }
    }
    const tags = options?.tags !== undefined && options.tags.length > 0 ? options.tags : null;
    let i = this.#index.get(key);
    if (i !== undefined) {
      if (this.#tags[i] != null) this.#untag(i);
      this.#values[i] = value;
      if (i !== this.#head) this.#toFront(i);
    } else {
      if (this.#index.size >= this.maxSize) this.#remove(this.#tail);
      i = this.#slot();
      this.#index.set(key, i);
      this.#keys[i] = key;
      this.#values[i] = value;
      this.#pushFront(i);
    }
    this.#tags[i] = tags;
    this.#setExpiry(i, ttlMs);
    if (this.#sizes !== null) {
      this.#bytes += size - (this.#sizes[i] as number);
      this.#sizes[i] = size;
    }
    if (tags !== null) {
      for (const tag of tags) {
        let keys = this.#tagIndex.get(tag);
        if (keys === undefined) this.#tagIndex.set(tag, (keys = new Set()));
        keys.add(key);
      }
    }
    while (this.#bytes > this.maxBytes && this.#tail !== NONE && this.#tail !== i) this.#remove(this.#tail);
    return this;
  }

  /**
   * Replaces the value of a live entry, keeping its expiry, tags and recency (what Redis's
   * `INCRBY` does to a key's TTL). Returns `false`, storing nothing, when there is no live entry.
   */
  update(key: string, value: V, size?: number): boolean {
    const i = this.#live(key);
    if (i === NONE) return false;
    if (this.#sizes !== null && this.#sizeOf !== null) {
      const bytes = size ?? this.#sizeOf(value, key);
      this.#bytes += bytes - (this.#sizes[i] as number);
      this.#sizes[i] = bytes;
    }
    this.#values[i] = value;
    return true;
  }

  /**
   * Gives a live entry a new lifetime in seconds from now (`0`: no expiry), keeping its value,
   * tags and recency (Redis's `EXPIRE`). Returns `false` when there is no live entry.
   *
   * @example
   * memoryCache.expire('session:1', 60); // gone a minute from now
   */
  expire(key: string, ttl: number): boolean {
    const ttlMs = ttlToMs(ttl);
    const i = this.#live(key);
    if (i === NONE) return false;
    this.#setExpiry(i, ttlMs);
    return true;
  }

  /** Removes an entry; whether a live one was there. */
  delete(key: string): boolean {
    const i = this.#index.get(key);
    if (i === undefined) return false;
    const at = this.#expires === null ? 0 : (this.#expires[i] as number);
    const live = at === 0 || at > this.#exactNow();
    this.#remove(i);
    return live;
  }

  /** Removes the entries stored with any of `tags`; returns their keys. */
  invalidateTags(tags: Iterable<string>): string[] {
    const removed: string[] = [];
    for (const tag of tags) {
      const keys = this.#tagIndex.get(tag);
      if (keys === undefined) continue;
      for (const key of [...keys]) {
        const i = this.#index.get(key);
        if (i !== undefined) {
          this.#remove(i);
          removed.push(key);
        }
      }
      this.#tagIndex.delete(tag);
    }
    return removed;
  }

  /** Removes everything. */
  clear(): void {
    this.#index.clear();
    this.#tagIndex.clear();
    this.#keys = [];
    this.#values = [];
    this.#tags = [];
    this.#free = [];
    this.#used = 0;
    this.#expires?.fill(0);
    this.#sizes?.fill(0);
    this.#head = this.#tail = NONE;
    this.#bytes = 0;
  }

  /** Drops every expired entry now; returns how many. */
  purgeStale(): number {
    const expires = this.#expires;
    if (expires === null) return 0;
    const now = this.#exactNow();
    let dropped = 0;
    for (let i = this.#tail; i !== NONE; ) {
      const next = this.#newer[i] as number;
      const at = expires[i] as number;
      if (at !== 0 && at <= now) {
        this.#remove(i);
        dropped++;
      }
      i = next;
    }
    return dropped;
  }

  /** Live keys, most recently used first. */
  *keys(): IterableIterator<string> {
    const now = this.#exactNow();
    for (let i = this.#head; i !== NONE; i = this.#older[i] as number) {
      const at = this.#expires === null ? 0 : (this.#expires[i] as number);
      if (at === 0 || at > now) yield this.#keys[i] as string;
    }
  }

  /** Stops the sweep timer (the cache keeps working; expired entries still drop on access). */
  close(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
  }

  /**
   * The clock for expiry checks on the hot path: one reading per synchronous run of code (reset
   * by a microtask), because reading the clock costs more than the lookup itself. Stored
   * expiry times use `#exactNow`.
   */
  #now(): number {
    return this.#cachedNow !== 0 ? this.#cachedNow : this.#readClock();
  }

  #exactNow(): number {
    return this.#userNow === null ? Date.now() : this.#userNow();
  }

  readonly #forgetNow = (): void => {
    this.#cachedNow = 0;
  };

  #readClock(): number {
    // An injected clock is read every time (tests move it between calls).
    if (this.#userNow !== null) return this.#userNow();
    const now = Date.now();
    this.#cachedNow = now;
    queueMicrotask(this.#forgetNow);
    return now;
  }

  #live(key: string): number {
    const i = this.#index.get(key);
    if (i === undefined) return NONE;
    const at = this.#expires === null ? 0 : (this.#expires[i] as number);
    if (at !== 0 && at <= this.#exactNow()) {
      this.#remove(i);
      return NONE;
    }
    return i;
  }

  #setExpiry(i: number, ttlMs: number): void {
    if (ttlMs === 0 && this.#expires === null) return;
    const expires = (this.#expires ??= new Float64Array(this.#newer.length));
    expires[i] = ttlMs === 0 ? 0 : this.#exactNow() + ttlMs;
    if (ttlMs !== 0 && this.#timer === null && this.#sweepMs > 0) this.#startSweeping();
  }

  /** A free slot, growing the arrays (doubling, up to maxSize) when needed. */
  #slot(): number {
    const reused = this.#free.pop();
    if (reused !== undefined) return reused;
    const i = this.#used++;
    if (i >= this.#newer.length) {
      const length = Math.min(this.maxSize, this.#newer.length * 2);
      const grow = <A extends Uint32Array | Float64Array>(old: A, make: (n: number) => A): A => {
        const next = make(length);
        next.set(old);
        return next;
      };
      this.#newer = grow(this.#newer, (n) => new Uint32Array(n));
      this.#older = grow(this.#older, (n) => new Uint32Array(n));
      if (this.#expires !== null) this.#expires = grow(this.#expires, (n) => new Float64Array(n));
      if (this.#sizes !== null) this.#sizes = grow(this.#sizes, (n) => new Float64Array(n));
    }
    return i;
  }

  #startSweeping(): void {
    this.#timer = setInterval(() => this.purgeStale(), this.#sweepMs);
    // A cache must never keep a process alive.
    this.#timer.unref();
  }

  #pushFront(i: number): void {
    this.#older[i] = this.#head;
    this.#newer[i] = NONE;
    if (this.#head !== NONE) this.#newer[this.#head] = i;
    this.#head = i;
    if (this.#tail === NONE) this.#tail = i;
  }

  #toFront(i: number): void {
    const newer = this.#newer;
    const older = this.#older;
    // Unlink (i is not the head, so it has a newer neighbour)…
    const n = newer[i] as number;
    const o = older[i] as number;
    older[n] = o;
    if (o !== NONE) newer[o] = n;
    else this.#tail = n;
    // …and relink in front.
    older[i] = this.#head;
    newer[i] = NONE;
    newer[this.#head] = i;
    this.#head = i;
  }

  #untag(i: number): void {
    const key = this.#keys[i] as string;
    for (const tag of this.#tags[i] ?? []) {
      const keys = this.#tagIndex.get(tag);
      if (keys === undefined) continue;
      keys.delete(key);
      if (keys.size === 0) this.#tagIndex.delete(tag);
    }
    this.#tags[i] = null;
  }

  #remove(i: number): void {
    const key = this.#keys[i] as string;
    this.#index.delete(key);
    const n = this.#newer[i] as number;
    const o = this.#older[i] as number;
    if (n !== NONE) this.#older[n] = o;
    else this.#head = o;
    if (o !== NONE) this.#newer[o] = n;
    else this.#tail = n;
    if (this.#sizes !== null) {
      this.#bytes -= this.#sizes[i] as number;
      this.#sizes[i] = 0;
    }
    if (this.#expires !== null) this.#expires[i] = 0;
    if (this.#tags[i] != null) this.#untag(i);
    this.#keys[i] = undefined;
    this.#values[i] = undefined;
    this.#free.push(i);
  }
}
