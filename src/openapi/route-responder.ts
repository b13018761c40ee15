import { discard, isStreamBody, isTuple, isWebResponse, noBodyStatus, toResponse } from '../http/send.js';
import type { MatchedRoute, Request } from '../request.js';
import { Response, type ResponseBody, typedBody } from '../response.js';
import { type Serializer, compileSerializer } from './compile-serializer.js';
import { jsonSchemaOf } from './json-schema-of.js';
import { responseSchemas, schemaForStatus } from './response-option.js';
import { schemaNode } from './schema-node.js';

const JSON_TYPE = 'application/json; charset=utf-8';

/** Turns a handler's result into a filtered, serialised `Response` (or leaves it as it is). */
export type RouteResponder = (result: unknown) => unknown;

/** Values that are not JSON data: they keep the meaning the return-value table gives them. */
function isNotJSON(value: unknown): boolean {
  if (value === null || value === undefined || typeof value === 'string' || value instanceof Response || value instanceof Uint8Array || isWebResponse(value)) return true;
  if (typeof value !== 'object') return false;
  return isStreamBody(value);
}

function serialized(serialize: Serializer, body: unknown, status: number): Response {
  const text = serialize(body);
  if (text === undefined) throw new TypeError(`A handler returned a ${typeof body}, which has no JSON form`);
  return typedBody(text, JSON_TYPE, status);
}

/** A `Response` (Covet's or the Fetch API's) carries its own status. */
function hasOwnStatus(value: unknown): boolean {
  return value instanceof Response || isWebResponse(value);
}

/**
 * Compiles a route's `response` and `status` options once: every schema becomes a compiled
 * serializer, and the responder writes what the handler returns through the one for its status
 * (`status`, default 200, for a bare value; the tuple's status for `[body, status, headers?]`).
 * A `Response`, a string, bytes, a stream or `null` pass unchanged (with `status` applied but
 * for a `Response`); a status without a schema is sent as usual, and a status without a body
 * (204, 205, 304) drops the value. `null` when there is nothing to do (no schema, status 200).
 *
 * @example
 * const respond = compileResponder({ 200: User, 404: NotFound });
 * respond({ id: 1, passwordHash: 'x' }) // a 200 Response with body {"id":1}
 * compileResponder(undefined, 201)?.({ id: 1 }) // [{ id: 1 }, 201]
 */
export function compileResponder(option: unknown, status = 200): RouteResponder | null {
  const schemas = responseSchemas(option);
  // A plain value at another status than 200 becomes a `[value, status]` tuple, which
  // `toResponse` turns into a response as usual. For a status without a body the value is
  // dropped, but for a stream: the writer closes it unread, so its cleanup still runs.
  const bodiless = noBodyStatus(status) || status === 205;
  const withStatus = (result: unknown): unknown => {
    if (status === 200) return result;
    const stream = typeof result === 'object' && result !== null && isStreamBody(result);
    if (!bodiless) return [result, status];
    if (!stream) return [null, status];
    // A stream is closed unread, so its cleanup runs: by the writer for 204 (which sends no
    // body, and no content type for one), here for 205 (an empty body with its length, 0).
    if (status === 205) {
      void discard(result as ResponseBody);
      return [null, status];
    }
    return new Response(result as ResponseBody, { status });
  };
  if (schemas === undefined) {
    if (status === 200) return null;
    return function respond(result: unknown): unknown {
      if (hasOwnStatus(result) || (Array.isArray(result) && isTuple(result))) return result;
      return withStatus(result);
    };
  }
  const cache = new Map<unknown, Serializer>();
  const compile = (schema: unknown): Serializer | undefined => {
    if (schema === undefined) return undefined;
    let serializer = cache.get(schema);
    if (serializer === undefined) {
      const json = jsonSchemaOf(schema);
      serializer = compileSerializer(schemaNode(json));
      cache.set(schema, serializer);
    }
    return serializer;
  };
  const byStatus = new Map<number, Serializer | undefined>();
  for (const code of schemas.byStatus.keys()) byStatus.set(code, compile(schemaForStatus(schemas, code)));
  const success = compile(schemas.success);
  const forStatus = (code: number): Serializer | undefined =>
    byStatus.has(code) ? byStatus.get(code) : code >= 200 && code < 300 ? success : undefined;
  const ok = bodiless ? undefined : forStatus(status);

  return function respond(result: unknown): unknown {
    if (isNotJSON(result)) return hasOwnStatus(result) ? result : withStatus(result);
    if (Array.isArray(result) && isTuple(result)) {
      const body: unknown = result[0];
      const code = result[1] as number;
      const serialize = forStatus(code);
      if (serialize === undefined || isNotJSON(body)) return result;
      const res = serialized(serialize, body, code);
      const extra = result[2] as Record<string, unknown> | undefined;
      if (extra) for (const [k, v] of Object.entries(extra)) res.headers.set(k, String(v));
      return res;
    }
    return ok === undefined ? withStatus(result) : serialized(ok, result, status);
  };
}

const responders = new WeakMap<MatchedRoute, RouteResponder>();

/** Records the responder of a compiled route (looked up by `routeResponse`). */
export function setRouteResponder(route: MatchedRoute, responder: RouteResponder): void {
  responders.set(route, responder);
}

/**
 * `toResponse` for wrappers that must build the response themselves (`rateLimiter.limit`):
 * applies the matched route's response schema first, so a wrapper never lets undeclared
 * fields out.
 *
 * @example
 * const res = routeResponse(req, await handler(req, deps));
 */
export function routeResponse(req: Request, result: unknown): Response {
  const responder = req.route === null ? undefined : responders.get(req.route);
  return toResponse(responder === undefined ? result : responder(result));
}
