import { openRedis, quitRedis, type RedisConnectionLike, redisCommand } from '../internal/load-ioredis.js';
import { createHash, randomBytes } from 'node:crypto';
import { CovetError } from '../errors.js';

/** One limit as a store sees it: `count` requests per `windowMs`. */
export interface RateLimitRule {
  readonly count: number;
  readonly windowMs: number;
}

/**
 * What a store answers for one request checked against several limits at once, per key (in
 * the order of `keys`): how many requests its sliding window holds (this one included when it
 * was allowed), in how many ms the window is empty again, and in how many ms it has room for
 * one more request.
 */
export interface RateLimitDecision {
  readonly allowed: boolean;
  readonly counts: readonly number[];
  /** Ms until each key's window holds no request (its whole budget is back). */
  readonly resetMs: readonly number[];
  /** Ms until each key's window has room for one more request (0 when it has room now). Default: `resetMs`. */
  readonly retryMs?: readonly number[];
}

/**
 * Where rate-limit state lives: a sliding window per key — the times of the requests of the
 * last `windowMs` — so at most `count` requests are allowed in any `windowMs` span, with no
 * burst where two fixed windows meet. `hit` checks every key against its rule and, only when
 * all of them allow the request, records it against all of them — atomically, so concurrent
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

/** One key's sliding window: the times (ms) of its requests still inside it, oldest first, from `head`. */
interface KeyWindow {
  readonly times: number[];
  head: number;
  windowMs: number;
}

/** Drops the times that left the window; the number left. */
function slide(win: KeyWindow, now: number): number {
  const times = win.times;
  const edge = now - win.windowMs;
  let head = win.head;
  while (head < times.length && (times[head] as number) <= edge) head++;
  if (head > 64 && head * 2 > times.length) {
    times.splice(0, head);
    head = 0;
  }
  win.head = head;
  return times.length - head;
}

/**
 * Rate-limit state in this process's memory (one budget per process). Windows with no request
 * left are swept as the map grows, so memory follows the active clients (at most a limit's
 * `count` times per client and limit).
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
    const wins: KeyWindow[] = [];
    let allowed = true;
    for (let i = 0; i < keys.length; i++) {
      const rule = rules[i] as RateLimitRule;
      const key = keys[i] as string;
      let win = this.#windows.get(key);
      if (win === undefined) {
        win = { times: [], head: 0, windowMs: rule.windowMs };
        this.#windows.set(key, win);
      }
      win.windowMs = rule.windowMs;
      const count = slide(win, now);
      if (count >= rule.count) allowed = false;
      counts.push(count);
      wins.push(win);
    }
    // Refused: nothing is recorded; the counts are the current ones.
    if (allowed) {
      for (let i = 0; i < wins.length; i++) {
        (wins[i] as KeyWindow).times.push(now);
        counts[i] = (counts[i] as number) + 1;
      }
    }
    const resetMs: number[] = [];
    const retryMs: number[] = [];
    for (let i = 0; i < wins.length; i++) {
      const { times, head, windowMs } = wins[i] as KeyWindow;
      const rule = rules[i] as RateLimitRule;
      const count = counts[i] as number;
      resetMs.push(count === 0 ? 0 : (times[times.length - 1] as number) + windowMs - now);
      // Room once the request `count - rule.count` places from the oldest has left the window.
      retryMs.push(count < rule.count ? 0 : (times[head + count - rule.count] as number) + windowMs - now);
    }
    if (this.#windows.size >= this.#sweepAt) {
      for (const [key, win] of this.#windows) if (slide(win, now) === 0) this.#windows.delete(key);
      this.#sweepAt = Math.max(4096, this.#windows.size * 2);
    }
    return { allowed, counts, resetMs, retryMs };
  }

  reset(keys: readonly string[]): void {
    for (const key of keys) this.#windows.delete(key);
  }

  /** How many keys are held. */
  get size(): number {
    return this.#windows.size;
  }
}

// KEYS: one per limit. ARGV: a member id unique to this request, then count and window (ms) per
// limit. Each key is a sorted set of the window's requests scored by Redis' own clock (so every
// process agrees on the time). Checks every key before writing any, so a refusal spends
// nothing; then adds the request to each and expires the key with its window. A key of another
// type (an older layout, another writer) is dropped. Returns
// { allowed, count1..countN, reset1..resetN, retry1..retryN } (ms until empty, until room).
const WINDOW_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local n = #KEYS
local counts = {}
local allowed = 1
for i = 1, n do
  local limit = tonumber(ARGV[2 * i])
  local window = tonumber(ARGV[2 * i + 1])
  local kind = redis.call('TYPE', KEYS[i])['ok']
  if kind ~= 'zset' and kind ~= 'none' then redis.call('DEL', KEYS[i]) end
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now - window)
  local count = redis.call('ZCARD', KEYS[i])
  if count >= limit then allowed = 0 end
  counts[i] = count
end
local out = { allowed }
for i = 1, n do
  local window = tonumber(ARGV[2 * i + 1])
  if allowed == 1 then
    redis.call('ZADD', KEYS[i], now, ARGV[1])
    redis.call('PEXPIRE', KEYS[i], window)
    counts[i] = counts[i] + 1
  end
  out[i + 1] = counts[i]
end
for i = 1, n do
  local window = tonumber(ARGV[2 * i + 1])
  local newest = redis.call('ZRANGE', KEYS[i], -1, -1, 'WITHSCORES')[2]
  out[n + i + 1] = newest and (tonumber(newest) + window - now) or 0
end
for i = 1, n do
  local limit = tonumber(ARGV[2 * i])
  local window = tonumber(ARGV[2 * i + 1])
  local retry = 0
  if counts[i] >= limit then
    local at = redis.call('ZRANGE', KEYS[i], counts[i] - limit, counts[i] - limit, 'WITHSCORES')[2]
    retry = tonumber(at) + window - now
  end
  out[2 * n + i + 1] = retry
end
return out
`;
const WINDOW_SHA = createHash('sha1').update(WINDOW_LUA).digest('hex');

// A sorted-set member unique to one request across processes: this process's random prefix and
// a counter.
const MEMBER_PREFIX = randomBytes(8).toString('hex');
let memberSeq = 0;
function nextMemberId(): string {
  memberSeq = (memberSeq + 1) % Number.MAX_SAFE_INTEGER;
  return `${MEMBER_PREFIX}:${memberSeq}`;
}

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
 * Rate-limit state in Redis: one atomic Lua script per request (a sliding window per key: a
 * sorted set of its requests' times, which Redis expires), so every process sharing the Redis shares one budget. Give it a `redis://` URL (an `ioredis` client is
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
    args.push(nextMemberId());
    for (const rule of rules) args.push(rule.count, Math.max(1, Math.ceil(rule.windowMs)));
    let out: unknown;
    try {
      out = await this.#timed(redis.evalsha(WINDOW_SHA, keys.length, ...args));
    } catch (err) {
      if (!(err instanceof Error) || !err.message.includes('NOSCRIPT')) throw err;
      out = await this.#timed(redis.eval(WINDOW_LUA, keys.length, ...args));
    }
    const n = keys.length;
    if (!Array.isArray(out) || out.length !== 3 * n + 1)
      throw new CovetError('Unexpected reply from the rate-limit script', { code: 'ERR_RATE_LIMIT_STORE' });
    return {
      allowed: Number(out[0]) === 1,
      counts: out.slice(1, n + 1).map(Number),
      resetMs: out.slice(n + 1, 2 * n + 1).map(Number),
      retryMs: out.slice(2 * n + 1).map(Number),
    };
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
