import { channel } from 'node:diagnostics_channel';
import type { IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Http2SecureServer, Http2Server } from 'node:http2';
import type { Server as HttpsServer } from 'node:https';
import type { Duplex } from 'node:stream';
import { compose, respondWith } from './compose.js';
import { Config } from './config.js';
import type { DependencyOverrides, DependencyScope } from './depends.js';
import { HTTPException } from './errors.js';
import { DEFAULT_BODY_LIMIT } from './http/body.js';
import type { MultipartOptions } from './http/multipart.js';
import { createStaticHandler, type StaticOptions } from './http/static.js';
import { ClientClosedError, collectBody, isJsonModel, isJsonObject, isStreamBody, iteratorOf, noBodyStatus, startStream, toResponse, writeJson, writeResponse } from './http/send.js';
import { createHttp2Server } from './http/http2-server.js';
import { isEventStream } from './http/sse.js';
import { SERVER_DEFAULTS, type ServerOptions, bind, createHttpServer, drain, lingerAfterResponse, refuseBadHost, refuseBadUpgradeHost, refuseTransferCoding, supportsReusePort } from './http/server.js';
import type { TLSOptions } from './http/tls.js';
import { type Plugin, pluginKey } from './plugin.js';
import { kAbort, kBodyIncomplete, kCleanup, kPending, kScope, kValidateInput, type MatchedRoute, Request, type RouteSchemas } from './request.js';
import { type BodyChunk, json, redirect, Response } from './response.js';
import { type CollectionEntry, type RouteDefinition, RouteGroup, assertMiddleware, joinPath, routeTableVersion } from './route-group.js';
import { decodeRoutingPath } from './router/decode-path.js';
import { Router } from './router/router.js';
import { buildOpenAPIDocument, type DocumentedRoute } from './openapi/build-document.js';
import { oauth2Schemes } from './openapi/oauth2-schemes.js';
import { docsPage, relativeUrl } from './openapi/docs-page.js';
import { cliLoading, noteSkippedApp } from './internal/cli-loading.js';
import { type HandlerGuard, unwrapGuards } from './internal/handler-guard.js';
import { MAX_TIMER_MS } from './internal/with-deadline.js';
import { annotateOpenAPI } from './internal/openapi-meta.js';
import { compileResponder, setRouteResponder } from './openapi/route-responder.js';
import type { DocsOptions, OpenAPIDocument, OpenAPIOptions } from './openapi/openapi-types.js';
import type { DepsMap, Middleware, PrefixRoutes, RouteMeta, RoutesOf } from './types.js';
import { isWebSocketUpgrade } from './http/websocket/handshake.js';
import type { WebSocket } from './http/websocket/websocket.js';
import { type InjectWebSocketOptions, WebSocketRegistry } from './http/websocket/websocket-registry.js';
import { type CompiledWebSocketRoute, compileWebSocketRoute } from './http/websocket/websocket-session.js';
import { originForm } from './http/request-target.js';
import type { ConsoleOptions } from './console/console-options.js';
import { installConsole } from './console/install-console.js';

/** @internal `app[kAcquire]()` / `app[kRelease]()`: start and stop the app on behalf of one of several users. */
export const kAcquire: unique symbol = Symbol('covet.app.acquire');
/** @internal See `kAcquire`. */
export const kRelease: unique symbol = Symbol('covet.app.release');
/**
 * @internal `app[kShutdownTimeout]`: the longest its `close()` takes (`server.shutdownDelay` plus
 * `server.shutdownTimeout`), for `covet run`'s primary. A registered symbol, so that a CLI from another copy of the package reads it too.
 */
export const kShutdownTimeout: unique symbol = Symbol.for('covet.app.shutdownTimeout');
/** @internal `app[kMountedApps]`: the apps `mount()` serves under this one, in order. */
export const kMountedApps: unique symbol = Symbol('covet.app.mountedApps');

/** Where Covet writes what it must tell the operator (unhandled errors, startup lines). */
export interface Logger {
  info(message: string, meta?: Record<string, unknown>): void;
  error(message: string, meta?: Record<string, unknown>): void;
}

/** Constructor options of `CovetApp`. */
export interface CovetAppOptions {
  /** Application settings (`app.config`). */
  readonly config?: Config | Readonly<Record<string, unknown>>;
  /** Show error details and stack traces in 500 responses. Default `false`; never in production. */
  readonly debug?: boolean;
  /** App-wide middleware, in order (same as calling `addMiddleware` for each). */
  readonly middleware?: readonly Middleware[];
  /**
   * Security settings (`SecurityConfig` from `covet/security`), kept as `app.securityConfig`.
   * One with an `apply(app)` method is applied here, before `middleware`, so its headers, CORS
   * and CSRF run outermost; applying it again later adds nothing. Other objects are only kept.
   */
  readonly securityConfig?: object;
  /** Largest request body in bytes. Default 1 MiB; routes may set their own. */
  readonly bodyLimit?: number;
  /** Limits of multipart uploads (`req.form()`); routes may set their own. */
  readonly multipart?: MultipartOptions;
  /**
   * Answer a `GET`/`HEAD` miss with a 308 redirect when the path with (or without) a trailing
   * slash has a route, as FastAPI does. Default `true`.
   */
  readonly redirectSlashes?: boolean;
  /** Socket limits, timeouts and the shutdown deadline. */
  readonly server?: ServerOptions;
  /** Default: `console`. */
  readonly logger?: Logger;
}

/** Where to listen. */
export interface ListenOptions extends Partial<TLSOptions> {
  /** Default `127.0.0.1`. */
  readonly host?: string;
  /** Default 8000; `0` picks a free port. */
  readonly port?: number;
  /**
   * Serve HTTP/2: over TLS when `key` and `cert` are given (clients without `h2` in ALPN get
   * HTTP/1.1 on the same port), else cleartext HTTP/2 with prior knowledge (`h2c`).
   * Without `http2`, `key`/`cert` give HTTPS over HTTP/1.1.
   */
  readonly http2?: boolean;
  /**
   * Let several processes listen on this port, the kernel spreading new connections evenly
   * between them (`SO_REUSEPORT`; Linux and some BSDs, Node 22.12+ or 23.1+). `covet run
   * --workers N --reuse-port` uses it so that each worker accepts its own connections instead
   * of receiving them from the cluster primary. Default `false`.
   */
  readonly reusePort?: boolean;
}

/** `listen`'s `reusePort`, checked against what this Node can do. */
function reusePortOption(reusePort: boolean | undefined): boolean {
  if (reusePort !== true) return false;
  if (!supportsReusePort()) throw new RangeError(`reusePort needs Node 22.12 or later (this is Node ${process.versions.node})`);
  return true;
}

/** The Node server behind a listening app. */
export type NodeServer = Server | HttpsServer | Http2Server | Http2SecureServer;

/** What `listen` resolves to. */
export interface ListenInfo {
  readonly host: string;
  readonly port: number;
  readonly url: string;
}

/** A request for in-process dispatch (`app.inject`), as the test client sends it. */
export interface InjectOptions {
  readonly method?: string;
  /** Path and query, e.g. `/users?limit=10`. */
  readonly url: string;
  readonly headers?: Readonly<Record<string, string | readonly string[]>>;
  readonly body?: string | Uint8Array | null;
  readonly remoteAddress?: string;
}

/** The result of `app.inject`: status, headers and the whole body. */
export interface InjectResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Buffer;
}

/** Whether `db` is a `DatabaseManager` on an in-memory SQLite database (its data lives in the connection). */
function isInMemorySqlite(db: ManagedDatabase): boolean {
  const config = (db as { config?: { driver?: unknown; database?: unknown } }).config;
  return config?.driver === 'sqlite' && config.database === ':memory:';
}

/**
 * What `app.addDatabase` needs from a database. Structural, so the core never imports
 * `covet/database`; its `DatabaseManager` fits.
 */
export interface ManagedDatabase {
  connect(): Promise<void>;
  close(): Promise<void>;
  ping?(): Promise<unknown>;
}

/** Options of `app.addDatabase`. */
export interface AddDatabaseOptions {
  /**
   * Fail startup when the database cannot be reached. Default `false`: the failure is logged,
   * the app starts, queries reconnect on their own and a health check reports the outage.
   */
  readonly required?: boolean;
}

/**
 * An integration added with `app.addIntegration` (an error tracker such as `SentryIntegration`).
 * Structural, so the core never imports the module that provides it.
 */
export interface Integration {
  readonly name?: string;
  /** Called once by `addIntegration`; an async setup finishes before startup hooks run. */
  setup?(app: CovetApp): unknown;
  /** Called at shutdown (after in-flight requests finished), e.g. to flush queued events. */
  close?(): unknown;
}

/**
 * An OAuth 2.0 authorization server given to `app.includeOAuth2` (`OAuth2Server` from
 * `covet/security`). Structural, so the core never imports that module: `install(app)` adds the
 * server's routes; `securityScheme()` describes it for OpenAPI.
 */
