// RealtimeManager while its Redis is down or hanging: publish and subscribe fail fast with 503
// `ERR_REALTIME_UNAVAILABLE` (instead of queueing for ten seconds, or for ever), one line is
// logged per outage, delivery resumes when Redis is back, and shutdown never waits on it. Uses a
// redis-server of its own (stopped, frozen and restarted here), not the shared one.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { WebSocket as WsClient } from 'ws';
import { CovetApp } from '../../../src/index.js';
import { RealtimeManager } from '../../../src/realtime/index.js';
import { memoryLogger, REQUIRE_SERVICES } from '../../helpers/server.js';
import { eventually, ThrowawayRedis } from '../cache/redis-helpers.js';

const hasRedisServer = spawnSync('redis-server', ['--version']).status === 0;
const skip = !hasRedisServer && !REQUIRE_SERVICES ? 'redis-server is not installed' : false;
const T = { timeout: 60_000, skip };

function notifyApp(realtime: RealtimeManager): CovetApp {
  const app = new CovetApp({ logger: memoryLogger() });
  app.post('/notify', async (req) => {
    await realtime.publish('notifications', await req.json());
    return { status: 'sent' };
  });
  app.websocket('/ws/notifications', async (ws) => {
    const extra = ws.queryParams.getAll('also');
    await realtime.subscribe(ws, ['notifications', ...extra]);
  });
  return app;
}

async function post(url: string, body: unknown): Promise<{ status: number; body: unknown; ms: number }> {
  const started = Date.now();
  const res = await fetch(`${url}/notify`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: await res.json(), ms: Date.now() - started };
}

