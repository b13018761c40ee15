// Bad input over real sockets: broken handshakes, upgrades where there is no WebSocket route,
// clients that never read, clients that flood, peers that stop answering. Each gets the RFC's
// close code or HTTP error; the server neither crashes nor keeps what it should not.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { describe, it } from 'node:test';
import { once } from 'node:events';
import { WebSocket as WsClient } from 'ws';
import { CovetApp, WebSocketDisconnect } from '../../../src/index.js';
import { memoryLogger, withServer } from '../../helpers/server.js';
import { closeBody, frame, OP, RawPeer } from './raw-peer.js';

const T = { timeout: 180_000 };

function simpleApp(): CovetApp {
  const app = new CovetApp();
  app.get('/hello', () => ({ hello: 'world' }));
  app.websocket('/ws', async (ws) => {
    await ws.accept();
    for await (const m of ws) await ws.send(m);
  });
  return app;
}

async function connections(app: CovetApp): Promise<number> {
  return new Promise((resolve, reject) => app.server?.getConnections((err, n) => (err ? reject(err) : resolve(n))));
}

async function eventually(check: () => boolean | Promise<boolean>, ms = 5_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('bad handshakes', T, () => {
  const badKey = 'Missing or invalid Sec-WebSocket-Key';
  const badVersion = 'Unsupported Sec-WebSocket-Version: only 13 is supported';
  const cases: [string, Record<string, string>, number, string][] = [
    ['no Sec-WebSocket-Key', { 'sec-websocket-key': '' }, 400, badKey],
    ['a Sec-WebSocket-Key that is not 16 bytes', { 'sec-websocket-key': Buffer.from('too short').toString('base64') }, 400, badKey],
    ['a Sec-WebSocket-Key that is not base64', { 'sec-websocket-key': '!!!!!!!!!!!!!!!!!!!!!!==' }, 400, badKey],
    ['Sec-WebSocket-Version 8', { 'sec-websocket-version': '8' }, 426, badVersion],
    ['no Sec-WebSocket-Version', { 'sec-websocket-version': '' }, 426, badVersion],
    ['a repeated subprotocol', { 'sec-websocket-protocol': 'chat, chat' }, 400, 'Invalid Sec-WebSocket-Protocol header'],
    ['a malformed extension header', { 'sec-websocket-extensions': 'permessage-deflate; x="' }, 400, 'Invalid Sec-WebSocket-Extensions header'],
  ];
  for (const [name, headers, status, error] of cases) {
    it(`answers ${name} with ${status}`, async () => {
      await withServer(simpleApp(), async ({ port }) => {
        const { peer, response } = await RawPeer.open(port, '/ws', headers);
        assert.equal(response.status, status, response.body);
        assert.equal(response.headers.connection, 'close');
        assert.deepEqual(JSON.parse(response.body), { error });
        if (status === 426) assert.equal(response.headers['sec-websocket-version'], '13');
        await peer.closed;
      });
    });
  }

  it('answers a POST upgrade with 405 and an HTTP/1.0 one with 400', async () => {
    await withServer(simpleApp(), async ({ port }) => {
      const key = 'dGhlIHNhbXBsZSBub25jZQ==';
      const post = await RawPeer.open(port, '/ws', {}, `POST /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
      assert.equal(post.response.status, 405);
      assert.equal(post.response.headers.allow, 'GET');
      assert.deepEqual(JSON.parse(post.response.body), { error: 'A WebSocket handshake must use GET' });
      const old = await RawPeer.open(port, '/ws', {}, `GET /ws HTTP/1.0\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
      assert.equal(old.response.status, 400);
      assert.deepEqual(JSON.parse(old.response.body), { error: 'A WebSocket handshake needs HTTP/1.1' });
    });
  });

  it('answers a WebSocket upgrade where there is only an HTTP route, or nothing, with 404', async () => {
    await withServer(simpleApp(), async ({ port }) => {
      for (const path of ['/hello', '/missing']) {
        const { response } = await RawPeer.open(port, path);
        assert.equal(response.status, 404);
        assert.deepEqual(JSON.parse(response.body), { error: 'Not Found' });
      }
      // A malformed percent-escape is a 400, as the same path is over plain HTTP.
      for (const path of ['/ws%zz', '/ws%']) {
        const { response } = await RawPeer.open(port, path);
        assert.equal(response.status, 400, path);
        assert.deepEqual(JSON.parse(response.body), { error: 'Malformed percent-encoding in URL path' });
      }
    });
  });

  it('answers plain HTTP on a WebSocket route with 426 Upgrade Required', async () => {
    await withServer(simpleApp(), async ({ url }) => {
      const res = await fetch(`${url}/ws`);
      assert.equal(res.status, 426);
      assert.equal(res.headers.get('upgrade'), 'websocket');
      assert.deepEqual(await res.json(), { error: 'Upgrade Required: this is a WebSocket endpoint' });
    });
  });

  it('serves non-WebSocket upgrades (Upgrade: h2c, as curl --http2 sends) as plain HTTP', async () => {
    await withServer(simpleApp(), async ({ port }) => {
      const res = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = http.request({ port, path: '/hello', headers: { connection: 'Upgrade, HTTP2-Settings', upgrade: 'h2c', 'http2-settings': 'AAMAAABkAARAAAAAAAIAAAAA' } }, (res) => {
          let body = '';
          res.on('data', (d) => (body += d));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on('error', reject);
        req.end();
      });
      assert.deepEqual(res, { status: 200, body: '{"hello":"world"}' });
    });
  });

  it('keeps no connection open after a burst of bad handshakes', async () => {
    const app = simpleApp();
    await withServer(app, async ({ port }) => {
      for (let i = 0; i < 20; i++) {
        const { peer } = await RawPeer.open(port, i % 2 ? '/nope' : '/ws', { 'sec-websocket-version': '99' });
        await peer.closed;
      }
      await eventually(async () => (await connections(app)) === 0, 5_000, 'connections to close');
    });
  });
});

describe('clients that misbehave', T, () => {
  for (const how of ['closes its socket (FIN)', 'resets it'] as const) {
    it(`sees a client that ${how} before the handler accepted, at once and without logging an error`, async () => {
      const logger = memoryLogger();
      const app = new CovetApp({ logger });
      const gate = { open: (): void => {} };
      const later = new Promise<void>((r) => {
        gate.open = r;
      });
      let closed: unknown = null;
      let failure: unknown = null;
      app.websocket('/slow', async (ws) => {
        void ws.closed.then((c) => {
          closed = c;
        });
        await later; // an auth lookup, a Redis SUBSCRIBE…
        try {
          await ws.accept();
        } catch (err) {
          failure = err;
          throw err;
        }
      });
      await withServer(app, async ({ port }) => {
        const socket = net.connect(port, '127.0.0.1');
        socket.on('error', () => {});
        await once(socket, 'connect');
        socket.write(
          'GET /slow HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
            'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
        );
        await new Promise((r) => setTimeout(r, 100));
        if (how === 'resets it') socket.resetAndDestroy();
        else socket.end();
        // Seen while the handler is still waiting, not when it gets round to accepting.
        await eventually(() => closed !== null, 5_000, 'the server to see the client leave');
        assert.deepEqual(closed, { code: 1006, reason: 'The client went away before the handshake completed' });
        gate.open();
        await eventually(() => failure !== null, 5_000, 'accept to fail');
        assert.ok(failure instanceof WebSocketDisconnect, String(failure));
        assert.equal(failure.code, 1006);
        await eventually(async () => (await connections(app)) === 0, 5_000, 'the connection to go');
        socket.destroy();
      });
      assert.deepEqual(logger.lines, []);
    });
  }

  it('reports 1006 for a peer that half-closes without a close frame, even when the handler then returns', async () => {
    const app = new CovetApp();
    const closes: { code: number; reason: string }[] = [];
    app.websocket('/loop', async (ws) => {
      await ws.accept();
      // The loop ends quietly when the peer goes; the handler returning must not turn that into 1000.
      for await (const _ of ws) {
      }
      closes.push(await ws.closed);
    });
    await withServer(app, async ({ port }) => {
      const { peer } = await RawPeer.open(port, '/loop');
      peer.socket.end();
      await peer.closed;
      await eventually(() => closes.length === 1);
      assert.deepEqual(closes[0], { code: 1006, reason: '' });
    });
  });

  it('drops a peer that stops answering pings (heartbeat), with 1006', async () => {
    const app = new CovetApp();
    let seen: unknown = null;
    app.websocket('/hb', { heartbeatInterval: 100 }, async (ws) => {
      await ws.accept();
      try {
        await ws.receive();
      } catch (err) {
        seen = err;
      }
    });
    await withServer(app, async ({ port }) => {
      const { peer } = await RawPeer.open(port, '/hb');
      const started = Date.now();
      // RawPeer never answers the pings it gets.
      await peer.closed;
      const took = Date.now() - started;
      // Pings share one timer per interval: a silent peer goes after one to two intervals.
      assert.ok(took >= 90, `dropped after ${took} ms, before a whole interval passed`);
      await eventually(() => seen !== null);
      assert.ok(seen instanceof WebSocketDisconnect);
      assert.equal(seen.code, 1006);
      assert.equal(seen.reason, 'Heartbeat timeout');
    });
  });

  it('keeps a peer that answers pings', async () => {
    const app = new CovetApp();
    app.websocket('/hb', { heartbeatInterval: 50 }, async (ws) => {
      await ws.accept();
      await ws.closed;
    });
    await withServer(app, async ({ port }) => {
      const { peer } = await RawPeer.open(port, '/hb');
      const until = Date.now() + 600;
      while (Date.now() < until) {
        const f = await peer.next(100);
        if (f?.opcode === OP.PING) await peer.send(frame(OP.PONG, f.payload));
      }
      assert.equal(peer.socket.destroyed, false);
      await peer.send(frame(OP.CLOSE, closeBody(1000)));
      await peer.closed;
    });
  });

  it('paces an awaiting sender to a client that never reads (send resolves only when flushed)', async () => {
    const app = new CovetApp();
    let sent = 0;
    let buffered = 0;
    app.websocket('/firehose', async (ws) => {
      await ws.accept();
      const chunk = Buffer.alloc(1024 * 1024);
      try {
        for (;;) {
          await ws.sendBytes(chunk);
          sent++;
          buffered = Math.max(buffered, ws.bufferedAmount);
        }
      } catch {
        // the test hangs up
      }
    });
    await withServer(app, async ({ port }) => {
      const { peer } = await RawPeer.open(port, '/firehose');
      peer.socket.pause();
      // Wait until the handler is stuck: no send completed for a whole second (the machine may be busy).
      let last = -1;
      for (let i = 0; i < 20 && sent !== last; i++) {
        last = sent;
        await new Promise((r) => setTimeout(r, 1_000));
      }
      assert.equal(sent, last, `the handler kept sending (${sent} MiB so far) to a client that reads nothing`);
      assert.ok(sent < 200, `${sent} MiB went out to a paused client: only socket buffers should hold any`);
      assert.ok(buffered <= 2 * 1024 * 1024, `userland buffer grew to ${buffered} bytes`);
      peer.destroy();
    });
  });

  it('drops a peer that floods pings without reading the pongs (maxBufferedAmount), with 1008', async () => {
    const app = new CovetApp();
    const closes: { code: number; reason: string }[] = [];
    app.websocket('/pings', { maxBufferedAmount: 64 * 1024, heartbeatInterval: 0 }, async (ws) => {
      await ws.accept();
      closes.push(await ws.closed);
    });
    await withServer(app, async ({ port }) => {
      const { peer } = await RawPeer.open(port, '/pings');
      peer.socket.pause(); // never reads a pong
      const ping = frame(OP.PING, Buffer.alloc(125, 1), { maskKey: Buffer.from([1, 2, 3, 4]) });
      const batch = Buffer.concat(Array.from({ length: 1000 }, () => ping));
      // Up to about 25 MB of pings: past the kernel's socket buffers, the pongs pile up in ours.
      for (let i = 0; i < 200 && closes.length === 0 && !peer.socket.destroyed; i++) {
        // The server resets the connection when it drops it: `once` rejects on that 'error'.
        if (!peer.socket.write(batch)) await Promise.race([once(peer.socket, 'drain').catch(() => {}), peer.closed, new Promise((r) => setTimeout(r, 200))]);
      }
      await eventually(() => closes.length === 1);
      assert.deepEqual(closes[0], { code: 1008, reason: 'Send buffer limit exceeded' });
      peer.socket.destroy();
    });
  });

  it('keeps no memory for empty fragments: a message of many empty continuations is just its bytes', async () => {
    const app = new CovetApp();
    const got: unknown[] = [];
    app.websocket('/frag', { maxMessageSize: 1024 }, async (ws) => {
      await ws.accept();
      for await (const m of ws) got.push(m);
    });
    await withServer(app, async ({ port }) => {
      const { peer } = await RawPeer.open(port, '/frag');
      const key = { maskKey: Buffer.from([9, 9, 9, 9]) };
      const empty = frame(OP.CONT, Buffer.alloc(0), { ...key, fin: false });
      for (const [opcode, first, last] of [
        [OP.TEXT, 'he', 'llo'],
        [OP.BINARY, 'ab', 'c'],
      ] as const) {
        await peer.send(Buffer.concat([frame(opcode, first, { ...key, fin: false }), ...Array.from({ length: 20_000 }, () => empty), frame(OP.CONT, last, key)]));
      }
      await eventually(() => got.length === 2);
      assert.deepEqual(got, ['hello', Buffer.from('abc')]);
      peer.socket.destroy();
    });
  });

  it('drops a client that fire-and-forget sends overrun (maxBufferedAmount), with 1008', async () => {
    const app = new CovetApp();
    let failure: unknown = null;
    app.websocket('/flood', { maxBufferedAmount: 4 * 1024 * 1024 }, async (ws) => {
      await ws.accept();
      const chunk = Buffer.alloc(256 * 1024);
      const sends: Promise<unknown>[] = [];
      for (let i = 0; i < 4096 && ws.readyState === 'open'; i++) {
        // Not awaited on purpose: this is the sender that does not care about backpressure.
        sends.push(ws.sendBytes(chunk).then(() => null, (err: unknown) => err));
        if (i % 16 === 0) await new Promise((r) => setImmediate(r));
      }
      failure = (await Promise.all(sends)).find((r) => r !== null) ?? 'none';
    });
    await withServer(app, async ({ port }) => {
      const { peer } = await RawPeer.open(port, '/flood');
      peer.socket.pause();
      await eventually(() => failure !== null, 20_000, 'the flood to stop');
      assert.ok(failure instanceof WebSocketDisconnect, String(failure));
      assert.equal(failure.code, 1008);
      assert.equal(failure.reason, 'Send buffer limit exceeded');
      // The client, paused, never reads the FIN behind the data it did not read either.
      peer.destroy();
    });
  });

  it('bounds messages waiting for zlib by maxBufferedAmount too: a burst on a compressed connection drops it with 1008', async () => {
    // They used to be queued without limit, then all written to a client that did not read.
    const app = new CovetApp();
    const seen: { failure?: unknown; buffered?: number } = {};
    const chunk = randomBytes(256 * 1024); // incompressible
    app.websocket('/flood', { compression: { threshold: 0 }, maxBufferedAmount: 4 * 1024 * 1024 }, async (ws) => {
      await ws.accept();
      const sends: Promise<unknown>[] = [];
      // Not awaited, in one synchronous burst: nothing reaches the socket before zlib has run.
      for (let i = 0; i < 400 && ws.readyState === 'open'; i++) {
        sends.push(ws.sendBytes(chunk).then(() => null, (err: unknown) => err));
        if (i === 9) seen.buffered = ws.bufferedAmount;
      }
      const results = await Promise.all(sends);
      seen.failure = results.find((r) => r !== null) ?? 'none';
    });
    await withServer(app, async ({ port }) => {
      const { peer, response } = await RawPeer.open(port, '/flood', { 'sec-websocket-extensions': 'permessage-deflate' });
      assert.equal(response.headers['sec-websocket-extensions'], 'permessage-deflate');
      peer.socket.pause();
      await eventually(() => seen.failure !== undefined, 10_000, 'the flood to stop');
      // The first is with zlib already; the nine behind it wait in the queue.
      assert.equal(seen.buffered, 9 * chunk.length, 'messages waiting for zlib count in bufferedAmount');
      assert.ok(seen.failure instanceof WebSocketDisconnect, String(seen.failure));
      assert.equal(seen.failure.code, 1008);
      assert.equal(seen.failure.reason, 'Send buffer limit exceeded');
      peer.destroy();
    });
  });

  it('stops reading a client whose messages the handler does not read (TCP backpressure), then resumes', async () => {
    const app = new CovetApp();
    const gate = { open: (): void => {} };
    const opened = new Promise<void>((r) => {
      gate.open = r;
    });
    let received = 0;
    app.websocket('/slow', { receiveHighWaterMark: 64 * 1024 }, async (ws) => {
      await ws.accept();
      await opened;
      for await (const m of ws) {
        received += (m as Buffer).length;
        if (received >= 40 * 1024 * 1024) await ws.sendText('all read');
      }
    });
    await withServer(app, async ({ port }) => {
      const client = new WsClient(`ws://127.0.0.1:${port}/slow`);
      await once(client, 'open');
      const chunk = Buffer.alloc(1024 * 1024);
      for (let i = 0; i < 40; i++) client.send(chunk);
      await new Promise((r) => setTimeout(r, 1_000));
      assert.ok(client.bufferedAmount > 8 * 1024 * 1024, `the server kept reading: only ${client.bufferedAmount} bytes wait in the client`);
      const done = new Promise((resolve) => client.once('message', (d) => resolve(String(d))));
      gate.open();
      assert.equal(await done, 'all read');
      client.close();
      await once(client, 'close');
    });
  });
});

describe('WebSocket over TLS', T, () => {
  const key = readFileSync(new URL('../../fixtures/tls/key.pem', import.meta.url));
  const cert = readFileSync(new URL('../../fixtures/tls/cert.pem', import.meta.url));
  for (const http2 of [false, true]) {
    it(`upgrades on the ${http2 ? 'HTTP/2 server\'s HTTP/1.1 fallback' : 'HTTPS server'} (wss://), and closes with 1001`, async () => {
      const app = simpleApp();
      const { port } = await app.listen({ port: 0, key, cert, http2 });
      const client = new WsClient(`wss://127.0.0.1:${port}/ws`, { rejectUnauthorized: false });
      await once(client, 'open');
      const reply = new Promise((resolve) => client.once('message', (d) => resolve(String(d))));
      client.send('over tls');
      assert.equal(await reply, 'over tls');
      const closed = once(client, 'close');
      await app.close();
      assert.equal((await closed)[0], 1001);
    });
  }
  it('upgrades on the TLS server too (wss://)', async () => {
    const app = simpleApp();
    const { port, url } = await app.listen({ port: 0, key, cert });
    try {
      assert.ok(url.startsWith('https://'));
      const client = new WsClient(`wss://127.0.0.1:${port}/ws`, { rejectUnauthorized: false });
      await once(client, 'open');
      const reply = new Promise((resolve) => client.once('message', (d) => resolve(String(d))));
      client.send('over tls');
      assert.equal(await reply, 'over tls');
      client.close();
      await once(client, 'close');
    } finally {
      await app.close();
    }
  });
});
