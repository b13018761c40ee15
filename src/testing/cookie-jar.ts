/** One cookie held by a `CookieJar`. */
export interface TestCookie {
  readonly name: string;
  readonly value: string;
  /** The host it was set by (`hostOnly`), or its `Domain` attribute (lower case, no leading dot); `''` = any host. */
  readonly domain: string;
  /** True when the cookie had no `Domain` attribute: it goes back to that host only. */
  readonly hostOnly: boolean;
  readonly path: string;
  readonly secure: boolean;
  readonly httpOnly: boolean;
  /** Expiry time in ms since the epoch, or `null` for a session cookie. */
  readonly expires: number | null;
}

/** Where a request goes: the host (without port), the path (without query) and whether it is secure (`https:`/`wss:`). */
export interface CookieTarget {
  readonly host: string;
  readonly path: string;
  readonly secure: boolean;
}

/** Options of `CookieJar.set`: the cookie goes to every host (`domain: ''`) and every path (`/`) unless told. */
export interface CookieSetOptions {
  readonly domain?: string;
  readonly path?: string;
  readonly secure?: boolean;
  readonly httpOnly?: boolean;
}

interface Entry extends TestCookie {
  readonly created: number;
}

/** The host of a `Host` header value, lower case, without its port (`[::1]:80` → `[::1]`). */
export function hostName(host: string): string {
  const h = host.trim().toLowerCase();
  if (h.startsWith('[')) {
    const end = h.indexOf(']');
    return end === -1 ? h : h.slice(0, end + 1);
  }
  const colon = h.indexOf(':');
  return colon === -1 ? h : h.slice(0, colon);
}

const isIp = (host: string): boolean => host.startsWith('[') || /^\d{1,3}(\.\d{1,3}){3}$/.test(host);

/** RFC 6265 §5.1.3: `host` is `domain` or a subdomain of it (never for an IP address). */
function domainMatch(host: string, domain: string): boolean {
  return host === domain || (!isIp(host) && host.endsWith(`.${domain}`));
}

/** RFC 6265 §5.1.4 path-match. */
function pathMatch(requestPath: string, cookiePath: string): boolean {
  if (requestPath === cookiePath) return true;
  if (!requestPath.startsWith(cookiePath)) return false;
  return cookiePath.endsWith('/') || requestPath[cookiePath.length] === '/';
}

/** RFC 6265 §5.1.4 default-path: the request path up to (not including) its last `/`. */
function defaultPath(requestPath: string): string {
  if (!requestPath.startsWith('/')) return '/';
  const last = requestPath.lastIndexOf('/');
  return last <= 0 ? '/' : requestPath.slice(0, last);
}

let order = 0;

/**
 * The test client's cookie jar. It behaves as a browser's (and as `requests`/`httpx` do for
 * FastAPI's `TestClient`): a cookie goes back only to the host that set it (or its `Domain`),
 * to paths under its `Path` (RFC 6265 path-match; without `Path`, the directory of the request
 * that set it), over `https:`/`wss:` only when `Secure`, until it expires (`Max-Age`, `Expires`;
 * `Max-Age=0` or a past date deletes it).
 *
 * It is also a `Map` of name → value, as it used to be: `get(name)` (the newest cookie of that
 * name), `has`, `set(name, value)` (a cookie for every host and path), `delete(name)`,
 * `clear()`, iteration. `list()` gives every cookie with its attributes.
 */
export class CookieJar implements Map<string, string> {
  #entries: Entry[] = [];

