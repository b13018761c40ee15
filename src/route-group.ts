import type { Request } from './request.js';
import { parseRoutePath } from './router/route-path.js';
import type { DepsMap, Handler, Middleware, RouteHandler, RouteOptions, RouteSchema } from './types.js';

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
}

/** A child of a collection: a route, a nested group, or an included group under a prefix. */
export type CollectionEntry =
  | { readonly kind: 'route'; readonly route: RouteDefinition }
  | { readonly kind: 'group'; readonly prefix: string; readonly group: RouteGroup; readonly options: GroupOptions };

/** The signature of `get`, `post`, … : `(path, handler)` or `(path, options, handler)`. */
export interface RouteShorthand<Self, G extends DepsMap = Record<never, never>> {
  <P extends string>(path: P, handler: Handler<P, G>): Self;
  <P extends string, D extends DepsMap = Record<never, never>, BS extends RouteSchema = undefined, QS extends RouteSchema = undefined>(
    path: P,
    options: Omit<RouteOptions<D, BS, QS>, 'methods'>,
    handler: RouteHandler<P, G & D, BS, QS>,
  ): Self;
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

/**
 * A set of routes with shared middleware and dependencies. `app.routeGroup(prefix)` makes one
 * attached to the app; `new RouteGroup()` makes a free-standing one for `app.includeRouter`.
 *
 * @example
 * const api = app.routeGroup('/api/v1', { middleware: [auth] });
 * api.get('/users/{user_id:int}', async (req) => ({ user_id: req.params.user_id }));
 */
export class RouteGroup<G extends DepsMap = Record<never, never>> {
  readonly #entries: CollectionEntry[] = [];
  readonly #middleware: Middleware[] = [];
  /** Registers a handler; `GET` unless `options.methods` says otherwise. */
  route<P extends string>(path: P, handler: Handler<P, G>): this;
  route<P extends string, D extends DepsMap = Record<never, never>, BS extends RouteSchema = undefined, QS extends RouteSchema = undefined>(
    path: P,
    options: RouteOptions<D, BS, QS>,
    handler: RouteHandler<P, G & D, BS, QS>,
  ): this;
  route(path: string, a: RouteOptions | AnyFunction, b?: AnyFunction): this {
    const [options, handler] = typeof a === 'function' ? [{}, a] : [a, b];
    return this.#add(path, options, handler, options.methods ?? ['GET']);
  }

  #add(path: string, options: RouteOptions, handler: AnyFunction | undefined, methodList: readonly string[]): this {
    if (typeof handler !== 'function') throw new TypeError(`route(${JSON.stringify(path)}) needs a handler function`);
    parseRoutePath(path); // a malformed path fails here, where it is written, not at startup
    const methods = methodList.map((m) => m.toUpperCase());
    if (methods.length === 0) throw new TypeError(`route(${JSON.stringify(path)}) has an empty methods list`);
    this.#entries.push({ kind: 'route', route: { methods, path, handler: handler as StoredHandler, options } });
    routeTableVersion.value++;
    return this;
  }

  #shorthand(method: string): RouteShorthand<this, G> {
    return ((path: string, a: RouteOptions | AnyFunction, b?: AnyFunction) => {
      const [options, handler] = typeof a === 'function' ? [{}, a] : [a, b];
      return this.#add(path, options, handler, [method]);
    }) as RouteShorthand<this, G>;
  }

  /** `GET` route (it also answers `HEAD`). */
  readonly get: RouteShorthand<this, G> = this.#shorthand('GET');
  /** `POST` route. */
  readonly post: RouteShorthand<this, G> = this.#shorthand('POST');
  /** `PUT` route. */
  readonly put: RouteShorthand<this, G> = this.#shorthand('PUT');
  /** `PATCH` route. */
  readonly patch: RouteShorthand<this, G> = this.#shorthand('PATCH');
  /** `DELETE` route. */
  readonly delete: RouteShorthand<this, G> = this.#shorthand('DELETE');
  /** `OPTIONS` route (without one, `OPTIONS` is answered automatically with `Allow`). */
  readonly options: RouteShorthand<this, G> = this.#shorthand('OPTIONS');
  /** `HEAD` route (without one, `HEAD` runs the `GET` route and drops the body). */
  readonly head: RouteShorthand<this, G> = this.#shorthand('HEAD');

  /** Adds middleware for every route of this collection. */
  addMiddleware(middleware: Middleware): this {
    assertMiddleware(middleware);
    this.#middleware.push(middleware);
    routeTableVersion.value++;
    return this;
  }

  /** A nested group under `prefix`, with its own middleware and dependencies. */
  routeGroup<D extends DepsMap = Record<never, never>>(prefix: string, options: GroupOptions<D> = {}): RouteGroup<G & D> {
    const group = new RouteGroup<G & D>();
    this.#entries.push({ kind: 'group', prefix: normalizePrefix(prefix), group, options });
    routeTableVersion.value++;
    return group;
  }

  /** Adds every route of a free-standing group under `prefix` (FastAPI's `include_router`). */
  includeRouter(group: RouteGroup<DepsMap>, options: GroupOptions & { readonly prefix?: string } = {}): this {
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
