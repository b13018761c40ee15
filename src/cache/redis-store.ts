import { createHash, randomBytes } from 'node:crypto';
import { isReplyError } from '../internal/load-ioredis.js';
import { withDeadline } from '../internal/with-deadline.js';
import { CacheError } from './cache-error.js';
import type { CacheStore, StoreLock } from './cache-store.js';
import { createRedisClient, type RedisCacheClient } from './redis-client.js';

/** Options of the Redis backend, resolved by the cache. */
export interface RedisStoreOptions {
  /** Keys are `<namespace>:<key>`; tag sets (sorted sets) `<namespace>~t:<tag>`, locks `<namespace>~l:<key>`. */
  readonly namespace: string;
  /** Ms a command may take before it counts as a failure. */
  readonly commandTimeout: number;
}

/** A Lua script run by SHA, sent whole only when Redis does not know it yet. */
class Script {
  readonly source: string;
  readonly sha: string;

  constructor(source: string) {
    this.source = source;
    this.sha = createHash('sha1').update(source).digest('hex');
  }
}

// KEYS: n value keys, then tag set keys. ARGV: n, ttl in ms (0: none), n payloads.
// One script, so a value and its tags are written together or not at all. A tag set is a sorted
// set of value keys scored by their expiry (ms, Redis's clock; +inf: none): members whose entries
// have expired are trimmed on every write, and the set expires with its last member, so it holds
// about the live entries however long the traffic lasts.
const SET_MANY = new Script(`
local n = tonumber(ARGV[1])
local px = tonumber(ARGV[2])
for i = 1, n do
  if px > 0 then redis.call('SET', KEYS[i], ARGV[i + 2], 'PX', px) else redis.call('SET', KEYS[i], ARGV[i + 2]) end
end
if #KEYS > n then
  local time = redis.call('TIME')
  local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
  local score = '+inf'
  if px > 0 then score = now + px end
  for j = n + 1, #KEYS do
    redis.call('ZREMRANGEBYSCORE', KEYS[j], '-inf', now)
    for i = 1, n do redis.call('ZADD', KEYS[j], score, KEYS[i]) end
    local last = redis.call('ZRANGE', KEYS[j], -1, -1, 'WITHSCORES')
    if last[2] == 'inf' then redis.call('PERSIST', KEYS[j]) else redis.call('PEXPIREAT', KEYS[j], last[2]) end
  end
end
return n
`);

// KEYS: tag sets. Returns the number of entries deleted, then every member key (for L1s).
const INVALIDATE_TAGS = new Script(`
local deleted = 0
local out = {0}
for i = 1, #KEYS do
  local members = redis.call('ZRANGE', KEYS[i], 0, -1)
  for _, key in ipairs(members) do
    deleted = deleted + redis.call('DEL', key)
    out[#out + 1] = key
  end
  redis.call('DEL', KEYS[i])
end
out[1] = deleted
return out
`);

// KEYS: the counter. ARGV: amount, ttl in ms applied when the counter has no expiry (0: none).
const INCREMENT = new Script(`
local v = redis.call('INCRBY', KEYS[1], ARGV[1])
local px = tonumber(ARGV[2])
if px > 0 and redis.call('PTTL', KEYS[1]) == -1 then redis.call('PEXPIRE', KEYS[1], px) end
return v
`);

// KEYS: a value key. Returns {payload, ms left (-1: no expiry)} or nil.
const GET_WITH_TTL = new Script(`
local v = redis.call('GET', KEYS[1])
if not v then return false end
return {v, redis.call('PTTL', KEYS[1])}
`);

/** What a lock holds once its holder found the value uncacheable (tokens are base64url). */
const UNCACHEABLE_MARK = '!';

// KEYS: a lock. ARGV: a new holder's token, ttl in ms. 1: taken; 0: held by another process;
// 2: the last holder's value was not cached (UNCACHEABLE_MARK): compute without the lock.
const LOCK = new Script(`
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
if redis.call('GET', KEYS[1]) == '${UNCACHEABLE_MARK}' then return 2 end
return 0
`);

