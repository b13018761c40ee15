import { type IncomingHttpHeaders, validateHeaderName, validateHeaderValue } from 'node:http';

/** @internal `RequestHeaders[kLowerGet](name)`: `get` for a name already in lower case (Covet's own lookups), without folding it. */
export const kLowerGet: unique symbol = Symbol('covet.headers.lowerGet');

/**
 * Read-only, case-insensitive view of the request headers (Node already lower-cases names).
 * Repeated headers are joined with `, ` except `set-cookie`, as the Fetch standard does.
 *
 * @example
 * req.headers.get('X-Correlation-ID', crypto.randomUUID())
 */
export class RequestHeaders {
  readonly #raw: IncomingHttpHeaders;

  constructor(raw: IncomingHttpHeaders) {
    this.#raw = raw;
  }

  /** The value, or `fallback` (default `null`) when the header is absent. */
  get(name: string): string | null;
  get<F>(name: string, fallback: F): string | F;
  get(name: string, fallback: unknown = null): unknown {
    const value = this.#own(name);
    if (value === undefined) return fallback;
    return typeof value === 'string' ? value : value.join(', ');
  }

  has(name: string): boolean {
    return this.#own(name) !== undefined;
  }

  /** @internal */
  [kLowerGet](key: string): string | null {
    const value = this.#ownLower(key);
    if (value === undefined) return null;
    return typeof value === 'string' ? value : value.join(', ');
  }

  #own(name: string): string | string[] | undefined {
    return this.#ownLower(name.toLowerCase());
  }

  // Node's `req.headers` inherits from Object.prototype: `get('constructor')` must not see it.
  #ownLower(key: string): string | string[] | undefined {
    const value = this.#raw[key];
    // Most lookups miss (`traceparent`, `x-correlation-id`): own-ness is checked on a hit only.
    return value === undefined || Object.hasOwn(this.#raw, key) ? value : undefined;
  }

  /** `[name, value]` pairs with lower-case names. */
  *entries(): IterableIterator<[string, string]> {
    for (const name of Object.keys(this.#raw)) {
      const value = this.#raw[name];
      if (value !== undefined) yield [name, typeof value === 'string' ? value : value.join(', ')];
    }
  }

  keys(): IterableIterator<string> {
    return Object.keys(this.#raw)[Symbol.iterator]();
  }

  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries();
  }

  /** A plain object copy, lower-case names. */
  toJSON(): Record<string, string> {
    return Object.fromEntries(this.entries());
  }
}

type HeaderValue = string | string[];

/** What `new Response(body, { headers })` accepts. */
export type HeadersInit =
  | ResponseHeaders
  | Readonly<Record<string, string | readonly string[] | number>>
  | Iterable<readonly [string, string]>;

/**
 * Mutable, case-insensitive response headers. `set-cookie` keeps every value. A name that is
 * not an HTTP token or a value with a line break or another control character throws a
 * `TypeError` here, as the Fetch standard's `Headers` does, so the mistake is a 500 from the
 * code that made it rather than a connection cut when the head is written.
 *
 * @example
 * response.headers.set('Access-Control-Allow-Origin', '*')
 */
export class ResponseHeaders {
  readonly #map = new Map<string, HeaderValue>();

  constructor(init?: HeadersInit) {
    if (init === undefined) return;
    if (init instanceof ResponseHeaders) {
      for (const [k, v] of init.#map) this.#map.set(k, Array.isArray(v) ? [...v] : v);
    } else if (Symbol.iterator in init) {
      for (const [k, v] of init as Iterable<readonly [string, string]>) this.append(k, v);
    } else {
      for (const [k, v] of Object.entries(init)) {
        if (Array.isArray(v)) for (const item of v) this.append(k, String(item));
        else this.set(k, String(v));
      }
    }
  }

  get(name: string): string | null {
    const v = this.#map.get(name.toLowerCase());
    if (v === undefined) return null;
    return typeof v === 'string' ? v : v.join(', ');
  }

  /** Every `Set-Cookie` value (which must not be joined). */
  getSetCookie(): string[] {
    const v = this.#map.get('set-cookie');
    if (v === undefined) return [];
    return typeof v === 'string' ? [v] : [...v];
  }

  set(name: string, value: string): this {
    const text = String(value);
    validateHeaderName(name);
    validateHeaderValue(name, text);
    this.#map.set(name.toLowerCase(), text);
    return this;
  }

  append(name: string, value: string): this {
    const text = String(value);
    validateHeaderName(name);
    validateHeaderValue(name, text);
    const key = name.toLowerCase();
    const prev = this.#map.get(key);
    if (prev === undefined) this.#map.set(key, text);
    else if (typeof prev === 'string') this.#map.set(key, [prev, text]);
    else prev.push(text);
    return this;
  }

  has(name: string): boolean {
    return this.#map.has(name.toLowerCase());
  }

  delete(name: string): boolean {
    return this.#map.delete(name.toLowerCase());
  }

  get size(): number {
    return this.#map.size;
  }

  *entries(): IterableIterator<[string, string]> {
    for (const [k, v] of this.#map) {
      if (typeof v === 'string') yield [k, v];
      else if (k === 'set-cookie') for (const item of v) yield [k, item];
      else yield [k, v.join(', ')];
    }
  }

  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries();
  }

  /** Appends `[name, value, …]` pairs to a flat array, the form `writeHead` takes fastest. */
  flatInto(out: string[]): string[] {
    for (const [k, v] of this.#map) {
      if (typeof v === 'string') out.push(k, v);
      else for (const item of v) out.push(k, item);
    }
    return out;
  }
}
