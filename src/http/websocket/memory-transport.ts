import type { Duplex } from 'node:stream';
import { collectBody } from '../send.js';
import { duplexPair } from './duplex-pair.js';
import type { UpgradeTransport } from './upgrade-transport.js';
import { WebSocketHandshakeError } from './websocket-handshake-error.js';

/** The client's view of an in-memory handshake: the stream to speak frames on and the 101's headers. */
export interface MemoryHandshake {
  readonly stream: Duplex;
  readonly headers: Headers;
}

/**
 * An upgrade without a socket, for `TestClient.websocketConnect`: `open` connects an in-memory
 * duplex pair and hands the client its end; `refuse` rejects the client's promise with a
 * `WebSocketHandshakeError` carrying the HTTP response.
 *
 * @example
 * const { transport, handshake } = memoryTransport();
 * route.serve(req, offer, transport); const { stream, headers } = await handshake;
 */
export function memoryTransport(): { transport: UpgradeTransport; handshake: Promise<MemoryHandshake> } {
  let resolve!: (value: MemoryHandshake) => void;
  let reject!: (err: unknown) => void;
  const handshake = new Promise<MemoryHandshake>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  let settled = false;
  const transport: UpgradeTransport = {
    open(headers) {
      settled = true;
      const [client, server] = duplexPair();
      const out = new Headers();
      for (const [name, value] of headers) out.append(name, value);
      resolve({ stream: client, headers: out });
      return { stream: server, head: Buffer.alloc(0) };
    },
    async refuse(response) {
      settled = true;
      const body = await collectBody(response, false).catch(() => Buffer.alloc(0));
      const headers = new Headers();
      for (const [name, value] of response.headers) headers.append(name, value);
      reject(new WebSocketHandshakeError(response.status, headers, body));
    },
    destroy() {
      if (settled) return;
      settled = true;
      reject(new WebSocketHandshakeError(503, new Headers(), Buffer.alloc(0), 'The server shut down during the WebSocket handshake'));
    },
    get gone() {
      return false;
    },
    onGone() {},
  };
  return { transport, handshake };
}
