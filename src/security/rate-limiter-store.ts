import { openRedis, quitRedis, type RedisConnectionLike, redisCommand } from '../internal/load-ioredis.js';
import { createHash } from 'node:crypto';
import { CovetError } from '../errors.js';

/** One limit as a store sees it: `count` requests per `windowMs`. */
export interface RateLimitRule {
  readonly count: number;
  readonly windowMs: number;
}

/**
 * What a store answers for one request checked against several limits at once, per key (in
 * the order of `keys`): how many requests its current window holds (this one included when it
 * was allowed) and in how many ms that window ends.
 */
export interface RateLimitDecision {
  readonly allowed: boolean;
  readonly counts: readonly number[];
  /** Ms until each key's window ends (a key without a window reports its rule's whole window). */
  readonly resetMs: readonly number[];
}

/**
 * Where rate-limit state lives: a fixed window per key that opens at the key's first request
 * and lasts its rule's `windowMs`; at most `count` requests are allowed inside it, and the next
 * request after it ends opens a new one. `hit` checks every key against its rule and, only when
 * all of them allow the request, counts it against all of them — atomically, so concurrent
 * requests (or processes) never overspend a budget, and a refused request spends nothing.
 *
 * @example
 * const store: RateLimitStore = new MemoryRateLimitStore();
 * await store.hit(['ip:1.2.3.4'], [{ count: 10, windowMs: 60_000 }]);
 */
export interface RateLimitStore {
  hit(keys: readonly string[], rules: readonly RateLimitRule[]): RateLimitDecision | Promise<RateLimitDecision>;
  /** Forgets the state of `keys` (tests, an admin "unblock"). */
  reset?(keys: readonly string[]): void | Promise<void>;
  close?(): void | Promise<void>;
}

/** One key's window: the requests counted in it and when it ends (ms). */
interface KeyWindow {
  count: number;
  endsAt: number;
}

/**
 * Rate-limit state in this process's memory (one budget per process). Ended windows are swept
 * as the map grows, so memory follows the number of active clients.
 *
 * @example
 * new RateLimiter({ defaultLimits: '100/hour', storage: new MemoryRateLimitStore({ now: () => fakeClock }) })
 */
export class MemoryRateLimitStore implements RateLimitStore {
  readonly #windows = new Map<string, KeyWindow>();
  readonly #now: () => number;
  #sweepAt = 4096;

  /** `now` (ms) is injectable so tests can move time. Default `Date.now`. */
  constructor(options: { readonly now?: () => number } = {}) {
    this.#now = options.now ?? Date.now;
  }

  hit(keys: readonly string[], rules: readonly RateLimitRule[]): RateLimitDecision {
    const now = this.#now();
    const counts: number[] = [];
    const resetMs: number[] = [];
    let allowed = true;
    for (let i = 0; i < keys.length; i++) {
      const rule = rules[i] as RateLimitRule;
      const win = this.#windows.get(keys[i] as string);
      // An ended window counts as none: the next request opens a new one.
      const open = win !== undefined && win.endsAt > now;
      const count = open ? win.count : 0;
      if (count >= rule.count) allowed = false;
      counts.push(count);
      resetMs.push(open ? win.endsAt - now : rule.windowMs);
    }
    // Refused: nothing is spent (and no window opens); the counts are the current ones.
    if (!allowed) return { allowed, counts, resetMs };
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i] as string;
      const win = this.#windows.get(key);
      if (win !== undefined && win.endsAt > now) win.count++;
      else this.#windows.set(key, { count: 1, endsAt: now + (rules[i] as RateLimitRule).windowMs });
      counts[i] = (counts[i] as number) + 1;
    }
    if (this.#windows.size >= this.#sweepAt) {
      for (const [key, win] of this.#windows) if (win.endsAt <= now) this.#windows.delete(key);
      this.#sweepAt = Math.max(4096, this.#windows.size * 2);
    }
    return { allowed, counts, resetMs };
  }

  reset(keys: readonly string[]): void {
    for (const key of keys) this.#windows.delete(key);
  }

  /** How many keys are held. */
  get size(): number {
    return this.#windows.size;
  }
}

// KEYS: one per limit. ARGV: count and window (ms) per limit. Checks every key before writing
// any, so a refusal spends nothing; then INCR each key and PEXPIRE it when the INCR opened its
// window (count 1), so the window starts at the key's first request and Redis ends it. A key
// left without an expiry or holding a non-integer (another writer's) is treated as no window.
// Returns { allowed, count1..countN, pttl1..pttlN }.
const WINDOW_LUA = `
local n = #KEYS
local counts = {}
local ttls = {}
local allowed = 1
for i = 1, n do
  local limit = tonumber(ARGV[2 * i - 1])
  local count = tonumber(redis.call('GET', KEYS[i]) or '0')
  local ttl = redis.call('PTTL', KEYS[i])
  if ttl < 0 or count == nil or count ~= math.floor(count) then
    if ttl ~= -2 then redis.call('DEL', KEYS[i]) end
    count = 0
    ttl = tonumber(ARGV[2 * i])
  end
  if count >= limit then allowed = 0 end
  counts[i] = count
  ttls[i] = ttl
end
if allowed == 1 then
  for i = 1, n do
    local count = redis.call('INCR', KEYS[i])
    if count == 1 then redis.call('PEXPIRE', KEYS[i], ARGV[2 * i]) end
    counts[i] = count
  end
end
local out = { allowed }
for i = 1, n do out[i + 1] = counts[i] end
for i = 1, n do out[n + i + 1] = ttls[i] end
return out
`;
const WINDOW_SHA = createHash('sha1').update(WINDOW_LUA).digest('hex');

