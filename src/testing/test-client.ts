import { type CovetApp, type InjectResponse, kAcquire, kRelease } from '../app.js';
import { encodeCookieValue } from '../http/cookie.js';
import type { WebSocket } from '../http/websocket/websocket.js';
import { WebSocketHandshakeError } from '../http/websocket/websocket-handshake-error.js';
import type { HeadersInit } from '../client/client-types.js';
import type { ClientHandshakeOptions } from '../http/websocket/client-handshake.js';
import { CookieJar, type CookieTarget } from './cookie-jar.js';

// Node 20 has no Symbol.asyncDispose; use the same well-known fallback as TypeScript's and
// esbuild's helpers so `await using client = new TestClient(app)` works there.
(Symbol as { asyncDispose?: symbol }).asyncDispose ??= Symbol.for('Symbol.asyncDispose');

/** A file for `files: { field: {...} }` (sent as multipart/form-data). */
export interface TestFile {
  readonly filename: string;
  readonly content: string | Uint8Array;
  readonly contentType?: string;
}

/** Options of one test request. */
export interface TestRequestOptions {
  /** Sent as `application/json`. */
  readonly json?: unknown;
  /** Sent as `application/x-www-form-urlencoded` (or with `files`, as multipart). */
  readonly form?: Readonly<Record<string, string | number | boolean | readonly (string | number | boolean)[]>>;
  readonly files?: Readonly<Record<string, TestFile>>;
  /** A raw body. */
  readonly content?: string | Uint8Array;
  /** Request headers, in any form `fetch` takes: a record, a `Headers` or `[name, value]` pairs. */
  readonly headers?: HeadersInit;
  readonly query?: Readonly<Record<string, string | number | boolean | readonly (string | number | boolean)[]>>;
  /** Cookies for this request, on top of the jar (values are percent-encoded where they need it, as a browser app would). */
  readonly cookies?: Readonly<Record<string, string>>;
}

/** Options of `websocketConnect`: headers, `subprotocols`, `compression`, `query`, `cookies`. */
export interface WebSocketConnectOptions extends Omit<ClientHandshakeOptions, 'headers'> {
  /** Handshake headers, in any form `fetch` takes (`authorization`, `cookie`, `origin`…). */
  readonly headers?: HeadersInit;
  readonly query?: TestRequestOptions['query'];
  /** Cookies for this connection, on top of the jar. */
  readonly cookies?: Readonly<Record<string, string>>;
}

/**
 * A response seen by the test client: `status`/`statusCode`, `headers` (a `Headers`),
 * `text`, `body` (bytes) and `json()`.
 */
export class TestResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Buffer;
  #text: string | null = null;

  constructor(res: InjectResponse) {
    this.status = res.status;
    this.headers = res.headers;
    this.body = res.body;
  }

  get statusCode(): number {
    return this.status;
  }

  get text(): string {
    return (this.#text ??= this.body.toString('utf8'));
  }

  /** The body parsed as JSON (throws with the body in the message when it is not JSON). */
  json<T = unknown>(): T {
    try {
      return JSON.parse(this.text) as T;
    } catch {
      throw new SyntaxError(`Response body is not JSON (status ${this.status}): ${this.text.slice(0, 200)}`);
    }
  }

  /** True for 2xx. */
  get ok(): boolean {
    return this.status >= 200 && this.status < 300;
  }
}

type Scalar = string | number | boolean;

/**
 * The given request headers as a record with lower-case names. Pairs repeating a name are joined
 * with `, `, as `fetch` does; a record is taken as is (no validation, so a test can send values a
 * `Headers` would refuse).
 */
function headerRecord(init: HeadersInit | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (init === undefined) return out;
  if (init instanceof Headers || Array.isArray(init)) {
    for (const [k, v] of init as Iterable<readonly [string, string]>) {
      const name = k.toLowerCase();
      out[name] = out[name] === undefined ? v : `${out[name]}, ${v}`;
    }
    return out;
  }
  for (const [k, v] of Object.entries(init) as [string, string | readonly string[]][]) {
    out[k.toLowerCase()] = typeof v === 'string' ? v : v.join(', ');
  }
  return out;
}

/** Options of `new TestClient(app, options)`. */
export interface TestClientOptions {
  /**
   * Where relative paths go, as Starlette's `base_url`: its host is the `Host` header and its
   * scheme decides whether `Secure` cookies are sent. Default `http://testserver`.
   */
  readonly baseUrl?: string;
}

