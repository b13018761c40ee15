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
 * burst where two fixed windows would meet. `hit` checks every key against its rule and, only when
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

/**
 * Slices a window is cut into. The requests of one slice are counted together, until the last
 * of them leaves the window, so a window holds at most 61 counters whatever the limit, and a
 * request is held at most 1/60 of the window longer than its exact time: the limit is never
 * exceeded in any window-long span.
 */
export const WINDOW_SLICES = 60;

/** One key's sliding window: per live slice (oldest first) its number, its requests and the time of its last one. */
interface KeyWindow {
  readonly slices: number[];
  readonly counts: number[];
  readonly lasts: number[];
  total: number;
  windowMs: number;
}

/** The slice `now` falls in, for a window of `windowMs`. */
const sliceOf = (now: number, windowMs: number): number => Math.floor((now * WINDOW_SLICES) / windowMs);

/** Drops the slices whose last request left the window; the requests left. */
function slide(win: KeyWindow, now: number): number {
  const { slices, counts, lasts } = win;
  while (lasts.length > 0 && (lasts[0] as number) + win.windowMs <= now) {
    slices.shift();
    lasts.shift();
    win.total -= counts.shift() as number;
  }
  return win.total;
}

/**
 * Ms until `win` is empty, and until it has room for one more request under `limit`: when the
 * slice that takes the count below the limit leaves.
 */
function waits(win: KeyWindow, limit: number, now: number): [reset: number, retry: number] {
  const { counts, lasts, total, windowMs } = win;
  if (total === 0) return [0, 0];
  const reset = (lasts[lasts.length - 1] as number) + windowMs - now;
  if (total < limit) return [reset, 0];
  let freed = 0;
  for (let j = 0; j < counts.length; j++) {
    freed += counts[j] as number;
    if (total - freed < limit) return [reset, (lasts[j] as number) + windowMs - now];
  }
  return [reset, reset];
}

