import { CovetError, HTTPException } from '../errors.js';
import type { Request } from '../request.js';
import { Response } from '../response.js';
import type { CallNext, MiddlewareObject } from '../types.js';
import { isSameHost, isWebSocketHandshake } from './request-origin.js';

/** An allowed origin: exact (`https://app.example.com`), a wildcard pattern (`https://*.example.com`), or a RegExp. */
export type OriginRule = string | RegExp;

/** Options of `CORSMiddleware` (the seed's `allow_origins=…` in camelCase). */
export interface CORSOptions {
  /**
   * Origins allowed to read responses: `"*"` for any (not with credentials), a list of exact
   * origins, wildcard patterns (`https://*.example.com` matches any subdomain) and RegExps
   * (tested against the whole `Origin` value), or a function. Default: none.
   */
  readonly allowOrigins?: '*' | readonly OriginRule[] | ((origin: string) => boolean);
  /** Methods allowed in preflights. Default `GET, HEAD, POST, PUT, PATCH, DELETE`. */
  readonly allowMethods?: readonly string[];
  /** Request headers allowed in preflights; `["*"]` allows what is asked. Default: what the preflight asks for. */
  readonly allowHeaders?: readonly string[];
  /** Response headers scripts may read (`Access-Control-Expose-Headers`). Default none. */
  readonly exposeHeaders?: readonly string[];
  /** Allow cookies and `Authorization` (`Access-Control-Allow-Credentials: true`). Default `false`. */
  readonly allowCredentials?: boolean;
  /** Seconds a browser may cache a preflight (`Access-Control-Max-Age`). Default 600. */
  readonly maxAge?: number;
  /** Answer `Access-Control-Request-Private-Network` preflights with `Allow-Private-Network: true`. Default `false`. */
  readonly allowPrivateNetwork?: boolean;
  /**
   * Refuse WebSocket handshakes from other origins. Browsers apply no CORS to WebSockets: a
   * page on any site can open one to the app, with the app's cookies. With this on, a
   * handshake (`GET` with `Upgrade: websocket`) whose `Origin` is neither the app's own
   * (same host:port as `Host`; the scheme is not compared) nor allowed by `allowOrigins` is
   * refused with 403 `WebSocket origin not allowed` (`ERR_WEBSOCKET_ORIGIN`); `Origin: null`
   * is refused unless `allowOrigins` is `"*"`. Handshakes without `Origin` (clients other than
   * browsers) pass. Default `true`.
   */
  readonly websocketOrigins?: boolean;
}

const CORS_DEFAULTS = {
  allowMethods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
  exposeHeaders: [] as readonly string[],
  allowCredentials: false,
  maxAge: 600,
  allowPrivateNetwork: false,
  websocketOrigins: true,
} as const;

// Origins are `scheme://host[:port]`; anything longer is not an origin a browser sends.
const MAX_ORIGIN = 2048;

const LABEL_CHAR = /^[a-z0-9-]$/;

/**
 * `https://*.example.com` → a matcher where each `*` stands for one or more DNS labels
 * (`a`, `a.b`: letters, digits and `-`, separated by single dots), the rest literal, case
 * ignored. It runs the pattern as a state machine over the origin — time linear in the
 * origin's length for any pattern — where the equivalent RegExp backtracks: with a few `*`s
 * (`https://*-*-*.example.com`) a long made-up `Origin` took it seconds per request.
 */
