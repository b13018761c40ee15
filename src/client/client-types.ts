import type { Response as CovetResponse } from '../response.js';
import type { StandardSchemaV1 } from '../schema.js';
import type { PathParams, RouteEntry, RoutesOf, RouteTypes } from '../types.js';
import type { JsonOf } from './json-of.js';

/**
 * A query parameter's value; `undefined` and `null` are left out, arrays repeat the name.
 *
 * @example
 * const page: QueryValue = 2; // ?page=2
 */
export type QueryValue = string | number | boolean | null | undefined;

/**
 * An untyped query: names to values (arrays become `?tag=a&tag=b`).
 *
 * @example
 * await api.get('/items', { query: { tag: ['a', 'b'], page: 2 } });
 */
export type QueryInit = Readonly<Record<string, QueryValue | readonly QueryValue[]>>;

/**
 * What `new Headers(…)` accepts: a `Headers`, `[name, value]` pairs or a record.
 *
 * @example
 * const headers: HeadersInit = { authorization: 'Bearer t' };
 */
export type HeadersInit = ConstructorParameters<typeof Headers>[0];

/**
 * Options every call takes: extra headers (over the client's) and an abort signal.
 *
 * @example
 * await api.get('/health', { headers: { 'x-trace': '1' }, signal: AbortSignal.timeout(1000) });
 */
export interface CallOptions {
  readonly headers?: HeadersInit;
  readonly signal?: AbortSignal;
}

/**
 * Options of `client.request(method, path, init)`, the untyped escape hatch.
 *
 * @example
 * await api.request('HEAD', '/files/{p:path}', { params: { p: 'a/b.txt' } });
 */
export interface RequestOptions extends CallOptions {
  readonly params?: Readonly<Record<string, string | number>>;
  readonly query?: QueryInit;
  readonly body?: unknown;
}

/**
 * A successful (2xx) answer: `data` is the parsed body (JSON, text, `Blob` or `null`).
 *
 * @example
 * const { status, data } = await api.get('/users/{id:int}', { params: { id: 1 } });
 */
export interface ClientResponse<T> {
  readonly status: number;
  readonly headers: Headers;
  readonly data: T;
  /** The underlying fetch `Response` (its body has been read). */
  readonly response: Response;
}

type SchemaInput<S> = S extends StandardSchemaV1<infer I, unknown> ? I : never;

type ParamsPart<P extends string> =
  {} extends PathParams<P> ? { readonly params?: Record<never, never> } : { readonly params: PathParams<P> };

type QueryPart<QS> = [QS] extends [undefined]
  ? { readonly query?: QueryInit }
  : {} extends SchemaInput<QS>
    ? { readonly query?: SchemaInput<QS> }
    : { readonly query: SchemaInput<QS> };

type BodyPart<BS, HasBody extends boolean> = HasBody extends false
  ? {}
  : [BS] extends [undefined]
    ? { readonly body?: unknown }
    : undefined extends SchemaInput<BS>
      ? { readonly body?: SchemaInput<BS> }
      : { readonly body: SchemaInput<BS> };

/**
 * The second argument of a typed call: `params`, `query`, `body` (methods with one), headers.
 *
 * @example
 * type Init = CallInit<'/users/{id:int}', RouteTypes<undefined, undefined, unknown>, false>; // { params: { id: number } } & …
 */
export type CallInit<P extends string, E, HasBody extends boolean> =
  E extends RouteTypes<infer BS, infer QS, unknown> ? ParamsPart<P> & QueryPart<QS> & BodyPart<BS, HasBody> & CallOptions : never;

type InitArgs<I> = {} extends I ? [init?: I] : [init: I];

type BodyData<B> = B extends CovetResponse
  ? unknown
  : // biome-ignore lint/suspicious/noConfusingVoidType: a handler without a return statement returns void
    B extends undefined | null | void
    ? null
    : B extends string
      ? string
      : B extends Uint8Array
        ? Blob
        : B extends AsyncIterable<unknown> | Iterator<unknown> | ReadableStream
          ? unknown
          : JsonOf<B>;

