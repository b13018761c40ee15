import {
  createSecureServer,
  createServer,
  type Http2SecureServer,
  type Http2Server,
  type Http2ServerRequest,
  type Http2ServerResponse,
  type Http2Session,
  type ServerHttp2Session,
} from 'node:http2';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { type TLSOptions, tlsServerOptions } from './tls.js';

/** HTTP/2 limits; the HTTP/1.1 ones in `ServerOptions` apply to the HTTP/1.1 fallback. */
export interface Http2Limits {
  /** Milliseconds an idle session stays open. */
  readonly sessionTimeout: number;
  /** Largest header list in bytes (HTTP/2 `SETTINGS_MAX_HEADER_LIST_SIZE`). */
  readonly maxHeaderSize: number;
}

type Listener = (req: Http2ServerRequest, res: Http2ServerResponse) => void;

/** An HTTP/2 server plus the bookkeeping a graceful stop needs. */
export interface Http2Handle {
  readonly server: Http2Server | Http2SecureServer;
  drain(deadline: number): Promise<void>;
}

/**
 * HTTP/2 with TLS (and HTTP/1.1 for clients that do not offer `h2` in ALPN), or cleartext
 * HTTP/2 (`h2c`, prior knowledge) without TLS. Node's compatibility API hands the same
 * request/response shapes as HTTP/1.1 to the app.
 */
export function createHttp2Server(listener: Listener, limits: Http2Limits, tls: TLSOptions | null): Http2Handle {
  const settings = { maxHeaderListSize: limits.maxHeaderSize };
  const server: Http2Server | Http2SecureServer =
    tls === null
      ? createServer({ settings, maxSessionMemory: 10 }, listener)
      : createSecureServer({ ...tlsServerOptions(tls), allowHTTP1: true, settings, maxSessionMemory: 10 }, listener);
  const sessions = new Set<Http2Session>();
  const sockets = new Set<Socket>();
  // HTTP/1.1 fallback connections: which are busy, so a drain can close the idle ones.
  const busy = new Map<Socket, number>();
  let draining = false;

  server.on('session', (session: ServerHttp2Session) => {
    sessions.add(session);
    session.setTimeout(limits.sessionTimeout, () => session.close());
    session.once('close', () => sessions.delete(session));
    if (draining) session.close();
  });
  // HTTP/1.1 connections (TLS without `h2` in ALPN) are not sessions: track them here.
  server.on('secureConnection', (socket: TLSSocket) => {
    if (socket.alpnProtocol === 'h2') return;
    sockets.add(socket);
    socket.once('close', () => {
      sockets.delete(socket);
      busy.delete(socket);
    });
  });
  server.on('request', (req: Http2ServerRequest, res: Http2ServerResponse) => {
    if (req.httpVersionMajor === 2) return;
    const socket = req.socket as Socket;
    busy.set(socket, (busy.get(socket) ?? 0) + 1);
    res.once('close', () => {
      const left = (busy.get(socket) ?? 1) - 1;
      busy.set(socket, left);
      if (draining && left === 0) socket.end();
    });
  });

  async function drain(deadline: number): Promise<void> {
    draining = true;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    // GOAWAY: sessions finish their open streams and take no new ones.
    for (const session of sessions) session.close();
    for (const socket of sockets) if ((busy.get(socket) ?? 0) === 0) socket.end();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        for (const session of sessions) session.destroy();
        for (const socket of sockets) socket.destroy();
        resolve();
      }, deadline);
    });
    try {
      await Promise.race([closed, timedOut]);
      await closed;
    } finally {
      clearTimeout(timer);
    }
  }

  return { server, drain };
}
