import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { toStandardJsonSchema } from '@valibot/to-json-schema';
import * as v from 'valibot';
import { z } from 'zod';
import { CovetApp, json, Response } from '../../src/index.js';
import { CacheManager, cachePage } from '../../src/cache/index.js';
import { JWTAuth, RateLimiter, Validator } from '../../src/security/index.js';
import { TestClient } from '../../src/testing/index.js';
import { withServer } from '../helpers/server.js';

const User = z.object({ id: z.number().int(), name: z.string(), roles: z.array(z.object({ name: z.string() })) });
const row = { id: 1, name: 'Ann', passwordHash: 'secret', roles: [{ name: 'admin', grantedBy: 'root' }] };
const filtered = { id: 1, name: 'Ann', roles: [{ name: 'admin' }] };

describe('route option response', () => {
  it('drops undeclared fields, in nested objects and arrays too (Zod)', async () => {
    const app = new CovetApp();
    app.get('/me', { response: User }, () => row);
    await using client = new TestClient(app);
    const res = await client.get('/me');
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/json; charset=utf-8');
    assert.deepEqual(res.json(), filtered);
    assert.equal(res.text.includes('secret'), false);
    assert.equal(res.headers.get('content-length'), String(Buffer.byteLength(res.text)));
  });

  it('filters with Valibot, Validator and plain JSON Schema objects', async () => {
    const app = new CovetApp();
    app.get('/valibot', { response: toStandardJsonSchema(v.object({ id: v.number() })) }, () => ({ id: 1, passwordHash: 'x' }));
    app.get('/validator', { response: new Validator({ id: { type: 'integer', required: true } }) }, () => ({ id: 2, passwordHash: 'x' }));
    app.get('/json', { response: { type: 'object', properties: { id: { type: 'integer' } } } }, () => ({ id: 3, passwordHash: 'x' }));
    await using client = new TestClient(app);
    assert.deepEqual((await client.get('/valibot')).json(), { id: 1 });
    assert.deepEqual((await client.get('/validator')).json(), { id: 2 });
    assert.deepEqual((await client.get('/json')).json(), { id: 3 });
  });

  it('takes a Validator rule dict, as body and query do (alone or in a status map), and documents it', async () => {
    const app = new CovetApp();
    app.get('/rules', { response: { id: { type: 'integer', required: true }, name: { maxLength: 10 } } }, () => ({ id: 4, name: 'Ann', passwordHash: 'x' }));
    app.get('/map', { response: { 200: { id: { type: 'integer' } }, 404: { error: {} } } }, (req) =>
      req.headers.get('x-missing') ? [{ error: 'nope', debug: 'stack' }, 404] : { id: 5, passwordHash: 'x' },
    );
    // A plain JSON Schema whose values are all objects is still a JSON Schema.
    app.get('/schema', { response: { properties: { id: { type: 'integer' } } } }, () => ({ id: 6, passwordHash: 'x' }));
    app.get('/const', { response: { const: { id: 7 } } }, () => ({ id: 7 }));
    await using client = new TestClient(app);
    const res = await client.get('/rules');
    assert.equal(res.status, 200);
    assert.equal(res.text, '{"id":4,"name":"Ann"}');
    assert.equal((await client.get('/map')).text, '{"id":5}');
    const missing = await client.get('/map', { headers: { 'x-missing': '1' } });
    assert.equal(missing.status, 404);
    assert.equal(missing.text, '{"error":"nope"}');
    assert.equal((await client.get('/schema')).text, '{"id":6}');
    assert.equal((await client.get('/const')).text, '{"id":7}');
    const schema = app.openapi().paths['/rules']?.get?.responses['200']?.content?.['application/json']?.schema;
    assert.deepEqual(schema, { type: 'object', properties: { id: { type: 'integer' }, name: { type: 'string', maxLength: 10 } }, required: ['id'] });
    assert.throws(() => app.get('/typo', { response: { id: { requird: true } } as never }, () => ({})), /unknown rule "requird"/);
  });

  it('keeps extra fields where the schema allows them (additionalProperties, loose objects)', async () => {
    const app = new CovetApp();
    app.get('/open', { response: { type: 'object', properties: { id: { type: 'integer' } }, additionalProperties: true } }, () => ({ id: 1, extra: 'kept' }));
    app.get('/loose', { response: z.object({ id: z.number() }).loose() }, () => ({ id: 1, extra: 'kept' }));
    app.get('/typed-extras', { response: { type: 'object', properties: {}, additionalProperties: { type: 'object', properties: { a: { type: 'integer' } } } } }, () => ({ x: { a: 1, b: 2 } }));
    await using client = new TestClient(app);
    assert.deepEqual((await client.get('/open')).json(), { id: 1, extra: 'kept' });
    assert.deepEqual((await client.get('/loose')).json(), { id: 1, extra: 'kept' });
    assert.deepEqual((await client.get('/typed-extras')).json(), { x: { a: 1 } });
  });

  it('keeps the fields of the discriminated union member the value belongs to (Zod)', async () => {
    const Shape = z.discriminatedUnion('kind', [
      z.object({ kind: z.literal('circle'), radius: z.number().optional() }),
      z.object({ kind: z.literal('square'), side: z.number().optional() }),
    ]);
    const app = new CovetApp();
    app.get('/shape', { response: Shape }, () => ({ kind: 'square' as const, side: 2, internal: 'x' }));
    await using client = new TestClient(app);
    const res = await client.get('/shape');
    assert.equal(res.status, 200);
    assert.deepEqual(res.json(), { kind: 'square', side: 2 });
  });

  it('uses the schema of the tuple status in a status map, with the tuple headers', async () => {
    const app = new CovetApp();
    const NotFound = z.object({ error: z.string() });
    app.post('/users', { response: { 201: User, 404: NotFound } }, (req) =>
      req.headers.get('x-missing') ? [{ error: 'nope', debug: 'stack' }, 404] : [row, 201, { location: '/users/1' }],
    );
    await using client = new TestClient(app);
    const created = await client.post('/users');
    assert.equal(created.status, 201);
    assert.equal(created.headers.get('location'), '/users/1');
    assert.deepEqual(created.json(), filtered);
    const missing = await client.post('/users', { headers: { 'x-missing': '1' } });
    assert.equal(missing.status, 404);
    assert.deepEqual(missing.json(), { error: 'nope' });
  });

  it('applies one schema to every 2xx status and none to other statuses', async () => {
    const app = new CovetApp();
    app.get('/a', { response: User }, (req) => [row, Number(req.queryParams.get('status', '200'))]);
    await using client = new TestClient(app);
    assert.deepEqual((await client.get('/a', { query: { status: '202' } })).json(), filtered);
    assert.deepEqual((await client.get('/a', { query: { status: '409' } })).json(), row);
  });

  it('filters arrays of objects and async handlers', async () => {
    const app = new CovetApp();
    app.get('/users', { response: z.array(User) }, async () => [row, row]);
    await using client = new TestClient(app);
    assert.deepEqual((await client.get('/users')).json(), [filtered, filtered]);
  });

  it('leaves Response objects, strings, null and errors alone', async () => {
    const app = new CovetApp({ logger: { info() {}, error() {} } });
    app.get('/response', { response: User }, () => json(row));
    app.get('/raw', { response: User }, () => new Response('plain', { status: 200 }));
    app.get('/text', { response: User }, () => 'hello');
    app.get('/empty', { response: User }, () => null);
    app.get('/boom', { response: User }, () => {
      throw new Error('boom');
    });
    await using client = new TestClient(app);
    assert.deepEqual((await client.get('/response')).json(), row);
    assert.equal((await client.get('/raw')).text, 'plain');
    assert.equal((await client.get('/text')).text, 'hello');
    assert.equal((await client.get('/empty')).status, 204);
    const boom = await client.get('/boom');
    assert.equal(boom.status, 500);
    assert.deepEqual(boom.json(), { error: 'Internal Server Error' });
  });

  it('answers 500 when the handler returns a value JSON cannot hold', async () => {
    const app = new CovetApp({ logger: { info() {}, error() {} } });
    app.get('/big', { response: { type: 'object', properties: { n: { type: 'integer' } } } }, () => ({ n: 10n }));
    app.get('/fn', { response: { type: 'integer' } }, () => (() => 1) as never);
    await using client = new TestClient(app);
    const big = await client.get('/big');
    assert.equal(big.status, 500);
    assert.deepEqual(big.json(), { error: 'Internal Server Error' });
    assert.equal((await client.get('/fn')).status, 500);
  });

  it('filters behind the cache wrappers, before the page is cached (cache.cached, cachePage)', async () => {
    const app = new CovetApp();
    const cache = new CacheManager({ backend: 'memory' });
    app.get('/cached', { response: User }, cache.cached({ ttl: 60 }, () => row));
    app.get('/page', { response: User }, cachePage({ ttl: 60 }, () => row));
    app.get('/created', { response: { 201: User } }, cache.cached({ ttl: 60 }, () => [row, 201]));
    await using client = new TestClient(app);
    for (const path of ['/cached', '/page']) {
      const miss = await client.get(path);
      assert.equal(miss.headers.get('x-cache'), 'MISS', path);
      const hit = await client.get(path);
      assert.equal(hit.headers.get('x-cache'), 'HIT', path);
      for (const res of [miss, hit]) {
        assert.equal(res.status, 200, path);
        assert.deepEqual(res.json(), filtered, path);
        assert.equal(res.text.includes('secret'), false, path);
      }
    }
    // A tuple's status picks its schema in the wrapper too.
    const created = await client.get('/created');
    assert.equal(created.status, 201);
    assert.deepEqual(created.json(), filtered);
  });

  it('filters behind middleware, requireToken and rate-limit wrappers, over a real socket', async () => {
    const app = new CovetApp();
    const jwt = new JWTAuth({ secretKey: 'k'.repeat(32) });
    const limiter = new RateLimiter({ defaultLimits: '100/hour', storage: 'memory' });
    app.addMiddleware(async (req, callNext) => {
      const res = await callNext(req);
      res.headers.set('x-mw', '1');
      return res;
    });
    app.get('/secure', { response: User }, jwt.requireToken(() => row));
    app.get('/limited', { response: User }, limiter.limit('5/minute', () => row));
    const token = await jwt.createToken({ user: 'ann' });
    await withServer(app, async ({ url: base }) => {
      const secure = await fetch(`${base}/secure`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(secure.status, 200);
      assert.equal(secure.headers.get('x-mw'), '1');
      assert.deepEqual(await secure.json(), filtered);
      const denied = await fetch(`${base}/secure`);
      assert.equal(denied.status, 401);
      const limited = await fetch(`${base}/limited`);
      assert.equal(limited.status, 200);
      assert.ok(limited.headers.get('ratelimit-limit') ?? limited.headers.get('x-ratelimit-limit'));
      assert.deepEqual(await limited.json(), filtered);
    });
  });

  it('writes class instances through their toJSON, then filters', async () => {
    class Model {
      readonly data: Record<string, unknown>;
      constructor(data: Record<string, unknown>) {
        this.data = data;
      }
      toJSON() {
        return this.data;
      }
    }
    const app = new CovetApp();
    app.get('/m', { response: User }, () => new Model(row));
    await using client = new TestClient(app);
    assert.deepEqual((await client.get('/m')).json(), filtered);
  });
});

describe('route option status', () => {
  it("sends a handler's plain value with the route's status; tuples and Responses keep theirs", async () => {
    const app = new CovetApp();
    app.post('/obj', { status: 201 }, () => ({ id: 1 }));
    app.post('/array', { status: 201 }, () => [1, 2, 3]);
    app.post('/text', { status: 202 }, () => 'queued');
    app.post('/bytes', { status: 201 }, () => Buffer.from('ab'));
    app.post('/null', { status: 201 }, () => null);
    app.post('/async', { status: 201 }, async () => ({ id: 2 }));
    app.post('/tuple', { status: 201 }, () => [{ error: 'taken' }, 409]);
    app.post('/response', { status: 201 }, () => json({ id: 3 }, 200));
    app.post('/fetch-response', { status: 201 }, () => new globalThis.Response('hi', { status: 200 }));
    app.post('/ok', { status: 200 }, () => ({ id: 4 }));
    await using client = new TestClient(app);
    const obj = await client.post('/obj');
    assert.equal(obj.status, 201);
    assert.equal(obj.headers.get('content-type'), 'application/json; charset=utf-8');
    assert.deepEqual(obj.json(), { id: 1 });
    assert.deepEqual([(await client.post('/array')).status, (await client.post('/array')).json()], [201, [1, 2, 3]]);
    const text = await client.post('/text');
    assert.deepEqual([text.status, text.text, text.headers.get('content-type')], [202, 'queued', 'text/plain; charset=utf-8']);
    const bytes = await client.post('/bytes');
    assert.deepEqual([bytes.status, bytes.text, bytes.headers.get('content-type')], [201, 'ab', 'application/octet-stream']);
    const empty = await client.post('/null'); // as `[null, 201]`: an empty 201, not a 204
    assert.deepEqual([empty.status, empty.text], [201, '']);
    assert.deepEqual([(await client.post('/async')).status, (await client.post('/async')).json()], [201, { id: 2 }]);
    const tuple = await client.post('/tuple');
    assert.deepEqual([tuple.status, tuple.json()], [409, { error: 'taken' }]);
    assert.equal((await client.post('/response')).status, 200);
    assert.equal((await client.post('/fetch-response')).status, 200);
    assert.equal((await client.post('/ok')).status, 200);
  });

  it('sends a 204 (or 205, 304) status without a body, whatever the handler returns', async () => {
    const app = new CovetApp();
    app.delete('/items/{id:int}', { status: 204 }, () => ({ deleted: true }));
    app.delete('/schema', { status: 204, response: User }, () => row);
    app.post('/reset', { status: 205 }, () => 'done');
    app.delete('/tuple', { status: 204 }, () => [{ error: 'missing' }, 404]);
    let closed = false;
    app.delete(
      '/stream',
      { status: 204 },
      () =>
        new ReadableStream({
          cancel() {
            closed = true;
          },
        }),
    );
    app.delete('/generator', { status: 204 }, async function* () {
      yield 'never sent';
    });
    let resetClosed = false;
    app.post(
      '/reset-stream',
      { status: 205 },
      () =>
        new ReadableStream({
          pull(controller) {
            controller.enqueue(new TextEncoder().encode('never sent'));
          },
          cancel() {
            resetClosed = true;
          },
        }),
    );
    await using client = new TestClient(app);
    for (const url of ['/items/1', '/schema']) {
      const res = await client.delete(url);
      assert.deepEqual([res.status, res.text, res.headers.get('content-type')], [204, '', null]);
    }
    const reset = await client.post('/reset');
    assert.deepEqual([reset.status, reset.text], [205, '']);
    const missing = await client.delete('/tuple');
    assert.deepEqual([missing.status, missing.json()], [404, { error: 'missing' }]);
    const stream = await client.delete('/stream'); // cancelled unread, so its producer can clean up
    assert.deepEqual([stream.status, stream.text, closed], [204, '', true]);
    // No content type for a body that is never sent; a 205 says its empty body's length.
    const generator = await client.delete('/generator');
    assert.deepEqual([generator.status, generator.text, generator.headers.get('content-type')], [204, '', null]);
    const resetStream = await client.post('/reset-stream');
    assert.deepEqual([resetStream.status, resetStream.text, resetStream.headers.get('content-type'), resetStream.headers.get('content-length')], [205, '', null, '0']);
    assert.equal(resetClosed, true);
  });

  it('filters with the response schema (one schema, or the status map entry of the status)', async () => {
    const NotFound = z.object({ error: z.string() });
    const app = new CovetApp();
    app.post('/one', { status: 201, response: User }, () => row);
    app.post('/map', { status: 201, response: { 201: User, 404: NotFound } }, (req) =>
      req.query.missing === undefined ? row : [{ error: 'gone', trace: 'x' }, 404],
    );
    app.post('/tuple', { status: 201, response: User }, () => [row, 200]);
    await using client = new TestClient(app);
    const one = await client.post('/one');
    assert.deepEqual([one.status, one.json()], [201, filtered]);
    const map = await client.post('/map');
    assert.deepEqual([map.status, map.json()], [201, filtered]);
    const missing = await client.post('/map?missing=1');
    assert.deepEqual([missing.status, missing.json()], [404, { error: 'gone' }]);
    const tuple = await client.post('/tuple');
    assert.deepEqual([tuple.status, tuple.json()], [200, filtered]);
  });

  it('applies behind middleware and rate-limit and cache wrappers, over a real socket', async () => {
    const app = new CovetApp();
    const limiter = new RateLimiter({ defaultLimits: '100/hour', storage: 'memory' });
    const seen: number[] = [];
    app.addMiddleware(async (req, callNext) => {
      const res = await callNext(req);
      seen.push(res.status);
      return res;
    });
    app.post('/plain', { status: 201 }, () => ({ id: 1 }));
    app.post('/limited', { status: 201 }, limiter.limit('5/minute', () => ({ id: 2 })));
    app.post('/limited-schema', { status: 201, response: User }, limiter.limit('5/minute', () => row));
    app.get('/cached', { status: 203 }, cachePage({ ttl: 60 }, () => 'page'));
    await withServer(app, async ({ url: base }) => {
      const plain = await fetch(`${base}/plain`, { method: 'POST' });
      assert.deepEqual([plain.status, await plain.json()], [201, { id: 1 }]);
      const limited = await fetch(`${base}/limited`, { method: 'POST' });
      assert.deepEqual([limited.status, await limited.json()], [201, { id: 2 }]);
      const schema = await fetch(`${base}/limited-schema`, { method: 'POST' });
      assert.deepEqual([schema.status, await schema.json()], [201, filtered]);
      // cachePage stores 200 pages only: a 203 is computed each time.
      for (let i = 0; i < 2; i++) {
        const cached = await fetch(`${base}/cached`);
        assert.deepEqual([cached.status, await cached.text()], [203, 'page']);
      }
    });
    assert.deepEqual(seen, [201, 201, 201, 203, 203]);
  });

  it('refuses a status that is not an integer from 100 to 599 where the route is declared', () => {
    const app = new CovetApp();
    for (const status of [99, 600, 201.5, Number.NaN, '201']) {
      assert.throws(
        () => app.post('/x', { status: status as number }, () => 1),
        (err: Error) => err instanceof RangeError && err.message === `route("/x"): status must be an integer from 100 to 599, got ${String(status)}`,
      );
    }
    assert.doesNotThrow(() => app.post('/x', { status: 201 }, () => 1));
  });
});
