import { openRedis, quitRedis, type RedisConnectionLike, redisCommand } from '../internal/load-ioredis.js';
import type { SessionStore } from './session.js';

/** The commands `RedisSessionStore` uses; an `ioredis` client has them (so do most others). */
export interface RedisClientLike extends RedisConnectionLike {
  get(key: string): Promise<string | null>;
  set(key: string, value: string, mode: 'EX', seconds: number): Promise<unknown>;
  del(key: string): Promise<unknown>;
  expire(key: string, seconds: number): Promise<unknown>;
}

/** Options of `RedisSessionStore`. */
export interface RedisSessionStoreOptions {
  /** Prepended to session ids to make Redis keys. Default `covet:session:`. */
  readonly prefix?: string;
  /**
   * Ms a Redis command may take before it fails (a client passed in too), so a Redis that is
   * down or does not answer costs a request a bounded wait (then a 500) instead of holding it.
   * Default 1000.
   */
  readonly commandTimeout?: number;
}

/**
 * One retry and a command timeout: when Redis is down or silent a request fails (500) within a
 * bounded time rather than waiting through ioredis' 20 retries (or for ever).
 */
function connect(url: string, commandTimeout: number): Promise<RedisClientLike> {
  return openRedis<RedisClientLike>('RedisSessionStore', url, { maxRetriesPerRequest: 1, commandTimeout, enableOfflineQueue: true });
}

/**
 * Sessions in Redis (via `ioredis`, an optional peer dependency loaded on first use), shared by
 * every process and machine that uses the same server and prefix. Expiry is Redis's own
 * (`SET … EX`, `EXPIRE` for rolling sessions).
 *
 * Give it a URL (the store creates the client and `close()` quits it) or a client you own.
 *
 * @example
 * const store = new RedisSessionStore(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
 * app.addMiddleware(new SessionMiddleware({ secretKey, store }));
 * app.onShutdown(() => store.close());
 */
export class RedisSessionStore implements SessionStore {
  readonly #prefix: string;
  readonly #owned: boolean;
  readonly #source: string | RedisClientLike;
  readonly #timeout: number;
  #client: Promise<RedisClientLike> | null = null;

  constructor(redis: string | RedisClientLike, options: RedisSessionStoreOptions = {}) {
    if (typeof redis !== 'string' && (typeof redis !== 'object' || redis === null || typeof redis.get !== 'function')) {
      throw new TypeError('RedisSessionStore needs a redis:// URL or a Redis client');
    }
    this.#source = redis;
    this.#owned = typeof redis === 'string';
    this.#prefix = options.prefix ?? 'covet:session:';
    this.#timeout = options.commandTimeout ?? 1000;
    if (!Number.isInteger(this.#timeout) || this.#timeout <= 0) throw new RangeError('RedisSessionStore commandTimeout must be a positive integer of ms');
  }

  /** The Redis client (created from the URL on first use). */
  client(): Promise<RedisClientLike> {
    if (this.#client === null) {
      const source = this.#source;
      const created = typeof source === 'string' ? connect(source, this.#timeout) : Promise.resolve(source);
      // A failed import may succeed later (after `npm install`); do not cache the failure.
      created.catch(() => {
        if (this.#client === created) this.#client = null;
      });
      this.#client = created;
    }
    return this.#client;
  }

  /**
   * A command, bounded by `commandTimeout` whatever the client: a client passed in may have no
   * timeout of its own, and a Redis that hangs would then hold the request for ever.
   */
  #timed<T>(pending: Promise<T>): Promise<T> {
    return redisCommand(pending, this.#timeout, 'RedisSessionStore');
  }

  async get(id: string): Promise<Record<string, unknown> | null> {
    const raw = await this.#timed((await this.client()).get(this.#prefix + id));
    if (raw === null) return null;
    try {
      return JSON.parse(raw) as Record<string, unknown>;
    } catch {
      return null;
    }
  }

  async set(id: string, data: Readonly<Record<string, unknown>>, ttlSeconds: number): Promise<void> {
    await this.#timed((await this.client()).set(this.#prefix + id, JSON.stringify(data), 'EX', Math.max(1, Math.ceil(ttlSeconds))));
  }

  async destroy(id: string): Promise<void> {
    await this.#timed((await this.client()).del(this.#prefix + id));
  }

  async touch(id: string, ttlSeconds: number): Promise<void> {
    await this.#timed((await this.client()).expire(this.#prefix + id, Math.max(1, Math.ceil(ttlSeconds))));
  }

  /**
   * Quits the client when the store created it; a client passed in is left to its owner. Never
   * throws: when Redis is down or does not answer `QUIT`, the connection is dropped instead.
   */
  async close(): Promise<void> {
    if (!this.#owned || this.#client === null) return;
    const pending = this.#client;
    this.#client = null;
    await quitRedis(await pending.catch(() => null));
  }
}