/**
 * Rate-limit state in this process's memory (one budget per process). Windows with no request
 * left are swept as the map grows, so memory follows the active clients (at most 61 counters per
 * client and limit).
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
        win = { slices: [], counts: [], lasts: [], total: 0, windowMs: rule.windowMs };
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
        const win = wins[i] as KeyWindow;
        // A key given twice (the same limit listed twice) counts the request once, as in Redis.
        if (wins.indexOf(win) !== i) {
          counts[i] = win.total;
          continue;
        }
        const slice = sliceOf(now, (rules[i] as RateLimitRule).windowMs);
        const last = win.slices.length - 1;
        if (last >= 0 && win.slices[last] === slice) {
          win.counts[last] = (win.counts[last] as number) + 1;
          win.lasts[last] = now;
        } else {
          win.slices.push(slice);
          win.counts.push(1);
          win.lasts.push(now);
        }
        win.total++;
        counts[i] = win.total;
      }
    }
    const resetMs: number[] = [];
    const retryMs: number[] = [];
    for (let i = 0; i < wins.length; i++) {
      const rule = rules[i] as RateLimitRule;
      const [reset, retry] = waits(wins[i] as KeyWindow, rule.count, now);
      resetMs.push(reset);
      retryMs.push(retry);
    }
    if (this.#windows.size >= this.#sweepAt) {
      for (const [key, win] of this.#windows) {
        if (slide(win, now) === 0) this.#windows.delete(key);
      }
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

// KEYS: one per limit. ARGV: the number of slices per window, then count and window (ms) per
// limit. Each key is a hash: per live slice `c:<slice>` (its requests) and `l:<slice>` (its last
// request's ms), `n` (the requests in the window), `h` (the oldest slice that may be live) and
// `hl` (that slice's last request, so one read tells whether anything left the window), all
// timed by Redis' own clock so every process agrees. Drops the slices whose last request
// left the window (from `h` on, so a request costs O(1) commands on average), checks every key before
// writing any, so a refusal spends nothing, then counts the request in each key's current slice
// and expires the key with its window. A key of another type (an older layout, another writer)
// is dropped. Returns { allowed, count1..countN, reset1..resetN, retry1..retryN } (ms until
// empty, until room).
const WINDOW_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local S = tonumber(ARGV[1])
local n = #KEYS
local function f(slice) return string.format('%.0f', slice) end
local totals, heads, headLasts, currents, ins, writes = {}, {}, {}, {}, {}, {}
local allowed = 1
for i = 1, n do
  local key = KEYS[i]
  local window = tonumber(ARGV[2 * i + 1])
  local c = math.floor(now * S / window)
  local fc = f(c)
  local state = redis.pcall('HMGET', key, 'n', 'h', 'hl', 'c:' .. fc)
  if state.err then
    redis.call('DEL', key)
    state = {}
  end
  local total = tonumber(state[1]) or 0
  local h = tonumber(state[2]) or c
  local hl = tonumber(state[3])
  local write = false
  if total > 0 and h < c - 2 * S - 2 then
    -- Further back than a key that expires with its window can be: recount its slices.
    local fields = redis.call('HGETALL', key)
    total, h, hl = 0, c, nil
    for j = 1, #fields, 2 do
      local name = fields[j]
      if string.sub(name, 1, 2) == 'c:' then
        local s, k = tonumber(string.sub(name, 3)), tonumber(fields[j + 1])
        local last = tonumber(redis.call('HGET', key, 'l:' .. string.sub(name, 3)))
        if s == nil or k == nil or last == nil or last + window <= now then
          redis.call('HDEL', key, name, 'l:' .. string.sub(name, 3))
        else
          total = total + k
          if s < h then h = s end
        end
      end
    end
  end
  -- The head slice's last request (kept in hl) still in the window: nothing has left it.
  if total > 0 and (hl == nil or hl + window <= now) then
    write = true
    hl = nil
    while total > 0 and h <= c do
      local fh = f(h)
      local slice = redis.call('HMGET', key, 'c:' .. fh, 'l:' .. fh)
      local k, last = tonumber(slice[1]), tonumber(slice[2])
      if k == nil or last == nil then
        h = h + 1
      elseif last + window <= now then
        redis.call('HDEL', key, 'c:' .. fh, 'l:' .. fh)
        total = total - k
        h = h + 1
      else
        hl = last
        break
      end
    end
    -- Past the current slice, nothing is live whatever the count says.
    if h > c then total = 0 end
  end
  if total <= 0 then
    total, h, hl, write = 0, c, nil, true
  end
  if total >= tonumber(ARGV[2 * i]) then allowed = 0 end
  totals[i], heads[i], headLasts[i], currents[i], ins[i], writes[i] = total, h, hl, fc, tonumber(state[4]) or 0, write
end
local out = { allowed }
for i = 1, n do
  local key = KEYS[i]
  local limit = tonumber(ARGV[2 * i])
  local window = tonumber(ARGV[2 * i + 1])
  local total, h, fc = totals[i], heads[i], currents[i]
  local c = tonumber(fc)
  local reset, retry = 0, 0
  if allowed == 1 then
    total = total + 1
    if h == c then
      redis.call('HSET', key, 'c:' .. fc, ins[i] + 1, 'l:' .. fc, now, 'n', total, 'h', h, 'hl', now)
    elseif writes[i] then
      redis.call('HSET', key, 'c:' .. fc, ins[i] + 1, 'l:' .. fc, now, 'n', total, 'h', h, 'hl', headLasts[i])
    else
      redis.call('HSET', key, 'c:' .. fc, ins[i] + 1, 'l:' .. fc, now, 'n', total)
    end
    -- The key outlives its newest slice's end by a window (so its last request by at least one):
    -- set when a slice opens, not on every request.
    if ins[i] == 0 then redis.call('PEXPIRE', key, math.ceil(window + window / S)) end
    reset = window
  else
    -- Refused (by this limit or another): the slices dropped above are gone, so the window's
    -- count and head follow, or the next request would count them again.
    -- (An empty window is dropped: a key made here would have no expiry.)
    if writes[i] then
      if total > 0 then
        redis.call('HSET', key, 'n', total, 'h', h, 'hl', headLasts[i])
      else
        redis.call('DEL', key)
      end
    end
  end
  if allowed == 0 and total > 0 then
    for s = c, h, -1 do
      local last = tonumber(redis.call('HGET', key, 'l:' .. f(s)))
      if last ~= nil then
        reset = last + window - now
        break
      end
    end
  end
  if total >= limit then
    local freed = 0
    for s = h, c do
      local fs = f(s)
      local slice = redis.call('HMGET', key, 'c:' .. fs, 'l:' .. fs)
      local k, last = tonumber(slice[1]), tonumber(slice[2])
      if k ~= nil and last ~= nil then
        freed = freed + k
        if total - freed < limit then
          retry = last + window - now
          break
        end
      end
    end
  end
  out[i + 1] = total
  out[n + i + 1] = reset
  out[2 * n + i + 1] = retry
end
return out
`;
const WINDOW_SHA = createHash('sha1').update(WINDOW_LUA).digest('hex');

/** The script's reply as a decision: `{ allowed, count1..countN, reset1..resetN, retry1..retryN }`. */
function decodeDecision(out: unknown, n: number): RateLimitDecision {
  if (!Array.isArray(out) || out.length !== 3 * n + 1)
    throw new CovetError('Unexpected reply from the rate-limit script', { code: 'ERR_RATE_LIMIT_STORE' });
  const counts: number[] = new Array(n);
  const resetMs: number[] = new Array(n);
  const retryMs: number[] = new Array(n);
  for (let i = 0; i < n; i++) {
    counts[i] = Number(out[i + 1]);
    resetMs[i] = Number(out[n + i + 1]);
    retryMs[i] = Number(out[2 * n + i + 1]);
  }
  return { allowed: Number(out[0]) === 1, counts, resetMs, retryMs };
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
 * hash of at most 61 slice counters, which Redis expires), so every process sharing the Redis shares one budget. Give it a `redis://` URL (an `ioredis` client is
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

  hit(keys: readonly string[], rules: readonly RateLimitRule[]): Promise<RateLimitDecision> {
    const redis = this.#redis();
    return redis instanceof Promise ? redis.then((client) => this.#hit(client, keys, rules)) : this.#hit(redis, keys, rules);
  }

  #hit(redis: RateLimitRedisLike, keys: readonly string[], rules: readonly RateLimitRule[]): Promise<RateLimitDecision> {
    const n = keys.length;
    const args: (string | number)[] = new Array(n);
    for (let i = 0; i < n; i++) args[i] = this.#prefix + (keys[i] as string);
    args.push(WINDOW_SLICES);
    for (const rule of rules) args.push(rule.count, Math.max(1, Math.ceil(rule.windowMs)));
    return this.#timed(redis.evalsha(WINDOW_SHA, n, ...args))
      .catch((err: unknown) => {
        if (!(err instanceof Error) || !err.message.includes('NOSCRIPT')) throw err;
        return this.#timed(redis.eval(WINDOW_LUA, n, ...args));
      })
      .then((out) => decodeDecision(out, n));
  }

  async reset(keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    const redis = await this.#redis();
    await this.#timed(redis.del(...keys.map((k) => this.#prefix + k)));
  }

  /**
   * A command, bounded by `commandTimeout` whatever the client: the client this store made has
   * it set already; one passed in may have no timeout.
   */
  #timed<T>(pending: Promise<T>): Promise<T> {
    return this.#owned ? pending : redisCommand(pending, this.#timeout, 'RedisRateLimitStore');
  }

  async close(): Promise<void> {
    const client = this.#client;
    if (client === null || !this.#owned) return;
    this.#client = null;
    // A Redis that is down or does not answer QUIT is dropped, so the connection never lingers.
    await quitRedis(await Promise.resolve(client).catch(() => null));
  }
}
