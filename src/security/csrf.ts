import { createHmac, randomBytes } from 'node:crypto';
import type { CookieOptions } from '../http/cookie.js';
import { CovetError, HTTPException } from '../errors.js';
import { type Request, kPrivate } from '../request.js';
import { copyResponse, markPrivate, type Response } from '../response.js';
import { decodeRoutingPath } from '../router/decode-path.js';
import type { CallNext, MiddlewareObject } from '../types.js';
import { isSameHost, isWebSocketHandshake } from './request-origin.js';
import { safeEqual } from './timing-safe.js';

declare module '../types.js' {
  interface RouteMeta {
    /**
     * `false`: `CSRFProtection` skips this route — no check and no token cookie. For endpoints
     * that authenticate the caller themselves rather than by a cookie (OAuth2's token,
     * introspection and revocation endpoints are marked so), and webhooks.
     */
    readonly csrf?: boolean;
  }
}

/** Shortest `secretKey` accepted (characters of a string, bytes of a `Uint8Array`). */
const MIN_SECRET_LENGTH = 8;

/** Options of `CSRFProtection`. */
export interface CSRFOptions {
  /**
   * Signs the tokens (HMAC-SHA256). Required; at least 8 characters (bytes, for a
   * `Uint8Array`). Use a long random value in production, e.g. 32 random bytes.
   */
  readonly secretKey: string | Uint8Array;
  /** Methods never checked. Default `GET, HEAD, OPTIONS, TRACE`. */
  readonly safeMethods?: readonly string[];
  /**
   * Paths never checked: exact (`/api/webhook`), a prefix ending in `*` (`/hooks/*`), or a
   * RegExp. A route can also exempt itself with `{ meta: { csrf: false } }`.
   */
  readonly exemptPaths?: readonly (string | RegExp)[];
  /** Default `csrftoken`. */
  readonly cookieName?: string;
  /** Default `X-CSRF-Token`. */
  readonly headerName?: string;
  /** Form field checked when the header is absent (urlencoded and multipart bodies). Default `csrf_token`. */
  readonly formField?: string;
  /**
   * Attributes of the token cookie. Default: `Path=/`, `SameSite=Lax`, not `HttpOnly` (pages
   * read it to send the header), `Secure` when the request came over HTTPS.
   */
  readonly cookie?: Omit<CookieOptions, 'maxAge' | 'expires'> & { readonly maxAge?: number };
  /**
   * Other origins allowed to post (`https://admin.example.com`). The request's own origin
   * (from `Host`) is always allowed.
   */
  readonly trustedOrigins?: readonly string[];
  /**
   * Check `Origin` (or `Referer` when it is missing) on unsafe requests, and `Origin` on
   * WebSocket handshakes (which need no token: browsers cannot add headers to them, but do
   * send the cookies, whatever site opens the socket). Default `true`.
   */
  readonly checkOrigin?: boolean;
}

const CSRF_DEFAULTS = {
  safeMethods: ['GET', 'HEAD', 'OPTIONS', 'TRACE'],
  exemptPaths: [] as readonly (string | RegExp)[],
  cookieName: 'csrftoken',
  headerName: 'X-CSRF-Token',
  formField: 'csrf_token',
  trustedOrigins: [] as readonly string[],
  checkOrigin: true,
} as const;

