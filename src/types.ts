import type { Dependency } from './depends.js';
import type { MultipartOptions } from './http/multipart.js';
import type { Request } from './request.js';
import type { Response } from './response.js';
import type { SchemaOutput, StandardSchemaV1 } from './schema.js';

/** The methods `route` accepts (others can be used through `methods`, upper-cased). */
export const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;
export type Method = (typeof METHODS)[number];

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
export type Handler<P extends string = string, D = Record<never, never>, B = unknown, Q = Record<string, string>> = (
  req: Request<PathParams<P>, B, Q>,
  deps: ResolvedDeps<D>,
) => unknown;

/** What a route's `body`/`query` option may hold: a Standard Schema (Zod, Valibot, Covet's `Validator`…). */
export type RouteSchema = StandardSchemaV1 | undefined;

/** The handler type for a route path, its deps and its schemas. */
export type RouteHandler<P extends string, D, BS extends RouteSchema, QS extends RouteSchema> = Handler<
  P,
  D,
  SchemaOutput<BS, unknown>,
  SchemaOutput<QS, Record<string, string>>
>;

/** Options for one route (`route`, the method shorthands and groups). */
export interface RouteOptions<D extends DepsMap = DepsMap, BS extends RouteSchema = RouteSchema, QS extends RouteSchema = RouteSchema> {
  /**
   * Validates the JSON body before the handler runs (400 `{"errors": {...}}` on failure);
   * `await req.json()` then returns the schema's output type.
   */
  readonly body?: BS;
  /** Validates the query (first value of each parameter); `req.query` is the output. */
  readonly query?: QS;
  /** Methods this route answers. Default `["GET"]` for `route`. */
  readonly methods?: readonly string[];
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
  /** Documentation: a one-line summary, a description and tags (used by OpenAPI). */
  readonly summary?: string;
  readonly description?: string;
  readonly tags?: readonly string[];
}
