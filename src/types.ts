import type { Dependency } from './depends.js';
import type { MultipartOptions } from './http/multipart.js';
import type { Request } from './request.js';
import type { Response } from './response.js';
import type { SchemaOutput, StandardSchemaV1 } from './schema.js';
import type { Rules } from './validator.js';

/** The methods `route` accepts (others can be used through `methods`, upper-cased). */
export const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;
export type Method = (typeof METHODS)[number];
/**
 * A method name in `methods`: one of `METHODS` (suggested by editors), lower case too, or any
 * other token (`PROPFIND`); upper-cased when the route is added.
 */
export type MethodName = Method | Lowercase<Method> | (string & {});

/** Flattens an intersection so editors show `{ id: number; slug: string }`. */
export type Simplify<T> = { [K in keyof T]: T[K] } & {};

type ConvertedType<C extends string> = C extends 'int' | 'float' ? number : string;
type PlaceholderParams<S extends string> = S extends `${infer Name}:${infer Converter}`
  ? { [K in Name]: ConvertedType<Converter> }
  : { [K in S]: string };
type CollectParams<P extends string> = P extends `${string}{${infer Placeholder}}${infer Rest}`
  ? PlaceholderParams<Placeholder> & CollectParams<Rest>
  : unknown;

/**
 * The type of `req.params` for a route path: `{name}` is a `string`, `{name:int}` and
 * `{name:float}` are numbers, `{name:uuid}` and `{name:path}` strings.
 *
 * @example
 * type P = PathParams<'/users/{id:int}/posts/{slug}'> // { id: number; slug: string }
 */
export type PathParams<P extends string> = string extends P
  ? Record<string, unknown>
  : Simplify<CollectParams<P> & Record<never, never>>;

/**
 * The per-request bag `req.state`. Augment it to type what your middleware puts there:
 *
 * @example
 * declare module 'covet' { interface RequestState { user?: { id: number } } }
 */
export interface RequestState {
  [key: string]: unknown;
}

/**
 * What a route tells middleware about itself: the route option `meta`, read back as
 * `req.route.meta` (frozen; empty when the route gave none). Middleware that honours a key
 * declares it by augmenting this interface — `covet/security` adds `csrf` — and you can add
 * your own the same way.
 *
 * @example
 * app.post('/api/webhook', { meta: { csrf: false } }, handler); // CSRFProtection skips it
 * declare module 'covet' { interface RouteMeta { audit?: boolean } }
 */
export interface RouteMeta {
  readonly [key: string]: unknown;
}

/** Dependencies of a route, dependency or group: names to `Depends(...)`. */
export type DepsMap = Readonly<Record<string, Dependency<unknown>>>;

/** The values a `DepsMap` resolves to, as the handler's second argument receives them. */
export type ResolvedDeps<D> = Simplify<{ readonly [K in keyof D]: D[K] extends Dependency<infer T> ? T : never }>;

/** `callNext(req?)` runs the rest of the chain and resolves to its response. */
export type CallNext = (req?: Request) => Promise<Response>;

/** A middleware function: may short-circuit, change the request, or change the response. */
export type MiddlewareFunction = (req: Request, callNext: CallNext) => Response | Promise<Response>;

/** An object middleware (the security and monitoring classes implement `handle`). */
export interface MiddlewareObject {
  handle(req: Request, callNext: CallNext): Response | Promise<Response>;
}

/** Either middleware form. */
export type Middleware = MiddlewareFunction | MiddlewareObject;

/**
 * A route handler: `(req, deps) => result`. See the return-value table in docs/core.md.
 */
export type Handler<P extends string = string, D = Record<never, never>, B = unknown, Q = Record<string, string>, R = unknown> = (
  req: Request<PathParams<P>, B, Q>,
  deps: ResolvedDeps<D>,
) => R;

/**
 * What a route's `body`/`query` option may hold: a Standard Schema (Zod, Valibot, Covet's
 * `Validator`…) or a `Validator` rule dict (`{ name: { required: true, maxLength: 100 } }`).
 */
export type RouteSchema = StandardSchemaV1 | Rules | undefined;

/**
 * `req.query`'s type for a `query` schema: the schema's output, where a field the schema leaves
 * untyped (a rule without a type, `z.unknown()`) is a `string`, the only thing a query parameter
 * can hold.
 */
export type QueryOutput<QS extends RouteSchema> = [QS] extends [undefined]
  ? Record<string, string>
  : SchemaOutput<QS, Record<string, string>> extends infer O
    ? { [K in keyof O]: unknown extends O[K] ? string : O[K] }
    : never;

/** The handler type for a route path, its deps and its schemas. */
export type RouteHandler<P extends string, D, BS extends RouteSchema, QS extends RouteSchema, R = unknown> = Handler<
  P,
  D,
  SchemaOutput<BS, unknown>,
  QueryOutput<QS>,
  R
