// What middleware sees of a handler's return value, and what goes on the wire, now that a
// value passing through middleware keeps the precomputed JSON writer unless a layer reads or
// changes its headers.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { describe, it } from 'node:test';
import { type CallNext, CovetApp, type Request, Response } from '../../src/index.js';
import { isTrustedMiddleware, trustMiddleware } from '../../src/internal/trusted-middleware.js';
import { TracingMiddleware } from '../../src/monitoring/index.js';
import { memoryLogger, withServer } from '../helpers/server.js';

/** Status, raw header pairs and body of one GET over a real socket. */
function get(url: string): Promise<{ status: number; rawHeaders: string[]; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { connection: 'close' } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        body += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, rawHeaders: res.rawHeaders, body }));
    });
    req.once('error', reject);
    req.end();
  });
}

const noop = async (req: Request, callNext: CallNext): Promise<Response> => callNext(req);

class User {
  readonly id: number;
  readonly password: string;
  constructor(id: number, password: string) {
    this.id = id;
    this.password = password;
  }
  toJSON(): object {
    return { id: this.id, kind: 'user' };
  }
}

describe('handler values through middleware', () => {
  it('writes a plain object, a toJSON instance and a tuple behind a no-op middleware exactly as without one', async () => {
    const app = new CovetApp({ middleware: [noop] });
    app.get('/plain', () => ({ user: 'alice', id: 1 }));
    app.get('/model', () => new User(7, 'hunter2'));
    app.get('/tuple', () => [{ created: true }, 201, { location: '/things/1' }]);
    app.get('/text', () => 'hi');
    app.get('/empty', () => undefined);
    await withServer(app, async ({ url }) => {
      const plain = await get(`${url}/plain`);
      assert.equal(plain.status, 200);
      assert.equal(plain.body, '{"user":"alice","id":1}');
      const names = plain.rawHeaders.filter((_, i) => i % 2 === 0).map((h) => h.toLowerCase());
      assert.deepEqual(names.slice(0, 2), ['content-type', 'content-length']);
      assert.equal(plain.rawHeaders[1], 'application/json; charset=utf-8');
      assert.equal(plain.rawHeaders[3], '23');

      const model = await get(`${url}/model`);
      assert.equal(model.status, 200);
      assert.equal(model.body, '{"id":7,"kind":"user"}');
      assert.equal(model.rawHeaders[1], 'application/json; charset=utf-8');

      const tuple = await get(`${url}/tuple`);
      assert.equal(tuple.status, 201);
      assert.equal(tuple.body, '{"created":true}');
      assert.ok(tuple.rawHeaders.includes('/things/1'));

      const text = await get(`${url}/text`);
      assert.equal(text.body, 'hi');
      assert.equal(text.rawHeaders[1], 'text/plain; charset=utf-8');

      const empty = await get(`${url}/empty`);
      assert.equal(empty.status, 204);
      assert.equal(empty.body, '');
    });
  });

  it('writes a toJSON instance and a Date without middleware as JSON, and a toJSON that gives nothing as a 500', async () => {
    const app = new CovetApp({ logger: memoryLogger() });
    app.get('/model', () => new User(3, 'x'));
    app.get('/date', () => new Date(Date.UTC(2026, 10, 26)));
    app.get('/nothing', () => ({ toJSON: () => undefined, extra: 1 }) as unknown);
    class Nothing {
      toJSON(): undefined {
        return undefined;
      }
    }
    app.get('/nothing-class', () => new Nothing());
    await withServer(app, async ({ url }) => {
      const model = await get(`${url}/model`);
      assert.equal(model.body, '{"id":3,"kind":"user"}');
      assert.deepEqual(model.rawHeaders.slice(0, 4), ['content-type', 'application/json; charset=utf-8', 'content-length', '22']);
      const date = await get(`${url}/date`);
      assert.equal(date.body, '"2026-11-26T00:00:00.000Z"');
      for (const path of ['/nothing', '/nothing-class']) {
        const nothing = await get(`${url}${path}`);
        assert.equal(nothing.status, 500, path);
        assert.equal(nothing.body, '{"error":"Internal Server Error"}');
      }
    });
  });

  it('answers a Response built with a body it cannot send with a 500, over a socket and in process', async () => {
    const logger = memoryLogger();
    const app = new CovetApp({ logger });
    const bad: unknown[] = [{ a: 1 }, 42, true, Symbol('x'), () => 'x'];
    bad.forEach((body, i) => app.get(`/bad/${i}`, () => new Response(body as never)));
    app.get('/ok', () => new Response(Buffer.from('ok')));
    await withServer(app, async ({ url }) => {
      for (let i = 0; i < bad.length; i++) {
        const res = await get(`${url}/bad/${i}`);
        assert.equal(res.status, 500, `/bad/${i}`);
        assert.equal(res.body, '{"error":"Internal Server Error"}');
      }
      assert.equal((await get(`${url}/ok`)).body, 'ok');
    });
    const inProcess = await app.handle(new globalThis.Request('http://x/bad/0'));
    assert.equal(inProcess.status, 500);
    assert.deepEqual(await inProcess.json(), { error: 'Internal Server Error' });
    assert.throws(() => new Response({ a: 1 } as never), { name: 'TypeError', message: /got a plain object \(return it, or use json\(data\), for JSON\)/ });
    assert.throws(() => new Response(42 as never), { name: 'TypeError', message: /got number$/ });
    // What a body may be: each of these is accepted.
    for (const body of [null, 'x', new Uint8Array(1), ['a'], (async function* () {})(), new ReadableStream()]) new Response(body as never);
  });

  it('shows middleware the content type, body and status, and sends what it changes', async () => {
    const seen: unknown[] = [];
    const app = new CovetApp();
    app.addMiddleware(async (req, callNext) => {
      const res = await callNext(req);
      seen.push([res.status, res.headers.get('content-type'), res.body]);
      res.headers.set('x-seen', 'yes');
      if (req.path === '/status') res.status = 202;
      return res;
    });
    app.get('/plain', () => ({ a: 1 }));
    app.get('/status', () => new User(1, 'x'));
    await withServer(app, async ({ url }) => {
      const plain = await get(`${url}/plain`);
      assert.equal(plain.body, '{"a":1}');
      assert.ok(plain.rawHeaders.includes('x-seen'));
      assert.equal(plain.rawHeaders[plain.rawHeaders.findIndex((h) => h.toLowerCase() === 'content-length') + 1], '7');
      const changed = await get(`${url}/status`);
      assert.equal(changed.status, 202);
      assert.equal(changed.body, '{"id":1,"kind":"user"}');
    });
    assert.deepEqual(seen, [
      [200, 'application/json; charset=utf-8', '{"a":1}'],
      [200, 'application/json; charset=utf-8', '{"id":1,"kind":"user"}'],
    ]);
  });

  it('turns what a middleware returns or throws into responses the outer layers see', async () => {
    const statuses: number[] = [];
    const logger = memoryLogger();
    const app = new CovetApp({ logger });
    app.addMiddleware(async (req, callNext) => {
      const res = await callNext(req);
      statuses.push(res.status);
      return res;
    });
    // A plain (not async) middleware that throws, returns a value, a thenable or a bigint.
    app.addMiddleware(((req: Request, callNext: CallNext) => {
      if (req.path === '/throws') throw new Error('boom');
      if (req.path === '/value') return { from: 'middleware' } as unknown as Response;
      if (req.path === '/thenable') return { then: (ok: (v: unknown) => void) => ok(new Response('later', { status: 203 })) } as unknown as Response;
      if (req.path === '/bigint') return Promise.resolve(10n) as unknown as Promise<Response>;
      return callNext(req);
    }) as (req: Request, callNext: CallNext) => Promise<Response>);
    for (const path of ['/throws', '/value', '/thenable', '/bigint']) app.get(path, () => ({ handler: true }));
    await withServer(app, async ({ url }) => {
      const throws = await get(`${url}/throws`);
      assert.equal(throws.status, 500);
      assert.equal(throws.body, '{"error":"Internal Server Error"}');
      const value = await get(`${url}/value`);
      assert.equal(value.status, 200);
      assert.equal(value.body, '{"from":"middleware"}');
      const thenable = await get(`${url}/thenable`);
      assert.equal(thenable.status, 203);
      assert.equal(thenable.body, 'later');
      const big = await get(`${url}/bigint`);
      assert.equal(big.status, 500);
      assert.equal(big.body, '{"error":"Internal Server Error"}');
    });
    assert.deepEqual(statuses, [500, 200, 203, 500]);
    assert.equal(logger.errors.length, 2);
  });

  it('gives a handler error behind middleware its error response', async () => {
    const app = new CovetApp({ middleware: [noop], logger: memoryLogger() });
    app.get('/sync', () => {
      throw new Error('sync');
    });
    app.get('/async', async () => {
      throw new Error('async');
    });
    app.get('/bigint', () => 1n);
    for (const path of ['/sync', '/async', '/bigint']) {
      const res = await app.inject({ url: path });
      assert.equal(res.status, 500, path);
      assert.equal(res.body.toString(), '{"error":"Internal Server Error"}');
      assert.equal(res.headers.get('content-type'), 'application/json; charset=utf-8');
    }
  });
});