  /** The live (unexpired) cookies, oldest first. */
  #live(): Entry[] {
    const now = Date.now();
    if (this.#entries.some((e) => e.expires !== null && e.expires <= now)) {
      this.#entries = this.#entries.filter((e) => e.expires === null || e.expires > now);
    }
    return this.#entries;
  }

  #put(entry: Omit<Entry, 'created'>): void {
    const same = (e: Entry): boolean => e.name === entry.name && e.domain === entry.domain && e.path === entry.path;
    const old = this.#entries.find(same);
    this.#entries = this.#entries.filter((e) => !same(e));
    if (entry.expires !== null && entry.expires <= Date.now()) return;
    // A replaced cookie keeps its creation time, as RFC 6265 §5.3 step 11 says.
    this.#entries.push({ ...entry, created: old?.created ?? order++ });
  }

  /** Every live cookie with its attributes. */
  list(): TestCookie[] {
    return this.#live().map(({ created: _, ...cookie }) => cookie);
  }

  /** Stores the cookies of a response's `Set-Cookie` lines, received for `target`. */
  receive(setCookies: readonly string[], target: CookieTarget): void {
    const host = hostName(target.host);
    for (const line of setCookies) {
      const [pair = '', ...attrs] = line.split(';');
      const eq = pair.indexOf('=');
      if (eq <= 0) continue;
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (name === '') continue;
      let maxAge: number | null = null;
      let expires: number | null = null;
      let domain: string | null = null;
      let path: string | null = null;
      let secure = false;
      let httpOnly = false;
      for (const attr of attrs) {
        const i = attr.indexOf('=');
        const key = (i === -1 ? attr : attr.slice(0, i)).trim().toLowerCase();
        const v = i === -1 ? '' : attr.slice(i + 1).trim();
        if (key === 'max-age') {
          // RFC 6265 §5.2.2: a value that is not an integer is ignored.
          if (/^-?\d+$/.test(v)) maxAge = Number(v);
        } else if (key === 'expires') {
          const t = Date.parse(v);
          if (!Number.isNaN(t)) expires = t;
        } else if (key === 'domain') {
          const d = v.replace(/^\./, '').toLowerCase();
          if (d !== '') domain = d;
        } else if (key === 'path') {
          path = v.startsWith('/') ? v : null;
        } else if (key === 'secure') secure = true;
        else if (key === 'httponly') httpOnly = true;
      }
      // A Domain the host is not in (another site's) is refused, as browsers do.
      if (domain !== null && !domainMatch(host, domain)) continue;
      const expiry = maxAge !== null ? (maxAge <= 0 ? 0 : Date.now() + maxAge * 1000) : expires;
      this.#put({
        name,
        value,
        domain: domain ?? host,
        hostOnly: domain === null,
        path: path ?? defaultPath(target.path),
        secure,
        httpOnly,
        expires: expiry,
      });
    }
  }

  /** The cookies a browser would send to `target`, as `[name, value]` pairs (longest path first). */
  cookiesFor(target: CookieTarget): [string, string][] {
    const host = hostName(target.host);
    return this.#live()
      .filter(
        (e) =>
          (e.domain === '' || (e.hostOnly ? host === e.domain : domainMatch(host, e.domain))) &&
          pathMatch(target.path, e.path) &&
          (!e.secure || target.secure),
      )
      .sort((a, b) => b.path.length - a.path.length || a.created - b.created)
      .map((e) => [e.name, e.value]);
  }

  // ---------------------------------------------------------------- Map<string, string>

  get size(): number {
    return this.#live().length;
  }

  /** The value of the newest cookie of that name. */
  get(name: string): string | undefined {
    const live = this.#live();
    let found: Entry | undefined;
    for (const e of live) if (e.name === name && (found === undefined || e.created > found.created)) found = e;
    return found?.value;
  }

  has(name: string): boolean {
    return this.#live().some((e) => e.name === name);
  }

  /** Adds (or replaces) a cookie; by default for every host and path, as `httpx`'s `cookies.set` does. */
  set(name: string, value: string, options: CookieSetOptions = {}): this {
    const domain = hostName(options.domain?.replace(/^\./, '') ?? '');
    this.#put({
      name,
      value,
      domain,
      hostOnly: false,
      path: options.path ?? '/',
      secure: options.secure ?? false,
      httpOnly: options.httpOnly ?? false,
      expires: null,
    });
    return this;
  }

  /** Removes every cookie of that name (whatever its host and path). */
  delete(name: string): boolean {
    const before = this.#entries.length;
    this.#entries = this.#entries.filter((e) => e.name !== name);
    return this.#entries.length !== before;
  }

  clear(): void {
    this.#entries = [];
  }

  forEach(callback: (value: string, key: string, map: Map<string, string>) => void, thisArg?: unknown): void {
    for (const e of [...this.#live()]) callback.call(thisArg, e.value, e.name, this);
  }

  entries(): MapIterator<[string, string]> {
    return this.#live()
      .map((e): [string, string] => [e.name, e.value])
      .values() as unknown as MapIterator<[string, string]>;
  }

  keys(): MapIterator<string> {
    return this.#live()
      .map((e) => e.name)
      .values() as unknown as MapIterator<string>;
  }

  values(): MapIterator<string> {
    return this.#live()
      .map((e) => e.value)
      .values() as unknown as MapIterator<string>;
  }

  [Symbol.iterator](): MapIterator<[string, string]> {
    return this.entries();
  }

  get [Symbol.toStringTag](): string {
    return 'CookieJar';
  }
}
