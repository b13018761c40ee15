// The HTTP server over real sockets (127.0.0.1, port 0): limits, timeouts, errors, streaming
// with backpressure, cancellation, graceful shutdown and `app.run()` in a child process.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type CallNext, CovetApp, Depends, HTTPException, type Request, Response, redirect, stream } from '../../src/index.js';
import { CORSMiddleware } from '../../src/security/index.js';
import { memoryLogger, withServer } from '../helpers/server.js';
import { addFailingStreams } from '../helpers/stream-failures.js';
import { deferred, rawExchange, request, waitUntilStable, within } from './net-helpers.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const T = { timeout: 30_000 };


/**
 * GETs /big from `port` without reading: the producer (`produced()` chunks so far) must stall
 * well before `total`, then finish once the client reads, every byte arriving.
 */
async function expectBackpressure(port: number, produced: () => number, total: number, chunk: number, label: string): Promise<void> {
  const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/big', agent: false }, resolve);
    req.on('error', reject);
  });
  res.pause();
  const stalled = await waitUntilStable(produced, 500, 15_000);
  assert.ok(stalled < total / 2, `${label} ran ahead to ${stalled} of ${total} chunks while the client was not reading`);
  let bytes = 0;
  res.on('data', (c: Buffer) => {
    bytes += c.length;
  });
  res.resume();
  await within(once(res, 'end'), 20_000, 'the rest of the stream');
  assert.equal(produced(), total);
  assert.equal(bytes, chunk * total);
}
describe('server: listen', () => {
  it('resolves the real host, port and url for port 0, and serves fetch', T, async () => {
    const app = new CovetApp();
    app.get('/', () => ({ message: 'Hello, World!' }));
    await withServer(app, async (info) => {
      assert.equal(info.host, '127.0.0.1');
      assert.ok(Number.isInteger(info.port) && info.port > 0, `port ${info.port}`);
      assert.equal(info.url, `http://127.0.0.1:${info.port}`);
      const address = app.server?.address();
      assert.ok(address !== null && typeof address === 'object');
      assert.equal(address.port, info.port);
      const res = await fetch(`${info.url}/`);
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
      assert.deepEqual(await res.json(), { message: 'Hello, World!' });
    });
  });

  it('serves several requests over one keep-alive connection', T, async () => {
    const app = new CovetApp();
    app.get('/n/{n:int}', (req) => ({ n: req.params.n }));
    await withServer(app, async ({ port }) => {
      let connections = 0;
      app.server?.on('connection', () => connections++);
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      try {
        const a = await request(port, { path: '/n/1', agent });
        const b = await request(port, { path: '/n/2', agent });
        assert.deepEqual(JSON.parse(a.text), { n: 1 });
        assert.deepEqual(JSON.parse(b.text), { n: 2 });
        assert.equal(a.reusedSocket, false);
        assert.equal(b.reusedSocket, true);
        assert.equal(a.socket, b.socket);
        assert.notEqual(a.headers.connection, 'close');
        assert.equal(connections, 1);
      } finally {
        agent.destroy();
      }
    });
  });
});

