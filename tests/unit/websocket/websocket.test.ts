// The WebSocket API as handlers and TestClient.websocketConnect see it, in-process (real frames
// over an in-memory pair): accept, receive*, send*, close, iteration, params, state, deps,
// middleware, refusals and WebSocketDisconnect.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type CallNext,
  CovetApp,
  Depends,
  HTTPException,
  type Request,
  WebSocket,
  WebSocketDisconnect,
  WebSocketError,
  WebSocketHandshakeError,
} from '../../../src/index.js';
import { TestClient } from '../../../src/testing/index.js';
import { memoryLogger } from '../../helpers/server.js';

function deferred<T = void>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

describe('WebSocket (in-process)', () => {
  it('echoes text, bytes and JSON, and yields each kind from for await', async () => {
    const app = new CovetApp();
    app.websocket('/echo', async (ws) => {
      await ws.accept();
      for await (const message of ws) {
        if (typeof message === 'string') await ws.sendText(`echo:${message}`);
        else await ws.sendBytes(message);
      }
    });
    await using client = new TestClient(app);
    const ws = await client.websocketConnect('/echo');
    assert.equal(ws.readyState, 'open');
    await ws.sendText('hello');
    assert.equal(await ws.receiveText(), 'echo:hello');
    await ws.sendBytes(new Uint8Array([1, 2, 3]));
    assert.deepEqual([...(await ws.receiveBytes())], [1, 2, 3]);
    await ws.sendJson({ a: 1 });
    assert.deepEqual(await ws.receiveText(), 'echo:{"a":1}');
    await ws.send('é🎉');
    assert.equal(await ws.receive(), 'echo:é🎉');
    await ws.close();
    assert.equal(ws.readyState, 'closed');
    assert.deepEqual(await ws.closed, { code: 1000, reason: '' });
  });

  it('types and converts path params like HTTP routes', async () => {
    const app = new CovetApp();
    app.websocket('/rooms/{room}/{n:int}', async (ws) => {
      const room: string = ws.params.room;
      const n: number = ws.params.n;
      await ws.sendJson({ room, n, type: typeof n });
    });
    await using client = new TestClient(app);
    const ws = await client.websocketConnect('/rooms/lobby/42');
    assert.deepEqual(await ws.receiveJson(), { room: 'lobby', n: 42, type: 'number' });
    // The handler returned: the server closes normally.
    await assert.rejects(ws.receive(), (err: unknown) => err instanceof WebSocketDisconnect && err.code === 1000);
  });

  it('a segment that does not convert does not match (404)', async () => {
    const app = new CovetApp();
    app.websocket('/n/{id:int}', async (ws) => ws.close());
    await using client = new TestClient(app);
    await assert.rejects(client.websocketConnect('/n/abc'), (err: unknown) => err instanceof WebSocketHandshakeError && err.status === 404);
  });

  it('accepts implicitly on the first send or receive', async () => {
    const app = new CovetApp();
    app.websocket('/implicit', async (ws) => {
      assert.equal(ws.readyState, 'connecting');
      assert.equal(ws.accepted, false);
      const text = await ws.receiveText();
      await ws.sendText(text.toUpperCase());
    });
    await using client = new TestClient(app);
    const ws = await client.websocketConnect('/implicit');
    await ws.sendText('abc');
    assert.equal(await ws.receiveText(), 'ABC');
  });

  it('refuses with 403 when the handler returns or closes without accepting', async () => {
    const app = new CovetApp();
    app.websocket('/returns', async () => {});
    app.websocket('/closes', async (ws) => {
      await ws.close(1008);
    });
    await using client = new TestClient(app);
    for (const path of ['/returns', '/closes']) {
      await assert.rejects(client.websocketConnect(path), (err: unknown) => {
        assert.ok(err instanceof WebSocketHandshakeError);
        assert.equal(err.status, 403);
        assert.deepEqual(err.json(), { error: 'Forbidden' });
        return true;
      });
    }
  });

  it('answers an HTTPException thrown before accept with its status (and logs other errors as 500)', async () => {
    const logger = memoryLogger();
    const app = new CovetApp({ logger });
    app.websocket('/private', async () => {
      throw new HTTPException(401, 'Missing token', { headers: { 'www-authenticate': 'Bearer' } });
    });
    app.websocket('/broken', async () => {
      throw new Error('boom');
    });
    await using client = new TestClient(app);
    await assert.rejects(client.websocketConnect('/private'), (err: unknown) => {
      assert.ok(err instanceof WebSocketHandshakeError);
      assert.equal(err.status, 401);
      assert.equal(err.headers.get('www-authenticate'), 'Bearer');
      assert.deepEqual(err.json(), { error: 'Missing token' });
      return true;
    });
    await assert.rejects(client.websocketConnect('/broken'), (err: unknown) => err instanceof WebSocketHandshakeError && err.status === 500);
    assert.equal((logger.errors[0] as Error).message, 'boom');
  });

  it('answers 500 (before accept) or closes 1011 (after) when the handler throws a value instanceof cannot inspect, without an unhandled rejection', async () => {
    const logger = memoryLogger();
    const app = new CovetApp({ logger });
    const { proxy: revoked, revoke } = Proxy.revocable({}, {});
    revoke();
    app.websocket('/before', async () => {
      throw revoked;
    });
    app.websocket('/after', async (ws) => {
      await ws.accept();
      await ws.receiveText();
      throw revoked;
    });
    const unhandled: unknown[] = [];
    const onUnhandled = (err: unknown): void => {
      unhandled.push(err);
    };
    process.on('unhandledRejection', onUnhandled);
    try {
      await using client = new TestClient(app);
      await assert.rejects(client.websocketConnect('/before'), (err: unknown) => err instanceof WebSocketHandshakeError && err.status === 500);
      const ws = await client.websocketConnect('/after');
      await ws.sendText('x');
      assert.deepEqual(await ws.closed, { code: 1011, reason: 'Internal error' });
      await new Promise((r) => setImmediate(r));
      assert.deepEqual(unhandled, []);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('closes with 1011 and logs when the handler throws after accept', async () => {
    const logger = memoryLogger();
    const app = new CovetApp({ logger });
    app.websocket('/fails', async (ws) => {
      await ws.accept();
      await ws.receiveText();
      throw new Error('handler bug');
    });
    await using client = new TestClient(app);
    const ws = await client.websocketConnect('/fails');
    await ws.sendText('x');
    assert.deepEqual(await ws.closed, { code: 1011, reason: 'Internal error' });
    assert.ok(logger.lines.includes('Unhandled error in WebSocket handler'));
  });

  it('closes with 1007 or 1003 when the uncaught error is about what the client sent, still logged', async () => {
    const logger = memoryLogger();
    const app = new CovetApp({ logger });
    app.websocket('/json', async (ws) => {
      await ws.accept();
      await ws.receiveJson();
    });
    app.websocket('/text', async (ws) => {
      await ws.accept();
      await ws.receiveText();
    });
    app.websocket('/state', async (ws) => {
      await ws.accept();
      await ws.close(1234);
    });
    await using client = new TestClient(app);
    const json = await client.websocketConnect('/json');
    await json.sendText('{not json');
    assert.deepEqual(await json.closed, { code: 1007, reason: 'Unexpected message' });
    const text = await client.websocketConnect('/text');
    await text.sendBytes(Buffer.from([1, 2]));
    assert.deepEqual(await text.closed, { code: 1003, reason: 'Unexpected message' });
    // Misusing the socket is the server's fault: still 1011.
    const state = await client.websocketConnect('/state');
    assert.deepEqual(await state.closed, { code: 1011, reason: 'Internal error' });
    assert.equal(logger.lines.filter((l) => l === 'Unhandled error in WebSocket handler').length, 3);
  });

  it('throws WebSocketDisconnect with the peer close code and reason, after earlier messages', async () => {
    const seen = deferred<unknown[]>();
    const app = new CovetApp();
    app.websocket('/ws', async (ws) => {
      await ws.accept();
      const got: unknown[] = [];
      try {
        for (;;) got.push(await ws.receiveText());
      } catch (err) {
        got.push(err instanceof WebSocketDisconnect ? [err.code, err.reason] : err);
      }
      seen.resolve(got);
    });
    await using client = new TestClient(app);
    const ws = await client.websocketConnect('/ws');
    await ws.sendText('one');
    await ws.sendText('two');
    await ws.close(4001, 'done here');
    assert.deepEqual(await seen.promise, ['one', 'two', [4001, 'done here']]);
    assert.deepEqual(await ws.closed, { code: 4001, reason: 'done here' });
  });

  it('rejects sends after close with WebSocketDisconnect', async () => {
    const app = new CovetApp();
    app.websocket('/ws', async (ws) => {
      await ws.accept();
      await ws.close(1000, 'bye');
      await assert.rejects(ws.sendText('late'), WebSocketDisconnect);
    });
    await using client = new TestClient(app);
    const ws = await client.websocketConnect('/ws');
    assert.deepEqual(await ws.closed, { code: 1000, reason: 'bye' });
    await assert.rejects(ws.sendText('late'), WebSocketDisconnect);
  });

  it('rejects sends once the handler has seen the peer close (receive threw, or for await ended), as ws and Starlette do', async () => {
    const app = new CovetApp();
    const results = deferred<unknown[]>();
    app.websocket('/ws/{how}', async (ws) => {
      await ws.accept();
      const out: unknown[] = [];
      if (ws.params.how === 'receive') {
        // A message sent before the close frame is still answered…
        const first = await ws.receiveText();
        await ws.sendText(`answer:${first}`);
        try {
          await ws.receiveText();
        } catch (err) {
          out.push(err instanceof WebSocketDisconnect ? [err.code, err.reason] : String(err));
        }
      } else {
        for await (const _ of ws) {
        }
      }
      // …but once the handler knows the peer has closed, nothing more goes out.
      for (const send of [() => ws.sendText('late'), () => ws.sendBytes(Buffer.from('late')), () => ws.sendJson({ late: true })]) {
        await send().then(
          () => out.push('sent'),
          (err: unknown) => out.push(err instanceof WebSocketDisconnect ? err.code : String(err)),
        );
      }
      results.resolve(out);
    });
    await using client = new TestClient(app);
    const ws = await client.websocketConnect('/ws/receive');
    await ws.sendText('hi');
    await ws.close(4001, 'bye');
    assert.deepEqual(await results.promise, [[4001, 'bye'], 4001, 4001, 4001]);
    assert.equal(await ws.receiveText(), 'answer:hi');
    await assert.rejects(ws.receiveText(), WebSocketDisconnect);

    const loop = await client.websocketConnect('/ws/iterate');
    const again = deferred<unknown[]>();
    results.resolve = again.resolve;
    await loop.close(4002, 'done');
    assert.deepEqual(await again.promise, [4002, 4002, 4002]);
  });

  it('checks message types and JSON in receiveText / receiveBytes / receiveJson', async () => {
    const app = new CovetApp();
    const results = deferred<string[]>();
    app.websocket('/types', async (ws) => {
      const out: string[] = [];
      for (const read of [() => ws.receiveText(), () => ws.receiveBytes(), () => ws.receiveJson()]) {
        try {
          await read();
          out.push('ok');
        } catch (err) {
          out.push(err instanceof WebSocketError ? err.code : String(err));
        }
      }
      results.resolve(out);
    });
    await using client = new TestClient(app);
    const ws = await client.websocketConnect('/types');
    await ws.sendBytes(Buffer.from('x'));
    await ws.sendText('y');
    await ws.sendText('{not json');
    assert.deepEqual(await results.promise, ['ERR_WEBSOCKET_MESSAGE_TYPE', 'ERR_WEBSOCKET_MESSAGE_TYPE', 'ERR_WEBSOCKET_INVALID_JSON']);
  });

  it('receiveJson drops __proto__ keys as request bodies do, and closes 1007 on JSON nested too deeply', async () => {
    const app = new CovetApp({ logger: memoryLogger() });
    app.websocket('/json', async (ws) => {
      for (;;) {
        const value = await ws.receiveJson<Record<string, unknown>>();
        const merged: Record<string, unknown> = Object.assign({}, value);
        await ws.sendJson({ keys: Object.keys(value), inherited: merged.admin ?? null });
      }
    });
    await using client = new TestClient(app);
    const ws = await client.websocketConnect('/json');
    await ws.sendText('{"__proto__":{"admin":true},"a":1,"b":{"constructor":{"prototype":{"admin":true}}}}');
    assert.deepEqual(await ws.receiveJson(), { keys: ['a', 'b'], inherited: null });
    await ws.sendText(`{"a":${'['.repeat(999)}${']'.repeat(999)}}`);
    assert.deepEqual(await ws.receiveJson(), { keys: ['a'], inherited: null });
    await ws.sendText(`${'['.repeat(100_000)}${']'.repeat(100_000)}`);
    assert.deepEqual(await ws.closed, { code: 1007, reason: 'Unexpected message' });
  });

  it('validates close codes and reasons it is asked to send', async () => {
    const app = new CovetApp();
    const codes = deferred<string[]>();
    app.websocket('/ws', async (ws) => {
      await ws.accept();
      const out: string[] = [];
      for (const [code, reason] of [
        [1005, ''],
        [999, ''],
        [1000, 'x'.repeat(124)],
      ] as const) {
        out.push(await ws.close(code, reason).then(
          () => 'closed',
          (err: unknown) => (err as WebSocketError).code,
        ));
      }
      codes.resolve(out);
    });
    await using client = new TestClient(app);
    await client.websocketConnect('/ws');
    assert.deepEqual(await codes.promise, ['ERR_WEBSOCKET_CLOSE_CODE', 'ERR_WEBSOCKET_CLOSE_CODE', 'ERR_WEBSOCKET_CLOSE_CODE']);
  });

  it('negotiates subprotocols: explicit, from the route, or none', async () => {
    const app = new CovetApp();
    app.websocket('/explicit', async (ws) => {
      await ws.accept('v2.chat');
      await ws.sendText(String(ws.subprotocol));
    });
    app.websocket('/route', { subprotocols: ['v3', 'v2.chat'] }, async (ws) => {
      await ws.accept();
      await ws.sendJson({ chosen: ws.subprotocol, offered: ws.offeredSubprotocols });
    });
    app.websocket('/bad', async (ws) => {
      await assert.rejects(ws.accept('nope'), (err: unknown) => err instanceof WebSocketError && err.code === 'ERR_WEBSOCKET_SUBPROTOCOL');
      await ws.accept(null);
      await ws.sendText(String(ws.subprotocol));
    });
    await using client = new TestClient(app);
    const a = await client.websocketConnect('/explicit', { subprotocols: ['v1', 'v2.chat'] });
    assert.equal(a.subprotocol, 'v2.chat');
    assert.equal(await a.receiveText(), 'v2.chat');
    const b = await client.websocketConnect('/route', { subprotocols: ['v1', 'v2.chat', 'v3'] });
    assert.deepEqual(await b.receiveJson(), { chosen: 'v3', offered: ['v1', 'v2.chat', 'v3'] });
    const c = await client.websocketConnect('/bad', { subprotocols: ['v1'] });
    assert.equal(c.subprotocol, null);
    assert.equal(await c.receiveText(), 'null');
  });

  it('exposes the opening request: headers, query, cookies, url and a state bag', async () => {
    const app = new CovetApp();
    app.websocket('/info', async (ws) => {
      ws.state.visits = 1;
      await ws.sendJson({
        agent: ws.headers.get('x-agent'),
        q: ws.queryParams.get('q'),
        cookie: ws.cookies.sid ?? null,
        path: ws.path,
        raw: ws.url.raw,
        state: ws.state.visits,
        requestState: ws.request.state.visits,
      });
    });
    await using client = new TestClient(app);
    client.cookies.set('sid', 'abc');
    const ws = await client.websocketConnect('/info', { headers: { 'X-Agent': 'tests' }, query: { q: 'search' } });
    assert.deepEqual(await ws.receiveJson(), { agent: 'tests', q: 'search', cookie: 'abc', path: '/info', raw: '/info?q=search', state: 1, requestState: 1 });
  });

  it('resolves deps with the opening request and cleans generator deps up after the handler', async () => {
    const log: string[] = [];
    const app = new CovetApp();
    async function* session(req: Request) {
      log.push(`open ${req.path}`);
      yield { user: 'alice' };
      log.push('cleanup');
    }
    const userName = (_req: Request, { s }: { readonly s: { user: string } }) => s.user.toUpperCase();
    app.websocket(
      '/deps',
      { deps: { s: Depends(session), name: Depends(userName, { deps: { s: Depends(session) } }) } },
      async (ws, { s, name }) => {
        await ws.sendJson({ user: s.user, name });
        await ws.receive().catch(() => {});
      },
    );
    await using client = new TestClient(app);
    const ws = await client.websocketConnect('/deps');
    assert.deepEqual(await ws.receiveJson(), { user: 'alice', name: 'ALICE' });
    assert.deepEqual(log, ['open /deps']);
    await ws.close();
    for (let i = 0; i < 50 && log.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(log, ['open /deps', 'cleanup']);
  });

  it('runs app and route middleware for the handshake; callNext resolves with the 101 on accept', async () => {
    const log: string[] = [];
    const app = new CovetApp();
    app.addMiddleware(async function appMw(req: Request, callNext: CallNext) {
      log.push(`app> ${req.path}`);
      req.state.user = { id: 7 };
      const res = await callNext();
      log.push(`app< ${res.status}`);
      res.headers.set('x-app', 'yes');
      return res;
    });
    const routeMw = async (_req: Request, callNext: CallNext) => {
      log.push('route>');
      return callNext();
    };
    app.websocket('/mw', { middleware: [routeMw] }, async (ws) => {
      log.push('handler');
      await ws.accept();
      log.push('accepted');
      await ws.sendJson(ws.state.user);
    });
    await using client = new TestClient(app);
    const ws = await client.websocketConnect('/mw');
    assert.equal(ws.responseHeaders?.get('x-app'), 'yes');
    assert.deepEqual(await ws.receiveJson(), { id: 7 });
    assert.deepEqual(log, ['app> /mw', 'route>', 'handler', 'app< 101', 'accepted']);
  });

  it('lets middleware refuse the upgrade by answering without callNext', async () => {
    const app = new CovetApp();
    let ran = false;
    app.websocket(
      '/guarded',
      {
        middleware: [
          async (req: Request, callNext: CallNext) => {
            if (req.headers.get('x-key') !== 'secret') throw new HTTPException(429, 'Slow down');
            return callNext();
          },
        ],
      },
      async (ws) => {
        ran = true;
        await ws.accept();
      },
    );
    await using client = new TestClient(app);
    await assert.rejects(client.websocketConnect('/guarded'), (err: unknown) => err instanceof WebSocketHandshakeError && err.status === 429);
    assert.equal(ran, false);
    const ws = await client.websocketConnect('/guarded', { headers: { 'x-key': 'secret' } });
    assert.equal(ws.readyState, 'open');
  });

  it('answers plain HTTP on a WebSocket route with 426 and unknown paths with 404', async () => {
    const app = new CovetApp();
    app.websocket('/ws', async (ws) => ws.close());
    await using client = new TestClient(app);
    const res = await client.get('/ws');
    assert.equal(res.status, 426);
    assert.equal(res.headers.get('upgrade'), 'websocket');
    await assert.rejects(client.websocketConnect('/nowhere'), (err: unknown) => err instanceof WebSocketHandshakeError && err.status === 404);
  });

  it('lists WebSocket routes in the route table and resolves their names', () => {
    const app = new CovetApp();
    app.websocket('/ws/{room}', { name: 'room-socket' }, async (ws) => ws.close());
    const row = app.routeTable().find((r) => r.method === 'WEBSOCKET');
    assert.deepEqual(row, { method: 'WEBSOCKET', path: '/ws/{room}', name: 'room-socket', middleware: [], tags: [] });
    assert.equal(app.urlFor('room-socket', { room: 'a b' }), '/ws/a%20b');
  });

  it('serves WebSocket routes of mounted apps under the prefix', async () => {
    const sub = new CovetApp();
    sub.websocket('/live', async (ws) => ws.sendText(ws.path));
    const app = new CovetApp();
    app.mount('/sub', sub);
    await using client = new TestClient(app);
    const ws = await client.websocketConnect('/sub/live');
    assert.equal(await ws.receiveText(), '/sub/live');
  });

  it('round-trips large, compressed and many messages in order', async () => {
    const app = new CovetApp();
    app.websocket('/echo', { compression: { threshold: 0 } }, async (ws) => {
      for await (const m of ws) await ws.send(m);
    });
    await using client = new TestClient(app);
    const ws = await client.websocketConnect('/echo', { compression: true });
    assert.match(ws.extensions, /^permessage-deflate/);
    const big = 'abc'.repeat(400_000);
    const sends = [ws.sendText(big)];
    for (let i = 0; i < 200; i++) sends.push(ws.sendText(String(i)));
    await Promise.all(sends);
    assert.equal(await ws.receiveText(), big);
    for (let i = 0; i < 200; i++) assert.equal(await ws.receiveText(), String(i));
  });

  it('sends compressed messages queued before close() ahead of the close frame, as uncompressed ones', async () => {
    // A send not awaited before close() (a broadcast, say) used to be dropped on compressed
    // connections: the close frame was queued behind it, yet the message was refused.
    const app = new CovetApp();
    const outcomes: string[] = [];
    for (const [path, compression] of [
      ['/plain', false],
      ['/deflate', { threshold: 0 }],
    ] as const) {
      app.websocket(path, { compression }, async (ws) => {
        await ws.accept();
        const sends = [ws.sendText('last words '.repeat(200)), ws.sendJson({ bye: true })];
        await ws.close(4000, 'done');
        outcomes.push(...(await Promise.allSettled(sends)).map((r) => `${path} ${r.status}`));
      });
    }
    await using client = new TestClient(app);
    for (const path of ['/plain', '/deflate']) {
      const ws = await client.websocketConnect(path, { compression: true });
      assert.equal(ws.extensions === '', path === '/plain');
      assert.equal(await ws.receiveText(), 'last words '.repeat(200));
      assert.deepEqual(await ws.receiveJson(), { bye: true });
      await assert.rejects(ws.receive(), (err) => err instanceof WebSocketDisconnect && err.code === 4000 && err.reason === 'done');
    }
    for (let i = 0; i < 100 && outcomes.length < 4; i++) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(outcomes, ['/plain fulfilled', '/plain fulfilled', '/deflate fulfilled', '/deflate fulfilled']);
  });

  it('is the same WebSocket class on both ends', async () => {
    const app = new CovetApp();
    let serverSide: unknown = null;
    app.websocket('/same', async (ws) => {
      serverSide = ws;
      await ws.accept();
    });
    await using client = new TestClient(app);
    const ws = await client.websocketConnect('/same');
    assert.ok(ws instanceof WebSocket);
    assert.ok(serverSide instanceof WebSocket);
  });

  it('aborts the opening request signal when the connection closes', async () => {
    const app = new CovetApp();
    const aborted = deferred<unknown>();
    app.websocket('/ws', async (ws) => {
      await ws.accept();
      ws.request.signal.addEventListener('abort', () => aborted.resolve(ws.request.signal.reason));
      await ws.closed;
    });
    await using client = new TestClient(app);
    const ws = await client.websocketConnect('/ws');
    await ws.close(4000, 'bye');
    const reason = await aborted.promise;
    assert.ok(reason instanceof WebSocketDisconnect);
    assert.equal(reason.code, 4000);
  });

  it('closes open test sockets when the client closes, with 1001', async () => {
    const app = new CovetApp();
    const closed = deferred<unknown>();
    app.websocket('/ws', async (ws) => {
      await ws.accept();
      closed.resolve(await ws.closed);
    });
    const client = new TestClient(app);
    await client.websocketConnect('/ws');
    await client.close();
    assert.deepEqual(await closed.promise, { code: 1001, reason: '' });
  });
});
