import { CovetError } from '../errors.js';
import { annotateOpenAPI, type OpenAPIMeta } from '../internal/openapi-meta.js';
import { routeResponse } from '../openapi/route-responder.js';
import type { Request } from '../request.js';
import { Response, kSetHeader, originalResponse } from '../response.js';
import type { CallNext, MiddlewareFunction, MiddlewareObject } from '../types.js';
import type { AnyRequest, WrappedHandler } from './auth-types.js';
import { clientIp, IPSet, ipv6Subnet } from './rate-limiter-ip.js';
import { MemoryRateLimitStore, type RateLimitDecision, type RateLimitRule, type RateLimitStore, RedisRateLimitStore } from './rate-limiter-store.js';

const UNITS: Readonly<Record<string, number>> = { second: 1000, minute: 60_000, hour: 3_600_000, day: 86_400_000 };

/** A parsed limit: `count` requests per `windowMs`, and the text it came from. */
export interface RateLimit extends RateLimitRule {
  readonly spec: string;
}

/**
 * Parses `"100/hour"`, `"10/minute"`, `"5 per second"`, `"1000/day"`, `"20/5 minutes"`.
 *
 * @example
 * parseRateLimit('10/minute') // { spec: '10/minute', count: 10, windowMs: 60000 }
 */
export function parseRateLimit(spec: string): RateLimit {
  const m = /^\s*(\d+)\s*(?:\/|per)\s*(\d+)?\s*(second|minute|hour|day)s?\s*$/i.exec(spec);
  const count = Number(m?.[1]);
  const multiple = m?.[2] === undefined ? 1 : Number(m[2]);
  const unit = UNITS[(m?.[3] ?? '').toLowerCase()];
  // A window must be a whole number of ms a double holds exactly (about 285,000 years): Redis'
  // PEXPIRE takes nothing longer.
  if (m === null || unit === undefined || !Number.isSafeInteger(count) || count < 1 || multiple < 1 || !Number.isSafeInteger(unit * multiple)) {
    throw new CovetError(`Bad rate limit "${spec}": use "<count>/<second|minute|hour|day>", e.g. "100/hour"`, {
      code: 'ERR_RATE_LIMIT_OPTIONS',
    });
  }
  return { spec: spec.trim(), count, windowMs: unit * multiple };
}

function parseLimits(limits: string | readonly string[] | undefined): readonly RateLimit[] {
  if (limits === undefined) return [];
  return (typeof limits === 'string' ? limits.split(/\s*[;,]\s*/).filter((s) => s !== '') : limits).map(parseRateLimit);
}

/** Options of `RateLimiter` (the seed's `default_limits=…`, `storage=…` in camelCase). */
export interface RateLimiterOptions {
  /** Limits applied by the middleware form (`app.addMiddleware(limiter)`): `"100/hour"`, a list, or `"100/hour; 10/minute"`. Default none. */
  readonly defaultLimits?: string | readonly string[];
  /** The seed's `default_rate`: same as `defaultLimits`. */
  readonly defaultRate?: string;
  /** The seed's `burst_rate`: a second, shorter default limit checked together with `defaultLimits`. */
  readonly burstRate?: string;
  /**
   * `"memory"` (one budget per process), `"redis://…"` (shared, needs `ioredis`), or a store.
   * Default `"memory"`. Any string is accepted by the type, so a URL from the environment
   * (`process.env.REDIS_URL ?? 'memory'`, `config.REDIS_URL`) fits; one that is neither
   * `"memory"` nor a `redis://`/`rediss://` URL throws `ERR_RATE_LIMIT_OPTIONS` at construction
   * (`string & {}` keeps the literals' completions in editors).
   */
  readonly storage?: 'memory' | `redis://${string}` | `rediss://${string}` | (string & {}) | RateLimitStore;
  /**
   * What a request is counted as. Default: the client IP (an IPv6 client's /56, see
   * `ipv6Subnet`), the method and the route template (`1.2.3.4|GET|/users/{id}`; `HEAD`
   * counts as `GET`), so each client has one budget per
   * route and method. Requests no route matched (404, 405) share one budget per client and
   * method (`1.2.3.4|GET|(no route)`). A `keyFunc` that returns `null` or `undefined` (no
   * API key header, say) leaves the request to that default key.
   */
  readonly keyFunc?: (req: Request) => string | null | undefined | Promise<string | null | undefined>;
  /**
   * Prefix length under which IPv6 clients share one budget in the default key: a subscriber
   * usually holds a whole /56 or /64 and could otherwise rotate through its addresses. `false`
   * keys on the full address. Default 56.
   */
  readonly ipv6Subnet?: number | false;
  /**
   * Proxies (IPs or CIDR ranges) whose `X-Forwarded-For` is believed. Default none: the client
   * IP is the TCP peer and `X-Forwarded-For` is ignored.
   */
  readonly trustedProxies?: readonly string[];
  /** When the store fails (Redis down): `true` lets requests through, `false` answers 503. Default `true`. */
  readonly failOpen?: boolean;
  /**
   * Called with the store error each time a check fails. Default: one `console.warn` per outage
   * (the first failure) and one `console.info` when the store answers again, so a Redis outage
   * that turns rate limiting off (`failOpen`) or into 503s is never silent.
   */
  readonly onStoreError?: (err: unknown) => void;
  /** Send `RateLimit-Limit`/`-Remaining`/`-Reset` on allowed responses too. Default `true`. */
  readonly headers?: boolean;
  /** Key prefix inside the store (to separate apps sharing a Redis). Default `""`. */
  readonly prefix?: string;
  /** Clock for the memory store, in ms (tests). Default `Date.now`. */
  readonly now?: () => number;
}

