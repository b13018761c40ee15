import { randomUUID } from 'node:crypto';
import { withDeadline } from '../internal/with-deadline.js';
import type { CacheLogger } from './cache-logger.js';
import type { CacheStore, StoreLock } from './cache-store.js';
import { MemoryCache } from './memory-cache.js';
import type { RedisCacheClient } from './redis-client.js';
import type { RedisStore } from './redis-store.js';

/** Options of the two-level store. */
export interface MultiLevelStoreOptions {
  readonly l1Size: number;
  readonly l1MaxBytes: number | undefined;
  /** Longest an entry stays in L1, ms; `0`: as long as in Redis. */
  readonly l1TtlMs: number;
  readonly commandTimeout: number;
  readonly logger: CacheLogger;
  readonly now: () => number;
}

/** What instances tell each other on `<namespace>~events`. */
interface Invalidation {
  /** The sender, which ignores its own messages. */
  readonly o: string;
  /** Keys to drop from L1. */
  readonly k?: readonly string[];
  /** Drop all of L1 (`clear()`). */
  readonly c?: 1;
}

/** Ms between attempts to subscribe while Redis is unreachable. */
const RESUBSCRIBE_AFTER_MS = 1000;

/**
 * Ms between PINGs on the subscriber connection. A link that hangs (no reset, nothing answers)
 * raises no event, and without them L1 would go on serving values other instances changed:
 * a PING unanswered within `commandTimeout` counts as the subscription lost.
 */
const HEARTBEAT_MS = 1000;

/**
 * L1 in process memory, L2 in Redis. Reads go L1 → L2 (filling L1 with the time Redis has left);
 * writes go to Redis first, then L1, then a message on `<namespace>~events` makes every other
 * instance drop its L1 copy. L1 is only used while that subscription is live: when the
 * subscriber disconnects L1 is emptied and bypassed, so an instance never serves a value another
 * one has changed; it is used again once the subscription is back. A PING every second on the
 * subscriber connection notices a link that hangs without closing.
 */
export class MultiLevelStore implements CacheStore {
  readonly kind = 'multi-level';
  readonly #l1: MemoryCache<string>;
  readonly #l2: RedisStore;
  readonly #opts: MultiLevelStoreOptions;
  readonly #id = randomUUID();
  readonly #channel: string;
  #sub: RedisCacheClient | null = null;
  #listening = false;
  #subscribing: Promise<void> | null = null;
  #retrySubscribeAt = 0;
  /** Whether a first attempt to subscribe has finished (later ones are not waited for). */
  #triedOnce = false;
  #heartbeat: NodeJS.Timeout | null = null;
  #pinging = false;
  /** Bumped by every invalidation: an L2 read that raced one must not fill L1. */
  #generation = 0;
  #closed = false;

