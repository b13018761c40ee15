// Covet's own client end over TCP: the handshake through node:http, then the same WebSocket
// class the server uses, in client mode (it masks its frames). Used to prove Covet's frames
// against other servers (`ws`).
import http from 'node:http';
import { type ClientHandshakeOptions, clientHandshake, openClientWebSocket } from '../../../src/http/websocket/client-handshake.js';
import type { WebSocket } from '../../../src/index.js';

export function connectCovet(url: string, options: ClientHandshakeOptions = {}): Promise<WebSocket<Record<string, never>>> {
  const target = new URL(url);
  const handshake = clientHandshake(options);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: target.hostname, port: target.port, path: target.pathname + target.search, headers: handshake.headers });
    req.once('upgrade', (res, socket, head) => {
      const headers = new Headers();
      for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) headers.set(k, Array.isArray(v) ? v.join(', ') : v);
      try {
        resolve(openClientWebSocket(handshake, target.pathname + target.search, socket, head, headers));
      } catch (err) {
        socket.destroy();
        reject(err);
      }
    });
    req.once('response', (res) => {
      res.resume();
      reject(new Error(`HTTP ${res.statusCode} instead of 101`));
    });
    req.once('error', reject);
    req.end();
  });
}