/** Opens a socket; resolves with it once open, or with the HTTP status of the refusal. */
async function connect(port: number, query = ''): Promise<{ ws: WsClient; messages: unknown[] } | number> {
  const ws = new WsClient(`ws://127.0.0.1:${port}/ws/notifications${query}`);
  const messages: unknown[] = [];
  ws.on('message', (data) => messages.push(JSON.parse(String(data))));
  ws.on('error', () => {});
  return new Promise((resolve) => {
    ws.once('open', () => resolve({ ws, messages }));
    ws.once('unexpected-response', (_req, res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
  });
}

describe('RealtimeManager with Redis down', () => {
  let redis: ThrowawayRedis | null = null;
  before(async () => {
    if (skip === false) redis = await ThrowawayRedis.start();
  });
  after(async () => {
    await redis?.stop();
  });

  it('answers 503 at once while Redis is stopped, logs once per outage, and delivers again once it is back', T, async () => {
    const server = redis as ThrowawayRedis;
    const logger = memoryLogger();
    const realtime = new RealtimeManager({ redisUrl: server.url, channelPrefix: 'down:', logger });
    const app = notifyApp(realtime);
    app.onShutdown(() => realtime.close());
    const { port, url } = await app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const up = await connect(port);
      assert.ok(typeof up !== 'number', `refused with ${String(up)}`);
      assert.equal((await post(url, { n: 1 })).status, 200);
      await eventually(() => assert.deepEqual(up.messages, [{ channel: 'notifications', data: { n: 1 } }]));

      await server.stop();
      for (let i = 0; i < 3; i++) {
        const res = await post(url, { n: 2 });
        assert.equal(res.status, 503);
        assert.deepEqual(res.body, { error: 'Realtime messaging is unavailable' });
        assert.ok(res.ms < 3_000, `publish took ${res.ms} ms while Redis was down`);
      }
      // A new channel cannot be subscribed: refused before the upgrade rather than left waiting.
      const started = Date.now();
      assert.equal(await connect(port, '?also=alerts'), 503);
      assert.ok(Date.now() - started < 3_000);
      // One this instance already listens on needs no Redis command.
      const local = await connect(port);
      assert.ok(typeof local !== 'number', `refused with ${String(local)}`);
      local.ws.close();
      // ioredis retries every few hundred ms; that is one line per connection, not one per attempt.
      await new Promise((r) => setTimeout(r, 1_500));
      assert.ok(logger.lines.length <= 2, `logged ${logger.lines.length} lines: ${logger.lines.join(' | ')}`);
      assert.deepEqual(realtime.channels(), ['notifications'], 'the live subscriber keeps its channel');

      await server.start();
      // ioredis reconnects and subscribes again by itself.
      await eventually(async () => {
        assert.equal((await post(url, { n: 3 })).status, 200);
        assert.deepEqual(up.messages.at(-1), { channel: 'notifications', data: { n: 3 } });
      }, 20_000);
      up.ws.close();
      await once(up.ws, 'close');
    } finally {
      await app.close();
    }
  });

  it('takes back a channel added during an outage, so it can be subscribed once Redis is back', T, async () => {
    const server = redis as ThrowawayRedis;
    const realtime = new RealtimeManager({ redisUrl: server.url, channelPrefix: 'add:', logger: memoryLogger(), commandTimeout: 500 });
    const app = notifyApp(realtime);
    // A chat-like handler: subscribed to "notifications"; "join:<room>" adds a room.
    app.websocket('/ws/chat', async (ws) => {
      await ws.accept();
      const done = realtime.subscribe(ws, ['notifications'], { read: false });
      for await (const message of ws) {
        const room = String(message).slice('join:'.length);
        realtime.subscribe(ws, [room], { read: false }).catch((err: { status?: number }) => ws.sendJson({ joinFailed: room, status: err.status }));
      }
      await done;
    });
    app.onShutdown(() => realtime.close());
    const { port, url } = await app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const chat = new WsClient(`ws://127.0.0.1:${port}/ws/chat`);
      const said: unknown[] = [];
      chat.on('message', (data) => said.push(JSON.parse(String(data))));
      await once(chat, 'open');
      // Live once a publish reaches it.
      await eventually(async () => {
        assert.equal((await post(url, { n: 0 })).status, 200);
        await new Promise((r) => setTimeout(r, 50));
        assert.deepEqual(said.at(-1), { channel: 'notifications', data: { n: 0 } });
      });

      await server.stop();
      chat.send('join:rooms');
      await eventually(() => assert.deepEqual(said.at(-1), { joinFailed: 'rooms', status: 503 }));
      assert.equal(realtime.subscriberCount('rooms'), 0);
      assert.deepEqual(realtime.channels(), ['notifications']);

      await server.start();
      // The failed SUBSCRIBE is not remembered: a new socket on "rooms" is accepted and gets messages.
      let joined: Awaited<ReturnType<typeof connect>> = 0;
      await eventually(async () => {
        joined = await connect(port, '?also=rooms');
        if (typeof joined === 'number') assert.fail(`refused with ${joined}`);
      }, 20_000);
      const other = joined as unknown as { ws: WsClient; messages: unknown[] };
      assert.equal(realtime.subscriberCount('rooms'), 1);
      await eventually(async () => {
        await realtime.publish('rooms', { hello: 'rooms' });
        await new Promise((r) => setTimeout(r, 50));
        assert.deepEqual(other.messages.at(-1), { channel: 'rooms', data: { hello: 'rooms' } });
      }, 10_000);
      assert.ok(!said.some((m) => (m as { channel?: string }).channel === 'rooms'), 'the chat socket never joined "rooms"');

      chat.close();
      other.ws.close();
      await eventually(() => assert.deepEqual(realtime.channels(), []));
    } finally {
      await app.close();
    }
  });

  it('gives up on a Redis that hangs after commandTimeout, and closes without waiting on it', T, async () => {
    const server = redis as ThrowawayRedis;
    const realtime = new RealtimeManager({ redisUrl: server.url, channelPrefix: 'hang:', logger: memoryLogger(), commandTimeout: 300 });
    const app = notifyApp(realtime);
    app.onShutdown(() => realtime.close());
    const { port, url } = await app.listen({ host: '127.0.0.1', port: 0 });
    server.pause(true);
    try {
      const res = await post(url, { n: 1 });
      assert.equal(res.status, 503);
      assert.ok(res.ms < 2_000, `publish took ${res.ms} ms`);
      assert.equal(await connect(port), 503);
      assert.deepEqual(realtime.channels(), [], 'the refused subscriber left no channel behind');
      const closing = Date.now();
      await app.close();
      assert.ok(Date.now() - closing < 2_000, `close took ${Date.now() - closing} ms`);
    } finally {
      server.pause(false);
      await app.close();
    }
  });
});
