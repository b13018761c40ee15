import { type IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { HTTPException } from '../../errors.js';
import { Request } from '../../request.js';
import { json, type Response } from '../../response.js';
import { decodeRoutingPath } from '../../router/decode-path.js';
import type { Router } from '../../router/router.js';
import { clientHandshake, type ClientHandshakeOptions, openClientWebSocket } from './client-handshake.js';
import { isWebSocketUpgrade, readHandshake } from './handshake.js';
import { memoryTransport } from './memory-transport.js';
import { socketTransport, type UpgradeTransport } from './upgrade-transport.js';
import type { WebSocket } from './websocket.js';
import type { CompiledWebSocketRoute, WebSocketSession } from './websocket-session.js';

/** WebSocket requests have no body: one shared, frozen multipart setting for all of them. */
const NO_MULTIPART = Object.freeze({});

/** Options of an in-process connection (`TestClient.websocketConnect`). */
export interface InjectWebSocketOptions extends ClientHandshakeOptions {
  /** Path and query, e.g. `/ws/chat/lobby?token=…`. */
  readonly url: string;
  readonly remoteAddress?: string;
}

const EMPTY_PARAMS = Object.freeze({});

function errorResponse(err: HTTPException): Response {
  const res = json(err.toJSON(), err.status);
  if (err.headers) for (const [k, v] of Object.entries(err.headers)) res.headers.set(k, v);
  return res;
}

/**
 * Serves a non-WebSocket upgrade request (`Upgrade: h2c` from `curl --http2`, say) as plain
 * HTTP: Node hands every upgrade to the `upgrade` listener once there is one, so the request is
 * given a `ServerResponse` of its own on the socket. Its body, if any, would be lost with the
 * parser, so such requests with a body are refused with 400.
 */
function serveAsHttp(req: IncomingMessage, socket: Duplex, listener: (req: IncomingMessage, res: ServerResponse) => void): void {
  const hasBody =
    (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0') ||
    req.headers['transfer-encoding'] !== undefined;
  if (hasBody) {
    void socketTransport(socket, Buffer.alloc(0)).refuse(json({ error: 'Upgrade requests with a body are not supported' }, 400));
    return;
  }
  socket.on('error', () => {});
  const res = new ServerResponse(req);
  res.shouldKeepAlive = false;
  res.assignSocket(socket as Parameters<ServerResponse['assignSocket']>[0]);
  res.once('finish', () => {
    res.detachSocket(socket as Parameters<ServerResponse['detachSocket']>[0]);
    socket.end();
  });
  listener(req, res);
}

/**
 * The WebSocket side of an app: its compiled routes (declared on the app and its groups), the
 * open sessions, and the two ways in — a Node `upgrade` event and an in-process connection for
 * tests.
 *
 * @example
 * const registry = new WebSocketRegistry(); registry.setRouter(compiledRoutes);
 * server.on('upgrade', (req, socket, head) => registry.handleUpgrade(req, socket, head, false, onRequest));
 */
export class WebSocketRegistry {
  readonly #sessions = new Set<WebSocketSession>();
  #router: Router<CompiledWebSocketRoute> | null = null;
  readonly #overrides: ReadonlyMap<unknown, unknown> | null;

  /** `overrides`: the app's `dependencyOverrides`. */
  constructor(overrides: ReadonlyMap<unknown, unknown> | null = null) {
    this.#overrides = overrides;
  }

  /** Installs the compiled routes (the app compiles them with its groups, middleware and mounts). */
  setRouter(router: Router<CompiledWebSocketRoute>): void {
    this.#router = router;
  }

  /** Every compiled route, for the route table. */
  get routes(): readonly { readonly path: string; readonly value: CompiledWebSocketRoute }[] {
    return this.#router?.routes ?? [];
  }

  /** The open (or opening) connections. */
  get sessions(): ReadonlySet<WebSocketSession> {
    return this.#sessions;
  }

  /** The route for a request target, with its converted params; `null` when none matches. */
  lookup(url: string): [CompiledWebSocketRoute, unknown] | null {
    const router = this.#router;
    if (router === null || router.routes.length === 0) return null;
    const q = url.indexOf('?');
    let path = q === -1 ? url : url.slice(0, q);
    if (path.indexOf('%') !== -1) {
      const decoded = decodeRoutingPath(path);
      if (decoded === null) return null;
      path = decoded;
    }
    const match = router.lookup('GET', path);
    return match === null ? null : [match.value, match.params ?? EMPTY_PARAMS];
  }

  /** The refusal of a handshake whose URL cannot be routed: 400 for a malformed path (as over HTTP), else 404. */
  #unrouted(url: string): Response {
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    if (path.indexOf('%') !== -1 && decodeRoutingPath(path) === null) {
      return errorResponse(new HTTPException(400, 'Malformed percent-encoding in URL path', { code: 'ERR_BAD_PATH' }));
    }
    return errorResponse(new HTTPException(404, 'Not Found', { code: 'ERR_NOT_FOUND' }));
  }

  /** Whether a (decoded) path has a WebSocket route: plain HTTP there gets 426. */
  hasRoute(path: string): boolean {
    return this.#router?.lookup('GET', path) != null;
  }

  /**
   * Handles Node's `upgrade` event: WebSocket upgrades are routed (404 without a route, 503 while
   * draining, 400/405/426 for a bad handshake); other upgrades go to `onRequest` as plain HTTP.
   */
  handleUpgrade(
    nodeReq: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    draining: boolean,
    onRequest: (req: IncomingMessage, res: ServerResponse) => void,
  ): void {
    if (!isWebSocketUpgrade(nodeReq.headers)) {
      serveAsHttp(nodeReq, socket, onRequest);
      return;
    }
    const transport = socketTransport(socket, head);
    const url = nodeReq.url ?? '/';
    if (draining) {
      void transport.refuse(errorResponse(new HTTPException(503, 'Server shutting down', { code: 'ERR_SHUTTING_DOWN' })));
      return;
    }
    const match = this.lookup(url);
    if (match === null) {
      void transport.refuse(this.#unrouted(url));
      return;
    }
    const tcp = socket as Duplex & { remoteAddress?: string; remotePort?: number };
    this.#serve(
      match,
      nodeReq.method ?? 'GET',
      nodeReq.httpVersion,
      url,
      nodeReq.headers,
      { host: tcp.remoteAddress ?? '', port: tcp.remotePort ?? 0 },
      transport,
    );
  }

  /**
   * Connects in-process: the same routing, middleware, handshake and frames as over a socket,
   * through an in-memory pair. Resolves with the client end; a refusal rejects with
   * `WebSocketHandshakeError`.
   */
  async connect(options: InjectWebSocketOptions, draining: boolean): Promise<WebSocket<Record<string, never>>> {
    const url = options.url.startsWith('/') ? options.url : `/${options.url}`;
    const handshake = clientHandshake(options);
    const headers: Record<string, string> = { host: 'testserver', ...handshake.headers };
    const { transport, handshake: opened } = memoryTransport();
    const match = this.lookup(url);
    if (draining) await transport.refuse(errorResponse(new HTTPException(503, 'Server shutting down', { code: 'ERR_SHUTTING_DOWN' })));
    else if (match === null) await transport.refuse(this.#unrouted(url));
    else this.#serve(match, 'GET', '1.1', url, headers, { host: options.remoteAddress ?? '127.0.0.1', port: 0 }, transport);
    const { stream, headers: responseHeaders } = await opened;
    return openClientWebSocket(handshake, url, stream, Buffer.alloc(0), responseHeaders);
  }

  #serve(
    match: [CompiledWebSocketRoute, unknown],
    method: string,
    httpVersion: string,
    url: string,
    headers: IncomingMessage['headers'],
    client: { host: string; port: number },
    transport: UpgradeTransport,
  ): void {
    const [route, params] = match;
    let offer: ReturnType<typeof readHandshake>;
    try {
      offer = readHandshake(method, httpVersion, headers);
    } catch (err) {
      void transport.refuse(err instanceof HTTPException ? errorResponse(err) : json({ error: 'Bad Request' }, 400));
      return;
    }
    const req = new Request({
      method,
      url,
      headers,
      params,
      route: route.info,
      bodyLimit: 0,
      source: null,
      response: null,
      client,
      schemas: null,
      multipart: NO_MULTIPART,
      overrides: this.#overrides,
    });
    const session = route.serve(req, offer, transport);
    this.#sessions.add(session);
    void session.done.finally(() => this.#sessions.delete(session));
  }

  /**
   * Graceful stop: every open connection gets close 1001 (`Going Away`), connections still
   * handshaking are dropped, and handlers get until `deadline` ms to end; sockets that did not
   * finish their closing handshake by then are destroyed. Never hangs.
   */
  async closeAll(deadline: number): Promise<void> {
    const sessions = [...this.#sessions];
    if (sessions.length === 0) return;
    for (const session of sessions) {
      if (session.ws.readyState === 'open') void session.ws.close(1001, 'Server shutting down').catch(() => {});
      else if (session.ws.readyState === 'connecting') session.cancel();
    }
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, deadline);
    });
    try {
      await Promise.race([Promise.all(sessions.map((s) => s.done)), timedOut]);
    } finally {
      clearTimeout(timer);
      for (const session of sessions) if (session.ws.readyState !== 'closed') session.ws.terminate();
    }
  }
}
