import { createHash } from 'node:crypto';
import { etagListMatches } from '../http/etag.js';
import { ResponseHeaders } from '../http/headers.js';
import { routeResponse } from '../openapi/route-responder.js';
import { type Request, kPrivate } from '../request.js';
import { Response } from '../response.js';
import { CacheError } from './cache-error.js';
import { MemoryCache } from './memory-cache.js';
import { type FetchOptions, kFetch, type ReadThrough } from './read-through.js';
import { SingleFlight } from './single-flight.js';
import { positiveInteger, ttlToMs } from './ttl.js';

/** Any request, whatever its params, body and query types. */
export type AnyRequest = Request<unknown, unknown, unknown>;

/** A route handler as the cache wrappers take and return it: same request and deps types. */
export type PageHandler<R, D> = (req: R, deps: D) => unknown;

/** Options of `cache.cached()` (and of `cachePage`). */
export interface CachedOptions<R = AnyRequest> {
  /** Seconds a response is cached; `0`: until evicted. Default: the cache's `defaultTtl` (300 for `cachePage`). */
  readonly ttl?: number;
  /**
   * The cache key, instead of the default `page:<METHOD> <path?query>` (`HEAD` shares `GET`'s
   * entry). A function gets the request; a string is used as is (so `cache.delete(key)` drops it).
   */
  readonly key?: string | ((req: R) => string);
  /**
   * Request headers that select different variants (`['accept-language']`): their values join
   * the key, and they are added to the response's `Vary`. A handler response whose own `Vary`
   * names a header not listed here is not cached. Default none.
   */
  readonly vary?: readonly string[];
  /** Tags for `cache.invalidateTags(...)`: a list, or a function of the request. */
  readonly tags?: readonly string[] | ((req: R) => readonly string[]);
  /**
   * Seconds past `ttl` during which a stale response is served at once (`X-Cache: STALE`) while
   * the handler runs once in the background to refresh it. The refresh reuses the request that
   * found the entry stale, after its response was sent (so do not rely on dependencies with
   * cleanup there). Default 0 (off).
   */
  readonly staleWhileRevalidate?: number;
  /** The response header telling `HIT`, `MISS` or `STALE`; `false` for none. Default `x-cache`. */
  readonly cacheHeader?: string | false;
  /**
   * The largest body cached, in bytes; larger responses are served uncached. Default: 1 MiB in
   * memory, 70 % of the cache's `maxValueSize` in a shared cache (room for the encoding).
   */
  readonly maxEntrySize?: number;
}

/** A cached response. */
export interface PageEntry {
  readonly status: number;
  readonly headers: readonly (readonly [string, string])[];
  readonly body: string | Uint8Array;
  readonly etag: string;
}

/** A page in the in-process store: the entry, its ready-made headers and its freshness. */
interface LocalPage {
  readonly entry: PageEntry;
  readonly headers: ResponseHeaders;
  /** ms; `0` when it never goes stale. */
  readonly freshUntil: number;
}

/** Options of the in-process page store. */
export interface LocalPageStoreOptions {
  readonly maxSize: number;
  readonly maxBytes: number;
  readonly now: () => number;
}

// Not stored: recomputed per response, or hop-by-hop.
const UNSTORED = new Set(['content-length', 'connection', 'keep-alive', 'transfer-encoding', 'date', 'set-cookie', 'upgrade']);
// What a 304 carries (RFC 9110 §15.4.5).
const NOT_MODIFIED_HEADERS = new Set(['etag', 'vary', 'cache-control', 'expires', 'content-location', 'last-modified']);
const UNCACHEABLE_DIRECTIVE = /(?:^|[\s,])(?:no-store|private|no-cache)(?:$|[\s,=])/i;
/** Default keys longer than this are hashed (query strings can be long). */
const MAX_PLAIN_KEY = 250;

