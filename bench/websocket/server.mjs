// One WebSocket server for the benchmark: `node server.mjs <covet|ws|fastify> <compress 0|1>`.
// Routes: /echo (every message back as is) and /fanout (clients wait; a message "go:<count>:<bytes>"
// from any of them makes the server broadcast <count> text messages of <bytes> bytes to every
// /fanout client, yielding to the event loop every 10 messages). Prints {"port","pid"} once listening.
import { createServer } from 'node:http';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const [kind, compressArg] = process.argv.slice(2);
const compress = compressArg === '1';
const MAX = 64 * 1024 * 1024;
// The same permessage-deflate settings on every server: zlib level 1, memLevel 8, 1 KiB threshold.
const WS_DEFLATE = compress ? { zlibDeflateOptions: { level: 1, memLevel: 8 }, threshold: 1024 } : false;

function payloadOf(bytes) {
  return JSON.stringify({ event: 'tick', data: 'x'.repeat(Math.max(0, bytes - 26)) });
}

async function fanout(command, sendAll) {
  const [, count, bytes] = command.split(':');
  const payload = payloadOf(Number(bytes));
  for (let i = 0; i < Number(count); i++) {
    await sendAll(payload);
    if (i % 10 === 9) await new Promise((r) => setImmediate(r));
  }
}

function ready(port) {
  process.stdout.write(`${JSON.stringify({ port, pid: process.pid })}\n`);
}

if (kind === 'covet') {
  const dir = resolve(process.env.COVET_DIR ?? new URL('../..', import.meta.url).pathname);
  const { CovetApp } = await import(pathToFileURL(resolve(dir, 'dist/index.js')).href);
  const { WebSocketManager } = await import(pathToFileURL(resolve(dir, 'dist/websocket/index.js')).href);
  const app = new CovetApp({ logger: { info() {}, error() {} } });
  const options = { compression: compress ? { level: 1, memLevel: 8, threshold: 1024 } : false, maxMessageSize: MAX };
  app.websocket('/echo', options, async (ws) => {
    await ws.accept();
    for await (const message of ws) await ws.send(message);
  });
  const manager = new WebSocketManager();
  app.websocket('/fanout', options, async (ws) => {
    await manager.connect(ws);
    for await (const message of ws) {
      if (typeof message === 'string' && message.startsWith('go:')) await fanout(message, (p) => manager.broadcast(p));
    }
  });
  const { port } = await app.listen({ host: '127.0.0.1', port: 0 });
  ready(port);
} else if (kind === 'ws') {
  const { WebSocketServer } = await import('ws');
  const server = createServer();
  const wss = new WebSocketServer({ server, perMessageDeflate: WS_DEFLATE, maxPayload: MAX });
  const fans = new Set();
  wss.on('connection', (socket, req) => {
    if (req.url === '/echo') {
      socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }));
    } else {
      fans.add(socket);
      socket.on('close', () => fans.delete(socket));
      socket.on('message', (data, isBinary) => {
        const text = String(data);
        if (!isBinary && text.startsWith('go:')) {
          void fanout(text, (p) => {
            for (const c of fans) if (c.readyState === 1) c.send(p);
          });
        }
      });
    }
  });
  server.listen(0, '127.0.0.1', () => ready(server.address().port));
} else if (kind === 'fastify') {
  const { default: Fastify } = await import('fastify');
  const { default: websocket } = await import('@fastify/websocket');
  const app = Fastify({ logger: false });
  await app.register(websocket, { options: { perMessageDeflate: WS_DEFLATE, maxPayload: MAX } });
  const fans = new Set();
  await app.register(async (scope) => {
    scope.get('/echo', { websocket: true }, (socket) => {
      socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }));
    });
    scope.get('/fanout', { websocket: true }, (socket) => {
      fans.add(socket);
      socket.on('close', () => fans.delete(socket));
      socket.on('message', (data, isBinary) => {
        const text = String(data);
        if (!isBinary && text.startsWith('go:')) {
          void fanout(text, (p) => {
            for (const c of fans) if (c.readyState === 1) c.send(p);
          });
        }
      });
    });
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  ready(app.server.address().port);
} else {
  console.error(`unknown server kind ${kind}`);
  process.exit(2);
}
