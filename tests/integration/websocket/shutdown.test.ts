// Graceful shutdown with open WebSockets: app.close() sends 1001 to every open socket, waits a
// bounded time for the closing handshake and for handlers to finish, destroys what is left,
// and never hangs (the fastify-websocket#45 bug).
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { WebSocket as WsClient } from 'ws';
import { CovetApp } from '../../../src/index.js';
import { RawPeer } from './raw-peer.js';

const T = { timeout: 180_000 };

describe('app.close() with open WebSockets', T, () => {
  it('sends 1001 to every client, lets handlers finish before shutdown hooks, and resolves', async () => {
    const log: string[] = [];
    const app = new CovetApp();
    app.websocket('/ws', async (ws) => {
      await ws.accept();
      try {
        for await (const m of ws) await ws.send(m);
      } finally {
        log.push(`handler done ${ws.closeCode}`);
      }
    });
    app.onShutdown(() => log.push('shutdown hook'));
    const { port } = await app.listen({ port: 0 });
    const clients = await Promise.all(
      Array.from({ length: 5 }, async () => {
        const c = new WsClient(`ws://127.0.0.1:${port}/ws`);
        await once(c, 'open');
        return c;
      }),
    );
    const closes = clients.map((c) => once(c, 'close') as Promise<[number, Buffer]>);
    const started = Date.now();
    await app.close();
    assert.ok(Date.now() - started < 8_000, 'close was quick with cooperative clients');
    for (const [code, reason] of await Promise.all(closes)) {
      assert.equal(code, 1001);
      assert.equal(reason.toString(), 'Server shutting down');
    }
    assert.deepEqual(log, [...Array(5).fill('handler done 1001'), 'shutdown hook']);
  });

  it('destroys a client that ignores the close frame after closeTimeout, without hanging', async () => {
    const app = new CovetApp({ server: { shutdownTimeout: 5_000 } });
    app.websocket('/ws', { closeTimeout: 300, heartbeatInterval: 0 }, async (ws) => {
      await ws.accept();
      await ws.closed;
    });
    const { port } = await app.listen({ port: 0 });
    // RawPeer reads frames but never answers a close.
    const { peer } = await RawPeer.open(port, '/ws');
    const started = Date.now();
    await app.close();
    const took = Date.now() - started;
    assert.ok(took >= 250 && took < 8_000, `close took ${took} ms`);
    const first = await peer.next(1_000);
    assert.equal(first === null ? null : RawPeer.closeCode(first), 1001);
    await peer.closed;
  });

  it('bounds the wait for a handler that never ends (shutdownTimeout)', async () => {
    const app = new CovetApp({ server: { shutdownTimeout: 500 } });
    app.websocket('/stuck', async (ws) => {
      await ws.accept();
      await new Promise(() => {}); // never settles
    });
    const { port } = await app.listen({ port: 0 });
    const client = new WsClient(`ws://127.0.0.1:${port}/stuck`);
    await once(client, 'open');
    const closed = once(client, 'close');
    const started = Date.now();
    await app.close();
    assert.ok(Date.now() - started < 8_000, 'bounded by shutdownTimeout (500 ms), not by the handler');
    assert.equal((await closed)[0], 1001);
  });

  it('drops connections still in the handshake and refuses new upgrades', async () => {
    const app = new CovetApp({ server: { shutdownTimeout: 1_000 } });
    let release = (): void => {};
    app.websocket('/slow-accept', async (ws) => {
      await new Promise<void>((r) => {
        release = r;
      });
      await ws.accept().catch(() => {});
    });
    const { port } = await app.listen({ port: 0 });
    const client = new WsClient(`ws://127.0.0.1:${port}/slow-accept`);
    const failed = new Promise((resolve) => {
      client.once('error', resolve);
      client.once('unexpected-response', resolve);
    });
    await new Promise((r) => setTimeout(r, 200));
    const closing = app.close();
    await failed;
    release();
    await closing;
  });
});
