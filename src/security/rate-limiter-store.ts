import { loadIoredis } from '../internal/load-ioredis.js';
import { createHash } from 'node:crypto';
import { CovetError } from '../errors.js';

/** One limit as a store sees it: `count` requests per `windowMs`. */
export interface RateLimitRule {
  readonly count: number;
  readonly windowMs: number;
}

/**
 * What a store answers for one request checked against several limits at once. `tats` are the
 * GCRA "theoretical arrival times" (ms) of each key after the request (unchanged when refused).
 */
export interface RateLimitDecision {
  readonly allowed: boolean;
  /** The store's clock, in ms (Redis' `TIME` for the Redis store, so processes agree). */
  readonly now: number;
  readonly tats: readonly number[];
}

/**
 * Where rate-limit state lives. `hit` checks every key against its rule and, only when all of
 * them allow the request, counts it against all of them — atomically, so concurrent requests
 * (or processes) never overspend a budget, and a refused request spends nothing.
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

/**
 * GCRA (the generic cell rate algorithm, a sliding window without per-request entries): each key
 * holds one number, the time at which its bucket would be empty again. A request is allowed
 * when that time, plus one emission interval (`window / count`), is at most `window` ahead of now.
 */
function gcra(now: number, stored: number | undefined, rule: RateLimitRule): { tat: number; ok: boolean } {
  const interval = rule.windowMs / rule.count;
  const tat = Math.max(stored ?? 0, now) + interval;
  return { tat, ok: tat - rule.windowMs <= now };
}

/**
 * Rate-limit state in this process's memory (one budget per process). Expired keys are swept as
 * the map grows, so memory follows the number of active clients.
 *
 * @example
 * new RateLimiter({ defaultLimits: '100/hour', storage: new MemoryRateLimitStore({ now: () => fakeClock }) })
 */
export class MemoryRateLimitStore implements RateLimitStore {
  readonly #tat = new Map<string, number>();
  readonly #now: () => number;
  #sweepAt = 4096;

  /** `now` (ms) is injectable so tests can move time. Default `Date.now`. */
  constructor(options: { readonly now?: () => number } = {}) {
    this.#now = options.now ?? Date.now;
  }

  hit(keys: readonly string[], rules: readonly RateLimitRule[]): RateLimitDecision {
    const now = this.#now();
    const tats: number[] = [];
    let allowed = true;
    for (let i = 0; i < keys.length; i++) {
      const rule = rules[i] as RateLimitRule;
      const stored = this.#tat.get(keys[i] as string);
      const step = gcra(now, stored, rule);
      if (!step.ok) allowed = false;
      tats.push(step.tat);
    }
    if (!allowed) {
      // Refused: nothing is spent; report each key's current state.
      for (let i = 0; i < keys.length; i++) tats[i] = Math.max(this.#tat.get(keys[i] as string) ?? 0, now);
      return { allowed, now, tats };
    }
    for (let i = 0; i < keys.length; i++) this.#tat.set(keys[i] as string, tats[i] as number);
    if (this.#tat.size >= this.#sweepAt) {
      for (const [key, tat] of this.#tat) if (tat <= now) this.#tat.delete(key);
      this.#sweepAt = Math.max(4096, this.#tat.size * 2);
    }
    return { allowed, now, tats };
  }

  reset(keys: readonly string[]): void {
    for (const key of keys) this.#tat.delete(key);
  }

  /** How many keys are held. */
  get size(): number {
    return this.#tat.size;
  }
}

// KEYS: one per limit. ARGV: interval and window (ms) per limit. Uses Redis' clock so that every
// process measures time alike; checks every key before writing any, so a refusal spends nothing.
const GCRA_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local n = #KEYS
local tats = {}
local allowed = 1
for i = 1, n do
  local interval = tonumber(ARGV[2 * i - 1])
  local window = tonumber(ARGV[2 * i])
  local tat = tonumber(redis.call('GET', KEYS[i]) or '0')
  if tat < now then tat = now end
  local nxt = tat + interval
  if nxt - window > now then allowed = 0 end
  tats[i] = { tat, nxt }
end
local out = { allowed, tostring(now) }
for i = 1, n do
  if allowed == 1 then
    local ttl = math.max(1, math.ceil(tats[i][2] - now))
    redis.call('SET', KEYS[i], tostring(tats[i][2]), 'PX', ttl)
    out[i + 2] = tostring(tats[i][2])
  else
    out[i + 2] = tostring(tats[i][1])
  end
end
return out
`;
const GCRA_SHA = createHash('sha1').update(GCRA_LUA).digest('hex');

/** The part of an `ioredis` client the Redis store uses. */
export interface RateLimitRedisLike {
  evalsha(sha: string, numKeys: number, ...args: (string | number)[]): Promise<unknown>;
  eval(script: string, numKeys: number, ...args: (string | number)[]): Promise<unknown>;
  del(...keys: string[]): Promise<unknown>;
  quit?(): Promise<unknown>;
  on?(event: 'error', listener: (err: unknown) => void): unknown;
}

type RedisConstructor = new (url: string, options?: Record<string, unknown>) => RateLimitRedisLike;

/** Options of `RedisRateLimitStore`. */
export interface RedisRateLimitStoreOptions {
  /** Key prefix. Default `covet:rl:`. */
  readonly prefix?: string;
  /** Ms a Redis command may take before it counts as failed (URL form only). Default 1000. */
  readonly commandTimeout?: number;
}

/**
 * Rate-limit state in Redis: one atomic Lua script (GCRA on Redis' clock) per request, so every
 * process sharing the Redis shares one budget. Give it a `redis://` URL (an `ioredis` client is
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
      const pending = loadIoredis<RedisConstructor>('Redis rate-limit storage (RateLimiter)').then((Redis) => {
        const redis = new Redis(url, {
          maxRetriesPerRequest: 0,
          commandTimeout: this.#timeout,
          enableOfflineQueue: true,
          // No auto-pipelining: holding each check for the next tick to batch it measured 20-30%
          // fewer requests per second than sending it at once (bench/rate-limit).
        });
        // ioredis reports connection errors as events; without a listener it logs each retry.
        redis.on?.('error', () => {});
        return redis;
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
    for (const rule of rules) args.push(rule.windowMs / rule.count, rule.windowMs);
    let out: unknown;
    try {
      out = await redis.evalsha(GCRA_SHA, keys.length, ...args);
    } catch (err) {
      if (!(err instanceof Error) || !err.message.includes('NOSCRIPT')) throw err;
      out = await redis.eval(GCRA_LUA, keys.length, ...args);
    }
    if (!Array.isArray(out) || out.length !== keys.length + 2)
      throw new CovetError('Unexpected reply from the rate-limit script', { code: 'ERR_RATE_LIMIT_STORE' });
    return { allowed: Number(out[0]) === 1, now: Number(out[1]), tats: out.slice(2).map(Number) };
  }

  async reset(keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    const redis = await this.#redis();
    await redis.del(...keys.map((k) => this.#prefix + k));
  }

  async close(): Promise<void> {
    const client = this.#client;
    if (client === null || !this.#owned) return;
    this.#client = null;
    const redis = await client;
    await redis.quit?.().catch(() => {});
  }
}
