import { isStreamBody, isTuple, isWebResponse, toResponse } from '../http/send.js';
import type { MatchedRoute, Request } from '../request.js';
import { Response, typedBody } from '../response.js';
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

/**
 * Compiles a route's `response` option once: every schema becomes a compiled serializer, and
 * the responder writes what the handler returns through the one for its status (200 for a
 * bare value, the tuple's status for `[body, status, headers?]`). A `Response`, a string, bytes,
 * a stream or `null` pass unchanged; a status without a schema is sent as usual.
 *
 * @example
 * const respond = compileResponder({ 200: User, 404: NotFound });
 * respond({ id: 1, passwordHash: 'x' }) // a 200 Response with body {"id":1}
 */
export function compileResponder(option: unknown): RouteResponder | null {
  const schemas = responseSchemas(option);
  if (schemas === undefined) return null;
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
  for (const status of schemas.byStatus.keys()) byStatus.set(status, compile(schemaForStatus(schemas, status)));
  const success = compile(schemas.success);
  const forStatus = (status: number): Serializer | undefined =>
    byStatus.has(status) ? byStatus.get(status) : status >= 200 && status < 300 ? success : undefined;
  const ok = forStatus(200);

  return function respond(result: unknown): unknown {
    if (isNotJSON(result)) return result;
    if (Array.isArray(result) && isTuple(result)) {
      const body: unknown = result[0];
      const status = result[1] as number;
      const serialize = forStatus(status);
      if (serialize === undefined || isNotJSON(body)) return result;
      const res = serialized(serialize, body, status);
      const extra = result[2] as Record<string, unknown> | undefined;
      if (extra) for (const [k, v] of Object.entries(extra)) res.headers.set(k, String(v));
      return res;
    }
    return ok === undefined ? result : serialized(ok, result, 200);
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