export interface OAuth2Provider {
  install(app: CovetApp): unknown;
  securityScheme?(): unknown;
}

/** The states published on the `covet:app:lifecycle` diagnostics channel. */
export type AppLifecycleState = 'starting' | 'running' | 'draining' | 'stopping' | 'stopped';

/**
 * The message on the `covet:app:lifecycle` diagnostics channel. On `stopping` (after the shutdown
 * hooks ran), subscribers may pass work to `waitUntil` (a flush of queued spans, say) and the
 * app awaits it before `close()` resolves.
 */
export interface AppLifecycleMessage {
  readonly app: CovetApp;
  readonly state: AppLifecycleState;
  waitUntil(work: Promise<unknown>): void;
}

/** The message on the `covet:request:error` diagnostics channel: an unhandled error about to become a 500. */
export interface RequestErrorMessage {
  readonly app: CovetApp;
  readonly request: Request;
  readonly error: unknown;
}

// Fastify-style hooks for observability modules (tracing, error tracking, health): publishing
// costs nothing while nobody subscribes.
const lifecycleChannel = channel('covet:app:lifecycle');
const requestErrorChannel = channel('covet:request:error');

/** A compiled route: everything the hot path needs, computed once. */
interface CompiledRoute {
  /** `null` for the fallback that answers unmatched requests. */
  readonly info: MatchedRoute | null;
  /** The app the route was declared on (a mounted app keeps its own limits and error handling). */
  readonly owner: CovetApp;
  readonly bodyLimit: number;
  readonly timeout: number;
  readonly middlewareNames: readonly string[];
  readonly methods: readonly string[];
  /** A `GET` route also answers `HEAD` (the `exposeHeadRoute` option). */
  readonly head: boolean;
  readonly tags: readonly string[];
  readonly schemas: RouteSchemas | null;
  readonly multipart: MultipartOptions;
  /** The route as declared and its whole middleware chain (read by `openapi()`). */
  readonly definition: RouteDefinition | null;
  readonly middleware: readonly Middleware[];
  /** Returns the handler's result (or a `Response`); may throw or reject. */
  readonly run: (req: Request) => unknown;
}

type ErrorHandler<E> = (err: E, req: Request) => unknown;
type ErrorClass<E> = abstract new (...args: never[]) => E;

const EMPTY_DEPS = Object.freeze({});
const NO_GUARDS: { readonly guards: readonly HandlerGuard[]; readonly inner: unknown } = { guards: [], inner: undefined };
const EMPTY_PARAMS = Object.freeze({});
/** The `meta` of routes (and groups) that set none. */
const NO_META: RouteMeta = Object.freeze({});

/** Per request on a route with a `timeout`: rejects with the 503 when it passes (`#invoke`). */
const timedOut = new WeakMap<Request, Promise<never>>();

/**
 * The endpoint of a route with a `timeout`, behind middleware: gives up with the 503 when the
 * timeout passes, so the middleware see the 503 (and add their headers) instead of waiting
 * for a result that will be dropped.
 */
function untilTimeout(endpoint: (req: Request) => unknown): (req: Request) => unknown {
  return (req) => {
    const out = endpoint(req);
    const expired = timedOut.get(req);
    return expired === undefined || !(out instanceof Promise) ? out : Promise.race([out, expired]);
  };
}

/** TLS material from listen options: both `key` and `cert`, or neither. */
function tlsOf(options: ListenOptions): TLSOptions | null {
  const { key, cert } = options;
  if (key === undefined && cert === undefined) return null;
  if (key === undefined || cert === undefined) throw new TypeError('listen() needs both key and cert for TLS');
  return {
    key,
    cert,
    ...(options.passphrase === undefined ? {} : { passphrase: options.passphrase }),
    ...(options.ca === undefined ? {} : { ca: options.ca }),
  };
}

function middlewareName(mw: Middleware, names: Map<Middleware, string>): string {
  return names.get(mw) || (typeof mw === 'function' ? mw.name : mw.constructor?.name) || 'middleware';
}

/**
 * @internal Closes `app` once its `listen()` (`started`) is done: a stop signal that arrives
 * during the startup hooks waits for them, then drains and runs the shutdown hooks. When the
 * start fails the promise never settles: the failure is reported where `started` is awaited.
 */
export function closeOnceStarted(app: CovetApp, started: Promise<unknown>): Promise<void> {
  return started.then(
    () => app.close(),
    () => new Promise<void>(() => {}),
  );
}

/** The body of a response that is sent as a stream (not for HEAD or a bodiless status), else `null`. */
function streamedBody(response: Response, head: boolean): AsyncIterable<BodyChunk> | Iterable<BodyChunk> | null {
  const body = response.body;
  if (head || noBodyStatus(response.status) || typeof body !== 'object' || body === null || body instanceof Uint8Array || !isStreamBody(body)) return null;
  return body as AsyncIterable<BodyChunk> | Iterable<BodyChunk>;
}

/** The headers of an in-process response, with the framing a socket would add (`content-length` or chunked). */
function injectHeaders(response: Response, head: boolean): Headers {
  const out = new Headers();
  for (const [k, v] of response.headers) out.append(k, v);
  if (!noBodyStatus(response.status) && !out.has('content-length')) {
    const body = response.body;
    // Over a socket a body of unknown length goes chunked; say the same here. A HEAD answer
    // of unknown length carries neither header over a socket, so none here either.
    if (body === null) out.set('content-length', '0');
    else if (typeof body === 'string') out.set('content-length', String(Buffer.byteLength(body)));
    else if (body instanceof Uint8Array) out.set('content-length', String(body.byteLength));
    else if (!head) out.set('transfer-encoding', 'chunked');
  }
  return out;
}

/**
 * The application: routes, middleware, dependencies, lifecycle and the HTTP server.
 *
 * @example
 * const app = new CovetApp();
 * app.route('/', async () => ({ message: 'Hello, World!' }));
 * app.route('/users/{user_id:int}', async (req) => ({ id: req.params.user_id }));
 * await app.listen({ port: 8000 });
 */
export class CovetApp<Routes = never> extends RouteGroup<Record<never, never>, '', Routes> {
  readonly config: Config;
  readonly debug: boolean;
  readonly securityConfig: object | undefined;
  readonly logger: Logger;

  readonly #bodyLimit: number;
  readonly #multipart: MultipartOptions;
  readonly #redirectSlashes: boolean;
  readonly #serverOptions: Required<ServerOptions>;
  readonly #middlewareNames = new Map<Middleware, string>();
  readonly #mounts: { readonly prefix: string; readonly app: CovetApp }[] = [];
  readonly #startupHooks: (() => unknown)[] = [];
  readonly #shutdownHooks: (() => unknown)[] = [];
  /** Per shutdown hook, how many startup hooks were registered before it: what a failed start undoes. */
  readonly #shutdownAfter: number[] = [];
  readonly #databases: ManagedDatabase[] = [];
  readonly #errorHandlers: [ErrorClass<unknown>, ErrorHandler<unknown>][] = [];
  readonly #plugins = new Set<unknown>();
  readonly #pluginLoads: Promise<unknown>[] = [];
  readonly #integrations: Integration[] = [];
  readonly #oauth2Servers: OAuth2Provider[] = [];
  /** Middleware ahead of every other (the console's recorder); empty unless the console is on. */
  #front: readonly Middleware[] = [];

  #router = new Router<CompiledRoute>();
  #fallback: CompiledRoute | null = null;
  /** The automatic `OPTIONS`/405 answer of routes with their own middleware (`#otherMethod`). */
  #optionsRoutes = new WeakMap<CompiledRoute, CompiledRoute>();
  #compiledVersion = -1;
  #server: { readonly server: NodeServer; drain(deadline: number): Promise<void> } | null = null;
  /** A `listen()` is past its checks and waiting for startup. */
  #starting = false;
  #draining = false;
  #started: Promise<void> | null = null;
  #stopped: Promise<void> | null = null;
  #holders = 0;
  /**
   * Replacements for dependencies, for tests (FastAPI's `dependency_overrides`):
   * `app.dependencyOverrides.set(getDb, () => fakeDb)`; `.clear()` to undo. Keyed by the function
   * (or class) given to `Depends`; applies to every route, group, mounted app and WebSocket route.
   */
  readonly dependencyOverrides: DependencyOverrides = new Map();
  readonly #webSockets = new WebSocketRegistry(this.dependencyOverrides);
  /** Server-Sent Event streams being written: `close()` ends them, as it closes WebSockets. */
  readonly #eventStreams = new Map<AsyncIterableIterator<string>, Request>();
  #endingEventStreams = false;