function headerList(names: readonly string[] | undefined): readonly string[] {
  if (names === undefined) return [];
  if (!Array.isArray(names) || names.some((n) => typeof n !== 'string' || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(n))) {
    throw new CacheError('vary must be a list of header names', { code: 'ERR_CACHE_INVALID_OPTION' });
  }
  return [...new Set(names.map((n) => n.toLowerCase()))];
}

/** The entry for a response, or `null` when it must not be cached. */
function toEntry(response: Response, vary: readonly string[], maxEntrySize: number): PageEntry | null {
  if (response.status !== 200) return null;
  const body = response.body;
  if (body !== null && typeof body !== 'string' && !(body instanceof Uint8Array)) return null;
  const headers = response.headers;
  if (headers.has('set-cookie')) return null;
  const cacheControl = headers.get('cache-control');
  if (cacheControl !== null && UNCACHEABLE_DIRECTIVE.test(cacheControl)) return null;
  const responseVary = headers.get('vary');
  const varyValue = vary.join(', ');
  if (responseVary !== null) {
    const names = responseVary
      .split(',')
      .map((n) => n.trim().toLowerCase())
      .filter((n) => n !== '');
    // A variant we do not key on could be served to the wrong client.
    if (names.some((n) => n === '*' || !vary.includes(n))) return null;
  }
  // A string body stays a string: Node sends the header block and a string body in one write,
  // but a Buffer body in two.
  const stored: string | Uint8Array = body === null ? '' : typeof body === 'string' ? body : Buffer.from(body);
  const length = typeof stored === 'string' ? Buffer.byteLength(stored) : stored.byteLength;
  if (length > maxEntrySize) return null;
  const pairs: [string, string][] = [];
  for (const [name, value] of headers) if (!UNSTORED.has(name) && name !== 'vary') pairs.push([name, value]);
  pairs.push(['content-length', String(length)]);
  if (varyValue !== '') pairs.push(['vary', varyValue]);
  let etag = headers.get('etag');
  if (etag === null) {
    etag = `"${createHash('sha1').update(stored).digest('base64url')}"`;
    pairs.push(['etag', etag]);
  }
  return { status: 200, headers: pairs, body: stored, etag };
}

/** Validates an entry read back from a shared cache (another version may have written it). */
function isEntry(value: unknown): value is PageEntry {
  if (typeof value !== 'object' || value === null) return false;
  const e = value as Partial<PageEntry>;
  return (
    typeof e.status === 'number' &&
    typeof e.etag === 'string' &&
    (typeof e.body === 'string' || e.body instanceof Uint8Array) &&
    Array.isArray(e.headers) &&
    e.headers.every((h) => Array.isArray(h) && typeof h[0] === 'string' && typeof h[1] === 'string')
  );
}

/**
 * Builds the handler wrapper behind `cache.cached()` and `cachePage()`: `GET`/`HEAD` responses
 * with status 200 are cached (in `cache`, or in an in-process LRU when `cache` is `null`), with
 * an `ETag`, answering `If-None-Match` with 304. Other methods go straight to the handler.
 */
