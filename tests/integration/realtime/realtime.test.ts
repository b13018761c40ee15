// RealtimeManager in-process (no Redis): channels, the {channel, data} message shape, subscribe
// resolving when the socket closes, subscribers that die mid-delivery, and a given Redis client.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WebSocket as WsClient } from 'ws';
import { CovetApp, WebSocketDisconnect } from '../../../src/index.js';
import { RealtimeManager, type RedisPubSubLike } from '../../../src/realtime/index.js';
import { TestClient } from '../../../src/testing/index.js';
import { memoryLogger, withServer } from '../../helpers/server.js';
import { joinRoomOverSockets } from './fixtures/join-room.js';

describe('RealtimeManager (in-process)', () => {
  it('delivers {channel, data} to subscribers of that channel only', async () => {
    const realtime = new RealtimeManager();
    assert.equal(realtime.distributed, false);
    const app = new CovetApp();
    app.websocket('/ws', (ws) => realtime.subscribe(ws, ws.queryParams.getAll('c')));
    await using client = new TestClient(app);
    const news = await client.websocketConnect('/ws?c=news');
    const both = await client.websocketConnect('/ws?c=news&c=sport');
    await realtime.publish('sport', { score: '2-1' });
    await realtime.publish('news', 'extra');
    assert.deepEqual(await both.receiveJson(), { channel: 'sport', data: { score: '2-1' } });
    assert.deepEqual(await both.receiveJson(), { channel: 'news', data: 'extra' });
    assert.deepEqual(await news.receiveJson(), { channel: 'news', data: 'extra' });
    assert.equal(realtime.subscriberCount('news'), 2);
    assert.deepEqual(realtime.channels().sort(), ['news', 'sport']);
  });

  it('takes one channel name as a channel, not as its characters; refuses names that are not strings', async () => {
    const realtime = new RealtimeManager();
    const app = new CovetApp({ logger: memoryLogger() });
    app.websocket('/one', (ws) => realtime.subscribe(ws, 'notifications'));
    app.websocket('/bad', (ws) => realtime.subscribe(ws, [42 as unknown as string]));
    await using client = new TestClient(app);
    const ws = await client.websocketConnect('/one');
    assert.deepEqual(realtime.channels(), ['notifications']);
    await realtime.publish('notifications', 1);
    assert.deepEqual(await ws.receiveJson(), { channel: 'notifications', data: 1 });
    await assert.rejects(client.websocketConnect('/bad'), (err: { status?: number }) => err.status === 500);
    assert.deepEqual(realtime.channels(), ['notifications']);
    await assert.rejects(realtime.publish(undefined as unknown as string, 1), TypeError);
  });

  it('sends undefined data as null, so every message has both keys', async () => {
    const realtime = new RealtimeManager();
    const app = new CovetApp();
    app.websocket('/ws', (ws) => realtime.subscribe(ws, ['ping']));
    await using client = new TestClient(app);
    const ws = await client.websocketConnect('/ws');
    await realtime.publish('ping', undefined);
    assert.equal(await ws.receiveText(), '{"channel":"ping","data":null}');
    // Nor does data whose JSON form is undefined lose its key.
    await realtime.publish('ping', () => 1);
    assert.equal(await ws.receiveText(), '{"channel":"ping","data":null}');
    await realtime.publish('ping', { toJSON: () => undefined });
    assert.equal(await ws.receiveText(), '{"channel":"ping","data":null}');
    await realtime.publish('ping', { a: [1, 'é'] });
    assert.equal(await ws.receiveText(), '{"channel":"ping","data":{"a":[1,"é"]}}');
  });

  it('resolves subscribe when the socket closes, so it can end a handler; passes client messages to onMessage', async () => {
    const realtime = new RealtimeManager();
    const app = new CovetApp();
    const got: unknown[] = [];
    let ended = false;
    app.websocket('/ws', async (ws) => {
      await realtime.subscribe(ws, ['a'], { onMessage: (m) => got.push(m) });
      ended = true;
    });
    await using client = new TestClient(app);
    const ws = await client.websocketConnect('/ws');
    await ws.sendText('ping from client');
    await ws.close();
    for (let i = 0; i < 100 && !ended; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(ended, true);
    assert.deepEqual(got, ['ping from client']);
    assert.equal(realtime.subscriberCount('a'), 0);
  });

  it('adds channels when subscribe is called again before the first is in place: one reader, nothing left after close', async () => {
    // subscribe resolves only when the socket closes, so a second one comes before the first is
    // awaited; it used to start a second read loop and leave its channels behind after the close.
    const realtime = new RealtimeManager();
    const app = new CovetApp();
    const got: unknown[] = [];
    let ended = false;
    app.websocket('/ws', async (ws) => {
      const done = realtime.subscribe(ws, ['news'], { onMessage: (m) => got.push(m) });
      await realtime.subscribe(ws, ['alerts']);
      await done;
      ended = true;
    });
    await using client = new TestClient(app);
    const ws = await client.websocketConnect('/ws');
    for (let i = 0; i < 100 && realtime.subscriberCount('alerts') === 0; i++) await new Promise((r) => setTimeout(r, 10));
    await realtime.publish('news', 1);
    await realtime.publish('alerts', 2);
    assert.deepEqual(await ws.receiveJson(), { channel: 'news', data: 1 });
    assert.deepEqual(await ws.receiveJson(), { channel: 'alerts', data: 2 });
    for (const m of ['m0', 'm1', 'm2', 'm3']) await ws.sendText(m);
    for (let i = 0; i < 100 && got.length < 4; i++) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(got, ['m0', 'm1', 'm2', 'm3']);
    await ws.close();
    for (let i = 0; i < 100 && !ended; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(ended, true);
    for (let i = 0; i < 100 && realtime.channels().length > 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(realtime.channels(), []);
    assert.equal(realtime.subscriberCount('news'), 0);
    assert.equal(realtime.subscriberCount('alerts'), 0);
  });

  it('resolves a later subscribe of the same socket once its channels are live, so onMessage can join a channel', async () => {
    const realtime = new RealtimeManager();
    await joinRoomOverSockets(realtime);
  });

  it('lets the handler read the socket itself with { read: false }', async () => {
    const realtime = new RealtimeManager();
    const app = new CovetApp();
    app.websocket('/ws', async (ws) => {
      void realtime.subscribe(ws, ['chat'], { read: false });
      await ws.accept();
      for await (const m of ws) await realtime.publish('chat', m);
    });
    await using client = new TestClient(app);
    const a = await client.websocketConnect('/ws');
    const b = await client.websocketConnect('/ws');
    await a.sendText('hello b');
    assert.deepEqual(await b.receiveJson(), { channel: 'chat', data: 'hello b' });
    assert.deepEqual(await a.receiveJson(), { channel: 'chat', data: 'hello b' });
  });

  it('skips closed subscribers without failing the publish', async () => {
    const realtime = new RealtimeManager();
    const app = new CovetApp();
    app.websocket('/ws', (ws) => realtime.subscribe(ws, ['x']));
    await using client = new TestClient(app);
    const a = await client.websocketConnect('/ws');
    const b = await client.websocketConnect('/ws');
    a.terminate();
    await realtime.publish('x', 1);
    assert.deepEqual(await b.receiveJson(), { channel: 'x', data: 1 });
  });

  it('uses a given Redis client: publishes through it and subscribes on a duplicate', async () => {
    const calls: string[] = [];
    const listeners: ((channel: string, message: string) => void)[] = [];
    const fake = (name: string): RedisPubSubLike => ({
      publish: async (channel, message) => {
        calls.push(`${name} publish ${channel}`);
        for (const l of listeners) l(channel, message);
        return 1;
      },
      subscribe: async (...channels) => calls.push(`${name} subscribe ${channels.join(',')}`),
      unsubscribe: async (...channels) => calls.push(`${name} unsubscribe ${channels.join(',')}`),
      on: (event: string, listener: unknown) => {
        if (event === 'message') listeners.push(listener as (c: string, m: string) => void);
        return undefined;
      },
      duplicate: () => fake(`${name}-dup`),
      quit: async () => calls.push(`${name} quit`),
    });
    const realtime = new RealtimeManager({ redis: fake('main'), channelPrefix: 'p:' });
    const app = new CovetApp();
    app.websocket('/ws', (ws) => realtime.subscribe(ws, ['c']));
    await using client = new TestClient(app);
    const ws = await client.websocketConnect('/ws');
    await realtime.publish('c', 'via redis');
    assert.deepEqual(await ws.receiveJson(), { channel: 'c', data: 'via redis' });
    await ws.close();
    for (let i = 0; i < 50 && !calls.includes('main-dup unsubscribe p:c'); i++) await new Promise((r) => setTimeout(r, 10));
    await realtime.close();
    assert.deepEqual(calls, ['main-dup subscribe p:c', 'main publish p:c', 'main-dup unsubscribe p:c', 'main-dup quit']);
  });

  it('forgets a client that leaves while its Redis subscription is being set up', async () => {
    const gate = { open: (): void => {} };
    const acknowledged = new Promise<void>((r) => {
      gate.open = r;
    });
    let subscribing = false;
    const fake = (): RedisPubSubLike => ({
      publish: async () => 0,
      subscribe: async () => {
        subscribing = true;
        await acknowledged; // a slow SUBSCRIBE
      },
      unsubscribe: async () => undefined,
      on: () => undefined,
      duplicate: () => fake(),
      quit: async () => undefined,
    });
    const realtime = new RealtimeManager({ redis: fake() });
    const app = new CovetApp({ logger: memoryLogger() });
    let failure: unknown = null;
    app.websocket('/ws', async (ws) => {
      try {
        await realtime.subscribe(ws, ['news']);
      } catch (err) {
        failure = err;
      }
    });
    await withServer(app, async ({ port }) => {
      const client = new WsClient(`ws://127.0.0.1:${port}/ws`);
      client.on('error', () => {});
      for (let i = 0; i < 200 && !subscribing; i++) await new Promise((r) => setTimeout(r, 10));
      assert.ok(subscribing);
      client.terminate();
      await new Promise((r) => setTimeout(r, 100));
      gate.open();
      for (let i = 0; i < 200 && failure === null; i++) await new Promise((r) => setTimeout(r, 10));
      assert.ok(failure instanceof WebSocketDisconnect, String(failure));
      assert.equal(realtime.subscriberCount('news'), 0);
      assert.deepEqual(realtime.channels(), []);
    });
    await realtime.close();
  });

  it('connects to Redis lazily: a manager that is never used opens nothing and closes cleanly', async () => {
    const realtime = new RealtimeManager({ redisUrl: 'redis://127.0.0.1:1' });
    assert.equal(realtime.distributed, true);
    await realtime.close();
  });
});
