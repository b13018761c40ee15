import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { type Dependency, DependencyScope } from './depends.js';
import { CovetError, HTTPException } from './errors.js';
import {
  decodeUtf8,
  isJsonType,
  isWebStream,
  mediaType,
  parseJsonBody,
  payloadTooLarge,
  readNodeBody,
  readWebBody,
  unsupportedBodyEncoding,
  webBodyChunks,
} from './http/body.js';
import { parseCookies } from './http/cookie.js';
import { RequestHeaders } from './http/headers.js';
import { MULTIPART_DEFAULTS, type MultipartOptions, parseMultipart } from './http/multipart.js';
import { QueryParams } from './http/query-params.js';
import type { Session } from './http/session.js';
import type { CookieSigner } from './http/signed-cookie.js';
import { MultiDict, parseUrlEncoded } from './http/url-encoded.js';
import { kContextStore } from './internal/request-context.js';
import { displayPath } from './router/decode-path.js';
import { type StandardSchemaV1, validate, validateQuery } from './schema.js';
import type { RequestState, RouteMeta } from './types.js';

/** Marks a cached promise's rejection as handled; whoever awaits it still gets the error. */
const noop = (): void => {};

/** The parts of the request URL. */
export interface RequestURL {
  /** The percent-decoded path, without the query string. */
  readonly path: string;
  /** The raw query string, without `?` (empty when there is none). */
  readonly query: string;
  /** The request target exactly as received (`/path?query`). */
  readonly raw: string;
}

/** The route a request matched, for logs and metrics (use `path`, not the raw URL, as a label). */
export interface MatchedRoute {
  /** The path template, e.g. `/users/{id:int}`. */
  readonly path: string;
  readonly name: string | undefined;
  /** The route's `meta` option merged over its groups' (frozen; empty when none). */
  readonly meta: RouteMeta;
}

/** Where the request came from. */
export interface ClientAddress {
  readonly host: string;
  readonly port: number;
}

/** A form field value: a string, or an uploaded file (multipart). */
export type FormValue = string | UploadFileLike;

/** The shape of uploaded files in `req.form()` (the class is `UploadFile`). */
export interface UploadFileLike {
  readonly filename: string;
  readonly contentType: string;
  readonly size: number;
  read(): Promise<Buffer>;
  stream(): NodeJS.ReadableStream & AsyncIterable<Buffer>;
}

/** What `req.form()` resolves to: `get`, `getAll`, `has`, `entries`, `toObject`. */
export class RequestForm extends MultiDict<FormValue> {}

/** Internal request inputs; `Request` is built by the app, not by users. */
export interface RequestInit {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly params: unknown;
  readonly route: MatchedRoute | null;
  readonly bodyLimit: number;
  /**
   * A Node request to read the body from, the whole body (`inject()`), or a web stream
   * (`handle()`) read as the handler asks for it.
   */
  readonly source: BodySource;
  readonly response: ServerResponse | null;
  readonly client: ClientAddress | null;
  /** The route's `body` and `query` schemas, if any. */
  readonly schemas: RouteSchemas | null;
  /** Multipart limits (the route's, else the app's). */
  readonly multipart: MultipartOptions;
  /** The app's `dependencyOverrides`. */
  readonly overrides?: ReadonlyMap<unknown, unknown> | null;
}

/** Where a request body comes from. */
export type BodySource = IncomingMessage | Buffer | ReadableStream<Uint8Array> | null;

/** Schemas a route validates its input with. */
export interface RouteSchemas {
  readonly body?: StandardSchemaV1 | undefined;
  readonly query?: StandardSchemaV1 | undefined;
}

/** Symbols the app uses to drive a request; not part of the public API. */
export const kAbort = Symbol('covet.abort');
export const kScope = Symbol('covet.scope');
export const kBodyIncomplete = Symbol('covet.bodyIncomplete');

/**
 * The most unread body bytes a connection drops to stay open for the next request; past this
 * (as Go's server does at 256 KiB), it closes after the response instead.
 */
