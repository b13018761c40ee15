// Interoperability with the `ws` package in both directions: `ws` as the client of Covet's
// server, and Covet's client end against a `ws` server. Text, binary, fragmented, compressed,
// 16 MiB messages and close codes.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { WebSocket as WsClient, WebSocketServer } from 'ws';
import { CovetApp, type WebSocket } from '../../../src/index.js';
import { withServer } from '../../helpers/server.js';
import { connectCovet } from './covet-client.js';

const T = { timeout: 180_000 };
const MiB16 = 16 * 1024 * 1024;

function echoApp(): { app: CovetApp; closes: { code: number; reason: string }[] } {
  const app = new CovetApp();
  const closes: { code: number; reason: string }[] = [];
  const echo = async (ws: WebSocket<unknown>): Promise<void> => {
    await ws.accept();
    for await (const message of ws) {
      if (message === 'close-me') {
        await ws.close(4001, 'server says bye');
        break;
      }
      await ws.send(message);
    }
    closes.push(await ws.closed);
  };
  app.websocket('/echo', echo);
  app.websocket('/deflate', { compression: { threshold: 0 } }, echo);
  return { app, closes };
}

async function wsOpen(url: string, options: ConstructorParameters<typeof WsClient>[2] = {}): Promise<WsClient> {
  const client = new WsClient(url, { maxPayload: 64 * 1024 * 1024, ...options });
  await once(client, 'open');
  return client;
}

function nextMessage(client: WsClient): Promise<{ data: Buffer; binary: boolean }> {
  return new Promise((resolve) => client.once('message', (data, binary) => resolve({ data: data as Buffer, binary })));
}

