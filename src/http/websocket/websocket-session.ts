import { compose, type ErrorResponder } from '../../compose.js';
import type { DependencyScope } from '../../depends.js';
import { kAbort, kScope, type MatchedRoute, type Request } from '../../request.js';
import { json, Response } from '../../response.js';
import type { DepsMap, Middleware } from '../../types.js';
import { acceptKey, type HandshakeOffer } from './handshake.js';
import { negotiateDeflate, PerMessageDeflate } from './permessage-deflate.js';
import type { UpgradeTransport } from './upgrade-transport.js';
import { kAbandon, kAttach, WebSocket } from './websocket.js';
import { WebSocketDisconnect } from './websocket-disconnect.js';
import { WebSocketError, type WebSocketErrorCode } from './websocket-error.js';
import type { ResolvedWebSocketOptions } from './websocket-options.js';

/** Errors about what the client sent, which a handler may leave uncaught. */
const PEER_DATA_ERRORS: ReadonlySet<WebSocketErrorCode> = new Set(['ERR_WEBSOCKET_INVALID_JSON', 'ERR_WEBSOCKET_MESSAGE_TYPE']);

/** A handler as stored: the typed forms are checked where routes are declared. */
export type StoredWebSocketHandler = (ws: WebSocket<never>, deps: Readonly<Record<string, unknown>>) => unknown;

/** What logs unhandled handler errors (the app's logger fits). */
export interface SessionLogger {
  error(message: string, meta?: Record<string, unknown>): void;
}

/** One connection from upgrade request to the end of its handler, as the app tracks it. */
export interface WebSocketSession {
  readonly ws: WebSocket<unknown>;
  /** Settles when the handler has ended and its dependencies are cleaned up. Never rejects. */
  readonly done: Promise<void>;
  /** Drops the connection if it has not completed its handshake (shutdown). */
  cancel(): void;
}

/** A WebSocket route compiled once by the app: everything a connection needs. */
export interface CompiledWebSocketRoute {
  readonly info: MatchedRoute;
  readonly options: ResolvedWebSocketOptions;
  readonly middlewareNames: readonly string[];
  /** The tags of the groups around the route, for the route table. */
  readonly tags: readonly string[];
  /** Serves one upgrade request; returns at once with the session. */
  serve(req: Request, offer: HandshakeOffer, transport: UpgradeTransport): WebSocketSession;
}

/** What `compileWebSocketRoute` needs from the app. */
export interface WebSocketRouteInit {
  readonly info: MatchedRoute;
  readonly handler: StoredWebSocketHandler;
  readonly middleware: readonly Middleware[];
  readonly middlewareNames: readonly string[];
  readonly deps: DepsMap;
  readonly options: ResolvedWebSocketOptions;
  readonly tags?: readonly string[];
  /** The owning app's error handling: turns an error before `accept` into the HTTP refusal. */
  readonly onError: ErrorResponder;
  readonly logger: SessionLogger;
}

const EMPTY_DEPS = Object.freeze({});
const SWITCHING = 101;

function forbidden(): Response {
  return json({ error: 'Forbidden' }, 403);
}

type Outcome = { readonly ok: true } | { readonly ok: false; readonly error: unknown };
const OK: Outcome = Object.freeze({ ok: true });
const succeeded = (): Outcome => OK;
const failed = (error: unknown): Outcome => ({ ok: false, error: inspectable(error) });

/**
 * The error as the session can examine it: a thrown value on which `instanceof` itself throws
 * (a revoked Proxy) would otherwise escape as an unhandled rejection, which stops the process.
 */
function inspectable(error: unknown): unknown {
  try {
    if (error instanceof Error) return error;
  } catch {
    return new TypeError('The WebSocket handler threw a value that cannot be inspected (a revoked Proxy?)');
  }
  return error;
}

/** One connection's handshake while it lasts (emptied once it completes). */
interface HandshakeState {
  pending: PendingAccept | null;
  /** Resolves the endpoint (the response the middleware chain sees). */
  answer: ((response: Response) => void) | null;
  fail: ((err: unknown) => void) | null;
  outcome: Promise<Outcome> | null;
}

