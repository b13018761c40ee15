// The seed's "WebSocket Support" section, each example in its TypeScript form (API.md), run
// in-process through TestClient.websocketConnect.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CovetApp, type Request } from '../../../src/index.js';
import { RealtimeManager } from '../../../src/realtime/index.js';
import { JWTAuth } from '../../../src/security/index.js';
import { TestClient } from '../../../src/testing/index.js';
import { WebSocketHandshakeError, WebSocketManager } from '../../../src/websocket/index.js';

describe('seed: WebSocket Support', () => {
  it('WebSocket Server: every client gets "User said: …" broadcasts', async () => {
    const app = new CovetApp();
    const wsManager = new WebSocketManager();
    app.websocket('/ws', async (ws) => {
      await wsManager.connect(ws);
      try {
        for (;;) {
          const data = await ws.receiveText();
          // Broadcast to all connected clients
          await wsManager.broadcast(`User said: ${data}`);
        }
      } catch {
        await wsManager.disconnect(ws);
      }
    });
    await using client = new TestClient(app);
    const alice = await client.websocketConnect('/ws');
    const bob = await client.websocketConnect('/ws');
    await alice.sendText('hello');
    assert.equal(await alice.receiveText(), 'User said: hello');
    assert.equal(await bob.receiveText(), 'User said: hello');
    await bob.close();
    for (let i = 0; i < 50 && wsManager.size > 1; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(wsManager.size, 1);
    await alice.sendText('still here');
    assert.equal(await alice.receiveText(), 'User said: still here');
  });

  it('WebSocket with Authentication: requireWebsocketToken, ws.state.user, sendToUser', async () => {
    const app = new CovetApp();
    const wsManager = new WebSocketManager();
    const jwtAuth = new JWTAuth({ secretKey: 'seed-websocket-secret-0123456789', algorithm: 'HS256', expirationTime: 3600 });
    app.websocket(
      '/ws/authenticated',
      jwtAuth.requireWebsocketToken(async (ws) => {
        const user = ws.state.user as { id: number };
        await wsManager.connect(ws, { userId: user.id });
        try {
          for (;;) {
            const data = await ws.receiveText();
            await wsManager.sendToUser(user.id, `Echo: ${data}`);
          }
        } catch {
          await wsManager.disconnect(ws);
        }
      }),
    );
    await using client = new TestClient(app);
    await assert.rejects(client.websocketConnect('/ws/authenticated'), (err: unknown) => err instanceof WebSocketHandshakeError && err.status === 401);
    const token = await jwtAuth.createToken({ id: 42 });
    const phone = await client.websocketConnect('/ws/authenticated', { headers: { authorization: `Bearer ${token}` } });
    const laptop = await client.websocketConnect(`/ws/authenticated?token=${token}`);
    const other = await client.websocketConnect('/ws/authenticated', {
      subprotocols: ['access_token', await jwtAuth.createToken({ id: 7 })],
    });
    assert.equal(other.subprotocol, 'access_token');
    await phone.sendText('hi');
    assert.equal(await phone.receiveText(), 'Echo: hi');
    assert.equal(await laptop.receiveText(), 'Echo: hi');
    await other.sendText('me?');
    assert.equal(await other.receiveText(), 'Echo: me?');
    assert.deepEqual(wsManager.userConnections(42).length, 2);
  });

  it('Real-time Features: POST /notify reaches /ws/notifications subscribers as {channel, data}', async () => {
    const app = new CovetApp();
    const realtime = new RealtimeManager(); // in-process (the seed's redisUrl: see the Redis test)
    app.route('/notify', { methods: ['POST'] }, async (request: Request) => {
      const data = await request.json();
      await realtime.publish('notifications', data);
      return { status: 'sent' };
    });
    app.websocket('/ws/notifications', async (websocket) => {
      await realtime.subscribe(websocket, ['notifications', 'alerts']);
    });
    app.onShutdown(() => realtime.close());
    await using client = new TestClient(app);
    const ws = await client.websocketConnect('/ws/notifications');
    const res = await client.post('/notify', { json: { title: 'Deploy finished' } });
    assert.deepEqual(res.json(), { status: 'sent' });
    assert.deepEqual(await ws.receiveJson(), { channel: 'notifications', data: { title: 'Deploy finished' } });
    await realtime.publish('alerts', 'disk full');
    assert.deepEqual(await ws.receiveJson(), { channel: 'alerts', data: 'disk full' });
    await realtime.publish('elsewhere', 1);
    await ws.close();
    for (let i = 0; i < 50 && realtime.subscriberCount('notifications') > 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(realtime.subscriberCount('notifications'), 0);
  });
});
