import type { PathParams, DepsMap, Middleware, ResolvedDeps, RouteMeta } from '../../types.js';
import type { WebSocket } from './websocket.js';
import type { WebSocketOptions } from './websocket-options.js';

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

/** Options of `app.websocket(path, options, handler)`: the protocol limits plus route settings. */
export interface WebSocketRouteOptions<D extends DepsMap = DepsMap> extends WebSocketOptions {
  /** Dependencies resolved (with the opening request) before the handler runs; cleaned up after it ends. */
  readonly deps?: D;
  /**
   * Middleware for the opening handshake, after the app's. `callNext` resolves when the handler
   * accepts (a 101 response) or refuses; a middleware that answers without calling it refuses
   * the upgrade with its response.
   */
  readonly middleware?: readonly Middleware[];
  /** A name for `covet routes` and `app.urlFor`. */
  readonly name?: string;
  /** Facts for middleware about this route, read as `req.route.meta` during the handshake. */
  readonly meta?: RouteMeta;
}
