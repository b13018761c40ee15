import { isPlainObject } from './http/send.js';
import { defineWebSocket, type WebSocketDefinition, type WebSocketHandler, type WebSocketRouteOptions } from './http/websocket/websocket-route.js';
import type { Request } from './request.js';
import { type PathPart, parseRoutePath } from './router/route-path.js';
import { isStandardSchema } from './schema.js';
import { type Rules, Validator } from './validator.js';
import type { CovetApp } from './app.js';
import type {
  AddRoute,
  DepsMap,
  Handler,
  HandlerResult,
  JoinPath,
  Middleware,
  MethodName,
  PrefixRoutes,
  ResponseCheck,
  ResponseOption,
  RouteHandler,
  RouteMeta,
  RouteOptions,
  RouteSchema,
  RoutesOf,
} from './types.js';

/** A route as declared, before prefixes and middleware are applied. */
type AnyFunction = (...args: never[]) => unknown;

/** A handler as stored: the typed forms are checked where routes are declared. */
export type StoredHandler = (req: Request, deps: Readonly<Record<string, unknown>>) => unknown;

export interface RouteDefinition {
  readonly methods: readonly string[];
  readonly path: string;
  readonly handler: StoredHandler;
  readonly options: RouteOptions;
}

/** Options shared by groups and `includeRouter`. */
export interface GroupOptions<D extends DepsMap = DepsMap> {
  /** Middleware for every route of the group, after app middleware and before route middleware. */
  readonly middleware?: readonly Middleware[];
  /** Dependencies resolved for every route of the group (and passed to handlers with theirs). */
  readonly deps?: D;
  /** OpenAPI tags for every route. */
  readonly tags?: readonly string[];
  /** `meta` for every route (a route's own keys win), read as `req.route.meta`. */
  readonly meta?: RouteMeta;
}

/** A child of a collection: a route, a WebSocket route, a nested group, or an included group under a prefix. */
export type CollectionEntry =
  | { readonly kind: 'route'; readonly route: RouteDefinition }
  | { readonly kind: 'websocket'; readonly websocket: WebSocketDefinition }
  | { readonly kind: 'group'; readonly prefix: string; readonly group: RouteGroup; readonly options: GroupOptions };

/**
 * A route's `body`/`query` option as a Standard Schema: a `Validator` rule dict becomes a
 * `Validator` — converting types for `query`, whose values are always strings.
 */
function routeSchema(value: unknown, path: string, option: 'body' | 'query'): RouteOptions['body'] {
  if (value === undefined || isStandardSchema(value)) return value;
  if (isPlainObject(value)) return new Validator(value as Rules, { coerce: option === 'query' });
  throw new TypeError(`route(${JSON.stringify(path)}): ${option} must be a Standard Schema (Zod, Valibot, Validator…) or a Validator rule dict`);
}

/**
 * JSON Schema (and OpenAPI) keywords whose value may be an object. A dict holding one is a JSON
 * Schema, however its other values look; every other keyword (`type`, `required`, `$ref`,
 * `anyOf`…) takes a string, a list or a number, which no rule dict holds.
 */
const OBJECT_KEYWORDS = new Set([
  'properties',
  'patternProperties',
  'additionalProperties',
  'dependentSchemas',
  '$defs',
  'definitions',
  'items',
  'contains',
  'propertyNames',
  'unevaluatedProperties',
  'unevaluatedItems',
  'not',
  'if',
  'then',
  'else',
  'dependentRequired',
  'dependencies',
  'const',
  'default',
  'discriminator',
  'externalDocs',
  'xml',
  '$vocabulary',
]);

/**
 * True for a `Validator` rule dict (`{ name: { required: true } }`): a non-empty plain object
 * whose values are all plain objects (rules), keyed by field names rather than status codes or
 * the JSON Schema keywords above. Anything else is a Standard Schema, a JSON Schema or a map.
 */
function isRuleDict(value: unknown): value is Rules {
  if (!isPlainObject(value) || isStandardSchema(value)) return false;
  const entries = Object.entries(value);
  return (
    entries.length > 0 && entries.every(([k, v]) => isPlainObject(v) && !isStandardSchema(v) && !OBJECT_KEYWORDS.has(k) && !/^\d+$/.test(k))
  );
}

/**
 * A route's `response` option with each `Validator` rule dict (the option itself, or a status
 * map's entry) made a `Validator`, so it filters and is documented as `body` and `query` are;
 * Standard Schemas and plain JSON Schema objects are kept as they are.
 */