describe('server: limits and timeouts', () => {
  it('answers headers past the limit with 431 and a JSON body', T, async () => {
    const app = new CovetApp();
    app.get('/', () => ({ ok: true }));
    await withServer(app, async ({ port }) => {
      const res = await rawExchange(port, (socket) => {
        socket.write(`GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${'a'.repeat(20 * 1024)}\r\n\r\n`);
      });
      assert.equal(res.status, 431, res.text.slice(0, 200));
      assert.match(res.headers['content-type'] ?? '', /^application\/json/);
      assert.deepEqual(JSON.parse(res.body), { error: 'Request Header Fields Too Large' });
      // The server is still fine.
      assert.equal((await request(port, { path: '/' })).status, 200);
    });
  });

  it('answers an HTTP/1.1 request without Host with 400 and a JSON body, as every other bad request', T, async () => {
    const app = new CovetApp();
    app.get('/', () => ({ ok: true }));
    await withServer(app, async ({ port }) => {
      const res = await rawExchange(port, (socket) => {
        socket.write('GET / HTTP/1.1\r\n\r\n');
      });
      assert.equal(res.status, 400, res.text.slice(0, 200));
      assert.match(res.headers['content-type'] ?? '', /^application\/json/);
      assert.equal(res.headers.connection, 'close');
      assert.deepEqual(JSON.parse(res.body), { error: 'Bad Request' });
      // HTTP/1.0 has no Host requirement.
      const old = await rawExchange(port, (socket) => {
        socket.write('GET / HTTP/1.0\r\n\r\n');
      });
      assert.equal(old.status, 200, old.text.slice(0, 200));
      assert.deepEqual(JSON.parse(old.body), { ok: true });
    });
  });

  it('answers an HTTP/1.1 request with two Host headers with 400 (RFC 9112 §3.2), in any case and order', T, async () => {
    const app = new CovetApp();
    app.get('/', () => ({ ok: true }));
    await withServer(app, async ({ port }) => {
      for (const head of ['Host: a\r\nHost: b', 'host: a\r\nX-Other: 1\r\nHOST: a', 'X-Other: 1\r\nHost: a\r\nhOsT: c']) {
        const res = await rawExchange(port, (socket) => {
          socket.write(`GET / HTTP/1.1\r\n${head}\r\n\r\n`);
        });
        assert.equal(res.status, 400, `${head}: ${res.text.slice(0, 200)}`);
        assert.match(res.headers['content-type'] ?? '', /^application\/json/);
        assert.equal(res.headers.connection, 'close');
        assert.deepEqual(JSON.parse(res.body), { error: 'Bad Request' });
      }
      // One Host, and headers whose names merely look alike, are fine.
      const one = await rawExchange(port, (socket) => {
        socket.write('GET / HTTP/1.1\r\nHost: a\r\nHosx: b\r\nX-Host: c\r\nConnection: close\r\n\r\n');
      });
      assert.equal(one.status, 200, one.text.slice(0, 200));
    });
  });

  it('answers a Host value that is not a host with 400 (RFC 9112 §3.2); hosts, IPv6 literals and ports pass', T, async () => {
    const app = new CovetApp();
    app.get('/', (req) => ({ host: req.headers.get('host') }));
    app.websocket('/ws', (ws) => ws.accept());
    await withServer(app, async ({ port }) => {
      const bad = ['exa mple.com', 'example.com/path', 'user@example.com', 'a\\b', 'a:b:c', 'a:80x', ':80', '[::1', '[::1]x', 'ex"ample', 'a]b', 'h\u00e9te'];
      for (const host of bad) {
        const res = await rawExchange(port, (socket) => {
          socket.write(Buffer.from(`GET / HTTP/1.1\r\nHost: ${host}\r\n\r\n`, 'latin1'));
        });
        assert.equal(res.status, 400, `${JSON.stringify(host)}: ${res.text.slice(0, 200)}`);
        assert.equal(res.headers.connection, 'close');
        assert.deepEqual(JSON.parse(res.body), { error: 'Bad Request' });
      }
      const good = ['example.com', 'EXAMPLE.com:8080', '127.0.0.1:1', '[::1]', '[::1]:8000', 'xn--bcher-kva.example', 'a_b-c~d', 'host:'];
      for (const host of good) {
        const res = await rawExchange(port, (socket) => {
          socket.write(`GET / HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
        });
        assert.equal(res.status, 200, `${host}: ${res.text.slice(0, 200)}`);
        assert.deepEqual(JSON.parse(res.body), { host });
      }
      const handshake = 'Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n';
      const ws = await rawExchange(port, (socket) => {
        socket.write(`GET /ws HTTP/1.1\r\nHost: evil.example/x\r\n${handshake}\r\n`);
      });
      assert.equal(ws.status, 400, ws.text.slice(0, 200));
      assert.deepEqual(JSON.parse(ws.body), { error: 'Bad Request' });
    });
  });

  it('answers a Transfer-Encoding other than chunked (gzip, chunked) with 501 (RFC 9112 §6.1); chunked bodies still work', T, async () => {
    const app = new CovetApp();
    app.post('/echo', async (req) => ({ got: await req.text() }));
    await withServer(app, async ({ port }) => {
      const refused = await rawExchange(port, (socket) => {
        socket.write('POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n');
      });
      assert.equal(refused.status, 501, refused.text.slice(0, 200));
      assert.equal(refused.headers.connection, 'close');
      assert.deepEqual(JSON.parse(refused.body), { error: 'Transfer-Encoding not supported: gzip, chunked', supported: ['chunked'] });
      // A coding without chunked at all (gzip, identity, a typo): Node fails to frame the body right
      // after the 501 is queued; the 501 still goes out, then the connection closes.
      for (const coding of ['gzip', 'identity', 'chunkd']) {
        const alone = await rawExchange(port, (socket) => {
          socket.write(`POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: ${coding}\r\n\r\nabc`);
        });
        assert.equal(alone.status, 501, `${coding}: ${alone.text.slice(0, 200)}`);
        assert.deepEqual(JSON.parse(alone.body), { error: `Transfer-Encoding not supported: ${coding}`, supported: ['chunked'] });
      }
      const chunked = await rawExchange(port, (socket) => {
        socket.write('POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\nConnection: close\r\n\r\n3\r\nabc\r\n0\r\n\r\n');
      });
      assert.equal(chunked.status, 200, chunked.text.slice(0, 200));
      assert.deepEqual(JSON.parse(chunked.body), { got: 'abc' });
    });
  });

  it('answers pipelined requests before the 400 for the unparseable bytes after them, in order', T, async () => {
    const app = new CovetApp();
    app.get('/sync/{n}', (req) => ({ n: req.params.n }));
    app.get('/async/{n}', async (req) => {
      await new Promise((r) => setTimeout(r, 30));
      return { n: req.params.n };
    });
    app.post('/echo', async (req) => ({ got: await req.json() }));
    await withServer(app, async ({ port }) => {
      const sends = [
        ['GET /sync/1 HTTP/1.1\r\nHost: a\r\n\r\nXXXX\r\n\r\n', ['{"n":"1"}']],
        ['GET /async/1 HTTP/1.1\r\nHost: a\r\n\r\nGET /sync/2 HTTP/1.1\r\nHost: a\r\n\r\nGET /x HTTP/1.1\r\nBad Header\r\n\r\n', ['{"n":"1"}', '{"n":"2"}']],
        ['POST /echo HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}[[[\r\n\r\n', ['{"got":{}}']],
      ] as const;
      for (const [bytes, bodies] of sends) {
        const res = await rawExchange(port, (socket) => {
          socket.write(bytes);
        });
        const statuses = [...res.text.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]));
        assert.deepEqual(statuses, [...bodies.map(() => 200), 400], res.text);
        for (const body of bodies) assert.ok(res.text.includes(body), res.text);
        assert.ok(res.text.endsWith('{"error":"Bad Request"}'), res.text);
      }
    });
  });

  it('refuses a WebSocket handshake without Host, or with two, with 400 (RFC 6455 §4.1)', T, async () => {
    const app = new CovetApp();
    app.websocket('/ws', (ws) => ws.accept());
    await withServer(app, async ({ port }) => {
      const handshake = 'Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n';
      for (const host of ['', 'Host: a\r\nHost: b\r\n', 'host: a\r\nHOST: a\r\n']) {
        const res = await rawExchange(port, (socket) => {
          socket.write(`GET /ws HTTP/1.1\r\n${host}${handshake}\r\n`);
        });
        assert.equal(res.status, 400, `${JSON.stringify(host)}: ${res.text.slice(0, 200)}`);
        assert.deepEqual(JSON.parse(res.body), { error: 'Bad Request' });
      }
      const ok = await rawExchange(port, (socket) => {
        socket.write(`GET /ws HTTP/1.1\r\nHost: a\r\n${handshake}\r\n`);
        socket.once('data', () => socket.destroy());
      });
      assert.equal(ok.status, 101, ok.text.slice(0, 200));
    });
  });

  it('sends 100 Continue only when the body is read: a body over the limit gets the 413 alone', T, async () => {
    const app = new CovetApp({ bodyLimit: 1000 });
    app.post('/echo', async (req) => ({ size: (await req.body()).length }));
    app.post('/stream', async (req) => {
      let size = 0;
      for await (const chunk of req.stream()) size += chunk.length;
      return { size };
    });
    app.post('/raw', async (req) => {
      let size = 0;
      for await (const chunk of req.raw as AsyncIterable<Buffer>) size += chunk.length;
      return { size };
    });
    app.post('/ignore', () => ({ ignored: true }));
    await withServer(app, async ({ port }) => {
      // The final response's body, after the interim `100 Continue` and the final head.
      const afterContinue = (text: string): string => text.slice(text.indexOf('\r\n\r\n', text.indexOf('\r\n\r\n') + 4) + 4);
      // Waits for an interim or final response before sending the body, as curl does.
      const exchange = (path: string, length: number) =>
        rawExchange(port, (socket) => {
          socket.write(`POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Length: ${length}\r\nExpect: 100-continue\r\n\r\n`);
          socket.once('data', (first: Buffer) => {
            if (first.toString('latin1').startsWith('HTTP/1.1 100 ')) socket.end(Buffer.alloc(length, 120));
            else socket.end();
          });
        });
      for (const path of ['/echo', '/stream']) {
        const big = await exchange(path, 5000);
        assert.equal(big.status, 413, `${path}: ${big.text.slice(0, 200)}`);
        assert.doesNotMatch(big.text, /100 Continue/, path);
        assert.equal(big.headers.connection, 'close');
        assert.deepEqual(JSON.parse(big.body), { error: 'Payload Too Large: the body exceeds 1000 bytes' });
        const small = await exchange(path, 1000);
        assert.match(small.text, /^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 /, path);
        assert.deepEqual(JSON.parse(afterContinue(small.text)), { size: 1000 }, path);
      }
      // A handler reading the Node request itself gets the body too.
      const raw = await exchange('/raw', 500);
      assert.match(raw.text, /^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 /);
      assert.deepEqual(JSON.parse(afterContinue(raw.text)), { size: 500 });
      // Answered without reading (or without a route): no 100, and the connection closes.
      for (const [path, status] of [['/ignore', 200], ['/missing', 404]] as const) {
        const res = await exchange(path, 500);
        assert.equal(res.status, status, `${path}: ${res.text.slice(0, 200)}`);
        assert.doesNotMatch(res.text, /100 Continue/, path);
      }
    });
  });

  it('routes a request target in absolute form (RFC 9112 §3.2.2) by its path and query', T, async () => {
    const app = new CovetApp();
    app.get('/', () => ({ root: true }));
    app.get('/items/{id:int}', (req) => ({ id: req.params.id, path: req.path, q: req.queryParams.get('q'), raw: req.url.query }));
    await withServer(app, async ({ port }) => {
      const cases: [string, number, unknown][] = [
        ['http://example.com/items/7?q=a%20b', 200, { id: 7, path: '/items/7', q: 'a b', raw: 'q=a%20b' }],
        ['HTTP://EXAMPLE.COM:8080/items/8', 200, { id: 8, path: '/items/8', q: null, raw: '' }],
        ['https://example.com', 200, { root: true }],
        ['http://example.com?x=1', 200, { root: true }],
        ['http://example.com/nope', 404, { error: 'Not Found' }],
      ];
      for (const [target, status, body] of cases) {
        const res = await rawExchange(port, (socket) => {
          socket.write(`GET ${target} HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n`);
        });
        assert.equal(res.status, status, `${target}: ${res.text.slice(0, 200)}`);
        assert.deepEqual(JSON.parse(res.body), body, target);
      }
    });
  });

  it('answers OPTIONS * (RFC 9110 §9.3.7) with 204 and the methods of the server in Allow; another method with * gets 400', T, async () => {
    const app = new CovetApp();
    app.get('/items', () => []);
    app.post('/items', () => [{ created: true }, 201]);
    app.delete('/items/{id:int}', () => null);
    await withServer(app, async ({ port }) => {
      const star = await rawExchange(port, (socket) => {
        socket.write('OPTIONS * HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n');
      });
      assert.equal(star.status, 204, star.text.slice(0, 200));
      assert.equal(star.headers.allow, 'GET, POST, DELETE, HEAD, OPTIONS');
      assert.equal(star.body, '');
      for (const method of ['GET', 'POST', 'HEAD']) {
        const wrong = await rawExchange(port, (socket) => {
          socket.write(`${method} * HTTP/1.1\r\nHost: example.com\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
        });
        assert.equal(wrong.status, 400, `${method}: ${wrong.text.slice(0, 200)}`);
        if (method !== 'HEAD') assert.deepEqual(JSON.parse(wrong.body), { error: 'The request target * is only for OPTIONS' });
      }
      // Targets that start with * but are not *: neither the asterisk form nor a path.
      for (const target of ['*x', '*?x', '**', '*/items']) {
        for (const method of ['OPTIONS', 'GET']) {
          const bad = await rawExchange(port, (socket) => {
            socket.write(`${method} ${target} HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n`);
          });
          assert.deepEqual([bad.status, JSON.parse(bad.body)], [400, { error: 'Malformed request target' }], `${method} ${target}`);
        }
      }
    });
    // In-process too.
    const inProcess = await app.inject({ method: 'OPTIONS', url: '*' });
    assert.deepEqual([inProcess.status, inProcess.headers.get('allow'), inProcess.body.length], [204, 'GET, POST, DELETE, HEAD, OPTIONS', 0]);
    const get = await app.inject({ method: 'GET', url: '*' });
    assert.deepEqual([get.status, JSON.parse(get.body.toString())], [400, { error: 'The request target * is only for OPTIONS' }]);
  });

  it('answers CONNECT with 400 and an unknown Expect with 417, in JSON', T, async () => {
    const app = new CovetApp();
    app.get('/', () => ({ ok: true }));
    await withServer(app, async ({ port }) => {
      const connect = await rawExchange(port, (socket) => {
        socket.write('CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n');
      });
      assert.equal(connect.status, 400, connect.text.slice(0, 200));
      assert.deepEqual(JSON.parse(connect.body), { error: 'Bad Request' });
      const expect = await rawExchange(port, (socket) => {
        socket.write('GET / HTTP/1.1\r\nHost: x\r\nExpect: teapot\r\n\r\n');
      });
      assert.equal(expect.status, 417, expect.text.slice(0, 200));
      assert.match(expect.headers['content-type'] ?? '', /^application\/json/);
      assert.deepEqual(JSON.parse(expect.body), { error: 'Expectation Failed' });
      // The server still serves.
      assert.deepEqual(await (await fetch(`http://127.0.0.1:${port}/`)).json(), { ok: true });
    });
  });

  it('closes the connection after the response when a handler leaves more than 256 KiB of body unread, instead of draining it all', T, async () => {
    const app = new CovetApp({ bodyLimit: 1024 * 1024 * 1024 });
    app.post('/ignore', () => ({ ok: true }));
    await withServer(app, async ({ port }) => {
      // A client announcing 1 GiB and sending it as fast as it can: the answer says close, and
      // the connection ends within the lingering close (2 s), not after the whole gigabyte.
      let sent = 0;
      const big = await rawExchange(port, (socket) => {
        socket.write(`POST /ignore HTTP/1.1\r\nHost: a\r\nContent-Type: application/octet-stream\r\nContent-Length: ${1024 ** 3}\r\n\r\n`);
        const chunk = Buffer.alloc(64 * 1024, 1);
        const pump = (): void => {
          while (socket.writable && sent < 1024 ** 3) {
            sent += chunk.length;
            if (!socket.write(chunk)) {
              socket.once('drain', pump);
              return;
            }
          }
        };
        pump();
      });
      assert.equal(big.status, 200, big.text.slice(0, 200));
      assert.equal(big.headers.connection, 'close');
      assert.deepEqual(JSON.parse(big.body), { ok: true });
      assert.ok(big.elapsed < 6_000, `closed after ${big.elapsed} ms`);
      assert.ok(sent < 1024 ** 3, 'the client could not send the whole body');
      // A chunked body the handler ignores: the same.
      const chunked = await rawExchange(port, (socket) => {
        socket.write('POST /ignore HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n');
      });
      assert.equal(chunked.status, 200, chunked.text.slice(0, 200));
      assert.equal(chunked.headers.connection, 'close');
      // A small unread body keeps the connection: the next request goes on the same socket.
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      try {
        const first = await request(port, { method: 'POST', path: '/ignore', agent, body: 'x'.repeat(1000) });
        assert.equal(first.status, 200);
        assert.equal(first.headers.connection, 'keep-alive');
        const second = await request(port, { method: 'POST', path: '/ignore', agent, body: 'y'.repeat(100 * 1024) });
        assert.equal(second.status, 200);
        assert.equal(second.reusedSocket, true);
      } finally {
        agent.destroy();
      }
    });
  });

  it('cuts off a slowloris client that drips its headers (headersTimeout → 408)', T, async () => {
    const app = new CovetApp({ server: { headersTimeout: 500, requestTimeout: 1000 } });
    app.get('/', () => ({ ok: true }));
    await withServer(app, async ({ port }) => {
      let drip: NodeJS.Timeout | undefined;
      const res = await rawExchange(
        port,
        (socket) => {
          socket.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n');
          drip = setInterval(() => {
            if (socket.writable) socket.write('X-Slow: 1\r\n');
          }, 100);
          socket.once('close', () => clearInterval(drip));
        },
        10_000,
      );
      clearInterval(drip);
      assert.equal(res.status, 408, res.text.slice(0, 200));
      assert.deepEqual(JSON.parse(res.body), { error: 'Request Timeout' });
      // Cut at headersTimeout plus one check interval, not when the client chose to stop.
      assert.ok(res.elapsed < 4_000, `closed after ${res.elapsed} ms`);
      assert.equal((await request(port, { path: '/' })).status, 200);
    });
  });

  it('cuts off a client that drips its body (requestTimeout → 408)', T, async () => {
    const app = new CovetApp({ server: { headersTimeout: 500, requestTimeout: 1000 }, logger: memoryLogger() });
    app.post('/upload', async (req) => ({ size: (await req.body()).length }));
    await withServer(app, async ({ port }) => {
      let drip: NodeJS.Timeout | undefined;
      const res = await rawExchange(
        port,
        (socket) => {
          socket.write('POST /upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n\r\n');
          drip = setInterval(() => {
            if (socket.writable) socket.write('x');
          }, 100);
          socket.once('close', () => clearInterval(drip));
        },
        10_000,
      );
      clearInterval(drip);
      assert.equal(res.status, 408, res.text.slice(0, 200));
      assert.ok(res.elapsed < 5_000, `closed after ${res.elapsed} ms`);
    });
  });

  it('drops the connection of a client that ignores the server closing after an error response', T, async () => {
    const app = new CovetApp({ server: { headersTimeout: 500, requestTimeout: 1000 } });
    app.get('/', () => ({ ok: true }));
    await withServer(app, async ({ port }) => {
      const server = app.server;
      assert.ok(server !== null);
      // allowHalfOpen: this client keeps its side open after the server's FIN, as an attacker would.
      const socket = net.connect({ host: '127.0.0.1', port, allowHalfOpen: true });
      try {
        let text = '';
        socket.on('data', (d: Buffer) => {
          text += d.toString('latin1');
        });
        socket.on('error', () => {});
        await once(socket, 'connect');
        socket.write(`GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${'a'.repeat(20 * 1024)}\r\n\r\n`);
        await within(once(socket, 'end'), 10_000, "the server's FIN");
        assert.match(text, /^HTTP\/1\.1 431 /);
        const started = Date.now();
        const connections = (): Promise<number> => new Promise((resolve, reject) => server.getConnections((e, n) => (e ? reject(e) : resolve(n))));
        while ((await connections()) > 0) {
          assert.ok(Date.now() - started < 8_000, 'the server still holds the half-open connection after 8 s');
          await new Promise((r) => setTimeout(r, 50));
        }
      } finally {
        socket.destroy();
      }
    });
  });

  it('does not write a timeout response into a response that has already started', T, async () => {
    const app = new CovetApp({ server: { headersTimeout: 500, requestTimeout: 1000 }, logger: memoryLogger() });
    // Answers at once, without reading the body the client is still dripping.
    app.post('/early', async function* (req) {
      for (let i = 0; i < 100 && !req.signal.aborted; i++) {
        yield `chunk ${i}\n`;
        await new Promise((r) => setTimeout(r, 50));
      }
    });
    await withServer(app, async ({ port }) => {
      let drip: NodeJS.Timeout | undefined;
      const res = await rawExchange(
        port,
        (socket) => {
          socket.write('POST /early HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n\r\n');
          drip = setInterval(() => {
            if (socket.writable) socket.write('x');
          }, 100);
          socket.once('close', () => clearInterval(drip));
        },
        10_000,
      );
      clearInterval(drip);
      assert.equal(res.status, 200);
      assert.equal(res.headers['transfer-encoding'], 'chunked');
      assert.match(res.body, /chunk 0\n/);
      assert.doesNotMatch(res.body, /HTTP\/1\.1 408/, 'a second status line inside the chunked body');
    });
  });

  it('accepts a requestTimeout below the default headersTimeout', T, async () => {
    // Node itself throws when headersTimeout > requestTimeout.
    const app = new CovetApp({ server: { requestTimeout: 1000 } });
    app.get('/', () => ({ ok: true }));
    await withServer(app, async ({ port }) => {
      assert.equal((await request(port, { path: '/' })).status, 200);
    });
  });

  it('answers a Content-Length past the body limit with 413 and keeps serving', T, async () => {
    const app = new CovetApp({ bodyLimit: 1000 });
    app.post('/echo', async (req) => ({ size: (await req.body()).length }));
    await withServer(app, async ({ port }) => {
      const big = await request(port, { method: 'POST', path: '/echo', body: Buffer.alloc(5000, 120) });
      assert.equal(big.status, 413);
      assert.deepEqual(JSON.parse(big.text), { error: 'Payload Too Large: the body exceeds 1000 bytes' });
      assert.equal(big.headers.connection, 'close');
      const small = await request(port, { method: 'POST', path: '/echo', body: Buffer.alloc(1000, 120) });
      assert.equal(small.status, 200);
      assert.deepEqual(JSON.parse(small.text), { size: 1000 });
    });
  });

  it('keeps reading a refused body for a while after the 413, so a client still uploading gets the answer, not a reset', T, async () => {
    for (const chunked of [false, true]) {
      const app = new CovetApp({ bodyLimit: 1000 });
      app.post('/echo', async (req) => ({ size: (await req.body()).length }));
      await withServer(app, async ({ port }) => {
        // Half-open, as HTTP clients are: the server's FIN does not stop the upload.
        const socket = net.connect({ host: '127.0.0.1', port, allowHalfOpen: true });
        await once(socket, 'connect');
        let received = '';
        const answered = deferred();
        socket.on('data', (c: Buffer) => {
          received += c.toString('latin1');
          if (received.endsWith('}')) answered.resolve();
        });
        const errors: Error[] = [];
        socket.on('error', (err) => errors.push(err));
        const closed = once(socket, 'close');
        const chunk = Buffer.alloc(64 * 1024, 120);
        const framed = (c: Buffer) => (chunked ? Buffer.concat([Buffer.from(`${c.length.toString(16)}\r\n`), c, Buffer.from('\r\n')]) : c);
        const length = chunked ? 'Transfer-Encoding: chunked' : `Content-Length: ${40 * chunk.length}`;
        socket.write(`POST /echo HTTP/1.1\r\nHost: x\r\n${length}\r\n\r\n`);
        socket.write(framed(chunk));
        await within(answered.promise, 5_000, 'the 413 response');
        assert.match(received, /^HTTP\/1\.1 413 /);
        assert.match(received, /connection: close/i);
        // The client goes on uploading, as curl and undici do, well after the server answered.
        await new Promise((resolve) => setTimeout(resolve, 100));
        for (let i = 0; i < 20; i++) {
          socket.write(framed(chunk));
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        assert.deepEqual(errors, [], 'the server kept the connection while the body was still arriving');
        socket.end();
        await within(closed, 5_000, 'the connection to close');
      });
    }
  });

  it('answers a chunked body streaming past the limit with 413 and keeps serving', T, async () => {
    const app = new CovetApp({ bodyLimit: 10_000 });
    // What the server itself had read from the socket when it answered: kernel buffers
    // (which may hold megabytes on loopback) do not count.
    let serverRead = -1;
    app.addMiddleware(async (req, callNext) => {
      const res = await callNext();
      serverRead = req.raw?.socket.bytesRead ?? -1;
      return res;
    });
    app.post('/echo', async (req) => ({ size: (await req.body()).length }));
    await withServer(app, async ({ port }) => {
      const response = deferred<http.IncomingMessage>();
      const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/echo', agent: false }, (res) => response.resolve(res));
      req.on('error', (err) => {
        // EPIPE/ECONNRESET once the server hangs up is expected; only fail if no response came.
        if (!response.settled) response.reject(err);
      });
      const chunk = Buffer.alloc(1024, 120);
      const limit = 64 * 1024 * 1024;
      let sent = 0;
      while (!response.settled && sent < limit) {
        // A write that stalls means the server stopped reading: wait for the answer instead.
        const flushed = await Promise.race([
          new Promise<boolean>((resolve) => req.write(chunk, () => resolve(true))),
          response.promise.then(() => false, () => false),
          new Promise<boolean>((resolve) => setTimeout(resolve, 2_000, false)),
        ]);
        if (!flushed) break;
        sent += chunk.length;
      }
      const res = await within(response.promise, 10_000, 'the 413 response');
      assert.equal(res.headers['transfer-encoding'], undefined);
      assert.equal(res.statusCode, 413);
      const chunks: Buffer[] = [];
      for await (const c of res) chunks.push(c as Buffer);
      assert.deepEqual(JSON.parse(Buffer.concat(chunks).toString()), { error: 'Payload Too Large: the body exceeds 10000 bytes' });
      assert.ok(serverRead > 0 && serverRead < 1024 * 1024, `the server read ${serverRead} bytes before answering`);
      req.destroy();
      const ok = await request(port, { method: 'POST', path: '/echo', body: 'hello', headers: { 'transfer-encoding': 'chunked' } });
      assert.equal(ok.status, 200);
      assert.deepEqual(JSON.parse(ok.text), { size: 5 });
    });
  });
});

describe('server: errors', () => {
  it('percent-encodes a redirect URL with spaces or non-ASCII characters instead of failing with 500', T, async () => {
    const app = new CovetApp({ logger: memoryLogger() });
    const targets: [string, string][] = [
      ['/日本?q=ü', '/%E6%97%A5%E6%9C%AC?q=%C3%BC'],
      ['https://example.com/a%20b/ü ñ#top', 'https://example.com/a%20b/%C3%BC%20%C3%B1#top'],
      ['/search?q=100%', '/search?q=100%25'],
      ['/a%2Fb?x=[1]&y=~', '/a%2Fb?x=[1]&y=~'],
    ];
    targets.forEach(([target], i) => app.get(`/r${i}`, () => redirect(target)));
    await withServer(app, async ({ port }) => {
      for (const [i, [target, location]] of targets.entries()) {
        const res = await request(port, { path: `/r${i}` });
        assert.equal(res.status, 307, `${target}: ${res.text}`);
        assert.equal(res.headers.location, location, target);
      }
    });
  });

  it('keeps serving when a body read started early fails before the handler awaits it (no unhandled rejection)', T, async () => {
    const app = new CovetApp({ logger: memoryLogger() });
    const later = () => new Promise((r) => setTimeout(r, 50));
    app.post('/json', async (req) => {
      const body = req.json(); // started now, awaited after another await
      await later();
      return { got: await body };
    });
    app.post('/form', async (req) => {
      const form = req.form();
      await later();
      return { n: [...(await form).entries()].length };
    });
    app.post('/bytes', async (req) => {
      const bytes = req.body();
      await later();
      return { n: (await bytes).length };
    });
    let unhandled = 0;
    const onUnhandled = (): void => {
      unhandled++;
    };
    process.on('unhandledRejection', onUnhandled);
    try {
      await withServer(app, async ({ url }) => {
        const bad = await fetch(`${url}/json`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":' });
        assert.equal(bad.status, 400);
        assert.deepEqual(await bad.json(), { error: 'Malformed JSON in request body' });
        const badForm = await fetch(`${url}/form`, { method: 'POST', headers: { 'content-type': 'multipart/form-data' }, body: 'x' });
        assert.equal(badForm.status, 400);
        const tooBig = await fetch(`${url}/bytes`, { method: 'POST', body: 'x'.repeat(2 * 1024 * 1024) });
        assert.equal(tooBig.status, 413);
        const ok = await fetch(`${url}/json`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}' });
        assert.deepEqual(await ok.json(), { got: { a: 1 } });
      });
      // In process too (a Buffer body over the limit is refused at once).
      const inProcess = await app.handle(new globalThis.Request('http://x/bytes', { method: 'POST', body: 'x'.repeat(2 * 1024 * 1024) }));
      assert.equal(inProcess.status, 413);
      await new Promise((r) => setImmediate(r));
      assert.equal(unhandled, 0);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('answers a throwing or rejecting handler with 500 and keeps serving', T, async () => {
    const logger = memoryLogger();
    const app = new CovetApp({ logger });
    app.get('/throw', () => {
      throw new Error('boom');
    });
    app.get('/reject', async () => {
      await Promise.resolve();
      throw new Error('async boom');
    });
    app.get('/ok', () => ({ ok: true }));
    await withServer(app, async ({ port }) => {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      try {
        for (const path of ['/throw', '/reject']) {
          const res = await request(port, { path, agent });
          assert.equal(res.status, 500);
          assert.deepEqual(JSON.parse(res.text), { error: 'Internal Server Error' });
          const ok = await request(port, { path: '/ok', agent });
          assert.equal(ok.status, 200);
          assert.deepEqual(JSON.parse(ok.text), { ok: true });
        }
      } finally {
        agent.destroy();
      }
      assert.equal(logger.errors.length, 2);
      assert.equal((logger.errors[0] as Error).message, 'boom');
    });
  });

  it('answers a handler that returns or throws a value that throws when inspected (a Proxy) with 500, without an uncaught error', T, async () => {
    const logger = memoryLogger();
    const app = new CovetApp({ logger });
    // A "strict" Proxy that throws on any property it lacks (`toJSON`, `Symbol.iterator`…).
    const strict = <T extends object>(target: T): T =>
      new Proxy(target, {
        get(t, key) {
          if (!(key in t)) throw new TypeError(`no property ${String(key)}`);
          return Reflect.get(t, key);
        },
      });
    const { proxy: revoked, revoke } = Proxy.revocable({}, {});
    revoke();
    app.get('/strict-array', () => strict([1, 2]));
    app.get('/revoked', () => revoked);
    app.get('/throw-revoked', () => {
      throw revoked;
    });
    app.get('/throw-revoked-async', async () => {
      await Promise.resolve();
      throw revoked;
    });
    app.get('/ok', () => ({ ok: true }));
    const uncaught: unknown[] = [];
    const onUncaught = (err: unknown): void => {
      uncaught.push(err);
    };
    process.on('uncaughtException', onUncaught);
    process.on('unhandledRejection', onUncaught);
    try {
      await withServer(app, async ({ port }) => {
        for (const path of ['/strict-array', '/revoked', '/throw-revoked', '/throw-revoked-async']) {
          const res = await within(request(port, { path }), 2000, path);
          assert.equal(res.status, 500, path);
          assert.deepEqual(JSON.parse(res.text), { error: 'Internal Server Error' }, path);
          const ok = await request(port, { path: '/ok' });
          assert.deepEqual(JSON.parse(ok.text), { ok: true });
        }
      });
      for (const path of ['/revoked', '/throw-revoked']) {
        const res = await app.handle(new globalThis.Request(`http://x${path}`));
        assert.equal(res.status, 500, path);
      }
      await new Promise((r) => setImmediate(r));
      assert.deepEqual(uncaught, []);
      assert.equal(logger.errors.length, 6);
    } finally {
      process.off('uncaughtException', onUncaught);
      process.off('unhandledRejection', onUncaught);
    }
  });

  it('answers a response header with a line break or a bad name, or an error body JSON cannot encode, with 500 (socket and in-process)', T, async () => {
    const logger = memoryLogger();
    const app = new CovetApp({ logger });
    app.get('/tuple', () => [{ ok: true }, 200, { 'x-next': '/a\r\nSet-Cookie: admin=1' }]);
    app.get('/response', () => new Response('x', { headers: { 'bad name': 'v' } }));
    async function badHeader(_req: Request, callNext: CallNext) {
      const res = await callNext();
      res.headers.set('x-a', 'a\nb');
      return res;
    }
    app.get('/middleware', { middleware: [badHeader] }, () => 'x');
    app.get('/exception', () => {
      throw new HTTPException(401, 'Login first', { headers: { 'WWW-Authenticate': 'Bearer\r\nX-Injected: 1' } });
    });
    // Not a header, but the same road: an error body JSON cannot encode once crashed the process.
    app.get('/detail', () => {
      throw new HTTPException(400, 'Bad', { detail: { n: 1n } });
    });
    app.get('/ok', () => ({ ok: true }));
    const paths = ['/tuple', '/response', '/middleware', '/exception', '/detail'];
    await withServer(app, async ({ port }) => {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      try {
        for (const path of paths) {
          const res = await request(port, { path, agent });
          assert.equal(res.status, 500, path);
          assert.deepEqual(JSON.parse(res.text), { error: 'Internal Server Error' });
          assert.equal(res.headers['set-cookie'], undefined);
          assert.equal((await request(port, { path: '/ok', agent })).status, 200);
        }
      } finally {
        agent.destroy();
      }
    });
    for (const path of paths) {
      const res = await app.inject({ url: path });
      assert.equal(res.status, 500, path);
      assert.deepEqual(JSON.parse(res.body.toString()), { error: 'Internal Server Error' });
    }
    assert.equal(logger.errors.length, 10);
    assert.ok(logger.errors.every((err) => err instanceof TypeError));
  });

  it('includes detail and stack in 500 bodies with debug: true', T, async () => {
    const app = new CovetApp({ debug: true, logger: memoryLogger() });
    app.get('/throw', async () => {
      throw new TypeError('bad thing');
    });
    await withServer(app, async ({ port }) => {
      const res = await request(port, { path: '/throw' });
      assert.equal(res.status, 500);
      const body = JSON.parse(res.text) as { error: string; detail: string; stack: string[] };
      assert.equal(body.error, 'Internal Server Error');
      assert.equal(body.detail, 'TypeError: bad thing');
      assert.ok(Array.isArray(body.stack) && body.stack.length > 1);
      assert.ok(body.stack.some((line) => line.includes('server.test.ts')), 'the stack names the handler file');
    });
  });

  it('says so when it starts with debug: true and NODE_ENV=production', T, async () => {
    const saved = process.env.NODE_ENV;
    try {
      for (const [nodeEnv, debug, warned] of [
        ['production', true, true],
        ['production', false, false],
        ['development', true, false],
      ] as const) {
        process.env.NODE_ENV = nodeEnv;
        const logger = memoryLogger();
        await withServer(new CovetApp({ debug, logger }), async () => {});
        const expected = warned
          ? ['debug: true with NODE_ENV=production: 500 responses show error details and stack traces, and app.console() is open without a token; set debug: false']
          : [];
        assert.deepEqual(logger.lines, expected, `${nodeEnv}, debug: ${debug}`);
      }
    } finally {
      if (saved === undefined) delete process.env.NODE_ENV;
      else process.env.NODE_ENV = saved;
    }
  });
});

describe('server: methods', () => {
  it('answers HEAD on a GET route with its headers and no body', T, async () => {
    const app = new CovetApp();
    app.get('/text', () => 'hello world');
    app.get('/json', () => ({ a: 1 }));
    await withServer(app, async ({ port }) => {
      for (const [path, length] of [
        ['/text', 11],
        ['/json', 7],
      ] as const) {
        // Raw, so bytes sent after the headers would show.
        const res = await rawExchange(port, (s) => s.write(`HEAD ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`));
        assert.equal(res.status, 200, path);
        assert.equal(res.headers['content-length'], String(length), path);
        assert.equal(res.body, '', path);
      }
    });
  });

  it('answers OPTIONS with 204 and Allow, and a wrong method with 405 and Allow', T, async () => {
    const app = new CovetApp();
    app.get('/items', () => []);
    app.post('/items', () => [{ created: true }, 201]);
    await withServer(app, async ({ url }) => {
      const opts = await fetch(`${url}/items`, { method: 'OPTIONS' });
      assert.equal(opts.status, 204);
      assert.deepEqual((opts.headers.get('allow') ?? '').split(', ').sort(), ['GET', 'HEAD', 'OPTIONS', 'POST']);
      assert.equal(await opts.text(), '');
      const wrong = await fetch(`${url}/items`, { method: 'DELETE' });
      assert.equal(wrong.status, 405);
      assert.deepEqual((wrong.headers.get('allow') ?? '').split(', ').sort(), ['GET', 'HEAD', 'OPTIONS', 'POST']);
      assert.deepEqual(await wrong.json(), { error: 'Method Not Allowed' });
    });
  });
});

describe('server: streaming', () => {
  it('streams an async generator with chunked transfer encoding', T, async () => {
    const app = new CovetApp();
    app.get('/stream', async function* () {
      yield 'a';
      await new Promise((r) => setImmediate(r));
      yield 'b';
      yield Buffer.from('c');
    });
    await withServer(app, async ({ port }) => {
      const res = await request(port, { path: '/stream' });
      assert.equal(res.status, 200);
      assert.equal(res.headers['transfer-encoding'], 'chunked');
      assert.equal(res.headers['content-length'], undefined);
      assert.equal(res.text, 'abc');
    });
  });

  it('answers a stream that fails before its first chunk with the error response, not a cut connection', T, async () => {
    const logger = memoryLogger();
    const app = new CovetApp({ logger });
    const events: string[] = [];
    addFailingStreams(app, events);
    class Broken extends Error {}
    // An error handler whose own stream fails too: the connection is cut, without a loop.
    app.onError(Broken, () =>
      stream(
        (async function* () {
          throw new Error('handler stream failed');
        })(),
      ),
    );
    app.get('/broken', () =>
      stream(
        (async function* () {
          throw new Broken('broken');
        })(),
      ),
    );
    await withServer(app, async ({ port }) => {
      const fails = await request(port, { path: '/fails' });
      assert.equal(fails.status, 500);
      assert.deepEqual(JSON.parse(fails.text), { error: 'Internal Server Error' });
      assert.deepEqual(events, ['rollback: no data']);
      assert.ok(logger.lines.includes('Unhandled error in request'), logger.lines.join('\n'));
      const gone = await request(port, { path: '/gone' });
      assert.equal(gone.status, 404);
      assert.deepEqual(JSON.parse(gone.text), { error: 'Nothing to stream' });
      const empty = await request(port, { path: '/empty' });
      assert.equal(empty.status, 200);
      assert.equal(empty.headers['content-type'], 'text/plain');
      assert.equal(empty.text, '');
      await assert.rejects(request(port, { path: '/broken' }));
      assert.ok(logger.lines.includes('response body failed'), logger.lines.join('\n'));
      // The connection of an error response stays usable.
      const res = await rawExchange(port, (socket) => {
        socket.write('GET /fails HTTP/1.1\r\nHost: x\r\n\r\nGET /empty HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
      });
      assert.match(res.text, /^HTTP\/1\.1 500 [^]*HTTP\/1\.1 200 /);
    });
  });

  it('streams web ReadableStream and Node Readable bodies', T, async () => {
    const app = new CovetApp();
    app.get('/web', () =>
      stream(
        new ReadableStream<Uint8Array>({
          start(controller) {
            controller.enqueue(new TextEncoder().encode('web '));
            controller.enqueue(new TextEncoder().encode('stream'));
            controller.close();
          },
        }),
        'text/plain; charset=utf-8',
      ),
    );
    app.get('/node', () => Readable.from([Buffer.from('node '), Buffer.from('stream')]));
    await withServer(app, async ({ port }) => {
      const web = await request(port, { path: '/web' });
      assert.equal(web.headers['transfer-encoding'], 'chunked');
      assert.equal(web.headers['content-type'], 'text/plain; charset=utf-8');
      assert.equal(web.text, 'web stream');
      const node = await request(port, { path: '/node' });
      assert.equal(node.headers['content-type'], 'application/octet-stream');
      assert.equal(node.text, 'node stream');
    });
  });

  it('answers HEAD on a streaming route without running the stream', T, async () => {
    let started = 0;
    const app = new CovetApp();
    app.get('/gen', async function* () {
      started++;
      yield 'never sent';
    });
    app.get('/sync', () =>
      (function* () {
        yield 'x';
      })(),
    );
    await withServer(app, async ({ port }) => {
      const res = await rawExchange(port, (s) => s.write('HEAD /gen HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n'));
      assert.equal(res.status, 200);
      assert.equal(res.body, '');
      assert.equal(started, 0);
      const sync = await rawExchange(port, (s) => s.write('HEAD /sync HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n'));
      assert.equal(sync.status, 200);
      assert.equal(sync.body, '');
    });
  });

  it('pauses the generator while the client does not read (backpressure)', T, async () => {
    const CHUNK = 64 * 1024;
    const TOTAL = 1024; // 64 MiB: far more than socket buffers can hide
    let produced = 0;
    const app = new CovetApp();
    app.get('/big', async function* () {
      const chunk = Buffer.alloc(CHUNK, 97);
      for (let i = 0; i < TOTAL; i++) {
        produced++;
        yield chunk;
      }
    });
    await withServer(app, ({ port }) => expectBackpressure(port, () => produced, TOTAL, CHUNK, 'the generator'));
  });

  for (const kind of ['web ReadableStream', 'Node Readable'] as const) {
    it(`pauses a ${kind} while the client does not read (backpressure)`, T, async () => {
      const CHUNK = 64 * 1024;
      const TOTAL = 512; // 32 MiB: far more than socket buffers can hide
      let produced = 0;
      const next = (): Buffer | null => {
        if (produced === TOTAL) return null;
        produced++;
        return Buffer.alloc(CHUNK, 97);
      };
      const app = new CovetApp();
      app.get('/big', () =>
        kind === 'Node Readable'
          ? new Readable({
              read() {
                this.push(next());
              },
            })
          : new ReadableStream<Uint8Array>(
              {
                pull(controller) {
                  const chunk = next();
                  if (chunk === null) controller.close();
                  else controller.enqueue(chunk);
                },
              },
              { highWaterMark: 1 },
            ),
      );
      await withServer(app, ({ port }) => expectBackpressure(port, () => produced, TOTAL, CHUNK, `the ${kind}`));
    });
  }

  it("runs the generator's finally block when the client disconnects mid-stream", T, async () => {
    const cleaned = deferred<number>();
    const app = new CovetApp({ logger: memoryLogger() });
    app.get('/forever', async function* () {
      let n = 0;
      try {
        for (;;) {
          n++;
          yield Buffer.alloc(16 * 1024, 98);
        }
      } finally {
        cleaned.resolve(n);
      }
    });
    await withServer(app, async ({ port }) => {
      const req = http.get({ host: '127.0.0.1', port, path: '/forever', agent: false }, (res) => {
        res.once('data', () => req.destroy());
      });
      req.on('error', () => {}); // the abort we caused
      const n = await within(cleaned.promise, 10_000, "the generator's finally block");
      assert.ok(n > 0);
    });
  });
});

describe('server: cancellation', () => {
  it('aborts req.signal when the client disconnects mid-request', T, async () => {
    const entered = deferred();
    const aborted = deferred<unknown>();
    const app = new CovetApp();
    app.get('/wait', async (req) => {
      const { signal } = req;
      entered.resolve();
      signal.addEventListener('abort', () => aborted.resolve(signal.reason), { once: true });
      await aborted.promise;
      return { never: 'seen' };
    });
    await withServer(app, async ({ port }) => {
      const req = http.get({ host: '127.0.0.1', port, path: '/wait', agent: false });
      req.on('error', () => {});
      await within(entered.promise, 10_000, 'the handler to start');
      req.destroy();
      const reason = await within(aborted.promise, 10_000, 'req.signal to abort');
      assert.ok(reason instanceof Error);
    });
  });

  it('throws a client disconnect mid-stream into generator dependencies at their yield (no commit, nothing logged)', T, async () => {
    const events: string[] = [];
    const firstChunk = deferred();
    const finished = deferred();
    async function* getTx() {
      events.push('begin');
      try {
        yield 'tx';
        events.push('commit');
      } catch (err) {
        events.push(`rollback: ${(err as Error).message}`);
        throw err;
      } finally {
        finished.resolve();
      }
    }
    const logger = memoryLogger();
    const app = new CovetApp({ logger });
    app.get('/feed', { deps: { tx: Depends(getTx) } }, () =>
      stream(
        (async function* () {
          for (let i = 0; i < 1000; i++) {
            yield `line ${i}\n`;
            await new Promise((r) => setTimeout(r, 10));
          }
        })(),
        'text/plain',
      ),
    );
    await withServer(app, async ({ port }) => {
      const req = http.get({ host: '127.0.0.1', port, path: '/feed', agent: false }, (res) => {
        res.once('data', () => firstChunk.resolve());
        res.on('error', () => {});
      });
      req.on('error', () => {});
      await within(firstChunk.promise, 10_000, 'the first chunk');
      req.destroy();
      await within(finished.promise, 10_000, 'the dependency cleanup');
    });
    assert.deepEqual(events, ['begin', 'rollback: The client closed the connection']);
    assert.deepEqual(logger.errors, []);
  });

  it('aborts req.signal first read after the client has already gone', T, async () => {
    const entered = deferred();
    const gone = deferred();
    const result = deferred<boolean>();
    const app = new CovetApp();
    app.get('/late', async (req) => {
      entered.resolve();
      await gone.promise;
      // The handler looks at the signal only now, after the connection closed.
      result.resolve(req.signal.aborted);
      return null;
    });
    await withServer(app, async ({ port }) => {
      const req = http.get({ host: '127.0.0.1', port, path: '/late', agent: false });
      req.on('error', () => {});
      await within(entered.promise, 10_000, 'the handler to start');
      const closed = new Promise((resolve) => req.once('close', resolve));
      req.destroy();
      await closed;
      // Give the server time to see the FIN: wait until it has no open connections.
      await within(
        (async () => {
          for (;;) {
            const count = await new Promise<number>((r, j) => app.server?.getConnections((e, c) => (e ? j(e) : r(c))));
            if (count === 0) return;
            await new Promise((r) => setTimeout(r, 20));
          }
        })(),
        10_000,
        'the server to drop the connection',
      );
      gone.resolve();
      assert.equal(await within(result.promise, 10_000, 'the handler'), true);
    });
  });

  it('answers 503 when a route timeout passes and aborts req.signal', T, async () => {
    const aborted = deferred<unknown>();
    const app = new CovetApp();
    app.get('/slow', { timeout: 300 }, async (req) => {
      await new Promise<void>((resolve) => req.signal.addEventListener('abort', () => resolve(), { once: true }));
      aborted.resolve(req.signal.reason);
      return { late: true };
    });
    app.get('/stuck', { timeout: 200 }, () => new Promise(() => {}));
    await withServer(app, async ({ port }) => {
      const started = Date.now();
      const res = await request(port, { path: '/slow' });
      assert.equal(res.status, 503);
      assert.deepEqual(JSON.parse(res.text), { error: 'Request timed out' });
      assert.ok(Date.now() - started >= 250, 'not before the timeout');
      const reason = await within(aborted.promise, 5_000, 'req.signal to abort');
      assert.ok(reason instanceof HTTPException);
      assert.equal(reason.status, 503);
      const stuck = await request(port, { path: '/stuck' });
      assert.equal(stuck.status, 503);
      assert.deepEqual(JSON.parse(stuck.text), { error: 'Request timed out' });
    });
  });

  it('sends the timeout 503 through the middleware (CORS headers, metrics see 503, not the late result); a middleware that stalls itself gets the bare 503', T, async () => {
    const seen: string[] = [];
    const app = new CovetApp();
    app.addMiddleware(new CORSMiddleware({ allowOrigins: ['http://app.test'] }));
    app.addMiddleware(async (req: Request, callNext: CallNext) => {
      const res = await callNext(req);
      seen.push(`${req.path} ${res.status}`);
      res.headers.set('x-seen', String(res.status));
      return res;
    });
    app.get('/slow', { timeout: 100 }, async () => {
      await new Promise((resolve) => setTimeout(resolve, 400));
      return { late: true };
    });
    const stalling = async (req: Request, callNext: CallNext) => {
      await new Promise((resolve) => setTimeout(resolve, 400));
      return callNext(req);
    };
    app.get('/stalls', { timeout: 100, middleware: [stalling] }, () => 'never in time');
    await withServer(app, async ({ port }) => {
      const headers = { origin: 'http://app.test' };
      const res = await request(port, { path: '/slow', headers });
      assert.equal(res.status, 503);
      assert.deepEqual(JSON.parse(res.text), { error: 'Request timed out' });
      assert.equal(res.headers['access-control-allow-origin'], 'http://app.test');
      assert.equal(res.headers['x-seen'], '503');
      assert.deepEqual(seen, ['/slow 503']);

      const stalled = await request(port, { path: '/stalls', headers });
      assert.equal(stalled.status, 503);
      assert.deepEqual(JSON.parse(stalled.text), { error: 'Request timed out' });
      await new Promise((resolve) => setTimeout(resolve, 600));
      // The late result of /slow never reached the middleware.
      assert.equal(seen.filter((line) => line.startsWith('/slow')).length, 1);
    });
  });
});

describe('server: graceful shutdown', () => {
  it('lets in-flight requests finish, refuses new ones, closes idle connections, then runs hooks in reverse', T, async () => {
    const log: string[] = [];
    const entered = deferred();
    const release = deferred();
    const app = new CovetApp();
    app.get('/fast', () => ({ fast: true }));
    app.get('/slow', async () => {
      entered.resolve();
      await release.promise;
      log.push('handler done');
      return { slow: true };
    });
    app.onShutdown(() => {
      log.push('hook 1');
    });
    app.onShutdown(async () => {
      await Promise.resolve();
      log.push('hook 2');
    });
    await withServer(app, async ({ port }) => {
      const agent = new http.Agent({ keepAlive: true });
      try {
        const fast = await request(port, { path: '/fast', agent });
        assert.equal(fast.status, 200);
        const idleClosed = once(fast.socket, 'close');

        const slow = request(port, { path: '/slow' });
        await within(entered.promise, 10_000, 'the slow handler to start');

        let closeDone = false;
        const startedClosing = Date.now();
        const closing = app.close().then(() => {
          closeDone = true;
        });

        // Idle keep-alive connections go at once, not after keepAliveTimeout (5 s).
        await within(idleClosed, 4_000, 'the idle keep-alive connection to close');
        assert.ok(Date.now() - startedClosing < 4_000);

        // No new connections.
        const refused = await new Promise<NodeJS.ErrnoException | null>((resolve) => {
          const s = net.connect({ host: '127.0.0.1', port });
          s.on('connect', () => {
            s.destroy();
            resolve(null);
          });
          s.on('error', resolve);
        });
        assert.equal(refused?.code, 'ECONNREFUSED');

        assert.equal(closeDone, false, 'close() waits for the in-flight request');
        assert.deepEqual(log, []);

        release.resolve();
        const res = await within(slow, 10_000, 'the in-flight response');
        assert.equal(res.status, 200);
        assert.deepEqual(JSON.parse(res.text), { slow: true });
        assert.equal(res.headers.connection, 'close');
        await within(closing, 10_000, 'close() to resolve');
        assert.deepEqual(log, ['handler done', 'hook 2', 'hook 1']);
      } finally {
        agent.destroy();
      }
    });
  });

  it('with shutdownDelay, close() serves on as draining first: /health/ready 503, Connection: close, then stops listening', T, async () => {
    const { HealthChecker } = await import('../../src/monitoring/index.js');
    const health = new HealthChecker();
    const app = new CovetApp({ server: { shutdownDelay: 800 } });
    app.includeRouter(health.router, { prefix: '/health' });
    app.get('/work', () => ({ ok: true }));
    assert.throws(() => new CovetApp({ server: { shutdownDelay: -1 } }), { name: 'RangeError', message: 'server.shutdownDelay must be a non-negative integer (ms), got -1' });
    await withServer(app, async ({ port }) => {
      assert.equal((await request(port, { path: '/health/ready' })).status, 200);
      const started = Date.now();
      const closing = app.close();
      await new Promise((r) => setTimeout(r, 100));
      const ready = await request(port, { path: '/health/ready' });
      assert.equal(ready.status, 503);
      assert.equal(JSON.parse(ready.text).status, 'unhealthy');
      const work = await request(port, { path: '/work' });
      assert.equal(work.status, 200);
      assert.equal(work.headers.connection, 'close');
      await within(closing, 5_000, 'close()');
      assert.ok(Date.now() - started >= 750, `closed after ${Date.now() - started} ms, before the delay`);
      const refused = await request(port, { path: '/work' }).then(
        () => null,
        (err: NodeJS.ErrnoException) => err.code,
      );
      assert.equal(refused, 'ECONNREFUSED');
    });
  });

  it('force-closes a request that never finishes after shutdownTimeout', T, async () => {
    const entered = deferred();
    let hookRan = false;
    const app = new CovetApp({ server: { shutdownTimeout: 300 } });
    app.get('/never', async () => {
      entered.resolve();
      await new Promise(() => {});
    });
    app.onShutdown(() => {
      hookRan = true;
    });
    await withServer(app, async ({ port }) => {
      const pending = request(port, { path: '/never' }).then(
        () => null,
        (err: NodeJS.ErrnoException) => err,
      );
      await within(entered.promise, 10_000, 'the handler to start');
      const started = Date.now();
      await within(app.close(), 5_000, 'close()');
      const elapsed = Date.now() - started;
      assert.ok(elapsed >= 250, `closed after ${elapsed} ms, before the deadline`);
      assert.ok(elapsed < 2_000, `closed after ${elapsed} ms, long after the 300 ms deadline`);
      assert.equal(hookRan, true);
      const err = await within(pending, 5_000, 'the client to see the connection cut');
      assert.ok(err !== null, 'the client saw an error');
      assert.equal(err.code, 'ECONNRESET');
    });
  });
});

describe('server: app.run()', () => {
  it('on a port in use logs one line and exits with code 5, without a stack trace', { timeout: 60_000 }, async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'tests/fixtures/run-port-in-use.ts'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      output += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      output += d;
    });
    const [code] = (await within(once(child, 'exit'), 45_000, 'the app to exit')) as [number | null];
    assert.equal(code, 5, output);
    assert.match(output, /port \d+ on 127\.0\.0\.1 is already in use/);
    assert.doesNotMatch(output, /EADDRINUSE|    at /);
  });

  it('logs its URL, serves, and on SIGTERM drains, runs shutdown hooks and exits 0', { timeout: 60_000 }, async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'tests/fixtures/run-app.ts'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve) => {
      child.once('exit', (code, signal) => resolve([code, signal]));
    });
    try {
      const listening = new Promise<string>((resolve, reject) => {
        child.stdout.on('data', (d: string) => {
          stdout += d;
          const m = /Covet listening on (http:\/\/\S+)/.exec(stdout);
          if (m?.[1]) resolve(m[1]);
        });
        child.stderr.on('data', (d: string) => {
          stderr += d;
        });
        child.once('exit', (code) => reject(new Error(`the app exited early (${code}): ${stdout}${stderr}`)));
      });
      const url = await within(listening, 45_000, 'the "Covet listening on" line');
      const { port } = new URL(url);
      const res = await request(Number(port), { path: '/' });
      assert.equal(res.status, 200);
      assert.deepEqual(JSON.parse(res.text), { message: 'Hello from run()' });

      child.kill('SIGTERM');
      const [code, signal] = await within(exited, 15_000, 'the app to exit');
      assert.equal(signal, null, stderr);
      assert.equal(code, 0, stderr);
      assert.match(stdout, /shutdown hook ran/);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });
});