>;

/**
 * A route's default success status (the `status` route option): editors suggest the 2xx codes,
 * and any other integer from 100 to 599 is accepted too.
 */
export type RouteStatus = 200 | 201 | 202 | 203 | 204 | 205 | 206 | 207 | 208 | 226 | (number & {});

/** One response schema: a Standard Schema (Zod, Valibot, `Validator`…), a `Validator` rule dict or a plain JSON Schema object. */
export type ResponseSchema = StandardSchemaV1 | { readonly [keyword: string]: unknown };

/**
 * What a route's `response` option may hold: one schema for every 2xx JSON response, or a map
 * of status codes to schemas (`{ 200: User, 404: NotFound }`).
 */
export type ResponseOption = ResponseSchema | { readonly [status: number]: ResponseSchema };

type SchemaInput<S> = S extends { readonly '~standard': { readonly types?: infer T } }
  ? NonNullable<T> extends { readonly input: infer I; readonly output: infer O }
    ? unknown extends I
      ? O
      : I
    : unknown
  : unknown;
type SuccessStatus = 200 | 201 | 202 | 203 | 204 | 205 | 206 | 207 | 208 | 226;
type IsStatusMap<RS> = RS extends StandardSchemaV1 ? false : [keyof RS] extends [number] ? true : false;
type SuccessInput<RS> = IsStatusMap<RS> extends true
  ? [Extract<keyof RS, SuccessStatus>] extends [never]
    ? unknown
    : SchemaInput<RS[Extract<keyof RS, SuccessStatus>]>
  : SchemaInput<RS>;
type AnyInput<RS> = IsStatusMap<RS> extends true ? { [K in keyof RS]: SchemaInput<RS[K]> }[keyof RS] : SchemaInput<RS>;
type OrAny<T> = unknown extends T ? {} | null | undefined : T;

type ResponseValue<RS> =
  | OrAny<SuccessInput<RS>>
  | readonly [OrAny<AnyInput<RS>>, number]
  | readonly [OrAny<AnyInput<RS>>, number, Readonly<Record<string, string>>]
  | Response
  | string
  | Uint8Array
  | AsyncIterable<unknown>
  | ReadableStream
  | { toJSON(key: string): unknown }
  | null
  | undefined;
/**
 * What a handler may return on a route with a `response` option: the schema's input type (the
 * status's, in a `[body, status]` tuple), or a value the schema does not apply to (a `Response`,
 * text, bytes, a stream, nothing). Without a `response` option, anything.
 */
export type ResponseResult<RS> = [RS] extends [undefined]
  ? HandlerResult
  : // biome-ignore lint/suspicious/noConfusingVoidType: a handler without a return statement returns void
    ResponseValue<RS> | Promise<ResponseValue<RS> | void> | void;

/**
 * The compile-time check of a handler against its route's `response` option: its return type
 * must fit `ResponseResult` (a handler typed as returning `unknown`, such as a security
 * wrapper's, is not checked).
 */
export type ResponseCheck<RS, R, P extends string, D, BS extends RouteSchema, QS extends RouteSchema> = [RS] extends [undefined]
  ? unknown
  : unknown extends R
    ? unknown
    : RouteHandler<P, D, BS, QS, ResponseResult<RS>>;

/** Options for one route (`route`, the method shorthands and groups). */
export interface RouteOptions<
  D extends DepsMap = DepsMap,
  BS extends RouteSchema = RouteSchema,
  QS extends RouteSchema = RouteSchema,
  RS extends ResponseOption | undefined = ResponseOption | undefined,