function wildcardMatcher(pattern: string): (origin: string) => boolean {
  const tokens = [...pattern.toLowerCase()];
  const k = tokens.length;
  // at[j]: the first j tokens are matched; label[j] / dot[j]: inside the `*` at j, the last
  // character being a label character / a dot. Two generations, swapped per character; made
  // once per pattern (a match runs to its end synchronously), cleared per origin.
  let at = new Uint8Array(k + 1);
  let label = new Uint8Array(k);
  let dot = new Uint8Array(k);
  let nextAt = new Uint8Array(k + 1);
  let nextLabel = new Uint8Array(k);
  let nextDot = new Uint8Array(k);
  return (origin) => {
    at.fill(0);
    label.fill(0);
    dot.fill(0);
    at[0] = 1;
    for (const c of origin.toLowerCase()) {
      const isLabel = LABEL_CHAR.test(c);
      nextAt.fill(0);
      nextLabel.fill(0);
      nextDot.fill(0);
      let alive = false;
      for (let j = 0; j < k; j++) {
        if (at[j] === 1) {
          const t = tokens[j];
          if (t === '*') {
            if (isLabel) nextLabel[j] = 1;
          } else if (t === c) nextAt[j + 1] = 1;
        }
        if (label[j] === 1) {
          if (isLabel) nextLabel[j] = 1;
          else if (c === '.') nextDot[j] = 1;
        }
        if (dot[j] === 1 && isLabel) nextLabel[j] = 1;
      }
      for (let j = 0; j < k; j++) {
        // A `*` may end after a label character.
        if (nextLabel[j] === 1) nextAt[j + 1] = 1;
        if (nextAt[j] === 1 || nextLabel[j] === 1 || nextDot[j] === 1) alive = true;
      }
      if (!alive && nextAt[k] === 0) return false;
      [at, nextAt] = [nextAt, at];
      [label, nextLabel] = [nextLabel, label];
      [dot, nextDot] = [nextDot, dot];
    }
    return at[k] === 1;
  };
}

function originMatcher(rule: CORSOptions['allowOrigins']): ((origin: string) => boolean) | '*' {
  if (rule === undefined) return () => false;
  if (rule === '*') return '*';
  if (typeof rule === 'function') return rule;
  const exact = new Set<string>();
  const patterns: RegExp[] = [];
  const wildcards: ((origin: string) => boolean)[] = [];
  for (const entry of rule) {
    if (entry === '*') throw new CovetError('Use allowOrigins: "*" (not inside a list) to allow any origin', { code: 'ERR_CORS_OPTIONS' });
    if (entry instanceof RegExp) patterns.push(new RegExp(entry.source, entry.flags.replace(/[gy]/g, '')));
    else if (entry.includes('*')) wildcards.push(wildcardMatcher(entry));
    else exact.add(entry.toLowerCase().replace(/\/$/, ''));
  }
  return (origin) => exact.has(origin.toLowerCase()) || wildcards.some((match) => match(origin)) || patterns.some((re) => re.test(origin));
}

function refuseWebSocket(): HTTPException {
  return new HTTPException(403, 'WebSocket origin not allowed', { code: 'ERR_WEBSOCKET_ORIGIN' });
}

function appendVary(res: Response, value: string): void {
  const current = res.headers.get('vary');
  if (current === null) res.headers.set('vary', value);
  else if (current.trim() !== '*' && !current.toLowerCase().split(/\s*,\s*/).includes(value.toLowerCase())) res.headers.set('vary', `${current}, ${value}`);
}

