import assert from 'node:assert/strict';
import { AsyncLocalStorage } from 'node:async_hooks';
import { type Server, createServer, request as httpRequest } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { once } from 'node:events';
import { after, describe, it } from 'node:test';
import { CovetApp } from '../../../src/index.js';
import { endSoon } from '../../../src/http/end-soon.js';
import { withServer } from '../../helpers/server.js';

/** GETs `path` on a fresh keep-alive-less connection; resolves with the status and body. */
function get(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        body += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as AddressInfo).port;
}

describe('endSoon', () => {
  const servers: Server[] = [];
  after(() => {
    for (const s of servers) s.close();
  });

  it('ends responses together at the end of the turn, each with its own body', async () => {
    const ended: number[] = [];
    const server = createServer((req, res) => {
      const n = Number(req.url?.slice(1));
      res.writeHead(200, ['content-type', 'text/plain']);
      // Nothing is written yet: the head waits for the body, the body for the end of the turn.
      endSoon(res, `body ${n}`);
      assert.equal(res.writableEnded, false);
      assert.equal(res.headersSent, true);
      res.once('finish', () => ended.push(n));
    });
    servers.push(server);
    const port = await listen(server);
    const answers = await Promise.all([1, 2, 3, 4, 5].map((n) => get(port, `/${n}`)));
    assert.deepEqual(
      answers.map((a) => a.body),
      ['body 1', 'body 2', 'body 3', 'body 4', 'body 5'],
    );
    assert.deepEqual([...ended].sort(), [1, 2, 3, 4, 5]);
  });

  it('ends bodiless responses, and the rest of a batch when one connection is already gone', async () => {
    const server = createServer((req, res) => {
      if (req.url === '/gone') {
        res.writeHead(200, ['content-length', '4']);
        res.destroy();
        endSoon(res, 'gone');
        return;
      }
      res.writeHead(204);
      endSoon(res);
    });
    servers.push(server);
    const port = await listen(server);
    const gone = get(port, '/gone').then(
      () => 'answered',
      (err: NodeJS.ErrnoException) => err.code,
    );
    const [a, b] = await Promise.all([get(port, '/a'), get(port, '/b')]);
    assert.equal(a.status, 204);
    assert.equal(b.status, 204);
    assert.equal(await gone, 'ECONNRESET');
  });

  it('runs what an end triggers outside the async context of the request that scheduled the batch', async () => {
    const storage = new AsyncLocalStorage<number>();
    const seen: [number, number | undefined][] = [];
    // Every handler waits for all six requests, so the six ends fall in one turn: one batch.
    let arrived = 0;
    let allArrived: () => void = () => {};
    const barrier = new Promise<void>((r) => {
      allArrived = r;
    });
    const server = createServer((req, res) => {
      const n = Number(req.url?.slice(1));
      storage.run(n, async () => {
        if (++arrived === 6) allArrived();
        await barrier;
        res.writeHead(200);
        endSoon(res, String(n));
        // A listener added in request n's context must not run in another request's.
        res.once('finish', () => seen.push([n, storage.getStore()]));
      });
    });
    servers.push(server);
    const port = await listen(server);
    await Promise.all([1, 2, 3, 4, 5, 6].map((n) => get(port, `/${n}`)));
    assert.equal(seen.length, 6);
    assert.deepEqual(
      seen.filter(([n, store]) => store !== undefined && store !== n),
      [],
    );
  });

  it('keeps a connection usable after unread bodies, and answers pipelined requests in order', async () => {
    const app = new CovetApp();
    app.post('/ignore', () => ({ ignored: true }));
    app.get('/n/{n:int}', (req) => ({ n: req.params.n }));
    await withServer(app, async ({ port }) => {
      const socket = connect(port, '127.0.0.1');
      try {
        await once(socket, 'connect');
        let received = '';
        socket.setEncoding('utf8').on('data', (c: string) => {
          received += c;
        });
        const bodies = async (n: number): Promise<string[]> => {
          while ((received.match(/\r\n\r\n\{[^}]*\}/g) ?? []).length < n) await once(socket, 'data');
          return (received.match(/\r\n\r\n(\{[^}]*\})/g) ?? []).map((m) => m.slice(4));
        };
        // A body the handler never reads: Node must still take it off the connection.
        const big = 'x'.repeat(200_000);
        socket.write(`POST /ignore HTTP/1.1\r\nHost: t\r\nContent-Type: text/plain\r\nContent-Length: ${big.length}\r\n\r\n${big}`);
        assert.deepEqual(await bodies(1), ['{"ignored":true}']);
        // Three requests in one write, then one more: each answered, in order, on the same connection.
        socket.write('GET /n/1 HTTP/1.1\r\nHost: t\r\n\r\nGET /n/2 HTTP/1.1\r\nHost: t\r\n\r\nGET /n/3 HTTP/1.1\r\nHost: t\r\n\r\n');
        assert.deepEqual(await bodies(4), ['{"ignored":true}', '{"n":1}', '{"n":2}', '{"n":3}']);
        socket.write('GET /n/4 HTTP/1.1\r\nHost: t\r\n\r\n');
        assert.deepEqual((await bodies(5)).at(-1), '{"n":4}');
      } finally {
        socket.destroy();
      }
    });
  });

  it('serves an app whose handlers answer in one turn, over keep-alive and with HEAD', async () => {
    const app = new CovetApp();
    app.get('/json/{n:int}', (req) => ({ n: req.params.n }));
    app.get('/text', () => 'plain text');
    await withServer(app, async ({ url: base }) => {
      const answers = await Promise.all(Array.from({ length: 20 }, (_, n) => fetch(`${base}/json/${n}`).then((r) => r.json())));
      assert.deepEqual(
        answers,
        Array.from({ length: 20 }, (_, n) => ({ n })),
      );
      const head = await fetch(`${base}/text`, { method: 'HEAD' });
      assert.equal(head.status, 200);
      assert.equal(await head.text(), '');
      assert.equal(head.headers.get('content-length'), '10');
      assert.equal(await (await fetch(`${base}/text`)).text(), 'plain text');
    });
  });
});
