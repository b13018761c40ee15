import { parseRoutePath } from '../../router/route-path.js';
import type { PathParams, DepsMap, Middleware, ResolvedDeps, RouteMeta } from '../../types.js';
import type { WebSocket } from './websocket.js';
import { resolveWebSocketOptions, type ResolvedWebSocketOptions, type WebSocketOptions } from './websocket-options.js';
import type { StoredWebSocketHandler } from './websocket-session.js';

/**
 * A WebSocket route handler: `(ws, deps) => …`. `ws.params` is typed from the path like an
 * HTTP route's `req.params`; `deps` from the route's `deps`.
 *
 * @example
 * const handler: WebSocketHandler<'/rooms/{id:int}'> = async (ws) => { await ws.sendJson({ room: ws.params.id }) };
 */
export type WebSocketHandler<P extends string = string, D = Record<never, never>> = (
  ws: WebSocket<PathParams<P>>,
  deps: ResolvedDeps<D>,
) => unknown;

/** Options of `app.websocket(path, options, handler)` (and `group.websocket`): the protocol limits plus route settings. */
export interface WebSocketRouteOptions<D extends DepsMap = DepsMap> extends WebSocketOptions {
  /** Dependencies resolved (with the opening request) before the handler runs; cleaned up after it ends. */
  readonly deps?: D;
  /**
   * Middleware for the opening handshake, after the app's and the groups'. `callNext` resolves
   * when the handler accepts (a 101 response) or refuses; a middleware that answers without
   * calling it refuses the upgrade with its response.
   */
  readonly middleware?: readonly Middleware[];
  /** A name for `covet routes` and `app.urlFor`. */
  readonly name?: string;
  /** Facts for middleware about this route, read as `req.route.meta` during the handshake. */
  readonly meta?: RouteMeta;
}

/** A WebSocket route as declared on an app or group, before prefixes and middleware are applied. */
export interface WebSocketDefinition {
  readonly path: string;
  readonly handler: StoredWebSocketHandler;
  readonly options: WebSocketRouteOptions;
  /** The protocol options, resolved once here. */
  readonly resolved: ResolvedWebSocketOptions;
}

/**
 * Checks and stores a declared route (`websocket(path, options, handler)`): a malformed path,
 * a missing handler or a bad protocol option fails here, where the route is written.
 *
 * @example
 * const def = defineWebSocket('/ws/{room}', { compression: true }, async (ws) => { await ws.accept() });
 */
export function defineWebSocket(path: string, options: WebSocketRouteOptions, handler: unknown): WebSocketDefinition {
  if (typeof handler !== 'function') throw new TypeError(`websocket(${JSON.stringify(path)}) needs a handler function`);
  parseRoutePath(path);
  return { path, handler: handler as StoredWebSocketHandler, options, resolved: resolveWebSocketOptions(options) };
}