const TOKEN = /^[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{43}$/;
const FORM_TYPES = /^(?:application\/x-www-form-urlencoded|multipart\/form-data)\b/i;

function refuse(message: string, code: string): HTTPException {
  return new HTTPException(403, message, { code });
}

/** `scheme://host[:port]` of a URL string, or `null`. */
function originOf(url: string): string | null {
  try {
    const parsed = new URL(url);
    return parsed.origin === 'null' ? null : parsed.origin;
  } catch {
    return null;
  }
}

/**
 * Cross-site request forgery protection with a signed double-submit token: a random value
 * and its HMAC live in the `csrftoken` cookie; unsafe requests must echo the same token in
 * the `X-CSRF-Token` header or the `csrf_token` form field, and (when the browser says)
 * come from the app's own origin. The current token is `req.state.csrfToken`, for templates.
 * Failures are 403 `{"error": …}` with codes `ERR_CSRF_ORIGIN`, `ERR_CSRF_MISSING`,
 * `ERR_CSRF_INVALID`. WebSocket handshakes (`GET` with `Upgrade: websocket`) that carry an
 * `Origin` get the origin check, not the token check (`checkOrigin`). Routes whose `meta` has
 * `csrf: false` are skipped (OAuth2's client-authenticated endpoints are), as are `exemptPaths`.
 *
 * @example
 * app.addMiddleware(new CSRFProtection({ secretKey: env.string('CSRF_SECRET'), exemptPaths: ['/api/webhook'] }));
 * app.get('/form', (req) => html(`<form method="post"><input type="hidden" name="csrf_token" value="${req.state.csrfToken}">…</form>`));
 * app.post('/hooks/payments', { meta: { csrf: false } }, handlePayment); // checked by its own signature
 */
export class CSRFProtection implements MiddlewareObject {
  readonly #secret: Buffer;
  readonly #safe: ReadonlySet<string>;
  readonly #exact: ReadonlySet<string>;
  readonly #prefixes: readonly string[];
  readonly #patterns: readonly RegExp[];
  readonly #cookieName: string;
  readonly #headerName: string;
  readonly #formField: string;
  readonly #cookie: CSRFOptions['cookie'];
  readonly #trusted: ReadonlySet<string>;
  readonly #checkOrigin: boolean;

  constructor(options: CSRFOptions) {
    const opts = { ...CSRF_DEFAULTS, ...options };
    const secret = typeof opts.secretKey === 'string' ? Buffer.from(opts.secretKey, 'utf8') : Buffer.from(opts.secretKey ?? []);
    if (secret.length < MIN_SECRET_LENGTH) {
      const got = secret.length === 0 ? 'it is empty' : `got ${secret.length}`;
      throw new CovetError(`CSRFProtection needs a secretKey of at least ${MIN_SECRET_LENGTH} characters (${got}); use a long random value`, {
        code: 'ERR_CSRF_OPTIONS',
      });
    }
    this.#secret = secret;
    this.#safe = new Set(opts.safeMethods.map((m) => m.toUpperCase()));
    const exact = new Set<string>();
    const prefixes: string[] = [];
    const patterns: RegExp[] = [];
    for (const p of opts.exemptPaths) {
      if (p instanceof RegExp) patterns.push(new RegExp(p.source, p.flags.replace(/[gy]/g, '')));
      else if (p.endsWith('*')) prefixes.push(p.slice(0, -1));
      else exact.add(p);
    }
    this.#exact = exact;
    this.#prefixes = prefixes;
    this.#patterns = patterns;
    this.#cookieName = opts.cookieName;
    this.#headerName = opts.headerName.toLowerCase();
    this.#formField = opts.formField;
    this.#cookie = opts.cookie;
    this.#trusted = new Set(opts.trustedOrigins.map((o) => o.toLowerCase().replace(/\/$/, '')));
    this.#checkOrigin = opts.checkOrigin;
  }

  /** A new signed token: `<random>.<hmac(random)>`, both base64url. */
  generateToken(): string {
    const value = randomBytes(32).toString('base64url');
    return `${value}.${this.#sign(value)}`;
  }

  #sign(value: string): string {
    return createHmac('sha256', this.#secret).update(`covet-csrf:${value}`).digest('base64url');
  }

  /** Whether `token` was made by this secret (constant-time). */
  isValidToken(token: string): boolean {
    if (!TOKEN.test(token)) return false;
    const dot = token.indexOf('.');
    return safeEqual(this.#sign(token.slice(0, dot)), token.slice(dot + 1));
  }

  /**
   * Whether `exemptPaths` covers the request. Compared with the path as the router matches it
   * (escapes decoded except `%2F`), not `req.path` (fully decoded, for display): otherwise
   * `/hooks%2F..%2Faccount/delete` would read as under `/hooks/*` while the router sends it to
   * `/{lang}/account/delete`.
   */
  #exempt(req: Request): boolean {
    const raw = req.url.raw;
    const q = raw.indexOf('?');
    const path = decodeRoutingPath(q === -1 ? raw : raw.slice(0, q));
    if (path === null) return false;
    return this.#exact.has(path) || this.#prefixes.some((p) => path.startsWith(p)) || this.#patterns.some((re) => re.test(path));
  }

  async handle(req: Request, callNext: CallNext): Promise<Response> {
    // An exempt route or path is skipped entirely: no check, no token cookie (which would make a
    // static file's or a probe's response `private`), no `req.state.csrfToken`.
    if (req.route?.meta.csrf === false || this.#exempt(req)) return callNext();
    const fromCookie = req.cookies[this.#cookieName];
    const valid = fromCookie !== undefined && this.isValidToken(fromCookie);
    const token = valid ? fromCookie : this.generateToken();
    // Reading the token makes the response this client's own: a page cache must not keep it.
    Object.defineProperty(req.state, 'csrfToken', {
      get() {
        req[kPrivate](true);
        return token;
      },
      set(this: object, value: unknown) {
        Object.defineProperty(this, 'csrfToken', { value, writable: true, enumerable: true, configurable: true });
      },
      enumerable: true,
      configurable: true,
    });
    if (isWebSocketHandshake(req)) {
      // No Origin: not a browser (browsers always send one on a handshake).
      if (this.#checkOrigin && req.headers.has('origin')) this.#checkSource(req);
    } else if (!this.#safe.has(req.method)) {
      if (this.#checkOrigin) this.#checkSource(req);
      if (!valid) throw refuse(fromCookie === undefined ? 'CSRF token missing' : 'CSRF token invalid', fromCookie === undefined ? 'ERR_CSRF_MISSING' : 'ERR_CSRF_INVALID');
      const sent = await this.#submitted(req);
      if (sent === undefined) throw refuse('CSRF token missing', 'ERR_CSRF_MISSING');
      if (!safeEqual(sent, token)) throw refuse('CSRF token invalid', 'ERR_CSRF_INVALID');
    }
    const handled = await callNext();
    if (valid) return handled;
    // The handler's Response may be one it returns to every client (a constant, a cached page):
    // this visitor's token goes on a copy, or later visitors would get it too.
    const res = copyResponse(handled);
    const secure = this.#cookie?.secure ?? (isTls(req) || req.headers.get('x-forwarded-proto') === 'https');
    res.setCookie(this.#cookieName, token, { path: '/', sameSite: 'Lax', httpOnly: false, ...this.#cookie, secure });
    markPrivate(res);
    return res;
  }

  /** The request must come from our own origin (or a trusted one) when the browser tells us. */
  #checkSource(req: Request): void {
    const origin = req.headers.get('origin');
    let source: string | null;
    if (origin !== null) {
      // `Origin: null` comes from sandboxed frames, `file:` pages and privacy redirects.
      if (origin === 'null') throw refuse('CSRF origin check failed', 'ERR_CSRF_ORIGIN');
      source = origin.toLowerCase();
    } else {
      const referer = req.headers.get('referer');
      if (referer === null) return; // not a browser, or one that sends neither: the token decides
      source = originOf(referer);
      if (source === null) throw refuse('CSRF origin check failed', 'ERR_CSRF_ORIGIN');
    }
    // Compare the host:port; the scheme is not reliably known behind a proxy.
    if (this.#trusted.has(source) || isSameHost(source, req.headers.get('host'))) return;
    throw refuse('CSRF origin check failed', 'ERR_CSRF_ORIGIN');
  }

  async #submitted(req: Request): Promise<string | undefined> {
    const header = req.headers.get(this.#headerName);
    if (header !== null && header !== '') return header;
    const type = req.headers.get('content-type') ?? '';
    if (!FORM_TYPES.test(type)) return undefined;
    const form = await req.form();
    const value = form.get(this.#formField);
    return typeof value === 'string' && value !== '' ? value : undefined;
  }
}

function isTls(req: Request): boolean {
  const socket = req.raw?.socket as { encrypted?: boolean } | undefined;
  return socket?.encrypted === true;
}