export function createPageHandler<R extends AnyRequest, D>(
  options: CachedOptions<R>,
  handler: PageHandler<R, D>,
  cache: ReadThrough | null,
  local: LocalPageStoreOptions | null = null,
): PageHandler<R, D> {
  if (typeof handler !== 'function')
    throw new CacheError('The cache wrapper needs a handler function', { code: 'ERR_CACHE_INVALID_OPTION' });
  const vary = headerList(options.vary);
  const keyOption = options.key;
  if (keyOption !== undefined && typeof keyOption !== 'string' && typeof keyOption !== 'function') {
    throw new CacheError('key must be a string or a function of the request', { code: 'ERR_CACHE_INVALID_OPTION' });
  }
  const tagOption = options.tags;
  const header = options.cacheHeader === undefined ? 'x-cache' : options.cacheHeader;
  const maxEntrySize =
    options.maxEntrySize !== undefined
      ? positiveInteger(options.maxEntrySize, 'maxEntrySize')
      : cache === null
        ? 1024 * 1024
        : Math.floor(cache.maxValueSize * 0.7);
  const staticFetch: FetchOptions | null =
    cache !== null && typeof tagOption !== 'function'
      ? cache.fetchOptions({ ...pick(options), ...(tagOption ? { tags: tagOption } : {}) }, true)
      : null;

  /**
   * The key: `page:GET <target>` in a shared cache (readable, and `HEAD` shares it). The
   * in-process store holds only this handler's `GET`/`HEAD` pages, so the raw target suffices.
   */
  function keyOf(req: R, local: boolean): string {
    let key: string;
    if (typeof keyOption === 'function') key = keyOption(req);
    else if (typeof keyOption === 'string') key = keyOption;
    else if (local) key = req.url.raw;
    else {
      key = `page:GET ${req.url.raw}`;
      if (key.length > MAX_PLAIN_KEY) key = `page:#${createHash('sha256').update(key).digest('base64url')}`;
    }
    // Header values cannot hold a line break, so it separates them unambiguously.
    for (const name of vary) key += `\n${req.headers.get(name) ?? ''}`;
    return key;
  }

  /**
   * The response for an entry; `hitHeaders` (in-process pages) are its headers with
   * `X-Cache: HIT` already in, so a hit copies one ready map and sets nothing.
   */
  function respond(req: R, entry: PageEntry, state: string, hitHeaders: ResponseHeaders | null): Response {
    const ifNoneMatch = req.headers.get('if-none-match');
    let response: Response;
    if (ifNoneMatch !== null && etagListMatches(ifNoneMatch, entry.etag, true)) {
      response = new Response(null, { status: 304 });
      for (const [name, value] of entry.headers) if (NOT_MODIFIED_HEADERS.has(name)) response.headers.set(name, value);
    } else {
      response = new Response(entry.body, { status: entry.status, headers: hitHeaders ?? entry.headers });
      if (hitHeaders !== null && state === 'HIT') return response;
    }
    if (header !== false) response.headers.set(header, state);
    return response;
  }

  // The route's response schema applies here, before the page is cached: a wrapper that builds
  // the response itself must not let undeclared fields (a row's passwordHash) out.
  const run = async (req: R, deps: D): Promise<Response> => routeResponse(req as unknown as Request, await handler(req, deps));

  /**
   * Whether a request must skip the cache: one with credentials (`Authorization`, `Cookie`)
   * may get a response of its own, and headers added outside this wrapper (a session's
   * `Vary: Cookie`) are not seen here — unless `vary` keys on that header or `key` is given.
   */
  const credentials = keyOption === undefined ? (['authorization', 'cookie'] as const).filter((h) => !vary.includes(h)) : [];
  const bypasses = (req: R): boolean => {
    for (const name of credentials) if (req.headers.get(name) !== null) return true;
    return false;
  };
  /** The handler's response for a bypassing request, marked `X-Cache: BYPASS`. */
  const bypass = async (req: R, deps: D): Promise<Response> => {
    const response = await run(req, deps);
    if (header !== false) response.headers.set(header, 'BYPASS');
    return response;
  };
  /** The entry to store, or `null`: also when the handler read the session or a CSRF token. */
  const entryOf = (req: R, response: Response): PageEntry | null => (req[kPrivate]() ? null : toEntry(response, vary, maxEntrySize));

  // ------------------------------------------------------------------ in a shared cache
  if (cache !== null) {
    return function cached(req: R, deps: D): unknown {
      const method = req.method;
      if (method !== 'GET' && method !== 'HEAD') return handler(req, deps);
      if (bypasses(req)) return bypass(req, deps);
      return (async () => {
        const key = keyOf(req, false);
        const fetchOptions =
          staticFetch ?? cache.fetchOptions({ ...pick(options), tags: (tagOption as (r: R) => readonly string[])(req) }, true);
        const fetched = await cache[kFetch](
          key,
          async () => {
            const response = await run(req, deps);
            const entry = entryOf(req, response);
            return entry === null ? { value: response, store: false } : { value: entry, store: true };
          },
          fetchOptions,
        );
        const value = fetched.value;
        if (value instanceof Response) return value;
        // Something else under our key: serve the handler's own response, uncached.
        if (!isEntry(value)) return run(req, deps);
        return respond(req, value, fetched.state === 'hit' ? 'HIT' : fetched.state === 'stale' ? 'STALE' : 'MISS', null);
      })();
    };
  }

  // ------------------------------------------------------------------ in-process
  const resolved = local ?? { maxSize: 1000, maxBytes: 64 * 1024 * 1024, now: Date.now };
  const store = new MemoryCache<LocalPage>({
    maxSize: resolved.maxSize,
    maxBytes: resolved.maxBytes,
    sizeOf: (page) => (typeof page.entry.body === 'string' ? page.entry.body.length * 2 : page.entry.body.byteLength) + 256,
    now: resolved.now,
  });
  const now = resolved.now;
  const ttlMs = ttlToMs(options.ttl ?? 300);
  const swrMs = options.staleWhileRevalidate === undefined ? 0 : ttlToMs(options.staleWhileRevalidate, 'staleWhileRevalidate');
  const storeTtl = ttlMs === 0 ? 0 : (ttlMs + swrMs) / 1000;
  const flights = new SingleFlight<string, LocalPage | Response>();

  async function compute(req: R, deps: D, key: string): Promise<LocalPage | Response> {
    const response = await run(req, deps);
    const entry = entryOf(req, response);
    if (entry === null) return response;
    const page: LocalPage = {
      entry,
      headers: new ResponseHeaders(header === false ? entry.headers : [...entry.headers, [header, 'HIT']]),
      freshUntil: swrMs > 0 && ttlMs > 0 ? now() + ttlMs : 0,
    };
    const tags = typeof tagOption === 'function' ? tagOption(req) : tagOption;
    try {
      store.set(key, page, { ttl: storeTtl, ...(tags === undefined ? {} : { tags }) });
    } catch (err) {
      // A page larger than the whole store (a small `maxBytes`) is served, just not kept.
      if (!(err instanceof CacheError && err.code === 'ERR_CACHE_VALUE_TOO_LARGE')) throw err;
    }
    return page;
  }

  async function miss(req: R, deps: D, key: string): Promise<Response> {
    const joined = flights.current(key) !== undefined;
    const result = await flights.run(key, () => compute(req, deps, key));
    if (result instanceof Response) return joined ? run(req, deps) : result;
    return respond(req, result.entry, 'MISS', result.headers);
  }

  // Not async: a hit goes out without a promise.
  return function cachePage(req: R, deps: D): unknown {
    const method = req.method;
    if (method !== 'GET' && method !== 'HEAD') return handler(req, deps);
    if (bypasses(req)) return bypass(req, deps);
    const key = keyOf(req, true);
    const page = store.get(key);
    if (page === undefined) return miss(req, deps, key);
    if (page.freshUntil !== 0 && now() >= page.freshUntil) {
      if (flights.current(key) === undefined) {
        // Deliberately not awaited: this client gets the stale page now; a failure keeps it.
        void flights.run(key, () => compute(req, deps, key)).catch(() => {});
      }
      return respond(req, page.entry, 'STALE', page.headers);
    }
    return respond(req, page.entry, 'HIT', page.headers);
  };
}

/** The fetch-relevant options (`ttl`, `staleWhileRevalidate`), without `undefined`s. */
function pick(options: CachedOptions<never>): { ttl?: number; staleWhileRevalidate?: number } {
  return {
    ...(options.ttl === undefined ? {} : { ttl: options.ttl }),
    ...(options.staleWhileRevalidate === undefined ? {} : { staleWhileRevalidate: options.staleWhileRevalidate }),
  };
}