describe('ws client → Covet server', T, () => {
  for (const path of ['/echo', '/deflate']) {
    it(`exchanges text, binary, fragmented and 16 MiB messages on ${path}`, async () => {
      const { app } = echoApp();
      await withServer(app, async ({ port }) => {
        const client = await wsOpen(`ws://127.0.0.1:${port}${path}`, { perMessageDeflate: path === '/deflate' });
        assert.equal(client.extensions, path === '/deflate' ? 'permessage-deflate' : '');
        let reply = nextMessage(client);
        client.send('héllo wörld');
        assert.deepEqual(await reply, { data: Buffer.from('héllo wörld'), binary: false });
        reply = nextMessage(client);
        client.send(Buffer.from([0, 1, 2, 255]));
        assert.deepEqual(await reply, { data: Buffer.from([0, 1, 2, 255]), binary: true });
        reply = nextMessage(client);
        client.send('frag', { fin: false });
        client.send('men', { fin: false });
        client.send('ted', { fin: true });
        assert.deepEqual(await reply, { data: Buffer.from('fragmented'), binary: false });
        const big = Buffer.alloc(MiB16);
        for (let i = 0; i < big.length; i += 4096) big[i] = i & 0xff;
        reply = nextMessage(client);
        client.send(big);
        const got = await reply;
        assert.equal(got.binary, true);
        assert.ok(got.data.equals(big));
        const text = 'x'.repeat(MiB16);
        reply = nextMessage(client);
        client.send(text);
        assert.equal((await reply).data.length, MiB16);
        client.close();
        await once(client, 'close');
      });
    });
  }

  it('passes close codes and reasons both ways', async () => {
    const { app, closes } = echoApp();
    await withServer(app, async ({ port }) => {
      const a = await wsOpen(`ws://127.0.0.1:${port}/echo`);
      a.close(4000, 'client says bye');
      await once(a, 'close');
      const b = await wsOpen(`ws://127.0.0.1:${port}/echo`);
      const closed = once(b, 'close');
      b.send('close-me');
      const [code, reason] = (await closed) as [number, Buffer];
      assert.equal(code, 4001);
      assert.equal(reason.toString(), 'server says bye');
      for (let i = 0; i < 100 && closes.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
      assert.deepEqual(closes, [
        { code: 4000, reason: 'client says bye' },
        { code: 4001, reason: 'server says bye' },
      ]);
    });
  });

  it('answers pings from ws and keeps a ws client alive through its own pings', async () => {
    const app = new CovetApp();
    app.websocket('/hb', { heartbeatInterval: 100 }, async (ws) => {
      await ws.accept();
      for await (const m of ws) await ws.send(m);
    });
    await withServer(app, async ({ port }) => {
      const client = await wsOpen(`ws://127.0.0.1:${port}/hb`);
      let pings = 0;
      client.on('ping', () => pings++);
      const pong = once(client, 'pong');
      client.ping('are you there');
      assert.equal(String((await pong)[0]), 'are you there');
      await new Promise((r) => setTimeout(r, 600));
      assert.ok(pings >= 2, `server pinged ${pings} times`);
      assert.equal(client.readyState, WsClient.OPEN, 'ws answers pings automatically: still open');
      client.close();
      await once(client, 'close');
    });
  });
});

describe('Covet client → ws server', T, () => {
  async function wsServer(perMessageDeflate: boolean): Promise<{ server: WebSocketServer; url: string; received: { data: Buffer; binary: boolean }[]; closes: [number, string][] }> {
    const server = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: perMessageDeflate ? { threshold: 0 } : false, maxPayload: 64 * 1024 * 1024 });
    await once(server, 'listening');
    const received: { data: Buffer; binary: boolean }[] = [];
    const closes: [number, string][] = [];
    server.on('connection', (socket) => {
      socket.on('message', (data, binary) => {
        received.push({ data: data as Buffer, binary });
        if (String(data) === 'fragments please') {
          socket.send('one ', { fin: false });
          socket.send('two ', { fin: false });
          socket.send('three', { fin: true });
        } else if (String(data) === 'close-me') socket.close(4002, 'ws says bye');
        else socket.send(data, { binary });
      });
      socket.on('close', (code, reason) => closes.push([code, reason.toString()]));
    });
    return { server, url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}/`, received, closes };
  }

  for (const compression of [false, true]) {
    it(`sends text, binary and 16 MiB messages ws accepts${compression ? ', compressed' : ''}, and reads fragmented ones`, async () => {
      const { server, url, received } = await wsServer(compression);
      try {
        const ws = await connectCovet(url, { compression: compression ? { threshold: 0 } : false });
        assert.equal(ws.extensions === '', !compression);
        await ws.sendText('κόσμε');
        assert.equal(await ws.receiveText(), 'κόσμε');
        await ws.sendBytes(Buffer.from([9, 8, 7]));
        assert.deepEqual([...(await ws.receiveBytes())], [9, 8, 7]);
        await ws.sendJson({ ok: true });
        assert.deepEqual(await ws.receiveJson(), { ok: true });
        await ws.sendText('fragments please');
        assert.equal(await ws.receiveText(), 'one two three');
        const big = Buffer.alloc(MiB16, 0xab);
        await ws.sendBytes(big);
        assert.ok((await ws.receiveBytes()).equals(big));
        assert.deepEqual(
          received.slice(0, 3).map((r) => [r.data.toString('hex'), r.binary]),
          [
            [Buffer.from('κόσμε').toString('hex'), false],
            ['090807', true],
            [Buffer.from('{"ok":true}').toString('hex'), false],
          ],
        );
        await ws.close(1000, 'done');
      } finally {
        server.close();
      }
    });
  }

  it('passes close codes and reasons both ways', async () => {
    const { server, url, closes } = await wsServer(false);
    try {
      const a = await connectCovet(url);
      await a.close(4003, 'covet says bye');
      const b = await connectCovet(url);
      await b.sendText('close-me');
      await assert.rejects(b.receive(), (err: unknown) => (err as { code?: number }).code === 4002);
      assert.deepEqual(await b.closed, { code: 4002, reason: 'ws says bye' });
      for (let i = 0; i < 100 && closes.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
      assert.deepEqual(closes, [
        [4003, 'covet says bye'],
        [4002, 'ws says bye'],
      ]);
    } finally {
      server.close();
    }
  });
});