/** The outcome of a check: whether the request may go on, and what the headers say. */
export interface RateLimitResult {
  readonly allowed: boolean;
  /** The most restrictive limit's size. */
  readonly limit: number;
  readonly remaining: number;
  /** Seconds until that limit's window ends (its budget is whole again). */
  readonly reset: number;
  /** Seconds to wait before retrying, at least 1 (0 when allowed): until the refusing window ends. */
  readonly retryAfter: number;
  /** The limit that refused the request, e.g. `"10/minute"` (`null` when allowed). */
  readonly violated: string | null;
}

/**
 * The route part of the default key for requests no route matched (404s, 405s, automatic
 * `OPTIONS` answers): they share one budget per client and method. Keying them on the URL would
 * give every made-up path a fresh budget, and a client could fill the store with one key per
 * request.
 */
const NO_ROUTE = '(no route)';

const ALLOWED_NO_LIMITS: RateLimitResult = { allowed: true, limit: 0, remaining: 0, reset: 0, retryAfter: 0, violated: null };

/**
 * Rate limiting with sliding windows: `"10/minute"` allows at most 10 requests in any 60 s span
 * (a request is counted until a minute after it was made, to within 1/60 of the window, never
 * less), so there is no double burst where two fixed windows meet. `limit("10/minute", handler)`
 * per route, `app.addMiddleware(limiter)` for `defaultLimits` on every route, several limits at once (all must allow; a refused request
 * spends nothing). Storage in memory or in Redis (an atomic Lua script, so several processes
 * share one budget). Refusals are 429 JSON with `Retry-After`; every limited response carries
 * `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset`. When Redis is unreachable,
 * `failOpen` (default `true`) decides.
 *
 * @example
 * const rateLimiter = new RateLimiter({ defaultLimits: '100/hour', storage: 'memory' });
 * app.route('/api/data', rateLimiter.limit('10/minute', () => ({ data: 'response' })));
 */
export class RateLimiter implements MiddlewareObject {
  readonly #defaults: readonly RateLimit[];
  readonly #store: RateLimitStore;
  readonly #keyFunc: (req: Request) => string | null | undefined | Promise<string | null | undefined>;
  readonly #defaultKey: (req: AnyRequest) => string;
  readonly #trusted: IPSet;
  readonly #failOpen: boolean;
  readonly #onError: ((err: unknown) => void) | undefined;
  readonly #headers: boolean;
  readonly #prefix: string;
  /** The store failed and has not answered since (for the default once-per-outage log). */
  #storeDown = false;