// A header-name token (RFC 9110); a preflight asking for anything else is not reflected.
const HEADER_LIST = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+(?:\s*,\s*[!#$%&'*+\-.^_`|~0-9A-Za-z]+)*$/;

/**
 * Cross-Origin Resource Sharing. Allowed origins get `Access-Control-Allow-Origin` (and
 * credentials, exposed headers); preflights (`OPTIONS` with `Access-Control-Request-Method`)
 * from them are answered with 204 and `Access-Control-Max-Age`, whatever methods the route
 * defines. Disallowed origins get no CORS headers at all (their preflights fall through to
 * the app). Responses that depend on the origin carry `Vary: Origin`. Add it app-wide so it
 * sees preflights for every path. WebSocket handshakes from origins that are neither the app's
 * own nor allowed are refused with 403 `ERR_WEBSOCKET_ORIGIN` (see `websocketOrigins`); the
 * others pass through untouched.
 *
 * @example
 * app.addMiddleware(new CORSMiddleware({ allowOrigins: ['https://myapp.com'], allowMethods: ['GET', 'POST'], allowHeaders: ['Content-Type', 'Authorization'], allowCredentials: true, maxAge: 86400 }));
 */
export class CORSMiddleware implements MiddlewareObject {
  readonly #allow: ((origin: string) => boolean) | '*';
  readonly #credentials: boolean;
  readonly #methods: string;
  readonly #headers: string | null;
  readonly #reflectHeaders: boolean;
  readonly #expose: string | null;
  readonly #maxAge: string;
  readonly #privateNetwork: boolean;
  readonly #websocketOrigins: boolean;

  constructor(options: CORSOptions = {}) {
    const opts = { ...CORS_DEFAULTS, ...options };
    this.#allow = originMatcher(opts.allowOrigins);
    this.#credentials = opts.allowCredentials;
    if (this.#allow === '*' && this.#credentials) {
      // Browsers refuse `*` with credentials; reflecting every origin instead would let any
      // site read authenticated responses. List the origins.
      throw new CovetError('allowCredentials cannot be used with allowOrigins "*": list the allowed origins', { code: 'ERR_CORS_OPTIONS' });
    }
    if (!Number.isInteger(opts.maxAge) || opts.maxAge < 0) throw new CovetError('maxAge must be a non-negative integer of seconds', { code: 'ERR_CORS_OPTIONS' });
    const methods = opts.allowMethods.map((m) => m.toUpperCase());
    this.#methods = methods.includes('*') && this.#credentials ? CORS_DEFAULTS.allowMethods.join(', ') : methods.join(', ');
    const headers = opts.allowHeaders;
    // With credentials a literal `*` is not a wildcard for browsers: reflect instead.
    this.#reflectHeaders = headers === undefined || (headers.includes('*') && this.#credentials);
    this.#headers = this.#reflectHeaders ? null : headers === undefined ? null : headers.join(', ');
    this.#expose = opts.exposeHeaders.length === 0 ? null : opts.exposeHeaders.join(', ');
    this.#maxAge = String(opts.maxAge);
    this.#privateNetwork = opts.allowPrivateNetwork;
    this.#websocketOrigins = opts.websocketOrigins;
  }

  /** Whether `origin` may read responses. */
  isAllowed(origin: string): boolean {
    if (origin.length > MAX_ORIGIN) return false;
    return this.#allow === '*' || this.#allow(origin);
  }

  async handle(req: Request, callNext: CallNext): Promise<Response> {
    const origin = req.headers.get('origin');
    // A 101 needs no CORS headers; the browser only lets the handshake through or not.
    if (isWebSocketHandshake(req)) {
      if (this.#websocketOrigins && origin !== null && !this.#websocketAllowed(origin, req)) throw refuseWebSocket();
      return callNext();
    }
    const varies = this.#allow !== '*';
    if (origin === null || !this.isAllowed(origin)) {
      const res = await callNext();
      if (varies) appendVary(res, 'Origin');
      return res;
    }
    const allowOrigin = varies ? origin : '*';
    if (req.method === 'OPTIONS' && req.headers.has('access-control-request-method')) return this.#preflight(req, allowOrigin);
    const res = await callNext();
    res.headers.set('access-control-allow-origin', allowOrigin);
    if (this.#credentials) res.headers.set('access-control-allow-credentials', 'true');
    if (this.#expose !== null) res.headers.set('access-control-expose-headers', this.#expose);
    if (varies) appendVary(res, 'Origin');
    return res;
  }

  /** A handshake's `Origin` is the app's own (host:port of `Host`) or allowed; `null` only with `"*"`. */
  #websocketAllowed(origin: string, req: Request): boolean {
    if (this.#allow === '*') return true;
    if (origin === 'null' || origin.length > MAX_ORIGIN) return false;
    return isSameHost(origin, req.headers.get('host')) || this.#allow(origin);
  }

  #preflight(req: Request, allowOrigin: string): Response {
    const res = new Response(null, { status: 204 });
    res.headers.set('access-control-allow-origin', allowOrigin);
    res.headers.set('access-control-allow-methods', this.#methods);
    const requested = req.headers.get('access-control-request-headers');
    if (this.#reflectHeaders) {
      if (requested !== null && requested.length <= 4096 && HEADER_LIST.test(requested.trim())) res.headers.set('access-control-allow-headers', requested.trim());
      appendVary(res, 'Access-Control-Request-Headers');
    } else if (this.#headers !== null && this.#headers !== '') {
      res.headers.set('access-control-allow-headers', this.#headers);
    }
    if (this.#credentials) res.headers.set('access-control-allow-credentials', 'true');
    if (this.#privateNetwork && req.headers.get('access-control-request-private-network') === 'true') {
      res.headers.set('access-control-allow-private-network', 'true');
    }
    res.headers.set('access-control-max-age', this.#maxAge);
    if (allowOrigin !== '*') appendVary(res, 'Origin');
    return res;
  }
}