export const UNREAD_BODY_LIMIT = 256 * 1024;
export const kValidateInput = Symbol('covet.validateInput');
export const kCleanup = Symbol('covet.cleanup');
export const kPending = Symbol('covet.pending');
export const kSession = Symbol('covet.session');
export const kPrivate = Symbol('covet.private');

/**
 * An incoming request. Headers, query, cookies and bodies are parsed lazily, on first use,
 * and bodies are read once and cached.
 *
 * @example
 * app.post('/api/data', async (req) => ({ received: await req.json(), q: req.queryParams.get('q') }))
 */
export class Request<Params = Record<string, unknown>, Body = unknown, Query = Record<string, unknown>> {
  /** The HTTP method, upper-case. */
  readonly method: string;
  /** Path parameters, converted (`{id:int}` → number). */
  readonly params: Params;
  /** The route that matched, or `null` (404/405 responses). */
  readonly route: MatchedRoute | null;

  readonly #rawUrl: string;
  readonly #queryStart: number;
  readonly #rawHeaders: IncomingHttpHeaders;
  readonly #source: BodySource;
  readonly #response: ServerResponse | null;
  #client: ClientAddress | null;
  #bodyLimit: number;
  #bytes: Promise<Buffer> | null = null;
  #json: Promise<unknown> | null = null;
  #form: Promise<RequestForm> | null = null;
  #headers: RequestHeaders | null = null;
  #query: QueryParams | null = null;
  #cookies: Record<string, string> | null = null;
  #url: RequestURL | null = null;
  #path: string | null = null;
  #state: RequestState | null = null;
  #abort: AbortController | null = null;
  #scope: DependencyScope | null = null;
  readonly #overrides: ReadonlyMap<unknown, unknown> | null;
  #bodyIncomplete = false;
  readonly #schemas: RouteSchemas | null;
  readonly #multipart: MultipartOptions;
  readonly #cleanups: (() => unknown)[] = [];
  #streamed = false;
  #validQuery: Query | null = null;
  #session: Session | null = null;
  #private = false;
  /** @internal The observability store a request middleware opened for this request. */
  [kContextStore]: object | undefined = undefined;

  constructor(init: RequestInit) {
    this.method = init.method;
    this.params = init.params as Params;
    this.route = init.route;
    this.#rawUrl = init.url;
    this.#queryStart = init.url.indexOf('?');
    this.#rawHeaders = init.headers;
    this.#source = init.source;
    this.#response = init.response;
    this.#client = init.client;
    this.#bodyLimit = init.bodyLimit;
    this.#schemas = init.schemas;
    this.#multipart = init.multipart;
    this.#overrides = init.overrides ?? null;
  }

  /** The percent-decoded path, without the query string. */
  get path(): string {
    // Kept apart from `url`: logging and tracing read the path of every request, and a frozen
    // object per request cost more than the decoding.
    if (this.#path === null) {
      const q = this.#queryStart;
      const raw = this.#rawUrl;
      this.#path = displayPath(q === -1 ? raw : raw.slice(0, q));
    }
    return this.#path;
  }

  get url(): RequestURL {
    if (this.#url === null) {
      const q = this.#queryStart;
      const raw = this.#rawUrl;
      this.#url = Object.freeze({ path: this.path, query: q === -1 ? '' : raw.slice(q + 1), raw });
    }
    return this.#url;
  }

