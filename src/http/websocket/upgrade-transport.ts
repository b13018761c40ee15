import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Response } from '../../response.js';
import { collectBody } from '../send.js';

/**
 * The connection an upgrade request came on, before it speaks WebSocket: a TCP/TLS socket
 * (`socketTransport`) or the in-memory pair of `TestClient.websocketConnect`.
 */
export interface UpgradeTransport {
  /** Writes the 101 response with these headers; returns the stream for frames and the bytes that came early. */
  open(headers: readonly (readonly [string, string])[]): { stream: Duplex; head: Buffer };
  /** Answers with an HTTP response instead (the upgrade is refused), then closes. */
  refuse(response: Response): Promise<void>;
  /** Destroys the connection (shutdown before the handshake completed). */
  destroy(): void;
  /** Whether the connection already went away. */
  readonly gone: boolean;
  /** Runs `fn` once if the connection goes away before `open`. */
  onGone(fn: () => void): void;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// Headers a refusal or a 101 must not take from middleware: the framing is ours.
const FRAMING = new Set(['connection', 'upgrade', 'content-length', 'transfer-encoding', 'keep-alive']);

/** `Name: value` lines, skipping names that are not tokens and values with line breaks. */
export function headerLines(headers: Iterable<readonly [string, string]>): string {
  let out = '';
  for (const [name, value] of headers) {
    if (!TOKEN.test(name) || /[\r\n\0]/.test(value)) continue;
    out += `${name}: ${value}\r\n`;
  }
  return out;
}

// A refused client that never reads our answer must not keep its socket.
const REFUSE_LINGER_MS = 1_000;

/**
 * An upgrade over a Node socket: the 101 or the refusal is written by hand (Node's
 * `ServerResponse` is not involved once the server emitted `upgrade`).
 *
 * @example
 * server.on('upgrade', (req, socket, head) => serve(route, request, offer, socketTransport(socket, head)))
 */
export function socketTransport(socket: Duplex, head: Buffer): UpgradeTransport {
  let opened = false;
  const goneHandlers: (() => void)[] = [];
  // Until the WebSocket takes over, a reset must not become an uncaught 'error'.
  socket.on('error', () => {});
  const gone = (): void => {
    if (opened) return;
    for (const fn of goneHandlers.splice(0)) fn();
  };
  socket.once('close', gone);
  // The server allows half-open sockets, so a client that gives up while the handler has not
  // answered yet (its FIN) ends the socket without closing it; and nothing may come before the
  // 101, so that client has gone away as well.
  socket.once('end', gone);
  return {
    open(headers) {
      opened = true;
      goneHandlers.length = 0;
      socket.write(`HTTP/1.1 101 Switching Protocols\r\n${headerLines(headers)}\r\n`);
      return { stream: socket, head };
    },
    async refuse(response) {
      opened = true;
      goneHandlers.length = 0;
      let body: Buffer;
      try {
        body = await collectBody(response, false);
      } catch {
        body = Buffer.alloc(0);
      }
      if (socket.destroyed) return;
      const kept = [...response.headers].filter(([name]) => !FRAMING.has(name));
      const status = response.status;
      const top =
        `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Unknown'}\r\n${headerLines(kept)}` +
        `content-length: ${body.length}\r\nconnection: close\r\n\r\n`;
      socket.end(Buffer.concat([Buffer.from(top, 'latin1'), body]));
      const linger = setTimeout(() => socket.destroy(), REFUSE_LINGER_MS);
      linger.unref();
      socket.once('close', () => clearTimeout(linger));
    },
    destroy() {
      socket.destroy();
    },
    get gone() {
      return socket.destroyed || socket.readableEnded;
    },
    onGone(fn) {
      if (socket.destroyed || socket.readableEnded) fn();
      else goneHandlers.push(fn);
    },
  };
}