  constructor(options: RateLimiterOptions = {}) {
    this.#defaults = [...parseLimits(options.defaultLimits), ...parseLimits(options.defaultRate), ...parseLimits(options.burstRate)];
    const storage = options.storage ?? 'memory';
    if (storage === 'memory') this.#store = new MemoryRateLimitStore(options.now === undefined ? {} : { now: options.now });
    else if (typeof storage === 'string') this.#store = new RedisRateLimitStore(storage);
    else if (typeof storage === 'object' && storage !== null && typeof storage.hit === 'function') this.#store = storage;
    else throw new CovetError('storage must be "memory", a redis:// URL or a RateLimitStore', { code: 'ERR_RATE_LIMIT_OPTIONS' });
    this.#trusted = new IPSet(options.trustedProxies ?? []);
    const subnet = options.ipv6Subnet ?? 56;
    if (subnet !== false && !(Number.isInteger(subnet) && subnet >= 1 && subnet <= 128))
      throw new CovetError('ipv6Subnet must be a prefix length from 1 to 128, or false', { code: 'ERR_RATE_LIMIT_OPTIONS' });
    const client = subnet === false ? (req: AnyRequest) => clientIp(req as Request, this.#trusted) : (req: AnyRequest) => ipv6Subnet(clientIp(req as Request, this.#trusted), subnet);
    this.#defaultKey = (req) => `${client(req)}|${req.method === 'HEAD' ? 'GET' : req.method}|${req.route?.path ?? NO_ROUTE}`;
    this.#keyFunc = options.keyFunc ?? this.#defaultKey;
    this.#failOpen = options.failOpen ?? true;
    this.#onError = options.onStoreError;
    this.#headers = options.headers ?? true;
    this.#prefix = options.prefix ?? '';
  }

  /** The client IP as this limiter sees it (`X-Forwarded-For` only from `trustedProxies`). */
  clientIp(req: AnyRequest): string {
    return clientIp(req as Request, this.#trusted);
  }

  /**
   * Counts `req` against `limits` (default: `defaultLimits`) and says whether it may go on.
   * Throws only when the store fails and `failOpen` is `false`.
   */
  async check(
    req: AnyRequest,
    limits: readonly RateLimit[] = this.#defaults,
    scope: 'default' | 'route' = 'default',
  ): Promise<RateLimitResult> {
    return this.#check(req, limits, scope);
  }

  // Synchronous whenever the key function and the store are (the memory store): no promise
  // per request on that path.
  #check(req: AnyRequest, limits: readonly RateLimit[], scope: 'default' | 'route'): RateLimitResult | Promise<RateLimitResult> {
    if (limits.length === 0) return ALLOWED_NO_LIMITS;
    const key = this.#keyFunc(req as Request);
    if (typeof key === 'string') return this.#decide(key, limits, scope);
    if (key instanceof Promise) return key.then((k) => this.#decide(this.#keyOf(req, k), limits, scope));
    return this.#decide(this.#keyOf(req, key), limits, scope);
  }

  /** What `keyFunc` gave as a key: `null`/`undefined` mean the default key; anything else but a string is a mistake. */
  #keyOf(req: AnyRequest, key: unknown): string {
    if (typeof key === 'string') return key;
    if (key === null || key === undefined) return this.#defaultKey(req);
    throw new TypeError(`RateLimiter keyFunc must return a string, null or undefined (got ${typeof key})`);
  }

  #decide(key: string, limits: readonly RateLimit[], scope: 'default' | 'route'): RateLimitResult | Promise<RateLimitResult> {
    const keys = limits.map((l) => this.#storeKey(scope, l, key));
    let decision: ReturnType<RateLimitStore['hit']>;
    try {
      decision = this.#store.hit(keys, limits);
    } catch (err) {
      return this.#storeFailed(err);
    }
    if (decision instanceof Promise) {
      return decision.then(
        (d) => {
          if (this.#storeDown) this.#storeBack();
          return summarize(limits, d);
        },
        (err: unknown) => this.#storeFailed(err),
      );
    }
    if (this.#storeDown) this.#storeBack();
    return summarize(limits, decision);
  }

  #storeBack(): void {
    this.#storeDown = false;
    if (this.#onError === undefined) console.info('RateLimiter: the rate-limit store answers again; limits apply again');
  }

  #storeFailed(err: unknown): RateLimitResult {
    if (this.#onError !== undefined) this.#onError(err);
    else if (!this.#storeDown) {
      const policy = this.#failOpen ? 'letting requests through without limits (failOpen)' : 'answering 503 (failOpen: false)';
      console.warn(`RateLimiter: the rate-limit store failed; ${policy} until it answers again`, { error: err });
    }
    this.#storeDown = true;
    if (this.#failOpen) return ALLOWED_NO_LIMITS;
    throw new RateLimitStoreError(err);
  }

  /** The seed's `allow_request(request)`: `true` when `defaultLimits` allow the request. */
  async allowRequest(req: AnyRequest): Promise<boolean> {
    try {
      return (await this.check(req)).allowed;
    } catch {
      return false;
    }
  }

  /** Middleware form: applies `defaultLimits` to every request it sees. */
  handle(req: Request, callNext: CallNext): Response | Promise<Response> {
    return this.#run(req, this.#defaults, callNext, 'default');
  }

  /**
   * Limits one route (on top of any app-wide `defaultLimits`). With a handler, returns the
   * wrapped handler; without, a middleware for a route's or group's `middleware` list.
   *
   * @example
   * app.route('/api/data', rateLimiter.limit('10/minute', () => ({ data: 'response' })));
   * app.post('/login', { middleware: [rateLimiter.limit(['5/minute', '20/hour'])] }, handler);
   */
  limit(limits: string | readonly string[]): MiddlewareFunction;
  limit<R extends AnyRequest, D>(limits: string | readonly string[], handler: (req: R, deps: D) => unknown): WrappedHandler<R, D>;
  limit<R extends AnyRequest, D>(
    limits: string | readonly string[],
    handler?: (req: R, deps: D) => unknown,
  ): MiddlewareFunction | WrappedHandler<R, D> {
    const parsed = parseLimits(limits);
    if (parsed.length === 0) throw new CovetError('limit() needs at least one limit, e.g. "10/minute"', { code: 'ERR_RATE_LIMIT_OPTIONS' });
    const limiter = this;
    if (handler === undefined) {
      return annotateOpenAPI(
        function rateLimit(req: Request, callNext: CallNext): Response | Promise<Response> {
          return limiter.#run(req, parsed, callNext, 'route');
        },
        TOO_MANY_REQUESTS_META,
      );
    }
    if (typeof handler !== 'function') throw new TypeError('limit(limits, handler) needs a handler function');
    // Keeps what an inner wrapper (`requireToken`) told the OpenAPI document, and adds the 429.
    return annotateOpenAPI(
      function rateLimit(req: R, deps: D): Response | Promise<Response> {
        return limiter.#run(req as unknown as Request, parsed, () => Promise.resolve(handler(req, deps)).then((out) => routeResponse(req as unknown as Request, out)), 'route');
      },
      TOO_MANY_REQUESTS_META,
      handler,
    );
  }

  // Route limits and default limits of the same size count apart (the middleware and a route's
  // `limit()` both see the request). `s:` marks sliding windows, so a Redis still holding an
  // older layout's fixed-window counters never has them read as request times. The client key
  // is a Redis Cluster hash tag (`{…|}`, never empty): the keys of one request's limits, which
  // one script reads together, are then in one slot.
  #storeKey(scope: 'default' | 'route', limit: RateLimitRule, key: string): string {
    return `${this.#prefix}s:${scope === 'default' ? 'd' : 'r'}:${limit.count}/${limit.windowMs}|{${key}|}`;
  }

  #run(
    req: Request,
    limits: readonly RateLimit[],
    callNext: () => Promise<Response>,
    scope: 'default' | 'route',
  ): Response | Promise<Response> {
    let result: RateLimitResult | Promise<RateLimitResult>;
    try {
      result = this.#check(req, limits, scope);
    } catch (err) {
      return unavailable(err);
    }
    if (result instanceof Promise) return result.then((r) => this.#proceed(req, r, callNext), unavailable);
    return this.#proceed(req, result, callNext);
  }

  #proceed(req: Request, result: RateLimitResult, callNext: () => Promise<Response>): Response | Promise<Response> {
    if (!result.allowed) {
      const res = new Response(JSON.stringify({ error: 'Too Many Requests', limit: result.violated, retryAfter: result.retryAfter }), {
        status: 429,
        headers: { 'content-type': 'application/json; charset=utf-8', 'retry-after': String(result.retryAfter) },
      });
      setHeaders(req, res, result);
      return res;
    }
    const pending = callNext();
    if (!this.#headers || result.limit === 0) return pending;
    return pending.then((res) => {
      setHeaders(req, res, result);
      return res;
    });
  }

  /** Forgets the counts of `key` (as `keyFunc` returns it) for `limits` (default: `defaultLimits`; pass a route's limits to reset those). */
  async reset(key: string, limits?: string | readonly string[]): Promise<void> {
    const scope = limits === undefined ? 'default' : 'route';
    const list = limits === undefined ? this.#defaults : parseLimits(limits);
    await this.#store.reset?.(list.map((l) => this.#storeKey(scope, l, key)));
  }

  /** Closes the store (the Redis connection). */
  async close(): Promise<void> {
    await this.#store.close?.();
  }
}

/**
 * The store failed and `failOpen` is `false` (the limiter answers 503; `check` throws it).
 *
 * @example
 * try { await limiter.check(req) } catch (err) { if (err instanceof RateLimitStoreError) console.error(err.cause) }
 */
export class RateLimitStoreError extends CovetError {
  constructor(cause: unknown) {
    super('The rate-limit store is unavailable', { code: 'ERR_RATE_LIMIT_STORE', cause });
  }
}

/** 503 when the store failed and `failOpen` is off; anything else is not ours to answer. */
function unavailable(err: unknown): Response {
  if (!(err instanceof RateLimitStoreError)) throw err;
  return new Response(JSON.stringify({ error: 'Service Unavailable' }), {
    status: 503,
    headers: { 'content-type': 'application/json; charset=utf-8', 'retry-after': '1' },
  });
}

/**
 * `RateLimit-Remaining` as a limiter set it on a response. With layered limiters (an app-wide
 * `defaultLimits` middleware around a route's `limit()`), the outer one sees the response after
 * the inner one: it keeps the headers of whichever has fewer requests left, so an inner 429 (or
 * a tighter route limit) is not reported as the outer, roomier budget.
 */
const reported = new WeakMap<Response, { readonly request: Request; readonly remaining: number }>();

const seconds = (description: string) => ({ description, schema: { type: 'integer', minimum: 0 } });

/** What `limit()` adds to a route's OpenAPI operation: the 429 with its body and headers. */
const TOO_MANY_REQUESTS_META: OpenAPIMeta = {
  responses: {
    '429': {
      description: 'Too Many Requests',
      schema: {
        type: 'object',
        properties: {
          error: { type: 'string' },
          limit: { type: 'string', description: 'The limit that refused the request, e.g. "10/minute"' },
          retryAfter: { type: 'integer', minimum: 0, description: 'Seconds until the window has room' },
        },
        required: ['error', 'limit', 'retryAfter'],
      },
      headers: {
        'Retry-After': seconds('Seconds until the window has room'),
        'RateLimit-Limit': seconds('Requests the limit allows per window'),
        'RateLimit-Remaining': seconds('Requests left in the window'),
        'RateLimit-Reset': seconds('Seconds until the window is empty'),
      },
    },
  },
};

function setHeaders(req: Request, res: Response, result: RateLimitResult): void {
  // An inner limiter may have reported on the handler's response before a middleware in
  // between (sessions) answered with a copy of it. Only this request's reports count: a handler
  // may return one `Response` object to every client.
  const previous = reported.get(res) ?? reported.get(originalResponse(res));
  if (previous !== undefined && previous.request === req && previous.remaining <= result.remaining) return;
  reported.set(res, { request: req, remaining: result.remaining });
  // Without building the response's header map: a handler's plain object keeps the fast writer.
  res[kSetHeader]('ratelimit-limit', String(result.limit));
  res[kSetHeader]('ratelimit-remaining', String(result.remaining));
  res[kSetHeader]('ratelimit-reset', String(result.reset));
}

/**
 * Headers and verdict from the windows' state. Allowed: the limit with the fewest requests
 * left is reported, with `RateLimit-Reset` the whole seconds until its window is empty again.
 * Refused: the refusing limit that frees a place last (the client must wait for it), and
 * `Retry-After` (and `RateLimit-Reset`) is the whole seconds until then, at least 1.
 */
function summarize(limits: readonly RateLimit[], decision: RateLimitDecision): RateLimitResult {
  const { allowed, counts, resetMs } = decision;
  const retryMs = decision.retryMs ?? resetMs;
  let best: { limit: number; remaining: number; reset: number } | null = null;
  let retry = 0;
  let violated: string | null = null;
  for (let i = 0; i < limits.length; i++) {
    const rule = limits[i] as RateLimit;
    const count = counts[i] ?? 0;
    const remaining = Math.max(0, rule.count - count);
    if (!allowed) {
      const wait = Math.max(1, Math.ceil((retryMs[i] ?? rule.windowMs) / 1000));
      if (count >= rule.count && (violated === null || wait > retry)) {
        retry = wait;
        violated = rule.spec;
        best = { limit: rule.count, remaining: 0, reset: wait };
      }
    } else if (best === null || remaining < best.remaining) {
      best = { limit: rule.count, remaining, reset: Math.max(0, Math.ceil((resetMs[i] ?? rule.windowMs) / 1000)) };
    }
  }
  const b = best ?? { limit: 0, remaining: 0, reset: 0 };
  return {
    allowed,
    limit: b.limit,
    remaining: allowed ? b.remaining : 0,
    reset: b.reset,
    retryAfter: allowed ? 0 : Math.max(1, retry),
    violated,
  };
}