  /** Case-insensitive request headers: `req.headers.get('content-type')`. */
  get headers(): RequestHeaders {
    return (this.#headers ??= new RequestHeaders(this.#rawHeaders));
  }

  /** The parsed query string; a malformed one → 400 on first use. */
  get queryParams(): QueryParams {
    if (this.#query === null) {
      const q = this.#queryStart;
      this.#query = new QueryParams(q === -1 ? '' : this.#rawUrl.slice(q + 1));
    }
    return this.#query;
  }

  /**
   * The query as an object: validated by the route's `query` schema when it has one, else the
   * first value of each parameter (an object with no `Object.prototype` behind it; use
   * `queryParams` for more).
   */
  get query(): Query {
    return this.#validQuery ?? (this.queryParams.toObject() as Query);
  }

  /** The `Last-Event-ID` a reconnecting `EventSource` sends (see `sse()`), or `null`. */
  get lastEventId(): string | null {
    const value = this.#rawHeaders['last-event-id'];
    return typeof value === 'string' ? value : null;
  }

  /** Request cookies, a null-prototype record. */
  get cookies(): Record<string, string> {
    return (this.#cookies ??= parseCookies(this.#rawHeaders.cookie));
  }

  /**
   * A signed cookie's value (see `CookieSigner`), or `null` when the cookie is missing or its
   * signature does not verify with any of the signer's keys.
   */
  getSignedCookie(name: string, signer: CookieSigner): string | null {
    const raw = this.cookies[name];
    return raw === undefined ? null : signer.unsign(name, raw);
  }

  /** The session, when `SessionMiddleware` runs for this route (else reading it throws). */
  get session(): Session {
    if (this.#session === null)
      throw new Error('req.session is only available behind SessionMiddleware: add it to the app, group or route');
    return this.#session;
  }

  /** @internal Set by `SessionMiddleware`. */
  [kSession](session: Session): void {
    this.#session = session;
  }

  /**
   * @internal Whether the response depends on who asks — the session or a CSRF token was
   * read — so a shared cache must not keep it; `req[kPrivate](true)` marks it so.
   */
  [kPrivate](mark = false): boolean {
    if (mark) this.#private = true;
    return this.#private || ((this.#session as { readonly accessed?: boolean } | null)?.accessed ?? false);
  }

  /** The peer address (the TCP peer: apply proxy rules yourself or with the security module). */
  get client(): ClientAddress {
    if (this.#client === null) {
      const socket = (this.#source as IncomingMessage | null)?.socket;
      this.#client = { host: socket?.remoteAddress ?? '', port: socket?.remotePort ?? 0 };
    }
    return this.#client;
  }

  /** Per-request data for middleware and handlers (augment `RequestState` to type it). */
  get state(): RequestState {
    return (this.#state ??= {});
  }

  /**
   * Aborted when the client goes away or the route's `timeout` passes; hand it to `fetch`,
   * database drivers or your own loops.
   */
  get signal(): AbortSignal {
    if (this.#abort === null) {
      const controller = new AbortController();
      this.#abort = controller;
      const res = this.#response;
      // `writableEnded` too: an HTTP/2 response reports `writableFinished` once its stream is
      // closed, even when the client reset the stream before the response ended.
      const finished = (): boolean => res === null || (res.writableEnded && res.writableFinished);
      if (res !== null && !finished()) {
        const gone = (): void => controller.abort(new Error('The client closed the connection'));
        // The client may have left before anyone asked for the signal: then 'close' is past.
        if (res.destroyed || res.socket === null || res.socket.destroyed || (res as { closed?: boolean }).closed === true) gone();
        else {
          res.once('close', () => {
            if (!finished()) gone();
          });
        }
      }
    }
    return this.#abort.signal;
  }

  /** The largest body this request may send, in bytes (the route's or the app's limit). */
  get bodyLimit(): number {
    return this.#bodyLimit;
  }

  /** The raw Node request when served over a socket; `null` in-process. */
  get raw(): IncomingMessage | null {
    const s = this.#source;
    return s === null || Buffer.isBuffer(s) || isWebStream(s) ? null : s;
  }

  /** The whole body as bytes (read once, cached). Over the limit → 413. */
  body(): Promise<Buffer> {
    if (this.#bytes === null) {
      if (this.#streamed) return Promise.reject(this.#consumed());
      const s = this.#source;
      if (s === null) this.#bytes = Promise.resolve(Buffer.alloc(0));
      else if (Buffer.isBuffer(s)) {
        this.#bytes = s.length > this.#bodyLimit ? Promise.reject(payloadTooLarge(this.#bodyLimit)) : Promise.resolve(s);
        this.#bytes.catch(noop);
      } else if (isWebStream(s)) {
        this.#bytes = readWebBody(s, this.#rawHeaders['content-length'], this.#bodyLimit);
        this.#bytes.catch(noop);
      } else {
        this.#bytes = readNodeBody(s, this.#bodyLimit);
        this.#bytes.catch(() => {
          this.#bodyIncomplete = true;
        });
      }
    }
    return this.#bytes;
  }

  /**
   * The body as a stream of chunks, without buffering it — for large uploads and proxies.
   * The body limit still applies: past it the iteration throws a 413 `HTTPException`. A body
   * already read by `body()`, `text()`, `json()` or an urlencoded `form()` (a middleware's,
   * say) is yielded from that copy. A body can be streamed only once: a second `stream()`, or
   * `body()` after it, throws a `CovetError` with code `ERR_BODY_CONSUMED` (a 500).
   *
   * @example
   * for await (const chunk of req.stream()) hash.update(chunk)
   */
  async *stream(): AsyncGenerator<Buffer, void, undefined> {
    if (this.#bytes !== null) {
      const bytes = await this.#bytes;
      if (bytes.length > 0) yield bytes;
      return;
    }
    if (this.#streamed) throw this.#consumed();
    this.#streamed = true;
    const s = this.#source;
    if (s === null) return;
    const limit = this.#bodyLimit;
    if (Buffer.isBuffer(s)) {
      if (s.length > limit) throw payloadTooLarge(limit);
      if (s.length > 0) yield s;
      return;
    }
    if (isWebStream(s)) {
      yield* webBodyChunks(s, this.#rawHeaders['content-length'], limit);
      return;
    }
    const declared = s.headers['content-length'];
    if (declared !== undefined && Number(declared) > limit) {
      this.#bodyIncomplete = true;
      throw payloadTooLarge(limit);
    }
    let size = 0;
    try {
      for await (const chunk of s as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > limit) throw payloadTooLarge(limit);
        yield chunk;
      }
    } catch (err) {
      this.#bodyIncomplete = true;
      if (err instanceof HTTPException) throw err;
      throw new HTTPException(400, 'Request body could not be read', { code: 'ERR_BODY_READ', cause: err });
    }
    if (!s.complete) {
      this.#bodyIncomplete = true;
      throw new HTTPException(400, 'Request body could not be read', { code: 'ERR_BODY_READ' });
    }
  }

  /** Why the body cannot be read again: `stream()` (or a multipart `form()`, which streams it) took it. */
  #consumed(): CovetError {
    const multipart = this.#form !== null && mediaType(this.#rawHeaders['content-type']) === 'multipart/form-data';
    return new CovetError(
      multipart
        ? 'The request body was already parsed by req.form() as multipart (files are streamed, the raw bytes are not kept): use req.form()'
        : 'The request body was already consumed by req.stream(); read it once, with stream() or with body()/text()/json()/form()',
      { code: 'ERR_BODY_CONSUMED' },
    );
  }

  /** The body decoded as UTF-8 (a leading byte order mark dropped, as the Fetch API's `text()` does). */
  async text(): Promise<string> {
    const encoded = unsupportedBodyEncoding(this.#rawHeaders['content-encoding']);
    if (encoded !== null) throw encoded;
    return decodeUtf8(await this.body());
  }

  /**
   * The body parsed as JSON. A `Content-Type` other than JSON → 415; malformed → 400;
   * `__proto__` keys are dropped. No `Content-Type` at all is read as JSON.
   */
  json<T = Body>(): Promise<T> {
    if (this.#json === null) {
      const type = mediaType(this.#rawHeaders['content-type']);
      if (type !== '' && !isJsonType(type)) {
        this.#json = Promise.reject(
          new HTTPException(415, `Unsupported Media Type: expected application/json, got ${type}`, { code: 'ERR_UNSUPPORTED_MEDIA_TYPE' }),
        );
      } else {
        const schema = this.#schemas?.body;
        const parsed = this.text().then(parseJsonBody);
        this.#json = schema === undefined ? parsed : parsed.then((value) => validate(schema, value, 'body'));
      }
      // Cached, and awaited by the handler maybe only after its other awaits: a failure must not
      // count as unhandled meanwhile (Node ends the process on one). Awaiting it still throws.
      this.#json.catch(noop);
    }
    return this.#json as Promise<T>;
  }

  /** The body as form fields: urlencoded or multipart; an empty form for any other content type. */
  form(): Promise<RequestForm> {
    if (this.#form === null) {
      const header = this.#rawHeaders['content-type'] ?? '';
      const type = mediaType(header);
      if (type === 'application/x-www-form-urlencoded' || type === '') {
        this.#form = this.text().then((text) => new RequestForm(parseUrlEncoded(text, 'form body')));
      } else if (type === 'multipart/form-data') {
        const encoded = unsupportedBodyEncoding(this.#rawHeaders['content-encoding']);
        if (encoded !== null) this.#form = Promise.reject(encoded);
        else {
          // Multipart bodies are streamed, not buffered: their limit is maxTotalSize, not bodyLimit.
          this.#bodyLimit = this.#multipart.maxTotalSize ?? MULTIPART_DEFAULTS.maxTotalSize;
          this.#form = parseMultipart(this as unknown as Request, header, this.#multipart, (fn) => this.#cleanups.push(fn));
        }
      } else {
        // Another content type has no form fields (as in Starlette): a handler may try `json()`,
        // `form()` and `body()` in turn, as the seed's request-body example does.
        this.#form = Promise.resolve(new RequestForm());
      }
      this.#form.catch(noop);
    }
    return this.#form;
  }

  /**
   * Resolves a dependency with this request's cache — the same resolver handlers use, for
   * middleware and anything else holding the request.
   */
  resolve<T>(dep: Dependency<T>): Promise<T> {
    return (this.#scope ??= new DependencyScope(this.#overrides)).resolve(this as unknown as Request, dep);
  }

  /** @internal The dependency scope, created on demand. */
  [kScope](create: boolean): DependencyScope | null {
    if (create) this.#scope ??= new DependencyScope(this.#overrides);
    return this.#scope;
  }

  /** @internal Fires `signal` (timeouts, shutdown). */
  [kAbort](reason: unknown): void {
    if (this.#abort === null) this.#abort = new AbortController();
    if (!this.#abort.signal.aborted) this.#abort.abort(reason);
  }

  /** @internal Validates query and body against the route's schemas, before the handler runs. */
  async [kValidateInput](): Promise<void> {
    const schemas = this.#schemas;
    if (schemas === null) return;
    if (schemas.query !== undefined) this.#validQuery = (await validateQuery(schemas.query, this.queryParams)) as Query;
    if (schemas.body !== undefined) await this.json();
  }

  /** @internal Whether anything waits for the end of the response (deps cleanup, temp files). */
  get [kPending](): boolean {
    return this.#scope !== null || this.#cleanups.length > 0;
  }

  /** @internal Runs what must happen after the response (temp files of uploads…). */
  async [kCleanup](onError: (err: unknown) => void): Promise<void> {
    for (const fn of this.#cleanups.splice(0)) {
      try {
        await fn();
      } catch (err) {
        onError(err);
      }
    }
  }

  /**
   * @internal Whether the connection must close after the response because of the body: reading
   * it stopped early, or the app never read it and more than `UNREAD_BODY_LIMIT` bytes (or a
   * chunked body of unknown size) are still to come. Node would otherwise read and drop all of
   * it to keep the connection — a client could make the server swallow gigabytes.
   */
  get [kBodyIncomplete](): boolean {
    if (this.#bodyIncomplete) return true;
    if (this.#bytes !== null || this.#streamed) return false;
    const s = this.#source;
    if (s === null || Buffer.isBuffer(s) || isWebStream(s) || s.complete) return false;
    const headers = s.headers;
    const length = headers['content-length'];
    if (length !== undefined) return Number(length) > UNREAD_BODY_LIMIT;
    return headers['transfer-encoding'] !== undefined;
  }
}