/**
 * The `data` type of a route's answer from its handler's return type: plain values as their
 * JSON form, strings as `string`, bytes as `Blob`, `undefined`/`null` as `null`, a
 * `[body, status]` or `[body, status, headers]` literal as its body, other array literals as
 * arrays, and a `Response` or stream as `unknown`.
 *
 * @example
 * type D = ResponseData<{ at: Date }>; // { at: string }
 */
export type ResponseData<R> = R extends readonly [infer B, number] | readonly [infer B, number, object]
  ? BodyData<B>
  : R extends readonly unknown[]
    ? // An array literal in a handler is inferred as a tuple (see `HandlerResult`): back to an array.
      number extends R['length']
      ? JsonOf<R>
      : JsonOf<R[number][]>
    : BodyData<R>;

type SuccessStatus = 200 | 201 | 202 | 203 | 204 | 205 | 206 | 207 | 208 | 226;

/**
 * One response schema's data: a Standard Schema's input side — the server filters the handler's
 * value by the schema's shape and never runs its transforms or defaults (docs/openapi.md), so
 * what arrives is the input; a JSON Schema leaves the handler's type.
 */
type SchemaData<S, Handler> = S extends StandardSchemaV1<infer I, unknown> ? JsonOf<I> : Handler;

/** With a `response` option, `data` follows the schema (2xx entries of a status map). */
type ResponseSchemaData<RS, Handler> = [Extract<keyof RS, number>] extends [never]
  ? SchemaData<RS, Handler>
  : { [K in keyof RS]: K extends 204 | 205 ? null : K extends SuccessStatus ? SchemaData<RS[K], Handler> : never }[keyof RS];

type DataOf<E> =
  E extends RouteTypes<unknown, unknown, infer R, infer RS>
    ? [RS] extends [undefined]
      ? ResponseData<Awaited<R>>
      : ResponseSchemaData<RS, ResponseData<Awaited<R>>>
    : unknown;

/**
 * One method of the client: a path of the route map and its typed options.
 *
 * @example
 * const get: RouteCall<{ '/health': RouteTypes<undefined, undefined, string> }, false> = api.get;
 */
export type RouteCall<Map, HasBody extends boolean> = <P extends keyof Map & string>(
  path: P,
  ...init: InitArgs<CallInit<P, Map[P], HasBody>>
) => Promise<ClientResponse<DataOf<Map[P]>>>;

/**
 * Path → `RouteTypes` for one method, built once per client type from the app's route list: an
 * intersection of one-key objects, whose `keyof` and lookups cost no instantiations per call
 * (a key-remapped mapped type re-ran its `as` clause for every entry on every call).
 */
type PathsOf<Routes, M extends string> = (
  Routes extends RouteEntry<M, infer P, infer T>
    ? (map: { readonly [K in P]: T }) => void
    : never
) extends (map: infer Map) => void
  ? Map
  : {};

/**
 * The client for an app (or group) type: one method per HTTP method, each accepting only the
 * paths registered for it. See `createClient`.
 *
 * @example
 * const api: Client<typeof app> = createClient<typeof app>('http://127.0.0.1:3000');
 */
export interface Client<App> {
  readonly get: RouteCall<PathsOf<RoutesOf<App>, 'GET'>, false>;
  readonly post: RouteCall<PathsOf<RoutesOf<App>, 'POST'>, true>;
  readonly put: RouteCall<PathsOf<RoutesOf<App>, 'PUT'>, true>;
  readonly patch: RouteCall<PathsOf<RoutesOf<App>, 'PATCH'>, true>;
  readonly delete: RouteCall<PathsOf<RoutesOf<App>, 'DELETE'>, true>;
  /** Any method and path, untyped (`HEAD`, `OPTIONS`, routes the type does not know). */
  request(method: string, path: string, init?: RequestOptions): Promise<ClientResponse<unknown>>;
}