describe('trusted middleware', () => {
  it('is recognised by its mark, and a subclass overriding handle loses it', () => {
    const tracing = new TracingMiddleware({ otlpEndpoint: undefined as never, logger: { error() {} } });
    assert.equal(isTrustedMiddleware(tracing), true);
    class Custom extends TracingMiddleware {
      override handle(req: Request, callNext: CallNext): Promise<Response> {
        return callNext(req);
      }
    }
    assert.equal(isTrustedMiddleware(new Custom()), false);
    assert.equal(isTrustedMiddleware(noop), false);
    assert.equal(isTrustedMiddleware(null), false);
    const marked = trustMiddleware(async (req: Request, callNext: CallNext) => callNext(req));
    assert.equal(isTrustedMiddleware(marked), true);
  });

  it('turns a trusted layer that throws into an error response; a rejection reaches the outer layer as an error, still answered with a 500', async () => {
    const statuses: number[] = [];
    const app = new CovetApp({ logger: memoryLogger() });
    app.addMiddleware(async (req, callNext) => {
      const res = await callNext(req);
      statuses.push(res.status);
      return res;
    });
    app.addMiddleware(
      trustMiddleware((req: Request, callNext: CallNext): Promise<Response> => {
        if (req.path === '/sync') throw new Error('sync');
        if (req.path === '/rejects') return Promise.reject(new Error('rejects'));
        return callNext(req);
      }),
    );
    app.get('/sync', () => 'x');
    app.get('/rejects', () => 'x');
    app.get('/ok', () => 'x');
    assert.equal((await app.inject({ url: '/sync' })).status, 500);
    assert.equal((await app.inject({ url: '/rejects' })).status, 500);
    assert.equal((await app.inject({ url: '/ok' })).status, 200);
    // A trusted layer promises to reject only where callNext did: the outer middleware's own
    // `await` threw for /rejects, and its layer answered 500.
    assert.deepEqual(statuses, [500, 200]);
  });
});