function responseOption(value: ResponseOption | undefined): ResponseOption | undefined {
  if (isRuleDict(value)) return new Validator(value);
  const option: unknown = value;
  if (!isPlainObject(option) || isStandardSchema(option)) return value;
  const keys = Object.keys(option);
  if (keys.length === 0 || !keys.every((k) => /^\d+$/.test(k))) return value;
  if (!keys.some((k) => isRuleDict(option[k]))) return value;
  const map: Record<number, unknown> = {};
  for (const k of keys) {
    const schema = option[k];
    map[Number(k)] = isRuleDict(schema) ? new Validator(schema) : schema;
  }
  return map as ResponseOption;
}

/** A handler without options, its return type `R` recorded for `covet/client`. */
type PlainHandler<P extends string, G, R> = Handler<P, G, unknown, Record<string, string>, R>;

/**
 * Route options with nothing that types the handler (no schemas, no `deps`; `route` adds
 * `methods`): their handler is typed as without options, so a wrapper around it
 * (`requireToken(async (req) => …)`) still learns the route's typed `req` from it.
 */
type PlainOptions = Omit<RouteOptions, 'methods' | 'response' | 'body' | 'query' | 'deps'> & {
  readonly body?: never;
  readonly query?: never;
  readonly deps?: never;
  readonly response?: never;
};

/** A handler with options: typed by its schemas and checked against its `response` option. */
type SchemaHandler<P extends string, D, BS extends RouteSchema, QS extends RouteSchema, RS, R> = RouteHandler<P, D, BS, QS, R> &
  ResponseCheck<RS, R, P, D, BS, QS>;

/**
 * The signature of `get`, `post`, … : `(path, handler)` or `(path, options, handler)`. The
 * result is the same collection, its type with the route added to its route list (see
 * `AddRoute`), for chaining; an app stays a `CovetApp`, a group a `RouteGroup`. The list `L`
 * is inferred from the receiver with the route's own types in one step, so each call costs the
 * same however long the chain.
 */
export interface RouteShorthand<G extends DepsMap = Record<never, never>, M extends string = string, Prefix extends string = ''> {
  <P extends string, R extends HandlerResult, L>(
    this: CovetApp<L>,
    path: P,
    handler: PlainHandler<JoinPath<Prefix, P>, G, R>,
  ): CovetApp<L | AddRoute<M, JoinPath<Prefix, P>, undefined, undefined, R>>;
  <P extends string, R extends HandlerResult, L>(
    this: RouteGroup<G, Prefix, L>,
    path: P,
    handler: PlainHandler<JoinPath<Prefix, P>, G, R>,
  ): RouteGroup<G, Prefix, L | AddRoute<M, JoinPath<Prefix, P>, undefined, undefined, R>>;
  // Options that type nothing (see PlainOptions): the handler is typed as without them.
  <P extends string, R extends HandlerResult, L>(
    this: CovetApp<L>,
    path: P,
    options: PlainOptions,
    handler: PlainHandler<JoinPath<Prefix, P>, G, R>,
  ): CovetApp<L | AddRoute<M, JoinPath<Prefix, P>, undefined, undefined, R>>;
  <P extends string, R extends HandlerResult, L>(
    this: RouteGroup<G, Prefix, L>,
    path: P,
    options: PlainOptions,
    handler: PlainHandler<JoinPath<Prefix, P>, G, R>,
  ): RouteGroup<G, Prefix, L | AddRoute<M, JoinPath<Prefix, P>, undefined, undefined, R>>;
  <
    P extends string,
    R extends HandlerResult,
    L,
    D extends DepsMap = Record<never, never>,
    BS extends RouteSchema = undefined,
    QS extends RouteSchema = undefined,
    RS extends ResponseOption | undefined = undefined,
  >(
    this: CovetApp<L>,
    path: P,
    options: Omit<RouteOptions<D, BS, QS, RS>, 'methods'>,
    handler: SchemaHandler<JoinPath<Prefix, P>, G & D, BS, QS, RS, R>,
  ): CovetApp<L | AddRoute<M, JoinPath<Prefix, P>, BS, QS, R, RS>>;
  <
    P extends string,
    R extends HandlerResult,
    L,
    D extends DepsMap = Record<never, never>,
    BS extends RouteSchema = undefined,
    QS extends RouteSchema = undefined,
    RS extends ResponseOption | undefined = undefined,
  >(
    this: RouteGroup<G, Prefix, L>,
    path: P,
    options: Omit<RouteOptions<D, BS, QS, RS>, 'methods'>,
    handler: SchemaHandler<JoinPath<Prefix, P>, G & D, BS, QS, RS, R>,
  ): RouteGroup<G, Prefix, L | AddRoute<M, JoinPath<Prefix, P>, BS, QS, R, RS>>;
}