/** The part of an `ioredis` client the Redis store uses. */
export interface RateLimitRedisLike extends RedisConnectionLike {
  evalsha(sha: string, numKeys: number, ...args: (string | number)[]): Promise<unknown>;
  eval(script: string, numKeys: number, ...args: (string | number)[]): Promise<unknown>;
  del(...keys: string[]): Promise<unknown>;
}


/** Options of `RedisRateLimitStore`. */
export interface RedisRateLimitStoreOptions {
  /** Key prefix. Default `covet:rl:`. */
  readonly prefix?: string;
  /** Ms a Redis command may take before it counts as failed (a client passed in too). Default 1000. */
  readonly commandTimeout?: number;
}

/**
 * Rate-limit state in Redis: one atomic Lua script per request (a fixed window per key, which
 * Redis expires), so every process sharing the Redis shares one budget. Give it a `redis://` URL (an `ioredis` client is
 * made on first use) or a client.
 *
 * @example
 * const store = new RedisRateLimitStore('redis://127.0.0.1:6379');
 * const limiter = new RateLimiter({ defaultLimits: '100/hour', storage: store });
 */
export class RedisRateLimitStore implements RateLimitStore {
  readonly #prefix: string;
  readonly #url: string | null;
  readonly #timeout: number;
  #client: RateLimitRedisLike | Promise<RateLimitRedisLike> | null;
  readonly #owned: boolean;

  constructor(client: string | RateLimitRedisLike, options: RedisRateLimitStoreOptions = {}) {
    this.#prefix = options.prefix ?? 'covet:rl:';
    this.#timeout = options.commandTimeout ?? 1000;
    if (!Number.isInteger(this.#timeout) || this.#timeout <= 0)
      throw new CovetError('commandTimeout must be a positive integer of ms', { code: 'ERR_RATE_LIMIT_OPTIONS' });
    if (typeof client === 'string') {
      if (!/^rediss?:\/\//.test(client)) throw new CovetError(`Not a Redis URL: ${client}`, { code: 'ERR_RATE_LIMIT_OPTIONS' });
      this.#url = client;
      this.#client = null;
      this.#owned = true;
    } else {
      this.#url = null;
      this.#client = client;
      this.#owned = false;
    }
  }

  #redis(): RateLimitRedisLike | Promise<RateLimitRedisLike> {
    if (this.#client === null) {
      const url = this.#url as string;
      // No retries and a command timeout: when Redis is down a check fails within a bounded
      // time and the limiter's failOpen policy decides, instead of requests queueing for ever.
      const pending = openRedis<RateLimitRedisLike>('Redis rate-limit storage (RateLimiter)', url, {
        maxRetriesPerRequest: 0,
        commandTimeout: this.#timeout,
        enableOfflineQueue: true,
        // No auto-pipelining: holding each check for the next tick to batch it measured 20-30%
        // fewer requests per second than sending it at once (bench/rate-limit).
      });
      this.#client = pending;
      pending.then(
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

  async hit(keys: readonly string[], rules: readonly RateLimitRule[]): Promise<RateLimitDecision> {
    const redis = await this.#redis();
    const args: (string | number)[] = keys.map((k) => this.#prefix + k);
    for (const rule of rules) args.push(rule.count, Math.max(1, Math.ceil(rule.windowMs)));
    let out: unknown;
    try {
      out = await this.#timed(redis.evalsha(WINDOW_SHA, keys.length, ...args));
    } catch (err) {
      if (!(err instanceof Error) || !err.message.includes('NOSCRIPT')) throw err;
      out = await this.#timed(redis.eval(WINDOW_LUA, keys.length, ...args));
    }
    const n = keys.length;
    if (!Array.isArray(out) || out.length !== 2 * n + 1)
      throw new CovetError('Unexpected reply from the rate-limit script', { code: 'ERR_RATE_LIMIT_STORE' });
    return { allowed: Number(out[0]) === 1, counts: out.slice(1, n + 1).map(Number), resetMs: out.slice(n + 1).map(Number) };
  }

  async reset(keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    const redis = await this.#redis();
    await this.#timed(redis.del(...keys.map((k) => this.#prefix + k)));
  }

  /** A command, bounded by `commandTimeout` whatever the client (one passed in may have no timeout). */
  #timed<T>(pending: Promise<T>): Promise<T> {
    return redisCommand(pending, this.#timeout, 'RedisRateLimitStore');
  }

  async close(): Promise<void> {
    const client = this.#client;
    if (client === null || !this.#owned) return;
    this.#client = null;
    // A Redis that is down or does not answer QUIT is dropped, so the connection never lingers.
    await quitRedis(await Promise.resolve(client).catch(() => null));
  }
}
