import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CovetApp, type WebSocket } from '../../../src/index.js';
import { TestClient } from '../../../src/testing/index.js';
import { type ManagedWebSocket, WebSocketManager } from '../../../src/websocket/index.js';

async function until(check: () => boolean, what = 'condition'): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(check(), what);
}

/** An app whose /ws/{room}/{user} sockets join a room and stay until closed. */
function roomApp(manager: WebSocketManager): CovetApp {
  const app = new CovetApp();
  app.websocket('/ws/{room}/{user}', async (ws) => {
    await manager.connect(ws, { userId: ws.params.user });
    manager.join(ws, ws.params.room);
    await ws.sendText('joined');
    for await (const m of ws) {
      if (m === 'leave') manager.leave(ws, ws.params.room);
      else await manager.broadcastToRoom(ws.params.room, { from: ws.params.user, text: m }, { exclude: ws });
    }
  });
  return app;
}

describe('WebSocketManager', () => {
  it('broadcasts text, bytes and JSON to every connection', async () => {
    const manager = new WebSocketManager();
    const app = new CovetApp();
    app.websocket('/ws', async (ws) => {
      await manager.connect(ws);
      await ws.closed;
    });
    await using client = new TestClient(app);
    const a = await client.websocketConnect('/ws');
    const b = await client.websocketConnect('/ws');
    await until(() => manager.size === 2);
    await manager.broadcast('text');
    await manager.broadcast(Buffer.from([1, 2]));
    await manager.broadcast({ json: true });
    for (const ws of [a, b]) {
      assert.equal(await ws.receive(), 'text');
      assert.deepEqual([...(await ws.receiveBytes())], [1, 2]);
      assert.deepEqual(await ws.receiveJson(), { json: true });
    }
  });

  it('keeps rooms and users; excludes the sender; leaves rooms when sockets close', async () => {
    const manager = new WebSocketManager();
    await using client = new TestClient(roomApp(manager));
    const alice = await client.websocketConnect('/ws/red/alice');
    const bob = await client.websocketConnect('/ws/red/bob');
    const carol = await client.websocketConnect('/ws/blue/carol');
    const alice2 = await client.websocketConnect('/ws/blue/alice');
    for (const ws of [alice, bob, carol, alice2]) assert.equal(await ws.receiveText(), 'joined');
    assert.deepEqual(manager.rooms().sort(), ['blue', 'red']);
    assert.equal(manager.roomMembers('red').length, 2);
    await alice.sendText('hi red');
    assert.deepEqual(await bob.receiveJson(), { from: 'alice', text: 'hi red' });
    await manager.sendToUser('alice', 'for alice');
    assert.equal(await alice.receiveText(), 'for alice');
    assert.equal(await alice2.receiveText(), 'for alice');
    assert.equal(manager.userConnections('alice').length, 2);
    await bob.close();
    await until(() => manager.roomMembers('red').length === 1, 'bob left red');
    await alice.sendText('leave');
    await until(() => !manager.rooms().includes('red'), 'the empty room disappears');
    await carol.sendText('hi blue');
    assert.deepEqual(await alice2.receiveJson(), { from: 'carol', text: 'hi blue' });
    assert.equal(manager.userOf(manager.roomMembers('blue')[0] as ManagedWebSocket) !== undefined, true);
  });

  it('is safe when a socket dies mid-broadcast: the others still get it and the dead one is dropped', async () => {
    const manager = new WebSocketManager();
    const sockets: WebSocket<unknown>[] = [];
    const app = new CovetApp();
    app.websocket('/ws', async (ws) => {
      await manager.connect(ws);
      sockets.push(ws as WebSocket<unknown>);
      await ws.closed;
    });
    await using client = new TestClient(app);
    const clients = await Promise.all(Array.from({ length: 5 }, () => client.websocketConnect('/ws')));
    await until(() => manager.size === 5);
    // One socket whose send throws, one that rejects, one already gone at the transport level.
    const thrower: ManagedWebSocket = {
      readyState: 'open',
      closed: new Promise(() => {}),
      accept: async () => {},
      sendText: () => {
        throw new Error('boom');
      },
      sendBytes: async () => {},
    };
    const rejecter: ManagedWebSocket = { ...thrower, sendText: () => Promise.reject(new Error('gone')) };
    await manager.connect(thrower);
    await manager.connect(rejecter);
    sockets[2]?.terminate();
    await manager.broadcast('survivors');
    for (const [i, ws] of clients.entries()) {
      if (i === 2) continue;
      assert.equal(await ws.receiveText(), 'survivors');
    }
    await until(() => manager.size === 4, `the failed sockets are dropped (size ${manager.size})`);
    assert.equal(manager.has(thrower), false);
    assert.equal(manager.has(rejecter), false);
  });

  it('encodes a broadcast once for every uncompressed socket', async () => {
    const manager = new WebSocketManager();
    const seen = new Set<unknown>();
    const fake = (): ManagedWebSocket => ({
      readyState: 'open',
      closed: new Promise(() => {}),
      accept: async () => {},
      sendText: async () => {},
      sendBytes: async () => {},
      sendPrepared: async (m) => {
        seen.add(m.frame);
      },
    });
    for (let i = 0; i < 10; i++) await manager.connect(fake());
    await manager.broadcast({ hello: 'world' });
    assert.equal(seen.size, 1);
  });
});