/** Bumped by every change to any route collection; apps recompile when it moved. */
export const routeTableVersion = { value: 0 };

function normalizePrefix(prefix: string): string {
  if (prefix === '' || prefix === '/') return '';
  if (!prefix.startsWith('/')) throw new TypeError(`A prefix must start with "/": ${JSON.stringify(prefix)}`);
  return prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
}

/** Joins a prefix and a route path: `/api` + `/` → `/api`, `/api` + `/users` → `/api/users`. */
export function joinPath(prefix: string, path: string): string {
  const p = normalizePrefix(prefix);
  if (p === '') return path;
  return path === '/' ? p : p + path;
}

/** What the router matches a path by: its text, and its placeholders' converters but not their names. */
function routeShape(parts: readonly PathPart[]): string {
  let shape = '';
  for (const part of parts) shape += part.kind === 'static' ? part.text : `{:${part.converter}}`;
  return shape;
}

/**
 * A set of routes with shared middleware and dependencies. `app.routeGroup(prefix)` makes one
 * attached to the app; `new RouteGroup()` makes a free-standing one for `app.includeRouter`.
 *
 * @example
 * const api = app.routeGroup('/api/v1', { middleware: [auth] });
 * api.get('/users/{user_id:int}', async (req) => ({ user_id: req.params.user_id }));
 */
export class RouteGroup<G extends DepsMap = Record<never, never>, Prefix extends string = '', Routes = never> {
  /**
   * Type only, never set: the routes registered by chaining (`Routes`, a union of
   * `RouteEntry`), read by `covet/client`. A function's parameter, so any app type is
   * assignable to a plain `CovetApp` whatever routes it lists.
   */
  declare readonly '~routes'?: (routes: Routes) => void;
  readonly #entries: CollectionEntry[] = [];
  /** `METHOD shape` of each route added here → its path: a second route of that shape could never match. */
  readonly #shapes = new Map<string, string>();
  readonly #middleware: Middleware[] = [];
  /** Registers a handler; `GET` unless `options.methods` says otherwise. */
  route<P extends string, R extends HandlerResult, L>(
    this: CovetApp<L>,
    path: P,
    handler: PlainHandler<JoinPath<Prefix, P>, G, R>,
  ): CovetApp<L | AddRoute<'GET', JoinPath<Prefix, P>, undefined, undefined, R>>;
  route<P extends string, R extends HandlerResult, L>(
    this: RouteGroup<G, Prefix, L>,
    path: P,
    handler: PlainHandler<JoinPath<Prefix, P>, G, R>,
  ): RouteGroup<G, Prefix, L | AddRoute<'GET', JoinPath<Prefix, P>, undefined, undefined, R>>;
  // Options that type nothing (see PlainOptions): wrapped handlers keep their typed `req`.
  route<P extends string, R extends HandlerResult, L, const MS extends readonly MethodName[] = readonly ['GET']>(
    this: CovetApp<L>,
    path: P,
    options: PlainOptions & { readonly methods?: MS },
    handler: PlainHandler<JoinPath<Prefix, P>, G, R>,
  ): CovetApp<L | AddRoute<Uppercase<MS[number]>, JoinPath<Prefix, P>, undefined, undefined, R>>;
  route<P extends string, R extends HandlerResult, L, const MS extends readonly MethodName[] = readonly ['GET']>(
    this: RouteGroup<G, Prefix, L>,
    path: P,
    options: PlainOptions & { readonly methods?: MS },
    handler: PlainHandler<JoinPath<Prefix, P>, G, R>,
  ): RouteGroup<G, Prefix, L | AddRoute<Uppercase<MS[number]>, JoinPath<Prefix, P>, undefined, undefined, R>>;
  route<
    P extends string,
    R extends HandlerResult,
    L,
    D extends DepsMap = Record<never, never>,
    BS extends RouteSchema = undefined,
    QS extends RouteSchema = undefined,
    RS extends ResponseOption | undefined = undefined,
    const MS extends readonly MethodName[] = readonly ['GET'],
  >(
    this: CovetApp<L>,
    path: P,
    options: RouteOptions<D, BS, QS, RS> & { readonly methods?: MS },
    handler: SchemaHandler<JoinPath<Prefix, P>, G & D, BS, QS, RS, R>,
  ): CovetApp<L | AddRoute<Uppercase<MS[number]>, JoinPath<Prefix, P>, BS, QS, R, RS>>;
  route<
    P extends string,
    R extends HandlerResult,
    L,
    D extends DepsMap = Record<never, never>,
    BS extends RouteSchema = undefined,
    QS extends RouteSchema = undefined,
    RS extends ResponseOption | undefined = undefined,
    const MS extends readonly MethodName[] = readonly ['GET'],
  >(
    this: RouteGroup<G, Prefix, L>,
    path: P,
    options: RouteOptions<D, BS, QS, RS> & { readonly methods?: MS },
    handler: SchemaHandler<JoinPath<Prefix, P>, G & D, BS, QS, RS, R>,
  ): RouteGroup<G, Prefix, L | AddRoute<Uppercase<MS[number]>, JoinPath<Prefix, P>, BS, QS, R, RS>>;
  route(path: string, a: RouteOptions | AnyFunction, b?: AnyFunction): unknown {
    const [options, handler] = typeof a === 'function' ? [{}, a] : [a, b];
    return this.#add(path, options, handler, options.methods ?? ['GET']);
  }

