import { openRedis, quitRedis, type RedisConnectionLike, redisCommand } from '../internal/load-ioredis.js';
import { CovetError } from '../errors.js';

/**
 * Where revoked token ids (`jti`) are kept until the token would have expired anyway.
 * `revoke` returns `true` when the id was not revoked before — atomically, so two requests
 * racing to use the same refresh token cannot both win.
 *
 * @example
 * const store: RevocationStore = new MemoryRevocationStore();
 * await store.revoke('token-id', 3600); await store.isRevoked('token-id') // true
 */
export interface RevocationStore {
  /** Marks `jti` revoked for `ttlSeconds` (`Infinity`: for ever). `true` if it was not revoked yet. */
  revoke(jti: string, ttlSeconds: number): boolean | Promise<boolean>;
  isRevoked(jti: string): boolean | Promise<boolean>;
  /** Releases connections (Redis). */
  close?(): void | Promise<void>;
}

/**
 * Revocations in this process's memory: fine for one process, lost on restart. Expired
 * entries are swept as the map grows, so it stays as large as the live revocations.
 *
 * @example
 * new JWTAuth({ secretKey, revocationStore: new MemoryRevocationStore() })
 */
export class MemoryRevocationStore implements RevocationStore {
  readonly #until = new Map<string, number>();
  #sweepAt = 1024;

  revoke(jti: string, ttlSeconds: number): boolean {
    const now = Date.now();
    const current = this.#until.get(jti);
    if (current !== undefined && current > now) return false;
    this.#until.set(jti, ttlSeconds === Number.POSITIVE_INFINITY ? ttlSeconds : now + Math.max(0, ttlSeconds) * 1000);
    if (this.#until.size >= this.#sweepAt) {
      for (const [id, until] of this.#until) if (until <= now) this.#until.delete(id);
      this.#sweepAt = Math.max(1024, this.#until.size * 2);
    }
    return true;
  }

  isRevoked(jti: string): boolean {
    const until = this.#until.get(jti);
    if (until === undefined) return false;
    if (until > Date.now()) return true;
    this.#until.delete(jti);
    return false;
  }

  /** How many revocations are held (expired ones may linger until the next sweep). */
  get size(): number {
    return this.#until.size;
  }
}

/** The part of an `ioredis` client the Redis store uses (any client with these calls works). */
export interface RedisLike extends RedisConnectionLike {
  // `never[]` so that ioredis' overloaded `set` fits; the store calls `set(key, '1', 'EX', ttl, 'NX')`.
  set(key: string, value: string, ...args: never[]): Promise<unknown>;
  exists(key: string): Promise<number>;
}

/** The calls as the store makes them. */
interface RedisCommands {
  set(key: string, value: string, ...args: (string | number)[]): Promise<unknown>;
  exists(key: string): Promise<number>;
}


/** Options of `RedisRevocationStore`. */
export interface RedisRevocationStoreOptions {
  /** Prefix of the keys. Default `covet:jwt:revoked:`. */
  readonly prefix?: string;
  /**
   * Ms a Redis command may take before it counts as failed (a client passed in too): a Redis
   * that accepts connections but does not answer then fails the check (503) instead of holding
   * every request. Default 1000.
   */
  readonly commandTimeout?: number;
}

/**
 * Revocations in Redis, shared by every instance of the app (`SET key 1 EX ttl NX`). Give it
 * a `redis://` URL (the client is created on first use, with `ioredis`) or a client.
 *
 * @example
 * const jwtAuth = new JWTAuth({ secretKey, revocationStore: 'redis://127.0.0.1:6379' });
 * app.onShutdown(() => jwtAuth.close());
 */
export class RedisRevocationStore implements RevocationStore {
  readonly #prefix: string;
  readonly #url: string | null;
  readonly #timeout: number;
  #client: RedisLike | Promise<RedisLike> | null;
  readonly #owned: boolean;

  constructor(client: string | RedisLike, options: RedisRevocationStoreOptions = {}) {
    this.#prefix = options.prefix ?? 'covet:jwt:revoked:';
    this.#timeout = options.commandTimeout ?? 1000;
    if (!Number.isInteger(this.#timeout) || this.#timeout <= 0) throw new CovetError('commandTimeout must be a positive integer of ms', { code: 'ERR_JWT_STORE' });
    if (typeof client === 'string') {
      if (!/^rediss?:\/\//.test(client)) throw new CovetError(`Not a Redis URL: ${client}`, { code: 'ERR_JWT_STORE' });
      this.#url = client;
      this.#client = null;
      this.#owned = true;
    } else {
      this.#url = null;
      this.#client = client;
      this.#owned = false;
    }
  }

  #redis(): RedisLike | Promise<RedisLike> {
    if (this.#client === null) {
      const url = this.#url as string;
      // Commands fail fast when Redis is down or does not answer (instead of queueing for
      // ever): a revocation check that cannot be made must refuse the token, not hang the request.
      this.#client = openRedis<RedisLike>('RedisRevocationStore', url, {
        maxRetriesPerRequest: 1,
        commandTimeout: this.#timeout,
        enableOfflineQueue: true,
        lazyConnect: false,
      });
      this.#client.then(
        (c) => {
          this.#client = c;
        },
        () => {
          this.#client = null;
        },
      );
    }
    return this.#client;
  }

  async revoke(jti: string, ttlSeconds: number): Promise<boolean> {
    if (ttlSeconds <= 0) return true;
    const redis = (await this.#redis()) as unknown as RedisCommands;
    const key = this.#prefix + jti;
    const result = await this.#timed(
      ttlSeconds === Number.POSITIVE_INFINITY ? redis.set(key, '1', 'NX') : redis.set(key, '1', 'EX', Math.ceil(ttlSeconds), 'NX'),
    );
    return result === 'OK';
  }

  async isRevoked(jti: string): Promise<boolean> {
    const redis = await this.#redis();
    return (await this.#timed(redis.exists(this.#prefix + jti))) > 0;
  }

  /** A command, bounded by `commandTimeout` whatever the client (one passed in may have no timeout). */
  #timed<T>(pending: Promise<T>): Promise<T> {
    return redisCommand(pending, this.#timeout, 'RedisRevocationStore');
  }

  async close(): Promise<void> {
    const client = this.#client;
    if (client === null || !this.#owned) return;
    this.#client = null;
    // Never throws: a Redis that is down or does not answer QUIT is dropped (shutdown must not fail on it).
    await quitRedis(await Promise.resolve(client).catch(() => null));
  }
}