/**
 * The handler ended before accepting: refuse with 403, or with its error. A `WebSocketDisconnect`
 * from a connection that is already gone (the client left during the handshake) is no error of
 * the app's: there is nobody left to answer, so it is not logged.
 */
function settleBeforeAccept(state: HandshakeState, ws: WebSocket<unknown>, result: Outcome): void {
  const { answer, fail } = state;
  if (state.pending !== null || answer === null) return;
  state.answer = null;
  state.fail = null;
  if (result.ok || (result.error instanceof WebSocketDisconnect && ws.readyState === 'closed')) answer(forbidden());
  else fail?.(result.error);
}

function outcomeOf(state: HandshakeState): Outcome | Promise<Outcome> {
  const outcome = state.outcome ?? OK;
  state.outcome = null;
  return outcome;
}

function abandon(ws: WebSocket<unknown>): void {
  ws[kAbandon](1006, 'The client went away before the handshake completed');
}

function cancel(ws: WebSocket<unknown>, transport: UpgradeTransport): void {
  if (!ws.accepted) transport.destroy();
}

/** The opening request's `signal` aborts when the connection closes. */
function abortWhenClosed(ws: WebSocket<unknown>, req: Request): void {
  void ws.closed.then(() => req[kAbort](new WebSocketDisconnect(ws.closeCode ?? 1006, ws.closeReason)));
}

interface PendingAccept {
  readonly protocol: string | null;
  readonly headers: Readonly<Record<string, string>>;
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
}

/**
 * Compiles a WebSocket route. Per connection: the opening request goes through the route's
 * middleware to an endpoint that runs the handler; the endpoint's response is a 101 when the
 * handler accepts, an error response when it throws first (an `HTTPException` keeps its
 * status, so `requireWebsocketToken` answers 401), 403 when it closes or returns without
 * accepting. Only a 101 that survives the middleware completes the handshake.
 *
 * @example
 * const route = compileWebSocketRoute({ info, handler, middleware: [], middlewareNames: [], deps: {}, options, onError, logger });
 * sessions.add(route.serve(req, readHandshake('GET', '1.1', headers), socketTransport(socket, head)));
 */