> {
  /**
   * Validates the JSON body before the handler runs (400 `{"errors": {...}}` on failure);
   * `await req.json()` then returns the schema's output type.
   */
  readonly body?: BS;
  /** Validates the query (first value of each parameter); `req.query` is the output. */
  readonly query?: QS;
  /** Methods this route answers. Default `["GET"]` for `route`. */
  readonly methods?: readonly MethodName[];
  /** A name for `covet routes` and `app.urlFor`. */
  readonly name?: string;
  /** Route-level middleware, run after app and group middleware. */
  readonly middleware?: readonly Middleware[];
  /** Dependencies resolved before the handler and passed as its second argument. */
  readonly deps?: D;
  /** Largest accepted request body in bytes. Default: the app's `bodyLimit` (1 MiB). */
  readonly bodyLimit?: number;
  /** Multipart upload limits for this route, over the app's. */
  readonly multipart?: MultipartOptions;
  /**
   * Milliseconds the handler may run; past it `req.signal` aborts and the client gets
   * 503 `{"error":"Request timed out"}`. Default: no limit.
   */
  readonly timeout?: number;
  /**
   * Facts for middleware about this route, read as `req.route.meta` (merged over its groups'
   * `meta`). `{ csrf: false }` exempts it from `CSRFProtection`.
   */
  readonly meta?: RouteMeta;
  /** Documentation: a one-line summary, a description and tags (used by OpenAPI). */
  readonly summary?: string;
  readonly description?: string;
  readonly tags?: readonly string[];
  /** Marks the operation `deprecated: true` in OpenAPI (FastAPI's `deprecated=True`); the route still answers. */
  readonly deprecated?: boolean;
  /** `false` leaves the route out of OpenAPI (FastAPI's `include_in_schema=False`); the route still answers. */
  readonly includeInSchema?: boolean;
  /**
   * The response schema (or `{ status: schema }`): documents the response in OpenAPI, drops
   * undeclared fields from what the handler returns (no leaked `passwordHash`) and serialises
   * it with a compiled serializer. See docs/openapi.md.
   */
  readonly response?: RS;
  /**
   * The status of a handler's plain value (FastAPI's `status_code=201`): what is neither a
   * `[body, status]` tuple nor a `Response` is sent with it, and OpenAPI documents the success
   * response under it (without content for a 204). Default 200.
   */
  readonly status?: RouteStatus;
  /**
   * `false`: the route does not also answer `HEAD` with its `GET` (Fastify's
   * `exposeHeadRoute`), for a `GET` that is not safe to run for a probe; `HEAD` then gets 405
   * and `Allow` leaves it out. Default `true`.
   */
  readonly exposeHeadRoute?: boolean;
}

/**
 * What a handler may return, spelt so that `return [body, 201]` is inferred as a tuple (the
 * `[body, status, headers?]` form) rather than an array; it accepts any value.
 *
 * @example
 * const h = (): HandlerResult => [{ created: true }, 201];
 */
// biome-ignore lint/suspicious/noConfusingVoidType: a handler without a return statement returns void
export type HandlerResult = readonly [unknown, number] | readonly [unknown, number, Readonly<Record<string, string>>] | {} | null | undefined | void;

/**
 * What one route records for `covet/client`: its schemas and its handler's return type. Only
 * types: nothing of it exists at runtime.
 *
 * @example
 * type T = RouteTypes<typeof UserBody, undefined, Promise<{ id: number }>>;
 */
export interface RouteTypes<BS = unknown, QS = unknown, R = unknown, RS = unknown> {
  readonly body: BS;
  readonly query: QS;
  readonly response: R;
  /** The `response` option's type (a schema or a status map), `undefined` without one. */
  readonly responseSchema: RS;
}

/**
 * One typed route: its method, its full path and its `RouteTypes`.
 *
 * @example
 * type E = RouteEntry<'GET', '/health', RouteTypes<undefined, undefined, string>>;
 */
export interface RouteEntry<M extends string = string, P extends string = string, T = RouteTypes> {
  readonly method: M;
  readonly path: P;
  readonly types: T;
}

/**
 * The entry one registration adds to a collection's route list (one per method; none when
 * the method is not a literal). Route collections carry the list as a union in their `Routes`
 * type parameter: `new CovetApp().get(…).post(…)` is a `CovetApp<EntryA | EntryB>`, so
 * `typeof app` describes every chained route at no runtime cost; `covet/client` reads it.
 *
 * @example
 * const app = new CovetApp().get('/users/{id:int}', (req) => ({ id: req.params.id }));
 * type E = RoutesOf<typeof app>; // RouteEntry<'GET', '/users/{id:int}', RouteTypes<…>>
 */
export type AddRoute<M extends string, P extends string, BS, QS, R, RS = undefined> = string extends M
  ? never
  : M extends string
    ? RouteEntry<M, P, RouteTypes<BS, QS, R, RS>>
    : never;

/**
 * The route list (a union of `RouteEntry`) of an app or group type, or of a union of them.
 *
 * @example
 * type Paths = RoutesOf<typeof app>['path']; // '/users/{id:int}' | …
 */
export type RoutesOf<T> = T extends { readonly '~routes'?: (routes: infer Routes) => void } ? Routes : never;

/**
 * A prefix joined to a route path at the type level, as `joinPath` does at runtime.
 *
 * @example
 * type P = JoinPath<'/api/', '/users'>; // '/api/users'
 */
export type JoinPath<Prefix extends string, P extends string> = Prefix extends `${infer Head}/`
  ? JoinPath<Head, P>
  : Prefix extends ''
    ? P
    : P extends '/'
      ? Prefix
      : `${Prefix}${P}`;

/**
 * A route list with every path under `Prefix` (for `includeRouter` and `mount`).
 *
 * @example
 * type L = PrefixRoutes<'/admin', RoutesOf<typeof adminGroup>>;
 */
export type PrefixRoutes<Prefix extends string, Routes> = Routes extends RouteEntry<infer M, infer P, infer T>
  ? RouteEntry<M, JoinPath<Prefix, P>, T>
  : never;
