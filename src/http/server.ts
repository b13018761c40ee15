import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Server as NetServer, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { isEndingSoon } from './end-soon.js';
import { writeJson } from './send.js';
import { type TLSOptions, tlsServerOptions } from './tls.js';

/** Socket-level limits and timeouts; defaults chosen to shrug off slowloris-style clients. */
export interface ServerOptions {
  /** Milliseconds to receive the complete request headers. Default 10 000. */
  readonly headersTimeout?: number;
  /** Milliseconds to receive the whole request, body included. Default 30 000. */
  readonly requestTimeout?: number;
  /** Milliseconds an idle keep-alive connection stays open. Default 5 000. */
  readonly keepAliveTimeout?: number;
  /** Largest total size of request headers in bytes; past it → 431. Default 16 384. */
  readonly maxHeaderSize?: number;
  /** Most requests served on one keep-alive connection (0: no limit). Default 0. */
  readonly maxRequestsPerSocket?: number;
  /** Milliseconds `close()` lets in-flight requests finish before cutting connections. Default 10 000. */
  readonly shutdownTimeout?: number;
  /**
   * Milliseconds `close()` keeps accepting and serving before it stops listening, with
   * `/health/ready` answering 503 and every response saying `Connection: close`. A load
   * balancer or Kubernetes probe sees the app leave before its port closes (the preStop
   * pattern). Default 0.
   */
  readonly shutdownDelay?: number;
}

export const SERVER_DEFAULTS: Required<ServerOptions> = {
  headersTimeout: 10_000,
  requestTimeout: 30_000,
  keepAliveTimeout: 5_000,
  maxHeaderSize: 16_384,
  maxRequestsPerSocket: 0,
  shutdownTimeout: 10_000,
  shutdownDelay: 0,
};

const CLIENT_ERRORS: Record<string, [number, string]> = {
  HPE_HEADER_OVERFLOW: [431, 'Request Header Fields Too Large'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'Request Timeout'],
  HPE_CHUNK_EXTENSIONS_OVERFLOW: [413, 'Payload Too Large'],
};

// Node's HTTP server allows half-open sockets, so a client that ignores our FIN after an error
// response would keep its connection (and file descriptor) for good: it gets this long to read
// the response, then the socket is destroyed.
const CLIENT_ERROR_LINGER_MS = 1_000;

// How long a connection answered before its body was read (a 413) keeps reading after the answer.
const BODY_LINGER_MS = 2_000;

/**
 * Lingering close, as nginx and Go do, for a response sent while the client is still uploading
 * (a 413: the declared length was over the limit, or the body reader stopped there). Node's
 * server closes the socket as soon as the response is flushed, and body bytes arriving after
 * that make the kernel reset the connection — curl, undici and browsers still writing then fail
 * with EPIPE or ECONNRESET and may lose the answer they were sent. After the response, the rest
 * of the body is read and dropped until the client closes or `BODY_LINGER_MS` passes.
 */
export function lingerAfterResponse(res: ServerResponse): void {
  const socket = res.socket;
  if (socket === null) return;
  res.once('finish', () => {
    // Node's server has just called `socket.destroySoon()` (the response said `Connection:
    // close`), which destroys the socket once our FIN is flushed. Take that last step over.
    if (socket.destroyed || !socket.listeners('finish').includes(socket.destroy)) return;
    socket.removeListener('finish', socket.destroy);
    // A body reader that stopped at the limit paused the request: let the rest drain away.
    res.req.resume();
    const linger = setTimeout(() => socket.destroy(), BODY_LINGER_MS);
    linger.unref();
    socket.once('close', () => clearTimeout(linger));
    // The client closing its side ends it sooner: the socket then has nothing left to do.
    socket.once('end', () => socket.destroy());
  });
}