  constructor(l2: RedisStore, options: MultiLevelStoreOptions) {
    this.#l2 = l2;
    this.#opts = options;
    this.#channel = `${l2.namespace}~events`;
    this.#l1 = new MemoryCache<string>({
      maxSize: options.l1Size,
      now: options.now,
      ...(options.l1MaxBytes === undefined
        ? {}
        : { maxBytes: options.l1MaxBytes, sizeOf: (payload: string) => Buffer.byteLength(payload) }),
    });
  }

  /** L1 (tests and introspection). */
  get l1(): MemoryCache<string> {
    return this.#l1;
  }

  /** Whether the invalidation subscription is live (and so L1 in use). */
  get listening(): boolean {
    return this.#listening;
  }

  async get(key: string): Promise<string | undefined> {
    await this.#subscription();
    if (this.#listening) {
      const hit = this.#l1.get(key);
      if (hit !== undefined) return hit;
    }
    const generation = this.#generation;
    const found = await this.#l2.getWithTtl(key);
    if (found === undefined) return undefined;
    if (this.#listening && generation === this.#generation) this.#fill(key, found.payload, this.#l1Ttl(found.ttlMs), []);
    return found.payload;
  }

  async getMany(keys: readonly string[]): Promise<(string | undefined)[]> {
    return Promise.all(keys.map((key) => this.get(key)));
  }

  async set(entries: readonly (readonly [string, string])[], ttlMs: number, tags: readonly string[]): Promise<void> {
    await this.#subscription();
    const generation = this.#generation;
    try {
      await this.#l2.set(entries, ttlMs, tags);
    } catch (err) {
      // Whatever Redis holds now, our L1 must not contradict it.
      for (const [key] of entries) this.#l1.delete(key);
      throw err;
    }
    if (this.#listening && generation === this.#generation) {
      const l1TtlMs = this.#l1Ttl(ttlMs);
      for (const [key, payload] of entries) this.#fill(key, payload, l1TtlMs, tags);
    }
    await this.#publish({ o: this.#id, k: entries.map(([key]) => key) });
  }

  async has(key: string): Promise<boolean> {
    await this.#subscription();
    if (this.#listening && this.#l1.has(key)) return true;
    return this.#l2.has(key);
  }

  async delete(keys: readonly string[]): Promise<number> {
    for (const key of keys) this.#l1.delete(key);
    const n = await this.#l2.delete(keys);
    await this.#publish({ o: this.#id, k: keys });
    return n;
  }

  async clear(): Promise<void> {
    this.#l1.clear();
    await this.#l2.clear();
    await this.#publish({ o: this.#id, c: 1 });
  }

  async increment(key: string, amount: number, ttlMs: number): Promise<number> {
    this.#l1.delete(key);
    const value = await this.#l2.increment(key, amount, ttlMs);
    await this.#publish({ o: this.#id, k: [key] });
    return value;
  }

  async invalidateTags(tags: readonly string[]): Promise<number> {
    this.#l1.invalidateTags(tags);
    const { count, keys } = await this.#l2.invalidateTagKeys(tags);
    for (const key of keys) this.#l1.delete(key);
    if (keys.length > 0) await this.#publish({ o: this.#id, k: keys });
    return count;
  }

  async ping(): Promise<void> {
    await this.#l2.ping();
  }

  lock(key: string, ttlMs: number): Promise<StoreLock | null | undefined> {
    return this.#l2.lock(key, ttlMs);
  }

  /** Stops listening and quits the connections; the next operation connects again (see `RedisStore.close`). */
  async close(): Promise<void> {
    this.#closed = true;
    this.#listening = false;
    this.#stopHeartbeat();
    this.#l1.close();
    this.#l1.clear();
    this.#generation++;
    try {
      await this.#l2.close();
    } finally {
      // The subscriber was one of the store's connections: a later use subscribes afresh.
      this.#sub = null;
      this.#subscribing = null;
      this.#retrySubscribeAt = 0;
      this.#triedOnce = false;
      this.#closed = false;
    }
  }

  /**
   * Puts a payload in L1, or — when it is larger than the memory level's `maxBytes` — makes sure
   * L1 holds no older copy: such an entry lives in Redis only.
   */
  #fill(key: string, payload: string, ttlMs: number, tags: readonly string[]): void {
    const max = this.#l1.maxBytes;
    if (max !== Number.POSITIVE_INFINITY && (payload.length > max || (payload.length * 3 > max && Buffer.byteLength(payload) > max))) {
      this.#l1.delete(key);
      return;
    }
    this.#l1.set(key, payload, { ttl: ttlMs / 1000, tags });
  }

  #l1Ttl(ttlMs: number): number {
    const cap = this.#opts.l1TtlMs;
    if (cap === 0) return ttlMs;
    return ttlMs === 0 ? cap : Math.min(ttlMs, cap);
  }

  async #publish(message: Invalidation): Promise<void> {
    await this.#l2.publish(this.#channel, JSON.stringify(message));
  }

  #onMessage(channel: unknown, text: unknown): void {
    if (channel !== this.#channel || typeof text !== 'string') return;
    let message: Invalidation;
    try {
      message = JSON.parse(text) as Invalidation;
    } catch {
      return;
    }
    if (message.o === this.#id) return;
    this.#generation++;
    if (message.c === 1) this.#l1.clear();
    else if (Array.isArray(message.k)) for (const key of message.k) if (typeof key === 'string') this.#l1.delete(key);
  }

  /** The subscription went away: messages may be lost from now on, so L1 cannot be trusted. */
  #deafened = (): void => {
    this.#listening = false;
    this.#stopHeartbeat();
    this.#generation++;
    this.#l1.clear();
  };

  /**
   * Starts subscribing when needed. Only the first attempt is waited for (so a new instance's
   * first reads can fill L1); a recovery runs beside the request, which goes to Redis meanwhile
   * — so while Redis hangs a request costs one `commandTimeout`, not a resubscription's and then
   * its own. A read or write that a resubscription overtakes does not fill L1 (`#generation`).
   */
  #subscription(): Promise<void> | undefined {
    const pending = this.#ensureSubscribed();
    return this.#triedOnce ? undefined : pending;
  }

  #startHeartbeat(sub: RedisCacheClient): void {
    this.#stopHeartbeat();
    this.#heartbeat = setInterval(() => {
      if (this.#pinging || !this.#listening) return;
      this.#pinging = true;
      this.#timed(sub.call('PING')).then(
        () => {
          this.#pinging = false;
        },
        () => {
          this.#pinging = false;
          if (!this.#listening || this.#closed) return;
          const log = this.#opts.logger;
          (log.warn ?? log.error).call(
            log,
            `MultiLevelCache: the Redis subscriber did not answer a PING within ${this.#opts.commandTimeout} ms; the memory level is bypassed until it does`,
          );
          this.#deafened();
          this.#retrySubscribeAt = 0;
        },
      );
    }, HEARTBEAT_MS);
    // A cache must never keep a process alive.
    this.#heartbeat.unref();
  }

  #stopHeartbeat(): void {
    if (this.#heartbeat !== null) clearInterval(this.#heartbeat);
    this.#heartbeat = null;
  }

  async #ensureSubscribed(): Promise<void> {
    if (this.#listening || this.#closed) return;
    if (this.#subscribing === null) {
      if (Date.now() < this.#retrySubscribeAt) return;
      this.#subscribing = this.#subscribe().finally(() => {
        this.#subscribing = null;
        this.#triedOnce = true;
      });
    }
    await this.#subscribing;
  }

  async #subscribe(): Promise<void> {
    try {
      let sub = this.#sub;
      if (sub === null) {
        sub = await this.#l2.subscriber();
        if (sub === null) {
          this.#retrySubscribeAt = Number.POSITIVE_INFINITY;
          const log = this.#opts.logger;
          (log.warn ?? log.error).call(
            log,
            'MultiLevelCache: the Redis client cannot duplicate() for pub/sub; the memory level is disabled',
          );
          return;
        }
        this.#sub = sub;
        sub.on?.('message', (channel, message) => this.#onMessage(channel, message));
        // Events of a subscriber that `close()` let go of no longer concern this store.
        const current = sub;
        const deafened = (): void => {
          if (this.#sub === current) this.#deafened();
        };
        sub.on?.('close', deafened);
        sub.on?.('end', deafened);
        sub.on?.('reconnecting', deafened);
        // After a reconnection: subscribe again (idempotent) and only then trust L1 again.
        sub.on?.('ready', () => {
          if (this.#sub === current && !this.#listening && !this.#closed) void this.#ensureSubscribed();
        });
      }
      await this.#timed((sub as RedisCacheClient & { subscribe(...c: string[]): Promise<unknown> }).subscribe(this.#channel));
      if (this.#closed || this.#sub !== sub) return;
      this.#generation++;
      this.#l1.clear();
      this.#listening = true;
      this.#startHeartbeat(sub);
    } catch {
      this.#retrySubscribeAt = Date.now() + RESUBSCRIBE_AFTER_MS;
    }
  }

  #timed<T>(pending: Promise<T>): Promise<T> {
    return withDeadline(pending, this.#opts.commandTimeout, () => new Error('subscribe timed out'));
  }
}
