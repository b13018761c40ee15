import type { Readable } from 'node:stream';
import { type CookieOptions, serializeCookie } from './http/cookie.js';
import { type HeadersInit, ResponseHeaders } from './http/headers.js';

/** @internal See `Response[kOnlyContentType]`. */
export const kOnlyContentType = Symbol('covet.onlyContentType');
/** @internal See `Response[kSetHeader]`. */
export const kSetHeader = Symbol('covet.setHeader');
/** @internal See `Response[kLazyHeaders]`. */
export const kLazyHeaders = Symbol('covet.lazyHeaders');

// Set by `typedBody` for the one constructor call it makes.
let lazyType = '';

/**
 * @internal A response whose only header is `contentType` (a handler's return value turned into
 * a response): its header map is built on first use. `status` must be valid.
 */
export function typedBody(body: ResponseBody, contentType: string, status = 200): Response {
  lazyType = contentType;
  return new Response(body, status === 200 ? undefined : { status });
}

/** A chunk of a streamed body. */
export type BodyChunk = string | Uint8Array;

/** What a `Response` body may be. */
export type ResponseBody =
  | string
  | Uint8Array
  | AsyncIterable<BodyChunk>
  | Iterable<BodyChunk>
  | ReadableStream<Uint8Array>
  | Readable
  | null;

/** Options of `new Response(body, init)`. */
export interface ResponseInit {
  /** Default 200 (204 for an empty body is *not* implied: pass it). */
  readonly status?: number;
  /**
   * The same as `status`, under the seed's name (`Response("Rate limited", status_code=429)`,
   * as `res.statusCode` is `res.status`). Giving both with different values is a `TypeError`.
   */
  readonly statusCode?: number;
  readonly headers?: HeadersInit;
}

/**
 * Whether `body` is one of the streamed forms a `Response` takes: any async or sync iterable
 * (arrays of chunks included, unlike a handler's return value, see `isStreamBody` in
 * http/send.ts), a `Readable` or a `ReadableStream`.
 */
function isIterableBody(body: unknown): boolean {
  if (typeof body !== 'object' || body === null) return false;
  return Symbol.asyncIterator in body || Symbol.iterator in body || typeof (body as { getReader?: unknown }).getReader === 'function';
}

/**
 * An outgoing response. Handlers may return one, or return plain values that Covet turns into
 * one (see the return-value table in docs/core.md); middleware always receives one.
 *
 * @example
 * const res = new Response('Rate limited', { status: 429, headers: { 'Retry-After': '60' } });
 * res.setCookie('seen', '1', { maxAge: 3600 });
 */
export class Response {
  status: number;
  body: ResponseBody;
  // Responses made from a handler's return value have one header, their content type; the
  // header map is only built when something reads `headers` (a middleware setting a header),
  // so the writer can send them with a precomputed header block.
  #headers: ResponseHeaders | null;
  readonly #type: string;
  // Headers Covet's own middleware set before anything read `headers` (trace context,
  // correlation ids), as name/value pairs: they go out with the precomputed header block.
  #lazy: string[] | null = null;

  constructor(body: ResponseBody = null, init: ResponseInit = {}) {
    const type = lazyType;
    lazyType = '';
    if (type !== '') {
      this.status = init.status ?? 200;
      this.body = body;
      this.#headers = null;
      this.#type = type;
      return;
    }
    if (init.statusCode !== undefined && init.status !== undefined && init.statusCode !== init.status) {
      throw new TypeError(`Response got status ${init.status} and statusCode ${init.statusCode}: give one`);
    }
    const status = init.status ?? init.statusCode ?? 200;
    if (!Number.isInteger(status) || status < 100 || status > 999) {
      throw new RangeError(`Response status must be an integer from 100 to 999, got ${status}`);
    }
    if (body !== null && typeof body !== 'string' && !(body instanceof Uint8Array) && !isIterableBody(body)) {
      throw new TypeError(
        `Response body must be a string, bytes, an (async) iterable of chunks, a ReadableStream or a Readable, got ${body === undefined ? 'undefined' : typeof body === 'object' ? 'a plain object (return it, or use json(data), for JSON)' : typeof body}`,
      );
    }
    this.status = status;
    this.#headers = new ResponseHeaders(init.headers);
    this.#type = '';
    this.body = body;
    if (typeof body === 'string' && !this.#headers.has('content-type')) {
      this.#headers.set('content-type', 'text/plain; charset=utf-8');
    }
  }