/** The response Node's server is writing on `socket`, if any (an internal Node field). */
function inFlightResponse(socket: Socket): ServerResponse | null {
  return (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage ?? null;
}

/**
 * Answers a request Node could not parse, or one that ran past `headersTimeout`/
 * `requestTimeout`, with a short JSON error, then closes the socket.
 */
function onClientError(err: Error & { code?: string }, socket: Socket): void {
  const inFlight = inFlightResponse(socket);
  // A second error while earlier answers are still going out (below): give up on the socket.
  if (err.code === 'ECONNRESET' || !socket.writable || answeringFirst.has(socket)) {
    socket.destroy();
    return;
  }
  const [status, message] = CLIENT_ERRORS[err.code ?? ''] ?? [400, 'Bad Request'];
  if (inFlight !== null && inFlight.req?.complete === true && !inFlight.writableFinished) {
    // Pipelining: the bad bytes follow requests that arrived whole and are still being answered.
    // A 400 written now would be read as the answer to the first of them; the answers go out
    // first, in order, then the 400 and the close.
    answeringFirst.add(socket);
    socket.pause();
    afterResponses(socket, () => {
      if (socket.writable) endWithJson(socket, status, message);
      else socket.destroy();
    });
    return;
  }
  if (inFlight !== null && (inFlight.writableEnded || isEndingSoon(inFlight))) {
    // The request already has its whole answer, about to be written (a 501 for a
    // `Transfer-Encoding: gzip` that Node then fails to frame): let it out, then close.
    answeringFirst.add(socket);
    socket.pause();
    afterResponses(socket, () => socket.destroy());
    return;
  }
  // After a response has started (a handler streaming while the client still drips its body),
  // an error response written now would land inside that body: cut the connection instead.
  if (inFlight?.headersSent === true) {
    socket.destroy();
    return;
  }
  endWithJson(socket, status, message);
}

/** Sockets whose bad request waits for the answers to the requests before it. */
const answeringFirst = new WeakSet<Socket>();

/**
 * Calls `then` once every response queued on `socket` has finished. Node's own `finish`
 * listener, added before the app saw the request, has by then handed the socket to the next
 * queued response, if any.
 */
function afterResponses(socket: Socket, then: () => void): void {
  const res = inFlightResponse(socket);
  if (res === null || res.writableFinished) {
    then();
    return;
  }
  res.once('finish', () => afterResponses(socket, then));
}

/** Writes a whole JSON error response straight to the socket and closes it (lingering, see above). */
function endWithJson(socket: Duplex, status: number, message: string): void {
  const body = JSON.stringify({ error: message });
  socket.end(
    `HTTP/1.1 ${status} ${message}\r\nContent-Type: application/json; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
  const linger = setTimeout(() => socket.destroy(), CLIENT_ERROR_LINGER_MS);
  linger.unref();
  socket.once('close', () => clearTimeout(linger));
}

/** `CONNECT` (a proxy tunnel, which an app server does not offer): 400 like any other bad request, not a dropped connection. */
function refuseConnect(_req: IncomingMessage, socket: Duplex): void {
  endWithJson(socket, 400, 'Bad Request');
}

/** An `Expect` other than `100-continue`: 417 in JSON (Node's own has an empty body). */
function refuseExpectation(_req: IncomingMessage, res: ServerResponse): void {
  writeJson(res, 417, { error: 'Expectation Failed' }, true);
}

/**
 * Whether the raw header list names `Host` more than once. Node keeps the first and drops the
 * rest, so the app and a proxy in front of it could each act on a different host.
 */
export function hasDuplicateHost(raw: readonly string[]): boolean {
  let seen = false;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    // `host` in any case, without lower-casing (allocating) every four-letter name.
    if (
      name.length === 4 &&
      (name.charCodeAt(0) | 32) === 104 &&
      (name.charCodeAt(1) | 32) === 111 &&
      (name.charCodeAt(2) | 32) === 115 &&
      (name.charCodeAt(3) | 32) === 116
    ) {
      if (seen) return true;
      seen = true;
    }
  }
  return false;
}

/**
 * The characters of a `Host` value (RFC 3986 `host [ ":" port ]`): unreserved, percent, the
 * sub-delimiters, `:` and the brackets of an IPv6 literal. 1 where allowed.
 */
const HOST_CHARS = (() => {
  const table = new Uint8Array(128);
  for (const c of "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~%!$&'()*+,;=:[]") table[c.charCodeAt(0)] = 1;
  return table;
})();

/** Whether `value` is `:` followed by digits only, or nothing. */
function isPortPart(value: string, from: number): boolean {
  if (from === value.length) return true;
  if (value.charCodeAt(from) !== 58) return false;
  for (let i = from + 1; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/**
 * Whether a `Host` value has the form RFC 9112 §3.2 asks for: `uri-host [ ":" port ]`, an IPv6
 * literal in brackets, or empty (a target without an authority). A space, `/`, `@`, `\`, a
 * second colon outside brackets or a port with letters is not one (RFC 9112 §3.2: a 400).
 */
export function isValidHost(value: string): boolean {
  const length = value.length;
  for (let i = 0; i < length; i++) {
    const c = value.charCodeAt(i);
    if (c > 127 || HOST_CHARS[c] === 0) return false;
  }
  if (length === 0) return true;
  if (value.charCodeAt(0) === 91) {
    // `[` IPv6 or IPvFuture `]` [ `:` port ]
    const close = value.indexOf(']');
    if (close < 2 || value.indexOf('[', 1) !== -1 || value.indexOf(']', close + 1) !== -1) return false;
    return isPortPart(value, close + 1);
  }
  if (value.indexOf('[') !== -1 || value.indexOf(']') !== -1) return false;
  const colon = value.indexOf(':');
  // `:8000` alone names no host.
  if (colon === 0) return false;
  return colon === -1 || isPortPart(value, colon);
}

/** Whether the request names exactly one `Host`, and a valid one. */
function hasOneValidHost(req: IncomingMessage): boolean {
  const host = req.headers.host;
  return host !== undefined && isValidHost(host) && !hasDuplicateHost(req.rawHeaders);
}

/**
 * Answers an HTTP/1.1 request that has no `Host` header, more than one, or one whose value is
 * not a host (RFC 9112 §3.2 makes all three a 400), and returns `true`; `false` for any other
 * request, after giving an HTTP/2 request its `:authority` as `Host`.
 */
export function refuseBadHost(req: IncomingMessage, res: ServerResponse): boolean {
  if (req.headers.host !== undefined) {
    if (hasOneValidHost(req)) return false;
    badRequest(res);
    return true;
  }
  // HTTP/2 names the host in `:authority` (RFC 9113 §8.3.1): the app reads it as `Host`, as it
  // would over HTTP/1.1 — same-origin checks (CSRF, WebSocket origins) compare against it.
  const authority = req.headers[':authority'];
  if (typeof authority === 'string' && authority !== '') {
    req.headers.host = authority;
    return false;
  }
  if (req.httpVersion !== '1.1') return false;
  badRequest(res);
  return true;
}

/**
 * `refuseBadHost` for a WebSocket handshake (RFC 6455 §4.1 requires `Host` too): without one,
 * with two, or with one that is not a host, the socket gets the JSON 400 and `true` is returned.
 */
export function refuseBadUpgradeHost(req: IncomingMessage, socket: Duplex): boolean {
  if (hasOneValidHost(req)) return false;
  endWithJson(socket, 400, 'Bad Request');
  return true;
}

/**
 * Answers a request whose `Transfer-Encoding` names a coding besides `chunked` (`gzip,
 * chunked`) with 501, as RFC 9112 §6.1 says a server should: Node frames the body by its last
 * coding and would hand the app bytes still gzip-coded. Returns `true` when it answered.
 */
export function refuseTransferCoding(req: IncomingMessage, res: ServerResponse): boolean {
  const coding = req.headers['transfer-encoding'];
  if (coding === undefined || coding === 'chunked' || coding.trim().toLowerCase() === 'chunked') return false;
  writeJson(res, 501, { error: `Transfer-Encoding not supported: ${coding.slice(0, 100)}`, supported: ['chunked'] }, true);
  return true;
}

function badRequest(res: ServerResponse): void {
  writeJson(res, 400, { error: 'Bad Request' }, true);
}

/**
 * `Expect: 100-continue`: Node would send `100 Continue` before the app sees the request, so a
 * client whose body is refused anyway (a declared length over the limit → 413, a 401, a 404)
 * would upload it for nothing. Instead, as Go does, the `100` goes out when something first
 * reads the body (Covet's readers or the handler's own, through `req.raw`). A request answered
 * without reading gets its final status alone, and Node then closes the connection.
 */
function continueOnRead(req: IncomingMessage, res: ServerResponse): void {
  const read = req._read;
  req._read = function (this: IncomingMessage, size: number): void {
    req._read = read;
    // Node's server resumes an unread body after the response (to drain it): no 100 then.
    if (!res.headersSent) res.writeContinue();
    read.call(this, size);
  };
}

/** Creates the Node HTTP server (HTTPS when given TLS material) with Covet's limits. */
export function createHttpServer(
  listener: (req: IncomingMessage, res: ServerResponse) => void,
  options: Required<ServerOptions>,
  tls: TLSOptions | null = null,
): Server {
  const { requestTimeout } = options;
  // Node refuses headersTimeout > requestTimeout; the whole request has to arrive within
  // requestTimeout anyway, so `{ requestTimeout: 5000 }` alone caps the headers' time too.
  const headersTimeout = requestTimeout > 0 && options.headersTimeout > requestTimeout ? requestTimeout : options.headersTimeout;
  // Timeouts are only enforced when this check runs: keep it frequent, but never 0 (a busy
  // loop) when one of the timeouts is disabled.
  const enforced = [headersTimeout, requestTimeout].filter((t) => t > 0);
  const settings = {
    headersTimeout,
    requestTimeout,
    keepAliveTimeout: options.keepAliveTimeout,
    maxHeaderSize: options.maxHeaderSize,
    connectionsCheckingInterval: Math.max(50, Math.min(1_000, ...enforced)),
    noDelay: true,
    // Node refuses an HTTP/1.1 request without Host with an empty 400; the listener answers it
    // in JSON like every other bad request (`refuseBadHost`).
    requireHostHeader: false,
  };
  const server = tls === null ? createServer(settings, listener) : createHttpsServer({ ...settings, ...tlsServerOptions(tls) }, listener);
  server.maxRequestsPerSocket = options.maxRequestsPerSocket;
  server.on('clientError', onClientError);
  server.on('connect', refuseConnect);
  server.on('checkExpectation', refuseExpectation);
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    continueOnRead(req, res);
    listener(req, res);
  });
  return server;
}

/** Whether this Node can listen with `reusePort` (`SO_REUSEPORT`): 22.12 and later, 23.1 and later. */
export function supportsReusePort(version: string = process.versions.node): boolean {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  return major > 23 || (major === 23 && minor >= 1) || (major === 22 && minor >= 12);
}

/**
 * Listens on `host:port`. With `reusePort`, the socket is the process's own (`exclusive`, not
 * shared through a cluster primary) and several processes may listen on the same port, the
 * kernel spreading new connections between them.
 */
export function bind(server: NetServer, host: string, port: number, reusePort = false): Promise<{ host: string; port: number }> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    // `reusePort` is not in the listen options' types of Node 20.
    const options = reusePort ? ({ port, host, exclusive: true, reusePort: true } as { port: number; host: string }) : { port, host };
    server.listen(options, () => {
      server.off('error', onError);
      const addr = server.address();
      if (addr === null || typeof addr === 'string') return reject(new Error('The server has no TCP address'));
      resolve({ host: addr.address, port: addr.port });
    });
  });
}

/**
 * Graceful stop: no new connections, idle keep-alive connections closed now, in-flight
 * requests given until `deadline` ms to finish (each answered with `Connection: close`), then
 * every connection cut.
 */
export async function drain(server: Server, deadline: number): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  // A connection that finishes its request becomes idle; sweep those until all are gone.
  const sweep = setInterval(() => server.closeIdleConnections(), 50);
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      server.closeAllConnections();
      resolve();
    }, deadline);
  });
  try {
    await Promise.race([closed, timedOut]);
    await closed;
  } finally {
    clearInterval(sweep);
    clearTimeout(timer);
  }
}