  #add(path: string, options: RouteOptions, handler: AnyFunction | undefined, methodList: readonly string[]): this {
    if (typeof handler !== 'function') throw new TypeError(`route(${JSON.stringify(path)}) needs a handler function`);
    // A malformed path fails here, where it is written, not at startup; so does a duplicate.
    const shape = routeShape(parseRoutePath(path));
    const methods = methodList.map((m) => m.toUpperCase());
    if (methods.length === 0) throw new TypeError(`route(${JSON.stringify(path)}) has an empty methods list`);
    for (const method of methods) {
      const earlier = this.#shapes.get(`${method} ${shape}`);
      if (earlier !== undefined) throw new TypeError(`Route ${method} ${path} conflicts with ${method} ${earlier}, added before`);
    }
    const { status } = options;
    if (status !== undefined && (typeof status !== 'number' || !Number.isInteger(status) || status < 100 || status > 599)) {
      throw new RangeError(`route(${JSON.stringify(path)}): status must be an integer from 100 to 599, got ${String(status)}`);
    }
    for (const method of methods) this.#shapes.set(`${method} ${shape}`, path);
    const body = routeSchema(options.body, path, 'body');
    const query = routeSchema(options.query, path, 'query');
    const response = responseOption(options.response);
    if (body !== options.body || query !== options.query || response !== options.response) options = { ...options, body, query, response };
    this.#entries.push({ kind: 'route', route: { methods, path, handler: handler as StoredHandler, options } });
    routeTableVersion.value++;
    return this;
  }

  #shorthand<M extends string>(method: M): RouteShorthand<G, M, Prefix> {
    return ((path: string, a: RouteOptions | AnyFunction, b?: AnyFunction) => {
      const [options, handler] = typeof a === 'function' ? [{}, a] : [a, b];
      return this.#add(path, options, handler, [method]);
    }) as unknown as RouteShorthand<G, M, Prefix>;
  }

  /** `GET` route (it also answers `HEAD`). */
  readonly get: RouteShorthand<G, 'GET', Prefix> = this.#shorthand('GET');
  /** `POST` route. */
  readonly post: RouteShorthand<G, 'POST', Prefix> = this.#shorthand('POST');
  /** `PUT` route. */
  readonly put: RouteShorthand<G, 'PUT', Prefix> = this.#shorthand('PUT');
  /** `PATCH` route. */
  readonly patch: RouteShorthand<G, 'PATCH', Prefix> = this.#shorthand('PATCH');
  /** `DELETE` route. */
  readonly delete: RouteShorthand<G, 'DELETE', Prefix> = this.#shorthand('DELETE');
  /** `OPTIONS` route (without one, `OPTIONS` is answered automatically with `Allow`). */
  readonly options: RouteShorthand<G, 'OPTIONS', Prefix> = this.#shorthand('OPTIONS');
  /** `HEAD` route (without one, `HEAD` runs the `GET` route and drops the body). */
  readonly head: RouteShorthand<G, 'HEAD', Prefix> = this.#shorthand('HEAD');

  /**
   * Registers a WebSocket route on the same server and port as HTTP (RFC 6455, with
   * permessage-deflate when `compression` is set). On a group, the path is under the group's
   * prefix, and the group's middleware and `deps` apply as to its HTTP routes. `ws.params` is
   * typed from the path (the group's prefix included); `deps` resolve with the opening request;
   * app, group and route middleware run for the handshake (see docs/websocket.md). HTTP/2
   * extended CONNECT (RFC 8441) is not supported: browsers fall back to HTTP/1.1 for WebSockets.
   *
   * @example
   * app.websocket('/ws/{room}', async (ws) => {
   *   await ws.accept();
   *   for await (const message of ws) await ws.sendText(`${ws.params.room}: ${String(message)}`);
   * });
   * app.routeGroup('/api', { middleware: [auth] }).websocket('/live', async (ws) => ws.sendText('hi')); // /api/live
   */
  websocket<P extends string>(path: P, handler: WebSocketHandler<JoinPath<Prefix, P>, G>): this;
  websocket<P extends string, D extends DepsMap = Record<never, never>>(
    path: P,
    options: WebSocketRouteOptions<D>,
    handler: WebSocketHandler<JoinPath<Prefix, P>, G & D>,
  ): this;
  websocket(path: string, a: WebSocketRouteOptions | AnyFunction, b?: AnyFunction): this {
    const [options, handler] = typeof a === 'function' ? [{}, a] : [a, b];
    this.#entries.push({ kind: 'websocket', websocket: defineWebSocket(path, options, handler) });
    routeTableVersion.value++;
    return this;
  }

  /** Adds middleware for every route of this collection. */
  addMiddleware(middleware: Middleware): this {
    assertMiddleware(middleware);
    this.#middleware.push(middleware);
    routeTableVersion.value++;
    return this;
  }

  /** A nested group under `prefix`, with its own middleware and dependencies. */
  routeGroup<P extends string, D extends DepsMap = Record<never, never>>(
    prefix: P,
    options: GroupOptions<D> = {},
  ): RouteGroup<G & D, JoinPath<Prefix, P>> {
    const group = new RouteGroup<G & D, JoinPath<Prefix, P>>();
    // The group's type parameters exist only in types: it is stored like any other.
    this.#entries.push({ kind: 'group', prefix: normalizePrefix(prefix), group: group as unknown as RouteGroup, options });
    routeTableVersion.value++;
    return group;
  }

  /** Adds every route of a free-standing group under `prefix` (FastAPI's `include_router`). */
  includeRouter<T extends RouteGroup<DepsMap, string>, L, P extends string = ''>(
    this: CovetApp<L>,
    group: T,
    options?: GroupOptions & { readonly prefix?: P },
  ): CovetApp<L | PrefixRoutes<JoinPath<Prefix, P>, RoutesOf<T>>>;
  includeRouter<T extends RouteGroup<DepsMap, string>, L, P extends string = ''>(
    this: RouteGroup<G, Prefix, L>,
    group: T,
    options?: GroupOptions & { readonly prefix?: P },
  ): RouteGroup<G, Prefix, L | PrefixRoutes<JoinPath<Prefix, P>, RoutesOf<T>>>;
  includeRouter(group: RouteGroup<DepsMap, string>, options: GroupOptions & { readonly prefix?: string } = {}): unknown {
    if (!(group instanceof RouteGroup)) throw new TypeError('includeRouter() takes a RouteGroup');
    this.#entries.push({ kind: 'group', prefix: normalizePrefix(options.prefix ?? ''), group, options });
    routeTableVersion.value++;
    return this;
  }

  /** @internal What this collection holds, in order. */
  get entries(): readonly CollectionEntry[] {
    return this.#entries;
  }

  /** @internal Middleware added with `addMiddleware`. */
  get middlewareList(): readonly Middleware[] {
    return this.#middleware;
  }
}

/** Throws unless `value` is a function or an object with `handle`. */
export function assertMiddleware(value: unknown): asserts value is Middleware {
  if (typeof value === 'function') return;
  if (typeof value === 'object' && value !== null && typeof (value as { handle?: unknown }).handle === 'function') return;
  throw new TypeError('Middleware must be a function (req, callNext) or an object with handle(req, callNext)');
}
