// RealtimeManager over Redis pub/sub across TWO app processes sharing one Redis: a publish on
// instance A reaches WebSocket subscribers on instance B (and A). Without REDIS_URL this skips,
// unless COVET_REQUIRE_SERVICES=1 (CI), where it fails.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { WebSocket as WsClient } from 'ws';
import { CovetApp } from '../../../src/index.js';
import { RealtimeManager } from '../../../src/realtime/index.js';
import { TestClient } from '../../../src/testing/index.js';
import { REQUIRE_SERVICES } from '../../helpers/server.js';
import { joinRoomOverSockets } from './fixtures/join-room.js';

const REDIS_URL = process.env.REDIS_URL;
const skip = REDIS_URL === undefined && !REQUIRE_SERVICES ? 'REDIS_URL is not set' : false;
const T = { timeout: 60_000 };
const PREFIX = `covet-test:${randomBytes(6).toString('hex')}:`;
const INSTANCE = fileURLToPath(new URL('./fixtures/realtime-instance.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

function url(): string {
  if (REDIS_URL === undefined) throw new Error('REDIS_URL must be set when COVET_REQUIRE_SERVICES=1');
  return REDIS_URL;
}

const children: ChildProcess[] = [];
after(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
});

/** Starts one app process; resolves with its port once it listens. */
async function instance(): Promise<{ port: number; child: ChildProcess }> {
  const child = spawn(process.execPath, ['--import', 'tsx', INSTANCE], {
    cwd: ROOT,
    env: { ...process.env, REDIS_URL: url(), CHANNEL_PREFIX: PREFIX },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let err = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    err += d;
  });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const line = out.split('\n')[0];
      if (out.includes('\n') && line) resolve((JSON.parse(line) as { port: number }).port);
    });
    child.once('exit', (code) => reject(new Error(`instance exited with ${code}: ${err}`)));
    setTimeout(() => reject(new Error(`instance did not start: ${err}`)), 30_000).unref();
  });
  return { port, child };
}

async function subscriber(port: number): Promise<{ ws: WsClient; messages: unknown[] }> {
  const ws = new WsClient(`ws://127.0.0.1:${port}/ws/notifications`);
  const messages: unknown[] = [];
  ws.on('message', (d) => messages.push(JSON.parse(String(d))));
  await once(ws, 'open');
  return { ws, messages };
}

async function until(check: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('RealtimeManager over Redis', { skip, ...T }, () => {
  it('delivers a publish on one process to sockets on another process', async () => {
    const [a, b] = await Promise.all([instance(), instance()]);
    // Open means subscribed: the socket is accepted only once SUBSCRIBE has been acknowledged.
    const onB = await subscriber(b.port);
    const onA = await subscriber(a.port);
    const res = await fetch(`http://127.0.0.1:${a.port}/notify`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"title":"from A"}' });
    assert.deepEqual(await res.json(), { status: 'sent' });
    await until(() => onB.messages.length === 1 && onA.messages.length === 1, 'delivery on both instances');
    const expected = { channel: 'notifications', data: { from: a.child.pid, body: { title: 'from A' } } };
    assert.deepEqual(onB.messages, [expected]);
    assert.deepEqual(onA.messages, [expected]);
    // And the other way round.
    const fromB = await fetch(`http://127.0.0.1:${b.port}/notify`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '"from B"' });
    assert.equal(fromB.status, 200);
    await until(() => onA.messages.length === 2, 'delivery from B to A');
    assert.deepEqual(onA.messages[1], { channel: 'notifications', data: { from: b.child.pid, body: 'from B' } });
    onA.ws.close();
    onB.ws.close();
    for (const { child } of [a, b]) {
      child.kill('SIGTERM');
      const [code] = await once(child, 'exit');
      assert.equal(code, 0, 'graceful exit');
    }
  });

  it('unsubscribes from Redis when the last local subscriber leaves, and close() quits', async () => {
    const { Redis } = await import('ioredis');
    const inspector = new Redis(url());
    const realtime = new RealtimeManager({ redisUrl: url(), channelPrefix: PREFIX });
    const app = new CovetApp();
    app.websocket('/ws/{channel}', (ws) => realtime.subscribe(ws, [ws.params.channel]));
    try {
      await using client = new TestClient(app);
      const ws = await client.websocketConnect('/ws/solo');
      const count = async (): Promise<number> => Number(((await inspector.pubsub('NUMSUB', `${PREFIX}solo`)) as [string, number])[1]);
      assert.equal(await count(), 1);
      await realtime.publish('solo', [1, 2, 3]);
      assert.deepEqual(await ws.receiveJson(), { channel: 'solo', data: [1, 2, 3] });
      await ws.close();
      const deadline = Date.now() + 5_000;
      while ((await count()) !== 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      assert.equal(await count(), 0);
    } finally {
      await realtime.close();
      await inspector.quit();
    }
  });

  it('wraps what other programs PUBLISH on the channel as the data of a {channel, data} message', async () => {
    const { Redis } = await import('ioredis');
    const other = new Redis(url());
    const realtime = new RealtimeManager({ redisUrl: url(), channelPrefix: PREFIX });
    const app = new CovetApp();
    app.websocket('/ws', (ws) => realtime.subscribe(ws, ['jobs']));
    try {
      await using client = new TestClient(app);
      const ws = await client.websocketConnect('/ws');
      await other.publish(`${PREFIX}jobs`, '{"job":7,"state":"done"}');
      await other.publish(`${PREFIX}jobs`, 'plain text');
      // Text that only looks like a Covet message (its data is not one JSON value) is wrapped too.
      await other.publish(`${PREFIX}jobs`, '{"channel":"jobs","data":1,"x":}');
      await other.publish(`${PREFIX}jobs`, '{"channel":"jobs","data":1,"x":2}');
      await realtime.publish('jobs', { job: 8 });
      assert.equal(await ws.receiveText(), '{"channel":"jobs","data":{"job":7,"state":"done"}}');
      assert.equal(await ws.receiveText(), '{"channel":"jobs","data":"plain text"}');
      assert.equal(await ws.receiveText(), '{"channel":"jobs","data":"{\\"channel\\":\\"jobs\\",\\"data\\":1,\\"x\\":}"}');
      assert.equal(await ws.receiveText(), '{"channel":"jobs","data":{"channel":"jobs","data":1,"x":2}}');
      assert.equal(await ws.receiveText(), '{"channel":"jobs","data":{"job":8}}');
    } finally {
      await realtime.close();
      await other.quit();
    }
  });

  it('resolves a later subscribe of the same socket once Redis acknowledged its channels, so onMessage can join a channel', async () => {
    const realtime = new RealtimeManager({ redisUrl: url(), channelPrefix: `${PREFIX}join:` });
    try {
      await joinRoomOverSockets(realtime);
    } finally {
      await realtime.close();
    }
  });

  it('refuses to publish after close() rather than opening a connection nothing would close', async () => {
    const { Redis } = await import('ioredis');
    const inspector = new Redis(url());
    const name = `covet-realtime-${randomBytes(4).toString('hex')}`;
    const mine = async (): Promise<number> => {
      const list = String(await inspector.call('CLIENT', 'LIST'));
      return list.split('\n').filter((line) => line.includes(` name=${name} `)).length;
    };
    try {
      const realtime = new RealtimeManager({ redisUrl: `${url()}?connectionName=${name}`, channelPrefix: PREFIX });
      await realtime.close();
      await assert.rejects(realtime.publish('late', 1), { code: 'ERR_REALTIME_CLOSED' });
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(await mine(), 0);
    } finally {
      await inspector.quit();
    }
  });
});