// What `fetch` (the WHATWG URL parser) percent-encodes in a path and in a query of an http(s)
// URL, besides controls and non-ASCII. Nothing else is touched: `%` escapes, `..` and `\` reach
// the app as given, as a raw HTTP client can send them.
// The URL standard added `^` to the path's set in 2024: Node 24's parser encodes it, Node 20's
// and 22's do not — follow the parser of the Node this runs on, as its `fetch` does.
const CARET_IN_PATH = new URL('http://x/^').pathname === '/%5E';
const PATH_UNSAFE = CARET_IN_PATH
  ? // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it encodes
    /[\u0000-\u0020"<>`{}^\u007f-\u{10ffff}]/gu
  : // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it encodes
    /[\u0000-\u0020"<>`{}\u007f-\u{10ffff}]/gu;
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it encodes
const QUERY_UNSAFE = /[\u0000-\u0020"'<>\u007f-\u{10ffff}]/gu;

/** Percent-encodes (as UTF-8) what a real client could not send raw in a request target. */
function encodeUnsafe(part: string, unsafe: RegExp): string {
  return part.replace(unsafe, (ch) =>
    Array.from(Buffer.from(ch), (b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join(''),
  );
}

/**
 * The request target a real client would send for `path`: an absolute URL
 * (`http://testserver/users`, `ws://…`) gives its path and query, its host and its scheme, and
 * the fragment never leaves the client; a space, a quote or a non-ASCII character is
 * percent-encoded as `fetch` encodes it. Then `query` is appended.
 */
function requestTarget(path: string, query: TestRequestOptions['query']): { url: string; host: string | null; secure: boolean | null } {
  let url = path;
  let host: string | null = null;
  let secure: boolean | null = null;
  if (/^[a-z][a-z\d+.-]*:\/\//i.test(path)) {
    const parsed = new URL(path);
    url = parsed.pathname + parsed.search;
    host = parsed.host;
    secure = parsed.protocol === 'https:' || parsed.protocol === 'wss:';
  } else {
    const hash = url.indexOf('#');
    if (hash !== -1) url = url.slice(0, hash);
    const q = url.indexOf('?');
    url = q === -1 ? encodeUnsafe(url, PATH_UNSAFE) : `${encodeUnsafe(url.slice(0, q), PATH_UNSAFE)}?${encodeUnsafe(url.slice(q + 1), QUERY_UNSAFE)}`;
  }
  if (query !== undefined) {
    const params = new URLSearchParams();
    appendPairs(params, query);
    const qs = params.toString();
    if (qs) url += (url.includes('?') ? '&' : '?') + qs;
  }
  return { url, host, secure };
}

function appendPairs(params: URLSearchParams, values: Readonly<Record<string, Scalar | readonly Scalar[]>>): void {
  for (const [k, v] of Object.entries(values)) {
    if (Array.isArray(v)) for (const item of v) params.append(k, String(item));
    else params.append(k, String(v));
  }
}

function multipart(form: TestRequestOptions['form'], files: Readonly<Record<string, TestFile>>): { body: Buffer; type: string } {
  const boundary = `----covet${Math.random().toString(16).slice(2)}${Date.now().toString(16)}`;
  const parts: Buffer[] = [];
  const quote = (s: string): string => s.replace(/"/g, '%22').replace(/\r|\n/g, ' ');
  for (const [name, value] of Object.entries(form ?? {})) {
    for (const item of Array.isArray(value) ? value : [value]) {
      parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${quote(name)}"\r\n\r\n${String(item)}\r\n`));
    }
  }
  for (const [name, file] of Object.entries(files)) {
    parts.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="${quote(name)}"; filename="${quote(file.filename)}"\r\n` +
          `Content-Type: ${file.contentType ?? 'application/octet-stream'}\r\n\r\n`,
      ),
      typeof file.content === 'string' ? Buffer.from(file.content) : Buffer.from(file.content),
      Buffer.from('\r\n'),
    );
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(parts), type: `multipart/form-data; boundary=${boundary}` };
}

/**
 * Calls an app in-process — no socket — with a cookie jar. The first request (or `start()`)
 * runs the app's startup hooks; `close()` (or `await using`) runs its shutdown hooks.
 *
 * @example
 * await using client = new TestClient(app);
 * const res = await client.post('/login', { json: { username: 'test', password: 'test' } });
 * assert.equal(res.status, 200);
 */
export class TestClient {
  readonly app: CovetApp;
  /**
   * Cookies set by responses, sent with later requests as a browser would (host, `Path`,
   * `Secure`, expiry); also a `Map` of name → value.
   */
  readonly cookies = new CookieJar();
  readonly #host: string;
  readonly #secure: boolean;
  #started: Promise<void> | null = null;
  readonly #sockets = new Set<WebSocket<Record<string, never>>>();

  constructor(app: CovetApp, options: TestClientOptions = {}) {
    this.app = app;
    const base = new URL(options.baseUrl ?? 'http://testserver');
    this.#host = base.host;
    this.#secure = base.protocol === 'https:' || base.protocol === 'wss:';
  }

  /** Runs the app's startup hooks (unless the app is already running for another client or server). */
  start(): Promise<void> {
    if (this.#started === null) {
      const started = this.app[kAcquire]();
      this.#started = started;
      // A failed start (a startup hook threw) is tried again by the next request.
      started.catch(() => {
        if (this.#started === started) this.#started = null;
      });
    }
    return this.#started;
  }

  /**
   * Runs the app's shutdown hooks — unless another client (or the app's server) still uses the
   * app; then the last of them does. A client used again after `close()` starts the app again.
   */
  async close(): Promise<void> {
    await Promise.all([...this.#sockets].map((ws) => ws.close(1001).catch(() => {})));
    if (this.#started === null) return;
    this.#started = null;
    await this.app[kRelease]();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #method(method: string): (path: string, options?: TestRequestOptions) => Promise<TestResponse> {
    return (path, options) => this.request(method, path, options);
  }

  readonly get = this.#method('GET');
  readonly post = this.#method('POST');
  readonly put = this.#method('PUT');
  readonly patch = this.#method('PATCH');
  readonly delete = this.#method('DELETE');
  readonly options = this.#method('OPTIONS');
  readonly head = this.#method('HEAD');

  /** Any method. */
  async request(method: string, path: string, options: TestRequestOptions = {}): Promise<TestResponse> {
    await this.start();
    const { url, host, secure } = requestTarget(path, options.query);
    const headers: Record<string, string> = { host: host ?? this.#host, 'user-agent': 'covet-testclient' };
    Object.assign(headers, headerRecord(options.headers));
    let body: string | Uint8Array | null = null;
    if (options.json !== undefined) {
      body = JSON.stringify(options.json);
      headers['content-type'] ??= 'application/json';
    } else if (options.files !== undefined) {
      const mp = multipart(options.form, options.files);
      body = mp.body;
      headers['content-type'] ??= mp.type;
    } else if (options.form !== undefined) {
      const params = new URLSearchParams();
      appendPairs(params, options.form);
      body = params.toString();
      headers['content-type'] ??= 'application/x-www-form-urlencoded';
    } else if (options.content !== undefined) {
      body = options.content;
    }
    const target = this.#target(url, headers.host ?? this.#host, secure);
    this.#addCookies(headers, options.cookies, target);
    const res = new TestResponse(await this.app.inject({ method, url, headers, body }));
    this.cookies.receive(res.headers.getSetCookie(), target);
    return res;
  }

  /**
   * Opens a WebSocket to the app in-process (real frames over an in-memory pair): the same
   * routing, middleware and handshake as over a socket, and the same `WebSocket` API handlers
   * see. A refused upgrade rejects with `WebSocketHandshakeError` (`status`, `json()`…).
   *
   * @example
   * const ws = await client.websocketConnect('/ws');
   * await ws.sendText('hi'); assert.equal(await ws.receiveText(), 'User said: hi');
   */
  async websocketConnect(path: string, options: WebSocketConnectOptions = {}): Promise<WebSocket<Record<string, never>>> {
    await this.start();
    const headers: Record<string, string> = { 'user-agent': 'covet-testclient' };
    Object.assign(headers, headerRecord(options.headers));
    const { url, host, secure } = requestTarget(path, options.query);
    headers.host ??= host ?? this.#host;
    const target = this.#target(url, headers.host, secure);
    this.#addCookies(headers, options.cookies, target);
    let ws: WebSocket<Record<string, never>>;
    try {
      ws = await this.app.injectWebSocket({
        url,
        headers,
        ...(options.subprotocols === undefined ? {} : { subprotocols: options.subprotocols }),
        ...(options.compression === undefined ? {} : { compression: options.compression }),
      });
    } catch (err) {
      // A refused handshake is still an HTTP response: its cookies are kept, as a browser keeps them.
      if (err instanceof WebSocketHandshakeError) this.cookies.receive(err.headers.getSetCookie(), target);
      throw err;
    }
    this.cookies.receive(ws.responseHeaders?.getSetCookie() ?? [], target);
    this.#sockets.add(ws);
    void ws.closed.then(() => this.#sockets.delete(ws));
    return ws;
  }

  /** Whom the jar sees a request go to: its host, its path and whether it is `https:`. */
  #target(url: string, host: string, secure: boolean | null): CookieTarget {
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    return { host, path: path.startsWith('/') ? path : `/${path}`, secure: secure ?? this.#secure };
  }

  /** The jar's cookies for this request and the request's own (a `cookie` header given by hand wins). */
  #addCookies(headers: Record<string, string>, cookies: Readonly<Record<string, string>> | undefined, target: CookieTarget): void {
    const own = Object.entries(cookies ?? {}).map(([k, v]): [string, string] => [k, encodeCookieValue(v)]);
    const names = new Set(own.map(([k]) => k));
    const all = [...this.cookies.cookiesFor(target).filter(([k]) => !names.has(k)), ...own];
    if (all.length > 0 && headers.cookie === undefined) headers.cookie = all.map(([k, v]) => `${k}=${v}`).join('; ');
  }
}

/** The seed's name for the same client (every call is async in JavaScript anyway). */
export const AsyncTestClient = TestClient;
export type AsyncTestClient = TestClient;