  constructor(options: CovetAppOptions = {}) {
    super();
    this.config = options.config instanceof Config ? options.config : new Config(options.config ?? {});
    this.debug = options.debug ?? false;
    this.securityConfig = options.securityConfig;
    this.logger = options.logger ?? console;
    this.#bodyLimit = options.bodyLimit ?? DEFAULT_BODY_LIMIT;
    if (!Number.isInteger(this.#bodyLimit) || this.#bodyLimit < 0) throw new RangeError('bodyLimit must be a non-negative integer');
    this.#redirectSlashes = options.redirectSlashes ?? true;
    this.#multipart = options.multipart ?? {};
    this.#serverOptions = { ...SERVER_DEFAULTS, ...options.server };
    const delay = this.#serverOptions.shutdownDelay;
    if (!Number.isInteger(delay) || delay < 0) throw new RangeError(`server.shutdownDelay must be a non-negative integer (ms), got ${delay}`);
    // Structural, so the core needs nothing from `covet/security`: `SecurityConfig.apply`
    // registers a named plugin, which an app registers once however often it is asked.
    const security = options.securityConfig as { apply?: unknown } | undefined;
    if (typeof security?.apply === 'function') (security as { apply(app: CovetApp): unknown }).apply(this);
    for (const mw of options.middleware ?? []) this.addMiddleware(mw);
  }

  /**
   * Adds app-wide middleware under a name (the seed's `@app.middleware("metrics")`); the
   * name shows in `covet routes` and stack traces.
   */
  middleware(name: string, middleware: Middleware): this {
    assertMiddleware(middleware);
    this.#middlewareNames.set(middleware, name);
    return this.addMiddleware(middleware);
  }

  /**
   * In-process WebSocket connection (no socket), used by `TestClient.websocketConnect`: the
   * same routing, middleware and handshake as over the network. Resolves with the client end.
   */
  async injectWebSocket(options: InjectWebSocketOptions): Promise<WebSocket<Record<string, never>>> {
    await this.ready();
    return this.#webSockets.connect(options, this.#draining);
  }

  /**
   * Serves the files of `directory` under `prefix` (`GET` and `HEAD`), with ETags,
   * `Last-Modified`, ranges, index files and precompressed siblings; see docs/static-files.md.
   *
   * @example
   * app.static('/static', 'public')
   */
  static(prefix: string, directory: string, options: StaticOptions & { readonly name?: string } = {}): this {
    // Files are not API operations: the routes stay out of `app.openapi()`.
    const handler = annotateOpenAPI(createStaticHandler(directory, options), { exclude: true });
    const base = prefix === '/' ? '' : prefix.replace(/\/+$/, '');
    this.get(`${base}/{path:path}`, { name: options.name ?? `static:${base || '/'}` }, handler);
    this.get(base === '' ? '/' : `${base}/`, handler);
    return this;
  }

  /** Serves another app's routes under `prefix`; its middleware and hooks come along. */
  mount<P extends string, A extends CovetApp, L>(this: CovetApp<L>, prefix: P, app: A): CovetApp<L | PrefixRoutes<P, RoutesOf<A>>>;
  mount(prefix: string, app: CovetApp): unknown {
    if ((app as CovetApp) === this) throw new TypeError('An app cannot be mounted on itself');
    this.#mounts.push({ prefix, app });
    routeTableVersion.value++;
    return this;
  }

  /** @internal See `kMountedApps`. */
  get [kMountedApps](): readonly CovetApp[] {
    return this.#mounts.map((m) => m.app);
  }

  /** Runs `hook` at startup (`listen`, `TestClient`), in registration order. Returns the hook. */
  onStartup<F extends () => unknown>(hook: F): F {
    this.#startupHooks.push(hook);
    return hook;
  }

  /** Runs `hook` at shutdown (`close`), in reverse registration order. Returns the hook. */
  onShutdown<F extends () => unknown>(hook: F): F {
    this.#shutdownHooks.push(hook);
    this.#shutdownAfter.push(this.#startupHooks.length);
    return hook;
  }

  /**
   * Connects `db` at startup and closes it at shutdown (after in-flight requests finished). An
   * in-memory SQLite database is left open: closing it would drop its tables, so a second
   * `TestClient` (or `app.run()` after a test) would find them gone; it holds no file or socket.
   *
   * @example
   * app.addDatabase(new DatabaseManager('sqlite:///app.db'))
   */
  addDatabase(db: ManagedDatabase, options: AddDatabaseOptions = {}): this {
    this.#databases.push(db);
    this.onStartup(async () => {
      try {
        await db.connect();
      } catch (err) {
        if (options.required) throw err;
        this.logger.error('Database unavailable at startup; it will be retried on first use', { error: err });
      }
    });
    if (!isInMemorySqlite(db)) this.onShutdown(() => db.close());
    return this;
  }

  /** The databases given to `addDatabase`, in order (for health checks). */
  get databases(): readonly ManagedDatabase[] {
    return this.#databases;
  }

  /**
   * Adds an integration (an error tracker, say): runs its `setup(app)` now (an async setup
   * finishes before startup hooks) and its `close()` at shutdown.
   *
   * @example
   * app.addIntegration(new SentryIntegration({ dsn, environment: 'production' }))
   */
  addIntegration(integration: Integration): this {
    if (typeof integration !== 'object' || integration === null) throw new TypeError('addIntegration() takes an integration object');
    this.#integrations.push(integration);
    const result = integration.setup?.(this);
    if (result instanceof Promise) {
      // Reported by ready()/listen(), like an async plugin.
      result.catch(() => {});
      this.#pluginLoads.push(result);
    }
    if (typeof integration.close === 'function') this.onShutdown(() => integration.close?.());
    return this;
  }

  /**
   * Serves the Covet Console under `path`: a live page of recent requests (with their SQL and
   * N+1 warnings), latency/error/event-loop charts, traces, health checks, cache hit rates and
   * the route table (docs/console.md). On in debug mode; outside it, only with a `token` (else
   * it stays off and says so in the log). Costs nothing while off.
   *
   * @example
   * app.console('/_covet', { token: env.string('CONSOLE_TOKEN') })
   */
  console(path = '/_covet', options: ConsoleOptions = {}): this {
    if (this.#front.length > 0) throw new Error('The console is already enabled on this app');
    const recorder = installConsole(this, path, options);
    if (recorder !== null) {
      this.#front = [recorder];
      this.#middlewareNames.set(recorder, 'covetConsole');
      routeTableVersion.value++;
    }
    return this;
  }

  /** The integrations given to `addIntegration`, in order. */
  get integrations(): readonly Integration[] {
    return this.#integrations;
  }

  /**
   * Serves an OAuth 2.0 authorization server: calls `server.install(app)`, which adds its
   * endpoints (authorize, token, introspect, revoke, metadata, JWKS) as routes, and records it in
   * `oauth2Servers`. See docs/oauth2.md.
   *
   * @example
   * app.includeOAuth2(new OAuth2Server({ clients: { client_id: { secret, redirectUris: ['https://app.example/cb'] } } }))
   */
  includeOAuth2(server: OAuth2Provider): this {
    if (typeof server?.install !== 'function') throw new TypeError('includeOAuth2() takes an authorization server with install(app), such as OAuth2Server');
    const result = server.install(this);
    if (result instanceof Promise) {
      // Reported by ready()/listen(), like an async plugin.
      result.catch(() => {});
      this.#pluginLoads.push(result);
    }
    this.#oauth2Servers.push(server);
    return this;
  }

  /**
   * The authorization servers given to `includeOAuth2`, in order: OpenAPI generation reads
   * their `securityScheme()` to describe the `oauth2` security scheme.
   */
  get oauth2Servers(): readonly OAuth2Provider[] {
    return this.#oauth2Servers;
  }

  #publishLifecycle(state: AppLifecycleState): Promise<unknown>[] {
    const work: Promise<unknown>[] = [];
    if (lifecycleChannel.hasSubscribers) {
      const message: AppLifecycleMessage = { app: this, state, waitUntil: (p) => void work.push(Promise.resolve(p)) };
      lifecycleChannel.publish(message);
    }
    return work;
  }

  /**
   * Turns errors of a class into responses (FastAPI's exception handlers). The handler's
   * return value is converted like a route's; returning `undefined` falls through to the
   * default handling.
   *
   * @example
   * app.onError(NotFoundError, (err) => [{ error: err.message }, 404])
   */
  onError<E>(errorClass: ErrorClass<E>, handler: ErrorHandler<E>): this {
    this.#errorHandlers.push([errorClass as ErrorClass<unknown>, handler as ErrorHandler<unknown>]);
    return this;
  }

  /**
   * Registers a plugin: a named function of the app. The same plugin (by identity or
   * `pluginName`) is registered once however often it is asked for; async plugins finish
   * before startup hooks run.
   */
  register<O>(plugin: Plugin<O>, ...options: undefined extends O ? [options?: O] : [options: O]): this {
    const key = pluginKey(plugin);
    if (this.#plugins.has(key)) return this;
    this.#plugins.add(key);
    const result = plugin(this, options[0] as O);
    if (result instanceof Promise) {
      // Reported by ready()/listen(); until then it must not count as an unhandled rejection.
      result.catch(() => {});
      this.#pluginLoads.push(result);
    }
    return this;
  }

  /** Whether a plugin (function or name) has been registered. */
  hasPlugin(plugin: Plugin<never> | string): boolean {
    return this.#plugins.has(typeof plugin === 'string' ? plugin : pluginKey(plugin));
  }

  /** Finishes async plugins and compiles the routes; called by `startup`, `listen` and `inject`. */
  async ready(): Promise<void> {
    while (this.#pluginLoads.length > 0) await this.#pluginLoads.shift();
    this.#compileIfChanged();
  }

  /**
   * Runs plugins and startup hooks (mounted apps' hooks too), once per run of the app: until
   * `shutdown()`, later calls share the first one's promise; after it, the next call starts
   * the app again (a new `TestClient` per test, `listen` after `close`). When a startup hook
   * (or a plugin, or a mounted app) fails, what already started is stopped first — the shutdown
   * hooks registered before the failing hook, last first, then the mounted apps that started —
   * as a lifespan context manager's exit would, and then the promise rejects with the error.
   */
  startup(): Promise<void> {
    if (this.#started !== null) return this.#started;
    const stopping = this.#stopped;
    const started = (async () => {
      // A start that comes while the previous run is still stopping waits for it.
      if (stopping !== null) await stopping.catch(() => {});
      this.#publishLifecycle('starting');
      let hooksRun = 0;
      let mountsStarted = 0;
      try {
        await this.ready();
        for (const { app } of this.#mounts) {
          await app.startup();
          mountsStarted++;
        }
        for (const hook of this.#startupHooks) {
          await hook();
          hooksRun++;
        }
      } catch (err) {
        // Hooks registered after the failing one belong to what never started.
        const hooks = this.#shutdownHooks.filter((_, i) => (this.#shutdownAfter[i] ?? 0) <= hooksRun);
        const undo = this.#stop(hooks, this.#mounts.slice(0, mountsStarted));
        // The failed run counts as stopped: a close() now does not run the hooks again.
        this.#stopped ??= undo.catch(() => {});
        await undo.catch(() => {});
        throw err;
      }
      this.#publishLifecycle('running');
    })();
    this.#started = started;
    this.#stopped = null;
    // A failed start leaves the app stopped: the next call tries again.
    started.catch(() => {
      if (this.#started === started) this.#started = null;
    });
    return started;
  }

  /**
   * Runs shutdown hooks, last registered first; every hook runs even if one fails. Once per
   * run: until the next `startup()`, later calls share the first one's promise.
   */
  shutdown(): Promise<void> {
    if (this.#stopped !== null) return this.#stopped;
    const started = this.#started;
    this.#started = null;
    this.#stopped = (async () => {
      // Hooks stop what startup hooks opened: a start still running finishes first. One that
      // fails has stopped what it started itself.
      const failed = started === null ? false : await started.then(
        () => false,
        () => true,
      );
      if (!failed) await this.#stop(this.#shutdownHooks, this.#mounts);
    })();
    return this.#stopped;
  }

  /** Runs `hooks` (last first; each runs even if one fails), then stops `mounts` (last first). */
  async #stop(hooks: readonly (() => unknown)[], mounts: readonly { readonly app: CovetApp }[]): Promise<void> {
    const errors: unknown[] = [];
    for (const hook of [...hooks].reverse()) {
      try {
        await hook();
      } catch (err) {
        errors.push(err);
        this.logger.error('shutdown hook failed', { error: err });
      }
    }
    for (const { app } of [...mounts].reverse()) await app.shutdown();
    for (const outcome of await Promise.allSettled(this.#publishLifecycle('stopping'))) {
      if (outcome.status === 'rejected') this.logger.error('shutdown work failed', { error: outcome.reason });
    }
    this.#publishLifecycle('stopped');
    if (errors.length > 0) throw new AggregateError(errors, 'One or more shutdown hooks failed');
  }

  /**
   * @internal Starts the app for one more user (a `TestClient`): the app starts with the first
   * and stops when the last one calls `[kRelease]`, so closing one client does not stop the
   * app under another.
   */
  [kAcquire](): Promise<void> {
    this.#holders++;
    return this.startup().catch((err: unknown) => {
      // A user whose start failed does not hold the app: the next close() by the last real
      // user must still run the shutdown hooks.
      if (this.#holders > 0) this.#holders--;
      throw err;
    });
  }

  /** @internal The counterpart of `[kAcquire]`: the last holder to leave shuts the app down. */
  [kRelease](): Promise<void> {
    if (this.#holders > 0) this.#holders--;
    return this.#holders === 0 ? this.shutdown() : Promise.resolve();
  }

  /**
   * `covet run app.ts` (or `covet routes`) is importing this module, which ends with
   * `app.run()` as the seed's Quick Start does, or `await app.listen()` as the README's example
   * does: the command serves the app itself, with its own --host and --port.
   */
  #skippedUnderCli(call: 'run' | 'listen', options: ListenOptions): ListenInfo {
    const host = options.host ?? '127.0.0.1';
    const port = options.port ?? 8000;
    noteSkippedApp(this);
    this.logger.info(`app.${call}() skipped: the covet command is loading this module and serves the app itself`);
    return { host, port, url: `http://${host.includes(':') ? `[${host}]` : host}:${port}` };
  }

  /** Starts the server; resolves when it accepts connections. */
  async listen(options: ListenOptions = {}): Promise<ListenInfo> {
    if (cliLoading()) return this.#skippedUnderCli('listen', options);
    // Checked and claimed before the first `await`: two `listen()` calls at once start one server.
    if (this.#server !== null || this.#starting) throw new Error('The app is already listening');
    const tls = tlsOf(options);
    const reusePort = reusePortOption(options.reusePort);
    this.#starting = true;
    try {
      await this[kAcquire]();
    } finally {
      this.#starting = false;
    }
    const limits = this.#serverOptions;
    let handle: { readonly server: NodeServer; drain(deadline: number): Promise<void> };
    if (options.http2) {
      // Node's compatibility API gives HTTP/2 requests the HTTP/1.1 shapes the app reads.
      const listener = this.#onRequest as unknown as Parameters<typeof createHttp2Server>[0];
      handle = createHttp2Server(listener, { sessionTimeout: limits.keepAliveTimeout, maxHeaderSize: limits.maxHeaderSize }, tls);
    } else {
      const server = createHttpServer(this.#onRequest, limits, tls);
      handle = { server, drain: (deadline) => drain(server, deadline) };
    }
    this.#server = handle;
    // Node gives every `Upgrade:` request to this listener once there is one, so only apps with
    // WebSocket routes install it (HTTP/1.1 and HTTPS; HTTP/2's extended CONNECT is not served).
    if (this.#webSockets.routes.length > 0) handle.server.on('upgrade', this.#onUpgrade);
    try {
      const addr = await bind(handle.server, options.host ?? '127.0.0.1', options.port ?? 8000, reusePort);
      if (this.debug && process.env.NODE_ENV === 'production') {
        this.logger.error(
          'debug: true with NODE_ENV=production: 500 responses show error details and stack traces, and app.console() is open without a token; set debug: false',
        );
      }
      const shown = addr.host.includes(':') ? `[${addr.host}]` : addr.host;
      return { host: addr.host, port: addr.port, url: `${tls === null ? 'http' : 'https'}://${shown}:${addr.port}` };
    } catch (err) {
      this.#server = null;
      await this[kRelease]().catch(() => {});
      throw err;
    }
  }

  /** @internal See `kShutdownTimeout`. */
  get [kShutdownTimeout](): number {
    return this.#serverOptions.shutdownDelay + this.#serverOptions.shutdownTimeout;
  }

  /** The Node server while listening (for WebSocket upgrades and tests). */
  get server(): NodeServer | null {
    return this.#server?.server ?? null;
  }

  /**
   * CLI-style start: listens, logs the URL, and on SIGINT/SIGTERM closes gracefully and exits
   * with code 0. A second SIGINT (Ctrl-C again) exits at once with 1; a repeated SIGTERM is
   * ignored, as service managers may deliver one stop twice (systemd signals every process of
   * the unit, so `npm start` forwards a second copy to the app). A port already in use logs
   * that and exits with code 5, as `covet run` does (with `exitOnSignal: false`, it rejects).
   */
  async run(options: ListenOptions & { readonly exitOnSignal?: boolean } = {}): Promise<ListenInfo> {
    if (cliLoading()) return this.#skippedUnderCli('run', options);
    // The signals are handled from the start: a stop that arrives while the startup hooks run
    // (a pod replaced while it connects to its database) waits for them, then stops gracefully
    // and runs the shutdown hooks, instead of killing the process with the signal.
    const started = this.listen(options);
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (stopping) {
        if (signal === 'SIGINT') process.exit(1);
        return;
      }
      stopping = true;
      this.logger.info(`${signal} received: shutting down`);
      closeOnceStarted(this, started).then(
        () => {
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
          if (options.exitOnSignal ?? true) process.exit(0);
        },
        (err: unknown) => {
          this.logger.error('shutdown failed', { error: err });
          process.exit(1);
        },
      );
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    let info: ListenInfo;
    try {
      info = await started;
    } catch (err) {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      // A port in use is the one startup failure a CLI user causes most: a clear line and exit
      // code 5, as `covet run` gives, rather than an unhandled rejection's stack trace.
      if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE' && (options.exitOnSignal ?? true)) {
        this.logger.error(`port ${options.port ?? 8000} on ${options.host ?? '127.0.0.1'} is already in use`);
        process.exit(5);
      }
      throw err;
    }
    if (!stopping) this.logger.info(`Covet listening on ${info.url}`);
    return info;
  }

  /**
   * Stops accepting, lets in-flight requests finish (until `shutdownTimeout`), closes every
   * connection, then runs shutdown hooks in reverse order. With `server.shutdownDelay`, it
   * first goes on serving that long as draining (readiness 503, `Connection: close`).
   */
  async close(): Promise<void> {
    this.#publishLifecycle('draining');
    const delay = this.#serverOptions.shutdownDelay;
    if (this.#server !== null && delay > 0) {
      this.#draining = true;
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
    const server = this.#server;
    // Open WebSockets get close 1001 and a bounded wait: the server's drain waits for their sockets.
    const sockets = this.#webSockets.closeAll(this.#serverOptions.shutdownTimeout);
    // An event stream never finishes by itself: end each one now (the browser's EventSource
    // reconnects, to another instance behind a load balancer) rather than hold the shutdown
    // until `shutdownTimeout` cuts it.
    this.#endingEventStreams = true;
    for (const [events, req] of this.#eventStreams) endEventStream(events, req);
    if (server !== null) {
      this.#draining = true;
      try {
        await Promise.all([server.drain(this.#serverOptions.shutdownTimeout), sockets]);
      } finally {
        this.#server = null;
        this.#draining = false;
      }
    }
    await sockets;
    // The last user of the app (server or test client) stops it.
    await (server !== null ? this[kRelease]() : this.shutdown());
  }

  /** Every route: methods, path, name and middleware, for `covet routes` and docs. */
  routeTable(): { method: string; path: string; name: string | undefined; middleware: readonly string[]; tags: readonly string[] }[] {
    this.#compileIfChanged();
    return [
      ...this.#router.routes.map((r) => ({
        method: r.method,
        path: r.path,
        name: r.value.info?.name,
        middleware: r.value.middlewareNames,
        tags: r.value.tags,
      })),
      ...this.#webSockets.routes.map((r) => ({
        method: 'WEBSOCKET',
        path: r.path,
        name: r.value.info.name,
        middleware: r.value.middlewareNames,
        tags: r.value.tags,
      })),
    ];
  }

  /**
   * The OpenAPI 3.1 document of every route (groups, included routers and mounted apps too):
   * path parameters typed by their converters, query parameters, request bodies and responses
   * from the routes' schemas, tags, and the security schemes of `requireToken`-style wrappers.
   * See docs/openapi.md.
   *
   * @example
   * const doc = app.openapi({ title: 'Users API', version: '2.1.0' });
   */
  openapi(options: OpenAPIOptions = {}): OpenAPIDocument {
    this.#compileIfChanged();
    const routes: DocumentedRoute[] = [];
    for (const entry of this.#router.routes) {
      const def = entry.value.definition;
      if (def === null) continue;
      const o = def.options;
      routes.push({
        method: entry.method,
        path: entry.path,
        name: o.name,
        summary: o.summary,
        description: o.description,
        tags: entry.value.tags,
        deprecated: o.deprecated,
        includeInSchema: o.includeInSchema,
        body: o.body,
        query: o.query,
        response: o.response,
        status: o.status,
        multipart: o.multipart !== undefined,
        handler: def.handler,
        middleware: entry.value.middleware,
      });
    }
    const servers = (this as { readonly oauth2Servers?: unknown }).oauth2Servers;
    return buildOpenAPIDocument(routes, options, oauth2Schemes(servers));
  }

  /**
   * Serves the OpenAPI document as JSON at `openapiPath` (default `/openapi.json`) and a
   * browsable, self-contained reference page at `path` (no CDN: the page's script and style are
   * inline and pinned by a Content-Security-Policy). Neither route appears in the document.
   *
   * @example
   * app.docs('/docs', { title: 'Shop API', version: '2.0.0' });
   */
  docs(path = '/docs', options: DocsOptions = {}): this {
    const { openapiPath = '/openapi.json', ...documentOptions } = options;
    let cached: { version: number; prefix: string; body: string } | null = null;
    const app = this;
    const serveSpec = annotateOpenAPI(function openapiDocument(req: Request): Response {
      // Under `parent.mount(prefix, app)` the paths are the app's own: a `servers` entry holding
      // the prefix lets clients (and the page's "Try it") reach them, as FastAPI's `root_path` does.
      const mounted = documentOptions.servers === undefined && req.path.length > openapiPath.length && req.path.endsWith(openapiPath);
      const prefix = mounted ? req.path.slice(0, -openapiPath.length) : '';
      if (cached === null || cached.version !== routeTableVersion.value || cached.prefix !== prefix) {
        // Rebuilt only when a route was added since (the table version moved).
        const body = JSON.stringify(app.openapi(prefix === '' ? documentOptions : { ...documentOptions, servers: [{ url: prefix }] }));
        cached = { version: routeTableVersion.value, prefix, body };
      }
      return new Response(cached.body, { headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-cache' } });
    }, { exclude: true });
    const page = docsPage(documentOptions.title ?? 'API reference', relativeUrl(path, openapiPath));
    const servePage = annotateOpenAPI(function docsPageHandler(): Response {
      return new Response(page.html, {
        headers: { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': page.csp, 'cache-control': 'no-cache' },
      });
    }, { exclude: true });
    this.get(openapiPath, serveSpec);
    this.get(path, servePage);
    return this;
  }

  /**
   * Builds a path from a route name: `app.urlFor('user', { id: 7 })` → `/users/7`.
   * Values are percent-encoded; a missing parameter throws.
   */
  urlFor(name: string, params: Readonly<Record<string, string | number>> = {}): string {
    this.#compileIfChanged();
    const entry = this.#router.routes.find((r) => r.value.info?.name === name) ?? this.#webSockets.routes.find((r) => r.value.info.name === name);
    if (!entry) throw new Error(`No route named ${JSON.stringify(name)}`);
    return entry.path.replace(/\{([A-Za-z_][A-Za-z0-9_]*)(?::([a-z]+))?\}/g, (_, key: string, conv?: string) => {
      const value = params[key];
      if (value === undefined) throw new Error(`urlFor(${JSON.stringify(name)}) needs parameter "${key}"`);
      const text = String(value);
      return conv === 'path' ? text.split('/').map(encodeURIComponent).join('/') : encodeURIComponent(text);
    });
  }

  /**
   * In-process dispatch, no socket: the same routing, middleware and error handling as over
   * HTTP. The test client is built on it.
   */
  async inject(options: InjectOptions): Promise<InjectResponse> {
    const { req, response, head } = await this.#dispatch(options);
    const bytes = await this.#collectBody(req, response, head);
    await this.#finish(req);
    return { status: response.status, headers: injectHeaders(response, head), body: bytes };
  }

  /** The whole body of an in-process response; a body that fails fails the request (its dependencies see the error). */
  async #collectBody(req: Request, response: Response, head: boolean): Promise<Buffer> {
    try {
      return await collectBody(response, head);
    } catch (err) {
      await this.#finish(req, { error: err });
      throw err;
    }
  }

  /**
   * Runs one in-process request up to its `Response` (the body not yet read). `stream`: the
   * request body as a web stream (`handle()`), read only as the handler asks for it.
   */
  async #dispatch(options: InjectOptions, stream?: ReadableStream<Uint8Array>): Promise<{ req: Request; response: Response; head: boolean }> {
    await this.ready();
    const method = (options.method ?? 'GET').toUpperCase();
    // `*` is the asterisk form of `OPTIONS *`, as over a socket.
    const url = options.url.startsWith('/') || options.url === '*' ? options.url : `/${options.url}`;
    const headers: IncomingHttpHeaders = {};
    for (const [k, v] of Object.entries(options.headers ?? {})) {
      const key = k.toLowerCase();
      headers[key] = key === 'set-cookie' ? [...v] : typeof v === 'string' ? v : v.join(', ');
    }
    const body = options.body == null ? null : typeof options.body === 'string' ? Buffer.from(options.body) : Buffer.from(options.body);
    if (body !== null && headers['content-length'] === undefined && headers['transfer-encoding'] === undefined) {
      headers['content-length'] = String(body.length);
    }
    const [route, params] = this.#resolve(method, url);
    const req = new Request({
      method,
      url,
      headers,
      params,
      route: route.info,
      bodyLimit: route.bodyLimit,
      source: stream ?? body,
      response: null,
      client: { host: options.remoteAddress ?? '127.0.0.1', port: 0 },
      schemas: route.schemas,
      multipart: route.multipart,
      overrides: this.dependencyOverrides,
    });
    const head = method === 'HEAD';
    let response: Response;
    try {
      response = toResponse(await this.#invoke(route, req));
    } catch (err) {
      return { req, response: await route.owner.#errorResponse(err, req), head };
    }
    const rb = streamedBody(response, head);
    if (rb !== null) {
      // As `#write` does over a socket: a stream failing before its first chunk is answered
      // with the error response (a 500, or the HTTPException's status), not a 200 whose body
      // then fails; an error response's own stream is not given that second chance.
      try {
        response.body = await startStream(rb);
      } catch (err) {
        response = await this.#errorResponse(err, req);
      }
    }
    return { req, response, head };
  }

  /**
   * Fetch-standard entry point: takes a web `Request`, returns a web `Response` — for tests,
   * edge adapters and anything that speaks `fetch`.
   */
  async handle(request: globalThis.Request): Promise<globalThis.Response> {
    const url = new URL(request.url);
    const headers: Record<string, string> = {};
    request.headers.forEach((v, k) => {
      headers[k] = v;
    });
    // `new Request(url)` carries no Host header: the URL names the host, as `:authority` does
    // for HTTP/2 (same-origin checks such as CSRF's compare against it).
    if (headers.host === undefined) headers.host = url.host;
    // The body is not buffered up front: the handler's reader takes it from the stream with the
    // route's limit, as over a socket (413 at once by `Content-Length`, else when passed).
    const { req, response, head } = await this.#dispatch({ method: request.method, url: url.pathname + url.search, headers }, request.body ?? undefined);
    const out = injectHeaders(response, head);
    const status = response.status;
    const source = streamedBody(response, head);
    if (source === null) {
      const bytes = await this.#collectBody(req, response, head);
      await this.#finish(req);
      return new globalThis.Response(noBodyStatus(status) ? null : bytes, { status, headers: out });
    }
    // A stream (SSE, `stream()`) is passed on as it is produced, not collected: an endless one
    // would never resolve. The request finishes (dependency cleanup) when it ends or is cancelled.
    out.delete('transfer-encoding');
    const iterator = iteratorOf(source);
    let finished = false;
    const finish = (failure?: { readonly error: unknown }): Promise<void> => {
      if (finished) return Promise.resolve();
      finished = true;
      return this.#finish(req, failure);
    };
    const stream = new ReadableStream<Uint8Array>({
      async pull(controller) {
        try {
          const step = await iterator.next();
          if (step.done) {
            controller.close();
            await finish();
          } else {
            const chunk = step.value;
            controller.enqueue(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk);
          }
        } catch (err) {
          controller.error(err);
          await finish({ error: err });
        }
      },
      async cancel() {
        await iterator.return?.();
        // The consumer (the client) left before the end: the request failed, as over a socket.
        await finish({ error: new ClientClosedError() });
      },
    });
    return new globalThis.Response(stream, { status, headers: out });
  }

  // ------------------------------------------------------------------ compiling

  #compileIfChanged(): void {
    if (this.#compiledVersion === routeTableVersion.value) return;
    const version = routeTableVersion.value;
    const router = new Router<CompiledRoute>();
    const webSockets = new Router<CompiledWebSocketRoute>();
    this.#collect(this, '', this.#front, {}, [], NO_META, { http: router, webSockets }, this);
    this.#router = router;
    this.#webSockets.setRouter(webSockets);
    this.#fallback = {
      ...this.#compile({ methods: [], path: '', handler: (req) => this.#notFound(req), options: {} }, '', [...this.#front, ...this.middlewareList], {}, [], NO_META, this),
      info: null,
      definition: null,
    };
    this.#compiledVersion = version;
  }

  #collect(
    group: RouteGroup,
    prefix: string,
    middleware: readonly Middleware[],
    deps: DepsMap,
    tags: readonly string[],
    meta: RouteMeta,
    router: { readonly http: Router<CompiledRoute>; readonly webSockets: Router<CompiledWebSocketRoute> },
    owner: CovetApp,
  ): void {
    const chain = [...middleware, ...group.middlewareList];
    for (const entry of group.entries as CollectionEntry[]) {
      if (entry.kind === 'route') {
        const def = entry.route;
        const path = joinPath(prefix, def.path);
        const routeTags = [...tags, ...(def.options.tags ?? [])];
        const routeMeta = def.options.meta === undefined ? meta : { ...meta, ...def.options.meta };
        const compiled = this.#compile(def, path, [...chain, ...(def.options.middleware ?? [])], { ...deps, ...def.options.deps }, routeTags, routeMeta, owner);
        for (const method of def.methods) router.http.add(method, path, compiled);
      } else if (entry.kind === 'websocket') {
        // The same prefixes, middleware, deps and meta as an HTTP route here, without the
        // console's recorder (the chain's head), which records HTTP exchanges only.
        const def = entry.websocket;
        const path = joinPath(prefix, def.path);
        const all = [...chain.slice(this.#front.length), ...(def.options.middleware ?? [])];
        const routeMeta = def.options.meta === undefined ? meta : { ...meta, ...def.options.meta };
        const route = compileWebSocketRoute({
          info: Object.freeze({ path, name: def.options.name, meta: routeMeta === NO_META ? NO_META : Object.freeze({ ...routeMeta }) }),
          handler: def.handler,
          middleware: all,
          middlewareNames: all.map((mw) => middlewareName(mw, this.#middlewareNames)),
          deps: { ...deps, ...def.options.deps },
          options: def.resolved,
          tags: [...new Set(tags)],
          onError: (err, req) => owner.#errorResponse(err, req),
          logger: owner.logger,
        });
        router.webSockets.add('GET', path, route);
      } else {
        const opts = entry.options;
        this.#collect(
          entry.group,
          joinPath(prefix, entry.prefix || '/'),
          [...chain, ...(opts.middleware ?? [])],
          { ...deps, ...opts.deps },
          [...tags, ...(opts.tags ?? [])],
          opts.meta === undefined ? meta : { ...meta, ...opts.meta },
          router,
          owner,
        );
      }
    }
    if (group instanceof CovetApp) {
      for (const mount of group.#mounts) {
        for (const [mw, name] of mount.app.#middlewareNames) this.#middlewareNames.set(mw, name);
        this.#collect(mount.app, joinPath(prefix, mount.prefix), chain, deps, tags, meta, router, mount.app);
      }
    }
  }

  #compile(
    def: RouteDefinition,
    path: string,
    middleware: readonly Middleware[],
    deps: DepsMap,
    tags: readonly string[],
    meta: RouteMeta,
    owner: CovetApp,
  ): CompiledRoute {
    const schemas =
      def.options.body !== undefined || def.options.query !== undefined
        ? // Rule dicts became `Validator`s when the route was added (route-group.ts).
          ({ body: def.options.body, query: def.options.query } as RouteSchemas)
        : null;
    // With input schemas, the checks of `requireToken(handler)`-style wrappers run first.
    const { guards, inner } = schemas === null ? NO_GUARDS : unwrapGuards(def.handler);
    const handler = (guards.length === 0 ? def.handler : inner) as typeof def.handler;
    const depNames = Object.keys(deps);
    const call: (req: Request) => unknown =
      depNames.length === 0
        ? (req) => handler(req, EMPTY_DEPS)
        : async (req) => {
            const scope = req[kScope](true) as DependencyScope;
            try {
              const resolved = await scope.resolveAll(req, deps);
              return await handler(req, resolved);
            } catch (err) {
              throw await scope.fail(err);
            }
          };
    // A `response` schema filters and serialises what the handler returns, and `status` sets a
    // plain value's status (docs/openapi.md); routes without either keep the direct path.
    const responder = compileResponder(def.options.response, def.options.status);
    const respond: (req: Request) => unknown =
      responder === null
        ? call
        : (req) => {
            const out = call(req);
            return out instanceof Promise ? out.then(responder) : responder(out);
          };
    // Input is validated before dependencies and the handler run, as FastAPI does, and after
    // the handler wrappers' guards, as FastAPI runs auth dependencies first.
    const endpoint =
      schemas === null
        ? respond
        : async (req: Request) => {
            for (const guard of guards) await guard(req);
            await req[kValidateInput]();
            return respond(req);
          };
    const run =
      middleware.length === 0
        ? endpoint
        : compose(
            middleware,
            respondWith(def.options.timeout === undefined ? endpoint : untilTimeout(endpoint), (err, req) => owner.#errorResponse(err, req)),
            (err, req) => owner.#errorResponse(err, req),
          );
    const { bodyLimit, timeout, name } = def.options;
    if (timeout !== undefined && (!Number.isFinite(timeout) || timeout <= 0))
      throw new RangeError(`Route ${path}: timeout must be a positive number of ms`);
    const info: MatchedRoute = Object.freeze({ path, name, meta: meta === NO_META ? NO_META : Object.freeze({ ...meta }) });
    if (responder !== null) setRouteResponder(info, responder);
    return {
      info,
      owner,
      bodyLimit: bodyLimit ?? owner.#bodyLimit,
      multipart: def.options.multipart === undefined ? owner.#multipart : { ...owner.#multipart, ...def.options.multipart },
      timeout: timeout ?? 0,
      methods: def.methods,
      head: def.options.exposeHeadRoute !== false,
      tags: [...new Set(tags)],
      schemas,
      middlewareNames: middleware.map((mw) => middlewareName(mw, this.#middlewareNames)),
      definition: def,
      middleware,
      run,
    };
  }

  // ------------------------------------------------------------------ dispatch

  /** Finds the route for a request target; the fallback route answers everything else. */
  #resolve(method: string, url: string): [CompiledRoute, unknown] {
    if (this.#compiledVersion !== routeTableVersion.value) this.#compileIfChanged();
    const q = url.indexOf('?');
    let path = q === -1 ? url : url.slice(0, q);
    if (path.indexOf('%') !== -1) {
      const decoded = decodeRoutingPath(path);
      if (decoded === null) return [this.#fallback as CompiledRoute, EMPTY_PARAMS];
      path = decoded;
    }
    const router = this.#router;
    let match = router.lookup(method, path);
    if (match === null && method === 'HEAD') {
      match = router.lookup('GET', path);
      if (match !== null && !match.value.head) match = null;
    }
    if (match === null) return this.#otherMethod(path);
    return [match.value, match.params];
  }

  /**
   * A request whose method no route of its path declares: the automatic answer (`OPTIONS` →
   * 204 with `Allow`, else 405) runs through the middleware of the path's routes — a group's
   * `CORSMiddleware` answers the browser's preflight and labels the 405, as
   * `app.use('/api/*', cors())` does in Hono — and through the app's alone when the path has no
   * route (404).
   */
  #otherMethod(path: string): [CompiledRoute, unknown] {
    const fallback = this.#fallback as CompiledRoute;
    const match = this.#router.lookupAnyMethod(path);
    if (match === null || match.value.middleware.length <= fallback.middleware.length) return [fallback, EMPTY_PARAMS];
    const route = match.value;
    let options = this.#optionsRoutes.get(route);
    if (options === undefined) {
      const compiled = this.#compile(
        { methods: [], path: '', handler: (req) => this.#notFound(req), options: {} },
        route.info?.path ?? '',
        route.middleware,
        {},
        [],
        NO_META,
        this,
      );
      options = { ...compiled, info: route.info, definition: null };
      this.#optionsRoutes.set(route, options);
    }
    return [options, match.params];
  }

  /**
   * Runs a route, with its timeout if it has one. When it passes, the handler's layer gives up
   * with the 503 (`untilTimeout`), so the middleware answer it as they unwind (CORS headers,
   * metrics and logs see the 503, never the late result); a middleware still busy after that
   * turn of the event loop (one stalled itself) leaves the 503 to be sent without it.
   */
  #invoke(route: CompiledRoute, req: Request): unknown {
    if (route.timeout === 0) return route.run(req);
    const run = Promise.resolve().then(() => route.run(req));
    if (!(route.timeout <= MAX_TIMER_MS)) return run;
    let expire!: (err: unknown) => void;
    const expired = new Promise<never>((_, reject) => {
      expire = reject;
    });
    expired.catch(() => {}); // a route without middleware, or one already answered, never looks
    timedOut.set(req, expired);
    return new Promise((resolve, reject) => {
      let grace: NodeJS.Immediate | undefined;
      const timer = setTimeout(() => {
        const err = new HTTPException(503, 'Request timed out', { code: 'ERR_HANDLER_TIMEOUT' });
        // Before the abort: a handler that returns on it must not beat the 503.
        expire(err);
        req[kAbort](err);
        if (route.middleware.length === 0) reject(err);
        else grace = setImmediate(() => reject(err));
      }, route.timeout);
      const settled = (): void => {
        clearTimeout(timer);
        if (grace !== undefined) clearImmediate(grace);
      };
      run.then(
        (value) => {
          settled();
          resolve(value);
        },
        (err: unknown) => {
          settled();
          reject(err);
        },
      );
    });
  }

  /** 400 for malformed paths, then 405/`OPTIONS`, trailing-slash redirects, and 404. */
  #notFound(req: Request): Response {
    const raw = req.url.raw;
    // The asterisk form (RFC 9112 §3.2.4) asks about the server as a whole, and only OPTIONS
    // may use it (RFC 9110 §9.3.7): 204 with the methods some route answers.
    if (raw === '*') {
      if (req.method !== 'OPTIONS') throw new HTTPException(400, 'The request target * is only for OPTIONS', { code: 'ERR_BAD_REQUEST_TARGET' });
      const methods = this.#router.routes.map((r) => r.method);
      const head = this.#webSockets.routes.length > 0 || this.#router.routes.some((r) => r.method === 'GET' && r.value.head);
      if (this.#webSockets.routes.length > 0) methods.push('GET');
      return new Response(null, { status: 204, headers: { allow: allowHeader(methods, head) } });
    }
    // Neither `*` nor a path (`*x`, `**`): Node's parser lets these through.
    if (raw.charCodeAt(0) === 42) throw new HTTPException(400, 'Malformed request target', { code: 'ERR_BAD_REQUEST_TARGET' });
    const q = raw.indexOf('?');
    const rawPath = q === -1 ? raw : raw.slice(0, q);
    const path = decodeRoutingPath(rawPath);
    if (path === null) throw new HTTPException(400, 'Malformed percent-encoding in URL path', { code: 'ERR_BAD_PATH' });
    const allowed = this.#router.allowedMethods(path);
    if (allowed.length > 0) {
      const allow = allowHeader(allowed, this.#router.lookup('GET', path)?.value.head ?? false);
      if (req.method === 'OPTIONS') return new Response(null, { status: 204, headers: { allow } });
      throw new HTTPException(405, 'Method Not Allowed', { headers: { allow }, code: 'ERR_METHOD_NOT_ALLOWED' });
    }
    if (this.#redirectSlashes && (req.method === 'GET' || req.method === 'HEAD') && path !== '/') {
      const other = path.endsWith('/') ? path.slice(0, -1) : `${path}/`;
      const target = rawPath.endsWith('/') ? rawPath.slice(0, -1) : `${rawPath}/`;
      // `//host` (and `/\host`, which browsers read the same way) would leave the site.
      if (!/^\/[/\\]/.test(target) && this.#router.lookup('GET', other) !== null) {
        return redirect(target + (q === -1 ? '' : raw.slice(q)), 308);
      }
    }
    if (this.#webSockets.hasRoute(path)) {
      throw new HTTPException(426, 'Upgrade Required: this is a WebSocket endpoint', { headers: { upgrade: 'websocket' }, code: 'ERR_UPGRADE_REQUIRED' });
    }
    throw new HTTPException(404, 'Not Found', { code: 'ERR_NOT_FOUND' });
  }

  #onUpgrade = (nodeReq: IncomingMessage, socket: Duplex, head: Buffer): void => {
    try {
      this.#compileIfChanged();
    } catch (err) {
      this.logger.error('The route table could not be compiled', { error: err });
      socket.destroy();
      return;
    }
    // Other upgrades are served as plain HTTP, where `#onRequest` checks the host.
    if (isWebSocketUpgrade(nodeReq.headers) && refuseBadUpgradeHost(nodeReq, socket)) return;
    this.#webSockets.handleUpgrade(nodeReq, socket, head, this.#draining, this.#onRequest);
  };

  #onRequest = (nodeReq: IncomingMessage, nodeRes: ServerResponse): void => {
    if (refuseBadHost(nodeReq, nodeRes)) return;
    if (nodeReq.headers['transfer-encoding'] !== undefined && refuseTransferCoding(nodeReq, nodeRes)) return;
    const method = nodeReq.method as string;
    let url = nodeReq.url as string;
    if (url.charCodeAt(0) !== 47) url = originForm(url);
    let resolved: [CompiledRoute, unknown];
    try {
      resolved = this.#resolve(method, url);
    } catch (err) {
      // A route added after startup broke the table (a duplicate, say): keep serving the rest.
      this.logger.error('The route table could not be compiled', { error: err });
      writeJson(nodeRes, 500, { error: 'Internal Server Error' }, false);
      return;
    }
    const [route, params] = resolved;
    const req = new Request({
      method,
      url,
      headers: nodeReq.headers,
      params,
      route: route.info,
      bodyLimit: route.bodyLimit,
      source: nodeReq,
      response: nodeRes,
      client: null,
      schemas: route.schemas,
      multipart: route.multipart,
      overrides: this.dependencyOverrides,
    });
    let out: unknown;
    let pending: boolean;
    try {
      out = route.timeout === 0 ? route.run(req) : this.#invoke(route, req);
      pending = out instanceof Promise; // throws for a revoked Proxy
    } catch (err) {
      void this.#sendError(req, nodeRes, err, route.owner);
      return;
    }
    if (pending) {
      (out as Promise<unknown>).then(
        (result: unknown) => this.#send(req, nodeRes, result),
        (err: unknown) => this.#sendError(req, nodeRes, err, route.owner),
      );
    } else {
      this.#send(req, nodeRes, out);
    }
  };

  #send(req: Request, res: ServerResponse, result: unknown): void {
    if (res.headersSent) {
      void this.#finish(req);
      return;
    }
    let written: boolean;
    try {
      // Telling a plain object from the rest reads the value (its prototype, `toJSON`): a Proxy
      // can throw there, and uncaught in this callback that would take the process down.
      written = isJsonObject(result) || isJsonModel(result);
      if (written) writeJson(res, 200, result, this.#mustClose(req, res));
    } catch (err) {
      void this.#sendError(req, res, err);
      return;
    }
    if (written) {
      if (req[kPending]) void this.#finish(req);
      return;
    }
    let response: Response;
    try {
      response = toResponse(result);
    } catch (err) {
      void this.#sendError(req, res, err);
      return;
    }
    this.#write(req, res, response);
  }

  /** `recover`: a stream failing before its first chunk is answered with the error response (not for an error response itself). */
  #write(req: Request, res: ServerResponse, response: Response, recover = true): void {
    const close = this.#mustClose(req, res);
    let pending: Promise<void> | undefined;
    try {
      pending = writeResponse(res, response, req.method === 'HEAD', close);
    } catch (err) {
      pending = Promise.reject(err);
    }
    if (pending === undefined) {
      if (req[kPending]) void this.#finish(req);
      return;
    }
    const events = response.body;
    if (isEventStream(events)) {
      if (this.#endingEventStreams) endEventStream(events, req);
      this.#eventStreams.set(events, req);
      const forget = (): boolean => this.#eventStreams.delete(events);
      pending.then(forget, forget);
    }
    pending.then(
      () => this.#finish(req),
      (err: unknown) => {
        // The stream failed before its first chunk: nothing is written yet, so the client gets
        // the error response (a 500, or the HTTPException's status) instead of a cut connection.
        if (recover && !res.headersSent && !res.destroyed) return this.#sendError(req, res, err);
        // A client that leaves mid-stream is no server error, but the request did not complete.
        if (!(err instanceof ClientClosedError)) this.logger.error('response body failed', { error: err, method: req.method, path: req.path });
        res.destroy();
        return this.#finish(req, { error: err });
      },
    );
  }

  /**
   * Whether the response must end the connection; HTTP/2 has no `Connection` header. A body
   * left unread (past the limit) also keeps the socket reading for a while after the answer.
   */
  #mustClose(req: Request, res: ServerResponse): boolean {
    if (req.raw?.httpVersionMajor === 2) return false;
    if (req[kBodyIncomplete]) {
      lingerAfterResponse(res);
      return true;
    }
    return this.#draining;
  }

  async #sendError(req: Request, res: ServerResponse, err: unknown, owner: CovetApp = this): Promise<void> {
    const response = await owner.#errorResponse(err, req);
    if (res.headersSent) {
      res.destroy();
      await this.#finish(req);
      return;
    }
    this.#write(req, res, response, false);
  }

  /**
   * After the response: generator dependencies clean up; their errors are logged. `failure`: the
   * response body failed after it started (a `stream()` whose generator threw), so the request
   * failed — the error is thrown in at each generator's `yield` (a transaction rolls back).
   */
  async #finish(req: Request, failure?: { readonly error: unknown }): Promise<void> {
    const scope = req[kScope](false);
    if (scope !== null) {
      if (failure === undefined) await scope.close((err) => this.logger.error('dependency cleanup failed', { error: err }));
      else {
        const after = await scope.fail(failure.error);
        // A generator that did not rethrow handled it; one that threw something else is news.
        if (after !== failure.error) this.logger.error('dependency cleanup failed', { error: after });
      }
    }
    await req[kCleanup]((err) => this.logger.error('request cleanup failed', { error: err }));
  }

  /**
   * Any error → a response, never a rejection: anything can be thrown, including a value that
   * cannot even be inspected (a revoked Proxy, on which `instanceof` throws); that is a 500.
   */
  async #errorResponse(error: unknown, req: Request): Promise<Response> {
    try {
      return await this.#errorResponseFor(error, req);
    } catch (thrown) {
      try {
        this.logger.error('Unhandled error in request', { method: req.method, path: req.path, error: thrown });
      } catch {
        // As below: the client still gets its 500.
      }
      return json({ error: 'Internal Server Error' }, 500);
    }
  }

  /**
   * The `onError` handler for `err`: the one registered for its nearest class (as Starlette and
   * Flask pick by the class hierarchy), so `onError(NotFoundError)` is not shadowed by an
   * `onError(Error)` registered before it; the first registered among handlers of one class.
   */
  #errorHandlerFor(err: unknown): ErrorHandler<unknown> | undefined {
    let best: ErrorHandler<unknown> | undefined;
    let bestDistance = Number.POSITIVE_INFINITY;
    for (const [errorClass, handler] of this.#errorHandlers) {
      if (!(err instanceof errorClass)) continue;
      let distance = 0;
      for (let proto = Object.getPrototypeOf(err); proto !== null && proto !== errorClass.prototype; proto = Object.getPrototypeOf(proto)) distance++;
      if (distance < bestDistance) {
        best = handler;
        bestDistance = distance;
      }
    }
    return best;
  }

  /** Any error → a response: user handlers, then `HTTPException`, then a logged 500. */
  async #errorResponseFor(error: unknown, req: Request): Promise<Response> {
    let err = error;
    const scope = req[kScope](false);
    if (scope !== null) err = await scope.fail(err);
    const handler = this.#errorHandlerFor(err);
    if (handler !== undefined) {
      try {
        const out = await handler(err, req);
        if (out !== undefined) return toResponse(out);
      } catch (thrown) {
        err = thrown;
      }
    }
    if (err instanceof HTTPException) {
      try {
        const res = json(err.toJSON(), err.status);
        if (err.headers) for (const [k, v] of Object.entries(err.headers)) res.headers.set(k, v);
        return res;
      } catch (thrown) {
        // Headers that cannot be sent (a line break in a value): a bug, answered as one.
        err = thrown;
      }
    }
    try {
      this.logger.error('Unhandled error in request', { method: req.method, path: req.path, error: err });
    } catch {
      // A logger that fails (or an error it cannot format) must not cost the client its 500.
    }
    if (requestErrorChannel.hasSubscribers) {
      const message: RequestErrorMessage = { app: this, request: req, error: err };
      requestErrorChannel.publish(message);
    }
    const body: Record<string, unknown> = { error: 'Internal Server Error' };
    if (this.debug) Object.assign(body, debugDetail(err));
    return json(body, 500);
  }
}

/** The debug body's `detail` and `stack`; any value can be thrown, even one that cannot be printed. */
function debugDetail(err: unknown): { detail: string; stack: string[] } {
  let e: Error;
  let detail: string;
  try {
    e = err instanceof Error ? err : new Error(String(err));
    detail = `${e.name}: ${e.message}`;
  } catch {
    return { detail: `${typeof err} that cannot be converted to a string`, stack: [] };
  }
  try {
    return { detail, stack: String(e.stack ?? '').split('\n').map((line) => line.trim()) };
  } catch {
    return { detail, stack: [] };
  }
}

/** An `Allow` value for `methods` (once each, in order), with HEAD when a GET route answers it (`head`), and OPTIONS. */
function allowHeader(methods: readonly string[], head: boolean): string {
  const allow = new Set(methods);
  if (head) allow.add('HEAD');
  allow.add('OPTIONS');
  return [...allow].join(', ');
}

/**
 * Ends a Server-Sent Events stream at shutdown: `req.signal` aborts first, so a source awaiting
 * it (as the docs advise) reaches its `finally`, then the stream ends cleanly.
 */
function endEventStream(events: AsyncIterableIterator<string>, req: Request): void {
  req[kAbort](new Error('The server is shutting down'));
  void events.return?.();
}