  /** The response headers (case-insensitive; `set-cookie` keeps every value). */
  get headers(): ResponseHeaders {
    let headers = this.#headers;
    if (headers === null) {
      headers = new ResponseHeaders();
      headers.set('content-type', this.#type);
      const lazy = this.#lazy;
      if (lazy !== null) for (let i = 0; i < lazy.length; i += 2) headers.set(lazy[i] as string, lazy[i + 1] as string);
      this.#lazy = null;
      this.#headers = headers;
    }
    return headers;
  }

  /**
   * @internal Sets a header like `headers.set`, without building the header map when it does
   * not exist yet. `name` must be lowercase and `value` a valid header value.
   */
  [kSetHeader](name: string, value: string): void {
    if (this.#headers !== null) {
      this.#headers.set(name, value);
      return;
    }
    const lazy = (this.#lazy ??= []);
    for (let i = 0; i < lazy.length; i += 2) {
      if (lazy[i] === name) {
        lazy[i + 1] = value;
        return;
      }
    }
    lazy.push(name, value);
  }

  /** @internal The headers set with `kSetHeader` while the map was not built (pairs), or `null`. */
  [kLazyHeaders](): readonly string[] | null {
    return this.#lazy;
  }

  /** @internal The content type when it is still the only header (nothing read `headers`), else `null`. */
  [kOnlyContentType](): string | null {
    return this.#headers === null ? this.#type : null;
  }

  /** The seed's name for `status`. */
  get statusCode(): number {
    return this.status;
  }

  set statusCode(value: number) {
    this.status = value;
  }

  /** Adds a `Set-Cookie` header (`HttpOnly`, `Path=/` and `SameSite=Lax` by default). */
  setCookie(name: string, value: string, options?: CookieOptions): this {
    this.headers.append('set-cookie', serializeCookie(name, value, options));
    return this;
  }

  /** Expires a cookie in the browser; pass the `path`/`domain` it was set with. */
  deleteCookie(name: string, options: Pick<CookieOptions, 'path' | 'domain' | 'secure' | 'sameSite'> = {}): this {
    return this.setCookie(name, '', { ...options, maxAge: 0, expires: new Date(0) });
  }
}

// Copies made by `copyResponse`, mapped to the handler's original.
const originals = new WeakMap<Response, Response>();

/**
 * @internal A copy of `res` (same status and body, its own headers) for middleware that adds
 * per-visitor headers (a session's `Set-Cookie`): a handler may return one `Response` object to
 * every client, so such headers must not go on the object itself.
 */
export function copyResponse(res: Response): Response {
  const copy = new Response(res.body, { status: res.status, headers: new ResponseHeaders(res.headers) });
  originals.set(copy, originals.get(res) ?? res);
  return copy;
}

/**
 * @internal For a response that sets a per-visitor cookie (a session, a CSRF token): shared
 * caches must not keep it. No `Cache-Control` becomes `private`; `public` becomes `private`
 * (a static file's `public, max-age=3600` would otherwise let a CDN hand the cookie to others).
 */
export function markPrivate(res: Response): void {
  const cache = res.headers.get('cache-control');
  if (cache === null) res.headers.set('cache-control', 'private');
  else if (/\bpublic\b/i.test(cache)) res.headers.set('cache-control', cache.replace(/\bpublic\b/gi, 'private'));
}

/** @internal The response `res` was copied from by `copyResponse`, or `res` itself. */
export function originalResponse(res: Response): Response {
  return originals.get(res) ?? res;
}

/** A string body with a content type, unless `headers` already names one. */
function typed(body: string, type: string, status: number, headers: HeadersInit | undefined): Response {
  const all = new ResponseHeaders(headers);
  if (!all.has('content-type')) all.set('content-type', type);
  return new Response(body, { status, headers: all });
}

/**
 * A JSON response (`application/json; charset=utf-8` unless `headers` sets another type).
 *
 * @example
 * return json({ id: 1 }, 201)
 * return json({ title: 'Gone' }, 410, { 'content-type': 'application/problem+json' })
 */
export function json(data: unknown, status = 200, headers?: HeadersInit): Response {
  return typed(JSON.stringify(data) ?? 'null', 'application/json; charset=utf-8', status, headers);
}

/** An HTML response (`text/html; charset=utf-8`). */
export function html(body: string, status = 200, headers?: HeadersInit): Response {
  return typed(body, 'text/html; charset=utf-8', status, headers);
}

/** A plain-text response (`text/plain; charset=utf-8`). */
export function text(body: string, status = 200, headers?: HeadersInit): Response {
  return typed(body, 'text/plain; charset=utf-8', status, headers);
}

// What `encodeurl` (Express's `res.location`) leaves alone: URL characters and well-formed
// `%XX` escapes. Anything else — spaces, non-ASCII, a stray `%` — is percent-encoded.
const URL_UNSAFE = /(?:[^\x21\x23-\x3B\x3D\x3F-\x5F\x61-\x7A\x7C\x7E]|%(?:[^0-9A-Fa-f]|[0-9A-Fa-f][^0-9A-Fa-f]|$))+/g;
const LONE_SURROGATE = /(^|[^\uD800-\uDBFF])[\uDC00-\uDFFF]|[\uD800-\uDBFF]([^\uDC00-\uDFFF]|$)/g;

/**
 * A redirect; 307 keeps the method and body (use 303 after a form POST, 301/308 for moves).
 * The URL is percent-encoded where it has to be (`/café` → `/caf%C3%A9`); existing `%XX`
 * escapes are kept.
 *
 * @example
 * return redirect('/login', 303)
 */
export function redirect(url: string, status = 307): Response {
  if (![300, 301, 302, 303, 307, 308].includes(status)) throw new RangeError(`Not a redirect status: ${status}`);
  if (/[\r\n]/.test(url)) throw new TypeError('Redirect URL must not contain line breaks');
  const location = url.replace(LONE_SURROGATE, '$1\uFFFD$2').replace(URL_UNSAFE, encodeURI);
  return new Response(null, { status, headers: { location } });
}

/**
 * A streamed body from an async iterable, a web `ReadableStream` or a Node stream. Chunks are
 * written as the client takes them (backpressure), never buffered whole.
 *
 * @example
 * return stream((async function* () { yield 'a'; yield 'b' })(), 'text/plain; charset=utf-8')
 */
export function stream(body: Exclude<ResponseBody, string | Uint8Array | null>, contentType = 'application/octet-stream'): Response {
  return new Response(body, { headers: { 'content-type': contentType } });
}