// KEYS: a lock. ARGV: the holder's token, then ms to leave UNCACHEABLE_MARK in its place (0: none).
// Touches the lock only if it is still ours.
const RELEASE = new Script(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if tonumber(ARGV[2]) > 0 then return redis.call('SET', KEYS[1], '${UNCACHEABLE_MARK}', 'PX', ARGV[2]) end
return redis.call('DEL', KEYS[1])
`);

/** Escapes a literal for a `SCAN … MATCH` glob. */
function globLiteral(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}

/** Ms before a failed Redis is tried again, when the client cannot tell us it is back. */
const RETRY_AFTER_MS = 1000;

/**
 * The `"redis"` backend (via `ioredis`). Commands that cannot reach Redis (refused, timed out,
 * reconnecting) throw `ERR_CACHE_UNAVAILABLE` at once, without waiting for reconnection, so the
 * cache on top can turn them into misses.
 */
export class RedisStore implements CacheStore {
  readonly kind = 'redis';
  readonly namespace: string;
  readonly #source: string | RedisCacheClient;
  readonly #timeout: number;
  readonly #keyPrefix: string;
  readonly #owned: RedisCacheClient[] = [];
  #client: Promise<RedisCacheClient> | null = null;
  #down = false;
  #retryAt = 0;
  #lastError: unknown = null;
  /** The `close()` in progress, if any: operations issued meanwhile are refused. */
  #closing: Promise<void> | null = null;

  constructor(source: string | RedisCacheClient, options: RedisStoreOptions) {
    if (typeof source !== 'string' && (typeof source !== 'object' || source === null || typeof source.call !== 'function')) {
      throw new CacheError('The Redis backend needs a redis:// URL or an ioredis client', { code: 'ERR_CACHE_INVALID_OPTION' });
    }
    this.#source = source;
    this.namespace = options.namespace;
    this.#timeout = options.commandTimeout;
    this.#keyPrefix = `${options.namespace}:`;
  }

  /** The Redis key of a cache key. */
  key(key: string): string {
    return this.#keyPrefix + key;
  }

  /** The client (created from the URL on first use). */
  client(): Promise<RedisCacheClient> {
    if (this.#closing !== null) return Promise.reject(new CacheError('The cache is closed', { code: 'ERR_CACHE_CLOSED' }));
    if (this.#client === null) {
      const source = this.#source;
      const created =
        typeof source === 'string' ? createRedisClient(source).then((c) => this.#own(c)) : Promise.resolve(this.#watch(source));
      // A failed import may succeed later (after `npm install`); do not keep the failure.
      created.catch(() => {
        if (this.#client === created) this.#client = null;
      });
      this.#client = created;
    }
    return this.#client;
  }

  /** A new connection for pub/sub (quit by `close()`); `null` when the client cannot duplicate. */
  async subscriber(): Promise<RedisCacheClient | null> {
    const client = await this.client();
    if (typeof client.duplicate !== 'function' || typeof client.subscribe !== 'function') return null;
    const sub = client.duplicate();
    this.#owned.push(sub);
    sub.on?.('error', () => {});
    return sub;
  }

  #own(client: RedisCacheClient): RedisCacheClient {
    this.#owned.push(client);
    return this.#watch(client);
  }

  #watch(client: RedisCacheClient): RedisCacheClient {
    client.on?.('ready', () => {
      this.#down = false;
    });
    // Also keeps ioredis from printing "Unhandled error event" on every reconnection attempt;
    // the cache logs one warning per outage instead.
    client.on?.('error', (err) => {
      this.#lastError = err;
    });
    return client;
  }

  #unavailable(cause: unknown): CacheError {
    const reason = cause instanceof Error ? cause.message : this.#lastError instanceof Error ? this.#lastError.message : 'not connected';
    return new CacheError(`Redis is unavailable: ${reason}`, { code: 'ERR_CACHE_UNAVAILABLE', cause });
  }

  /** Sends a command. Redis error replies are rethrown as they are; anything else means "unavailable". */
  async run(command: string, ...args: (string | number)[]): Promise<unknown> {
    const client = await this.client();
    const status = client.status;
    if (status === 'reconnecting' || status === 'close' || status === 'end') throw this.#unavailable(null);
    if (this.#down && status !== 'ready' && Date.now() < this.#retryAt) throw this.#unavailable(null);
    try {
      const result = await this.#withTimeout(client.call(command, ...args));
      this.#down = false;
      return result;
    } catch (err) {
      if (isReplyError(err)) throw err;
      this.#down = true;
      this.#retryAt = Date.now() + RETRY_AFTER_MS;
      throw err instanceof CacheError ? err : this.#unavailable(err);
    }
  }

  #withTimeout<T>(pending: Promise<T>): Promise<T> {
    return withDeadline(pending, this.#timeout, () => this.#unavailable(new Error(`no answer within ${this.#timeout} ms`)));
  }

  async #eval(script: Script, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    try {
      return await this.run('EVALSHA', script.sha, keys.length, ...keys, ...args);
    } catch (err) {
      if (!isReplyError(err) || !err.message.startsWith('NOSCRIPT')) throw err;
      return this.run('EVAL', script.source, keys.length, ...keys, ...args);
    }
  }

  async get(key: string): Promise<string | undefined> {
    const value = await this.run('GET', this.key(key));
    return typeof value === 'string' ? value : undefined;
  }

  /** The payload and the ms it has left (`0`: no expiry), or `undefined`. */
  async getWithTtl(key: string): Promise<{ payload: string; ttlMs: number } | undefined> {
    const reply = await this.#eval(GET_WITH_TTL, [this.key(key)], []);
    if (!Array.isArray(reply) || typeof reply[0] !== 'string') return undefined;
    const left = Number(reply[1]);
    return { payload: reply[0], ttlMs: Math.max(left, 0) };
  }

  async getMany(keys: readonly string[]): Promise<(string | undefined)[]> {
    if (keys.length === 0) return [];
    const reply = await this.run('MGET', ...keys.map((k) => this.key(k)));
    const values = Array.isArray(reply) ? reply : [];
    return keys.map((_, i) => {
      const v: unknown = values[i];
      return typeof v === 'string' ? v : undefined;
    });
  }

  async set(entries: readonly (readonly [string, string])[], ttlMs: number, tags: readonly string[]): Promise<void> {
    if (entries.length === 0) return;
    if (entries.length === 1 && tags.length === 0) {
      const [key, payload] = entries[0] as readonly [string, string];
      if (ttlMs > 0) await this.run('SET', this.key(key), payload, 'PX', ttlMs);
      else await this.run('SET', this.key(key), payload);
      return;
    }
    const keys = [...entries.map(([k]) => this.key(k)), ...tags.map((t) => this.tagKey(t))];
    await this.#eval(SET_MANY, keys, [entries.length, ttlMs, ...entries.map(([, p]) => p)]);
  }

  /** The Redis key of a tag's members (a sorted set scored by each member's expiry, ms). */
  tagKey(tag: string): string {
    return `${this.namespace}~t:${tag}`;
  }

  async has(key: string): Promise<boolean> {
    return Number(await this.run('EXISTS', this.key(key))) > 0;
  }

  async delete(keys: readonly string[]): Promise<number> {
    if (keys.length === 0) return 0;
    return Number(await this.run('DEL', ...keys.map((k) => this.key(k))));
  }

  async clear(): Promise<void> {
    for (const pattern of [`${globLiteral(this.namespace)}:*`, `${globLiteral(this.namespace)}~*`]) {
      let cursor = '0';
      do {
        const reply = await this.run('SCAN', cursor, 'MATCH', pattern, 'COUNT', 1000);
        const [next, keys] = Array.isArray(reply) ? (reply as [string, string[]]) : ['0', []];
        cursor = String(next);
        if (keys.length > 0) await this.run('DEL', ...keys);
      } while (cursor !== '0');
    }
  }

  async increment(key: string, amount: number, ttlMs: number): Promise<number> {
    try {
      return Number(await this.#eval(INCREMENT, [this.key(key)], [amount, ttlMs]));
    } catch (err) {
      if (isReplyError(err) && /not an integer|out of range|overflow/i.test(err.message)) {
        throw new CacheError(`Cannot increment "${key.slice(0, 100)}": its value is not an integer`, {
          code: 'ERR_CACHE_NOT_INTEGER',
          cause: err,
        });
      }
      throw err;
    }
  }

  async invalidateTags(tags: readonly string[]): Promise<number> {
    return (await this.invalidateTagKeys(tags)).count;
  }

  /** Like `invalidateTags`, also returning the cache keys the tags held. */
  async invalidateTagKeys(tags: readonly string[]): Promise<{ count: number; keys: string[] }> {
    if (tags.length === 0) return { count: 0, keys: [] };
    const reply = await this.#eval(
      INVALIDATE_TAGS,
      tags.map((t) => this.tagKey(t)),
      [],
    );
    if (!Array.isArray(reply)) return { count: 0, keys: [] };
    const prefix = this.#keyPrefix;
    const keys: string[] = [];
    for (const member of reply.slice(1)) {
      if (typeof member === 'string' && member.startsWith(prefix)) keys.push(member.slice(prefix.length));
    }
    return { count: Number(reply[0]), keys };
  }

  async ping(): Promise<void> {
    await this.run('PING');
  }

  async lock(key: string, ttlMs: number): Promise<StoreLock | null | undefined> {
    const lockKey = `${this.namespace}~l:${key}`;
    const token = randomBytes(12).toString('base64url');
    const px = Math.max(1, ttlMs);
    let reply: unknown;
    try {
      reply = await this.#eval(LOCK, [lockKey], [token, px]);
    } catch {
      // No Redis, no lock: computing without one beats failing the request.
      return undefined;
    }
    if (Number(reply) === 2) return undefined;
    if (Number(reply) !== 1) return null;
    return {
      release: async (uncacheable = false) => {
        // An uncacheable value is remembered for as long as a lock lives: the processes polling
        // for it see the mark at their next try and compute at once, and so do later misses
        // until it expires (then one holder at a time finds out again).
        await this.#eval(RELEASE, [lockKey], [token, uncacheable ? px : 0]).catch(() => {});
      },
    };
  }

  async publish(channel: string, message: string): Promise<void> {
    await this.run('PUBLISH', channel, message);
  }

  /**
   * Quits the connections this store opened. Operations issued while it runs fail with
   * `ERR_CACHE_CLOSED`; once it is done, the next one connects again (as `DatabaseManager`
   * does), so an app that is started and stopped more than once (a `TestClient` per test)
   * keeps a working cache.
   */
  async close(): Promise<void> {
    if (this.#closing !== null) return this.#closing;
    this.#closing = this.#quitAll().finally(() => {
      this.#closing = null;
      this.#down = false;
      this.#retryAt = 0;
    });
    return this.#closing;
  }

  async #quitAll(): Promise<void> {
    const pending = this.#client;
    this.#client = null;
    await pending?.catch(() => null);
    const owned = this.#owned.splice(0);
    await Promise.all(
      owned.map(async (client) => {
        // QUIT needs a live connection; one that is down (or reconnecting) is just dropped.
        if (client.status !== undefined && client.status !== 'ready') {
          client.disconnect?.();
          return;
        }
        try {
          await this.#withTimeout(client.quit?.() ?? Promise.resolve());
        } catch {
          client.disconnect?.();
        }
      }),
    );
  }
}