export function compileWebSocketRoute(init: WebSocketRouteInit): CompiledWebSocketRoute {
  const { handler, deps, options, onError, logger, info } = init;
  const depNames = Object.keys(deps);

  // Everything a connection keeps for its whole life is created by module-level helpers (bound
  // to the few values they need), not as closures of `serve`: a closure would keep `serve`'s
  // whole scope — the parsed offer, the 101 response, the middleware chain — for as long as
  // the socket stays open.
  function serve(req: Request, offer: HandshakeOffer, transport: UpgradeTransport): WebSocketSession {
    const state: HandshakeState = { pending: null, answer: null, fail: null, outcome: null };
    const ws = new WebSocket<unknown>({
      isServer: true,
      request: req as Request<unknown>,
      options,
      offeredProtocols: offer.protocols,
      handshake: {
        accept: (protocol, headers) =>
          new Promise<void>((resolve, reject) => {
            state.pending = { protocol, headers, resolve, reject };
            state.answer?.(new Response(null, { status: SWITCHING }));
          }),
        deny: () => state.answer?.(forbidden()),
      },
    });
    transport.onGone(abandon.bind(null, ws));

    const endpoint = (): Promise<Response> =>
      new Promise<Response>((resolve, reject) => {
        state.answer = resolve;
        state.fail = reject;
        const outcome = runHandler(req, ws);
        state.outcome = outcome;
        void outcome.then(settleBeforeAccept.bind(null, state, ws));
      });
    const run = init.middleware.length === 0 ? endpoint : compose(init.middleware, endpoint, onError);

    const handshake = (async (): Promise<void> => {
      let response: Response;
      try {
        response = await run(req);
      } catch (err) {
        response = await onError(err, req);
      }
      const accept = state.pending;
      state.pending = null;
      state.answer = null;
      state.fail = null;
      if (response.status === SWITCHING && accept !== null && ws.readyState === 'connecting' && !transport.gone) {
        open(ws, offer, transport, accept, response);
        accept.resolve();
      } else {
        accept?.reject(new WebSocketDisconnect(1006, 'The WebSocket upgrade was refused'));
        ws[kAbandon](1006, 'The WebSocket upgrade was refused');
        await transport.refuse(response.status === SWITCHING ? forbidden() : response);
      }
      abortWhenClosed(ws, req);
    })();
    // The handler may not have started (middleware refused): then there is nothing to wait for.
    const done = handshake.then(outcomeOf.bind(null, state)).then(finish.bind(null, req, ws)).catch(sessionFailed);
    return { ws, done, cancel: cancel.bind(null, ws, transport) };
  }

  function sessionFailed(err: unknown): void {
    logger.error('WebSocket session failed', { path: info.path, error: err });
  }

  function runHandler(req: Request, ws: WebSocket<unknown>): Promise<Outcome> {
    let running: Promise<unknown>;
    try {
      running =
        depNames.length === 0
          ? Promise.resolve(handler(ws as WebSocket<never>, EMPTY_DEPS))
          : (req[kScope](true) as DependencyScope).resolveAll(req, deps).then((resolved) => handler(ws as WebSocket<never>, resolved));
    } catch (error) {
      return Promise.resolve(failed(error));
    }
    return running.then(succeeded, failed);
  }

  /** After the handler: report its error, close what it left open, clean dependencies up. */
  async function finish(req: Request, ws: WebSocket<unknown>, result: Outcome): Promise<void> {
    if (!result.ok && ws.accepted && !(result.error instanceof WebSocketDisconnect)) {
      logger.error('Unhandled error in WebSocket handler', { path: info.path, error: result.error });
      // A message the client got wrong (not JSON for `receiveJson`, binary for `receiveText`)
      // closes with the code for that (1007, 1003); anything else is the server's fault (1011).
      const peerData = result.error instanceof WebSocketError && PEER_DATA_ERRORS.has(result.error.code);
      if (ws.readyState === 'open')
        await ws.close(peerData ? (result.error as WebSocketError).closeCode : 1011, peerData ? 'Unexpected message' : 'Internal error').catch(() => {});
    }
    if (ws.readyState === 'open') await ws.close(1000).catch(() => {});
    const scope = req[kScope](false);
    if (scope !== null) {
      if (result.ok || result.error instanceof WebSocketDisconnect)
        await scope.close((err) => logger.error('dependency cleanup failed', { error: err }));
      else await scope.fail(result.error);
    }
  }

  function open(
    ws: WebSocket<unknown>,
    offer: HandshakeOffer,
    transport: UpgradeTransport,
    accept: PendingAccept,
    response: Response,
  ): void {
    const headers: [string, string][] = [
      ['upgrade', 'websocket'],
      ['connection', 'Upgrade'],
      ['sec-websocket-accept', acceptKey(offer.key)],
    ];
    if (accept.protocol !== null) headers.push(['sec-websocket-protocol', accept.protocol]);
    let deflate: PerMessageDeflate | null = null;
    let extensions = '';
    if (options.compression !== null) {
      const agreed = negotiateDeflate(offer.extensions, options.compression);
      if (agreed !== null) {
        deflate = new PerMessageDeflate(agreed.params, options.compression, true);
        extensions = agreed.header;
        headers.push(['sec-websocket-extensions', extensions]);
      }
    }
    const ours = new Set(headers.map(([name]) => name));
    for (const [name, value] of response.headers) {
      if (!ours.has(name) && !name.startsWith('sec-websocket-') && name !== 'content-type') headers.push([name, value]);
    }
    for (const [name, value] of Object.entries(accept.headers)) {
      const key = name.toLowerCase();
      if (!ours.has(key) && !key.startsWith('sec-websocket-')) headers.push([key, value]);
    }
    const { stream, head } = transport.open(headers);
    ws[kAttach](stream, head, deflate, accept.protocol, extensions);
  }

  return { info, options, middlewareNames: init.middlewareNames, tags: init.tags ?? [], serve };
}
