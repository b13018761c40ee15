import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  CompressionMiddleware,
  CovetApp,
  type CallNext,
  definePlugin,
  HTTPException,
  html,
  json,
  type MiddlewareObject,
  redirect,
  type Request,
  Response,
  RouteGroup,
  sse,
  stream,
  text,
} from '../../src/index.js';
import { TestClient } from '../../src/testing/index.js';
import { memoryLogger, withServer } from '../helpers/server.js';

function tag(name: string, log: string[]) {
  return Object.defineProperty(
    async (req: Request, callNext: CallNext) => {
      log.push(`>${name}`);
      const res = await callNext(req);
      log.push(`<${name}`);
      return res;
    },
    'name',
    { value: name },
  );
}

describe('CovetApp middleware', () => {
  it('runs app, then group, then route middleware, and unwinds in reverse', async () => {
    const log: string[] = [];
    const app = new CovetApp({ middleware: [tag('ctor', log)] });
    app.addMiddleware(tag('app', log));
    const group = app.routeGroup('/g', { middleware: [tag('groupopt', log)] });
    group.addMiddleware(tag('group', log));
    group.get('/r', { middleware: [tag('route', log)] }, () => {
      log.push('handler');
      return 'ok';
    });
    await using client = new TestClient(app);
    await client.get('/g/r');
    assert.deepEqual(log, ['>ctor', '>app', '>groupopt', '>group', '>route', 'handler', '<route', '<group', '<groupopt', '<app', '<ctor']);
  });

  it('applies app middleware added after the routes were declared', async () => {
    const app = new CovetApp();
    app.get('/', () => 'x');
    await using client = new TestClient(app);
    assert.equal((await client.get('/')).headers.get('x-late'), null);
    app.addMiddleware(async (_req, callNext) => {
      const res = await callNext();
      res.headers.set('x-late', 'yes');
      return res;
    });
    assert.equal((await client.get('/')).headers.get('x-late'), 'yes');
  });

  it('lets middleware short-circuit, change the request state and change the response', async () => {
    const app = new CovetApp();
    app.addMiddleware(async (req, callNext) => {
      if (req.headers.get('x-block')) return new Response('Rate limited', { status: 429 });
      req.state.user = 'ann';
      const res = await callNext(req);
      res.status = res.status === 200 ? 203 : res.status;
      return res;
    });
    app.get('/', (req) => ({ user: req.state.user }));
    await using client = new TestClient(app);
    const blocked = await client.get('/', { headers: { 'x-block': '1' } });
    assert.equal(blocked.status, 429);
    assert.equal(blocked.text, 'Rate limited');
    const ok = await client.get('/');
    assert.equal(ok.status, 203);
    assert.deepEqual(ok.json(), { user: 'ann' });
  });

  it('shows errors from inner layers to outer middleware as responses', async () => {
    const seen: number[] = [];
    const app = new CovetApp({ logger: memoryLogger() });
    app.addMiddleware(async (_req, callNext) => {
      const res = await callNext();
      seen.push(res.status);
      return res;
    });
    app.addMiddleware(async () => {
      throw new HTTPException(401, 'Login first');
    });
    app.get('/', () => 'never');
    await using client = new TestClient(app);
    const res = await client.get('/');
    assert.equal(res.status, 401);
    assert.deepEqual(res.json(), { error: 'Login first' });
    assert.deepEqual(seen, [401]);
  });

  it('accepts middleware objects with handle() and names them in the route table', async () => {
    class Timing implements MiddlewareObject {
      async handle(req: Request, callNext: CallNext): Promise<Response> {
        const res = await callNext(req);
        res.headers.set('server-timing', 'app;dur=1');
        return res;
      }
    }
    const app = new CovetApp();
    app.addMiddleware(new Timing());
    app.middleware('metrics', async (_req, callNext) => callNext());
    app.get('/', { name: 'home' }, () => 'hi');
    app.routeGroup('/v1', { tags: ['v1'] }).post('/items', { tags: ['items'] }, () => null);
    await using client = new TestClient(app);
    assert.equal((await client.get('/')).headers.get('server-timing'), 'app;dur=1');
    assert.deepEqual(app.routeTable(), [
      { method: 'GET', path: '/', name: 'home', middleware: ['Timing', 'metrics'], tags: [] },
      { method: 'POST', path: '/v1/items', name: undefined, middleware: ['Timing', 'metrics'], tags: ['v1', 'items'] },
    ]);
  });

  it('rejects things that are not middleware', () => {
    const app = new CovetApp();
    assert.throws(() => app.addMiddleware(42 as never), /Middleware must be a function/);
  });
});

describe('CovetApp return values', () => {
  const app = new CovetApp();
  app.get('/obj', () => ({ a: 1 }));
  app.get('/arr', () => [1, 2, 3]);
  app.get('/num', () => 42);
  app.get('/bool', () => false);
  app.get('/str', () => 'plain');
  app.get('/html', () => html('<b>x</b>'));
  app.get('/tuple', () => [{ created: true }, 201]);
  app.get('/tuple3', () => [{ a: 1 }, 202, { 'x-extra': 'yes' }]);
  app.get('/none', () => undefined);
  app.get('/null', () => null);
  app.get('/bytes', () => Buffer.from([1, 2, 3]));
  app.get('/u8', () => new Uint8Array([4, 5]));
  app.get('/iter', () => (async function* () { yield 'a'; yield Buffer.from('b'); })());
  app.get('/stream', () => stream((async function* () { yield 'x'; })(), 'text/csv'));
  app.get('/webstream', () => new ReadableStream({ start(c) { c.enqueue(new TextEncoder().encode('web')); c.close(); } }));
  app.get('/response', () => new Response('teapot', { status: 418, headers: { 'x-a': 'b' } }));
  app.get('/json201', () => json({ id: 1 }, 201));
  app.get('/text', () => text('t'));
  app.get('/redirect', () => redirect('/obj'));
  app.get('/see-other', () => redirect('/obj', 303));

  it('serializes objects, arrays, numbers and booleans as JSON', async () => {
    await using client = new TestClient(app);
    for (const [path, body] of [['/obj', { a: 1 }], ['/arr', [1, 2, 3]], ['/num', 42], ['/bool', false]] as const) {
      const res = await client.get(path);
      assert.equal(res.status, 200, path);
      assert.equal(res.headers.get('content-type'), 'application/json; charset=utf-8');
      assert.deepEqual(res.json(), body);
    }
  });

  it('sends strings as text and html() as HTML', async () => {
    await using client = new TestClient(app);
    const s = await client.get('/str');
    assert.equal(s.headers.get('content-type'), 'text/plain; charset=utf-8');
    assert.equal(s.text, 'plain');
    assert.equal((await client.get('/html')).headers.get('content-type'), 'text/html; charset=utf-8');
    assert.equal((await client.get('/text')).text, 't');
  });

  it('uses tuples for status and headers', async () => {
    await using client = new TestClient(app);
    const t = await client.get('/tuple');
    assert.equal(t.status, 201);
    assert.deepEqual(t.json(), { created: true });
    const t3 = await client.get('/tuple3');
    assert.equal(t3.status, 202);
    assert.equal(t3.headers.get('x-extra'), 'yes');
  });

  it('answers undefined and null with 204 and no body', async () => {
    await using client = new TestClient(app);
    for (const path of ['/none', '/null']) {
      const res = await client.get(path);
      assert.equal(res.status, 204);
      assert.equal(res.body.length, 0);
    }
  });

  it('sends bytes as application/octet-stream', async () => {
    await using client = new TestClient(app);
    const b = await client.get('/bytes');
    assert.equal(b.headers.get('content-type'), 'application/octet-stream');
    assert.deepEqual([...b.body], [1, 2, 3]);
    assert.deepEqual([...(await client.get('/u8')).body], [4, 5]);
  });

  it('streams async iterables and ReadableStreams', async () => {
    await using client = new TestClient(app);
    const it1 = await client.get('/iter');
    assert.equal(it1.text, 'ab');
    assert.equal(it1.headers.get('transfer-encoding'), 'chunked');
    const s = await client.get('/stream');
    assert.equal(s.headers.get('content-type'), 'text/csv');
    assert.equal(s.text, 'x');
    assert.equal((await client.get('/webstream')).text, 'web');
  });

  it('streams an object literal that is an async iterable, with or without middleware, over a socket too', async () => {
    for (const middleware of [[], [async (req: Request, callNext: CallNext) => callNext(req)]]) {
      const a = new CovetApp();
      a.get('/lit', { middleware }, () => ({
        async *[Symbol.asyncIterator]() {
          yield 'l';
          yield 'it';
        },
      }));
      a.get('/obj', { middleware }, () => ({ plain: true }));
      await using client = new TestClient(a);
      const lit = await client.get('/lit');
      assert.equal(lit.text, 'lit');
      assert.equal(lit.headers.get('content-type'), 'application/octet-stream');
      assert.deepEqual((await client.get('/obj')).json(), { plain: true });
      await withServer(a, async ({ url }) => {
        const res = await fetch(`${url}/lit`);
        assert.equal(await res.text(), 'lit');
        assert.equal(res.headers.get('transfer-encoding'), 'chunked');
        const obj = await fetch(`${url}/obj`);
        assert.equal(obj.headers.get('content-type'), 'application/json; charset=utf-8');
        assert.deepEqual(await obj.json(), { plain: true });
      });
    }
  });

  it('passes Response objects and helpers through', async () => {
    await using client = new TestClient(app);
    const r = await client.get('/response');
    assert.equal(r.status, 418);
    assert.equal(r.headers.get('x-a'), 'b');
    assert.equal((await client.get('/json201')).status, 201);
    const red = await client.get('/redirect');
    assert.equal(red.status, 307);
    assert.equal(red.headers.get('location'), '/obj');
    assert.equal((await client.get('/see-other')).status, 303);
  });
});

describe('CovetApp return values: headers and events', () => {
  // Node's global `Response` is the Fetch API's: a handler that forgets to import Covet's (or
  // returns what `fetch()` gave it) is sent as that response, not serialised as `{}`.
  it('sends a Fetch API Response with its status, headers, cookies and body', async () => {
    const app = new CovetApp();
    app.get('/web', () => {
      const headers = new Headers({ 'content-type': 'text/plain', 'x-a': 'b' });
      headers.append('set-cookie', 'a=1');
      headers.append('set-cookie', 'b=2');
      return new globalThis.Response('hi', { status: 201, headers });
    });
    app.get('/web-json', () => globalThis.Response.json({ ok: true }, { status: 202 }));
    app.get('/web-empty', () => new globalThis.Response(null, { status: 204 }));
    app.get('/web-tuple', () => [new globalThis.Response('teapot'), 418]);
    await using client = new TestClient(app);
    const web = await client.get('/web');
    assert.deepEqual([web.status, web.text, web.headers.get('content-type'), web.headers.get('x-a')], [201, 'hi', 'text/plain', 'b']);
    assert.deepEqual(web.headers.getSetCookie(), ['a=1', 'b=2']);
    const j = await client.get('/web-json');
    assert.deepEqual([j.status, j.headers.get('content-type'), j.json()], [202, 'application/json', { ok: true }]);
    const empty = await client.get('/web-empty');
    assert.deepEqual([empty.status, empty.body.length], [204, 0]);
    const tuple = await client.get('/web-tuple');
    assert.deepEqual([tuple.status, tuple.text], [418, 'teapot']);
  });

  it("relays a fetch() response: fetch's decoded body without the upstream's framing or encoding", async () => {
    const upstream = new CovetApp();
    upstream.addMiddleware(new CompressionMiddleware({ threshold: 1 }));
    upstream.get('/big', () => [{ text: 'x'.repeat(5000) }, 203, { 'x-up': '1' }]);
    const up = await upstream.listen({ host: '127.0.0.1', port: 0 });
    const app = new CovetApp();
    app.get('/proxy', () => fetch(`${up.url}/big`, { headers: { 'accept-encoding': 'gzip' } }));
    const { url } = await app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const res = await fetch(`${url}/proxy`);
      assert.deepEqual([res.status, res.headers.get('x-up'), res.headers.get('content-encoding')], [203, '1', null]);
      assert.deepEqual(await res.json(), { text: 'x'.repeat(5000) });
    } finally {
      await app.close();
      await upstream.close();
    }
  });

  it('takes a Headers or a Map as the third element of a tuple', async () => {
    const app = new CovetApp();
    app.get('/h', () => [{ ok: true }, 201, new Headers({ 'x-one': '1', 'cache-control': 'no-store' })]);
    app.get('/m', () => ['made', 202, new Map([['x-two', '2']])]);
    await using client = new TestClient(app);
    const h = await client.get('/h');
    assert.deepEqual([h.status, h.headers.get('x-one'), h.headers.get('cache-control'), h.json()], [201, '1', 'no-store', { ok: true }]);
    const m = await client.get('/m');
    assert.deepEqual([m.status, m.headers.get('x-two'), m.text], [202, '2', 'made']);
  });

  it('sends an SSE item without event fields as JSON data instead of dropping it', async () => {
    const app = new CovetApp();
    app.get('/events', () => sse([{ n: 1 }, 2, { data: 'x', id: 3 }, 'plain'] as never, { heartbeat: 0 }));
    await using client = new TestClient(app);
    const res = await client.get('/events');
    assert.equal(res.text, ': connected\n\ndata: {"n":1}\n\ndata: 2\n\nid: 3\ndata: x\n\ndata: plain\n\n');
  });
});

describe('CovetApp errors', () => {
  it('turns HTTPException into {"error": message}, with detail when given', async () => {
    const app = new CovetApp();
    app.get('/users/{id:int}', (req) => {
      throw new HTTPException(404, 'User not found', { detail: { id: req.params.id } });
    });
    app.get('/plain', () => {
      throw new HTTPException(404, 'User not found');
    });
    await using client = new TestClient(app);
    assert.deepEqual((await client.get('/plain')).json(), { error: 'User not found' });
    const res = await client.get('/users/3');
    assert.equal(res.status, 404);
    assert.deepEqual(res.json(), { error: 'User not found', detail: { id: 3 } });
  });

  it('answers unhandled errors with 500, logs them, and keeps serving', async () => {
    const logger = memoryLogger();
    const app = new CovetApp({ logger });
    app.get('/throw', () => {
      throw new TypeError('bad thing');
    });
    app.get('/reject', async () => Promise.reject(new Error('async bad')));
    app.get('/ok', () => 'ok');
    await using client = new TestClient(app);
    for (const path of ['/throw', '/reject']) {
      const res = await client.get(path);
      assert.equal(res.status, 500);
      assert.deepEqual(res.json(), { error: 'Internal Server Error' });
    }
    assert.equal((await client.get('/ok')).text, 'ok');
    assert.equal(logger.errors.length, 2);
    assert.match(String(logger.errors[0]), /bad thing/);
  });

  it('shows detail and the stack only in debug mode', async () => {
    const app = new CovetApp({ debug: true, logger: memoryLogger() });
    app.get('/', () => {
      throw new TypeError('visible');
    });
    await using client = new TestClient(app);
    const body = (await client.get('/')).json<{ error: string; detail: string; stack: string[] }>();
    assert.equal(body.error, 'Internal Server Error');
    assert.equal(body.detail, 'TypeError: visible');
    assert.ok(body.stack.some((line) => line.includes('app.test.ts')));
  });

  it('answers 500 over a socket for thrown values that cannot be printed, and when the logger fails', async () => {
    const failingLogger = {
      info() {},
      error() {
        throw new Error('logger down');
      },
    };
    for (const [debug, logger] of [
      [true, memoryLogger()],
      [false, failingLogger],
      [true, failingLogger],
    ] as const) {
      const app = new CovetApp({ debug, logger });
      app.get('/null-proto', () => {
        throw Object.create(null);
      });
      app.get('/bad-stack', () => {
        const err = new Error('hidden');
        Object.defineProperty(err, 'stack', {
          get() {
            throw new Error('no stack');
          },
        });
        throw err;
      });
      await withServer(app, async ({ url }) => {
        const nullProto = await fetch(`${url}/null-proto`);
        assert.equal(nullProto.status, 500);
        assert.deepEqual(
          await nullProto.json(),
          debug ? { error: 'Internal Server Error', detail: 'object that cannot be converted to a string', stack: [] } : { error: 'Internal Server Error' },
        );
        const badStack = await fetch(`${url}/bad-stack`);
        assert.equal(badStack.status, 500);
        assert.deepEqual(await badStack.json(), debug ? { error: 'Internal Server Error', detail: 'Error: hidden', stack: [] } : { error: 'Internal Server Error' });
      });
    }
  });

  it('answers a value JSON cannot encode with 500 instead of crashing', async () => {
    const app = new CovetApp({ logger: memoryLogger() });
    app.get('/', () => {
      const a: Record<string, unknown> = {};
      a.self = a;
      return a;
    });
    await using client = new TestClient(app);
    assert.equal((await client.get('/')).status, 500);
  });

  it('routes errors of a class to onError handlers', async () => {
    class NotFoundError extends Error {}
    const app = new CovetApp();
    app.onError(NotFoundError, (err) => [{ error: err.message, kind: 'nf' }, 404]);
    app.get('/', () => {
      throw new NotFoundError('nothing here');
    });
    await using client = new TestClient(app);
    const res = await client.get('/');
    assert.equal(res.status, 404);
    assert.deepEqual(res.json(), { error: 'nothing here', kind: 'nf' });
  });

  it('picks the onError handler of the nearest class, not the first registered that matches', async () => {
    class DomainError extends Error {}
    class NotFoundError extends DomainError {}
    class UserNotFound extends NotFoundError {}
    const app = new CovetApp();
    app.onError(Error, () => [{ kind: 'error' }, 500]);
    app.onError(DomainError, () => [{ kind: 'domain' }, 422]);
    app.onError(NotFoundError, () => [{ kind: 'not found' }, 404]);
    app.onError(NotFoundError, () => [{ kind: 'second not found' }, 404]);
    app.get('/user', () => {
      throw new UserNotFound('u');
    });
    app.get('/domain', () => {
      throw new DomainError('d');
    });
    app.get('/type', () => {
      throw new TypeError('t');
    });
    await using client = new TestClient(app);
    const user = await client.get('/user');
    assert.equal(user.status, 404);
    assert.deepEqual(user.json(), { kind: 'not found' });
    assert.deepEqual((await client.get('/domain')).json(), { kind: 'domain' });
    assert.deepEqual((await client.get('/type')).json(), { kind: 'error' });
  });
});

describe('CovetApp routing behaviour', () => {
  const app = new CovetApp();
  app.get('/users', () => 'list');
  app.post('/users', () => 'create');
  app.get('/users/me', () => 'me');
  app.get('/users/{id:int}', (req) => ({ id: req.params.id }));
  app.get('/files/{rest:path}', (req) => ({ rest: req.params.rest }));
  app.get('/docs/', () => 'docs index');

  it('answers HEAD for GET routes with the headers and no body', async () => {
    await using client = new TestClient(app);
    const res = await client.head('/users/5');
    assert.equal(res.status, 200);
    assert.equal(res.body.length, 0);
    assert.equal(res.headers.get('content-length'), String(JSON.stringify({ id: 5 }).length));
  });

  it('answers OPTIONS with 204 and Allow', async () => {
    await using client = new TestClient(app);
    const res = await client.options('/users');
    assert.equal(res.status, 204);
    assert.equal(res.headers.get('allow'), 'GET, POST, HEAD, OPTIONS');
  });

  it('answers a wrong method with 405 and Allow', async () => {
    await using client = new TestClient(app);
    const res = await client.delete('/users/5');
    assert.equal(res.status, 405);
    assert.equal(res.headers.get('allow'), 'GET, HEAD, OPTIONS');
    assert.deepEqual(res.json(), { error: 'Method Not Allowed' });
  });

  it('exposeHeadRoute: false keeps a GET route from answering HEAD, as in Fastify', async () => {
    const probe = new CovetApp();
    let runs = 0;
    probe.get('/unsafe', { exposeHeadRoute: false }, () => (runs++, 'done'));
    probe.post('/unsafe', () => 'posted');
    probe.get('/safe', () => (runs++, 'ok'));
    await using client = new TestClient(probe);
    const head = await client.head('/unsafe');
    assert.equal(head.status, 405);
    assert.equal(head.headers.get('allow'), 'GET, POST, OPTIONS');
    assert.equal(head.text, '');
    assert.equal(runs, 0);
    assert.equal((await client.options('/unsafe')).headers.get('allow'), 'GET, POST, OPTIONS');
    assert.equal((await client.delete('/unsafe')).headers.get('allow'), 'GET, POST, OPTIONS');
    assert.equal((await client.get('/unsafe')).text, 'done');
    // Other routes keep their automatic HEAD.
    const safe = await client.head('/safe');
    assert.equal(safe.status, 200);
    assert.equal((await client.options('/safe')).headers.get('allow'), 'GET, HEAD, OPTIONS');
    assert.equal(runs, 2);
    // OPTIONS * lists HEAD while some GET route answers it.
    const star = await probe.inject({ method: 'OPTIONS', url: '*' });
    assert.equal(star.headers.get('allow'), 'GET, POST, HEAD, OPTIONS');
    const only = new CovetApp();
    only.get('/x', { exposeHeadRoute: false }, () => 'x');
    assert.equal((await only.inject({ method: 'OPTIONS', url: '*' })).headers.get('allow'), 'GET, OPTIONS');
  });

  it('redirects a GET to the route with or without the trailing slash (308)', async () => {
    await using client = new TestClient(app);
    const a = await client.get('/users/?x=1');
    assert.equal(a.status, 308);
    assert.equal(a.headers.get('location'), '/users?x=1');
    const b = await client.get('/docs');
    assert.equal(b.status, 308);
    assert.equal(b.headers.get('location'), '/docs/');
    assert.equal((await client.post('/users/')).status, 404);
  });

  it('never redirects to another host', async () => {
    const open = new CovetApp();
    open.get('/{x}', () => 'x');
    await using client = new TestClient(open);
    const res = await client.get('//evil.example/');
    assert.notEqual(res.status, 308);
  });

  it('decodes parameters and rejects malformed percent-encoding with 400', async () => {
    await using client = new TestClient(app);
    assert.deepEqual((await client.get('/files/a%2Fb/c%20d')).json(), { rest: 'a/b/c d' });
    const bad = await client.get('/files/%E0%A4%A');
    assert.equal(bad.status, 400);
    assert.deepEqual(bad.json(), { error: 'Malformed percent-encoding in URL path' });
    const stray = await client.get('/users/%zz');
    assert.equal(stray.status, 400);
  });

  it('prefers static routes and falls through failed conversions', async () => {
    await using client = new TestClient(app);
    assert.equal((await client.get('/users/me')).text, 'me');
    assert.deepEqual((await client.get('/users/8')).json(), { id: 8 });
    assert.equal((await client.get('/users/x')).status, 404);
  });

  it("gives a group's routes the placeholders of its prefix, converted", async () => {
    const orgs = new CovetApp();
    const org = orgs.routeGroup('/orgs/{org_id:int}');
    // Typed too (tests/types/core.types.ts): the sum would not compile if org_id were missing.
    org.get('/users/{user_id:int}', (req) => ({ org: req.params.org_id, user: req.params.user_id, sum: req.params.org_id + req.params.user_id }));
    org.routeGroup('/teams/{team}').get('/', (req) => ({ org: req.params.org_id, team: req.params.team }));
    await using client = new TestClient(orgs);
    assert.deepEqual((await client.get('/orgs/3/users/4')).json(), { org: 3, user: 4, sum: 7 });
    assert.deepEqual((await client.get('/orgs/3/teams/red')).json(), { org: 3, team: 'red' });
    assert.equal((await client.get('/orgs/x/users/4')).status, 404);
  });
});

describe('CovetApp bodies', () => {
  const app = new CovetApp({ bodyLimit: 64 });
  app.post('/json', async (req) => ({ got: await req.json() }));
  app.post('/big', { bodyLimit: 1024 }, async (req) => ({ size: (await req.body()).length }));
  app.post('/form', async (req) => {
    const form = await req.form();
    return { keys: [...form.keys()], proto: !(form.toObject() instanceof Object) };
  });
  app.get('/q', (req) => ({ keys: [...req.queryParams.keys()], polluted: ({} as Record<string, unknown>).polluted ?? null }));
  app.post('/merge', async (req) => {
    const body = await req.json<Record<string, unknown>>();
    const target: Record<string, unknown> = {};
    Object.assign(target, body);
    return { polluted: ({} as Record<string, unknown>).polluted ?? null, keys: Object.keys(body) };
  });
  app.post('/twice', async (req) => {
    const a = await req.json();
    const b = await req.json();
    const raw = await req.text();
    return { same: a === b, raw };
  });

  it('rejects malformed JSON with 400', async () => {
    await using client = new TestClient(app);
    const res = await client.post('/json', { content: '{"a":', headers: { 'content-type': 'application/json' } });
    assert.equal(res.status, 400);
    assert.deepEqual(res.json(), { error: 'Malformed JSON in request body' });
  });

  it('answers JSON nested 100 000 levels deep with 400, not a 500 from echoing it back', async () => {
    const echo = new CovetApp();
    echo.post('/echo', async (req) => [{ created: await req.json() }, 201]);
    await using client = new TestClient(echo);
    const deep = await client.post('/echo', { content: `${'['.repeat(100_000)}${']'.repeat(100_000)}`, headers: { 'content-type': 'application/json' } });
    assert.equal(deep.status, 400);
    assert.deepEqual(deep.json(), { error: 'JSON in request body is nested too deeply' });
    const fine = await client.post('/echo', { content: `${'['.repeat(1000)}${']'.repeat(1000)}`, headers: { 'content-type': 'application/json' } });
    assert.equal(fine.status, 201);
  });

  it('reads a JSON or text body that starts with a byte order mark, as fetch and other frameworks do', async () => {
    const bom = new CovetApp();
    bom.post('/json', async (req) => ({ got: await req.json() }));
    bom.post('/text', async (req) => ({ text: await req.text() }));
    bom.post('/form', async (req) => (await req.form()).toObject());
    await using client = new TestClient(bom);
    const json = await client.post('/json', { content: Buffer.from('\ufeff{"a":1}'), headers: { 'content-type': 'application/json' } });
    assert.equal(json.status, 200);
    assert.deepEqual(json.json(), { got: { a: 1 } });
    assert.deepEqual((await client.post('/text', { content: Buffer.from('\ufeffhello') })).json(), { text: 'hello' });
    const form = await client.post('/form', { content: Buffer.from('\ufeffa=1'), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    assert.deepEqual(form.json(), { a: '1' });
    // Only one mark is dropped, and only at the start.
    assert.deepEqual((await client.post('/text', { content: Buffer.from('\ufeff\ufeffx\ufeff') })).json(), { text: '\ufeffx\ufeff' });
    const twice = await client.post('/json', { content: Buffer.from('\ufeff\ufeff{}'), headers: { 'content-type': 'application/json' } });
    assert.equal(twice.status, 400);
    assert.deepEqual(twice.json(), { error: 'Malformed JSON in request body' });
  });

  it('rejects an empty JSON body with 400', async () => {
    await using client = new TestClient(app);
    const res = await client.post('/json', { headers: { 'content-type': 'application/json' } });
    assert.equal(res.status, 400);
    assert.deepEqual(res.json(), { error: 'Request body is empty; expected JSON' });
  });

  it('rejects a non-JSON content type in json() with 415', async () => {
    await using client = new TestClient(app);
    const res = await client.post('/json', { content: 'a=1', headers: { 'content-type': 'text/plain' } });
    assert.equal(res.status, 415);
    assert.deepEqual(res.json(), { error: 'Unsupported Media Type: expected application/json, got text/plain' });
  });

  it('gives an empty form for a body that is not a form, so a handler may try json(), form() and body() in turn', async () => {
    // The seed's "Request Body Handling" example.
    const seed = new CovetApp();
    seed.route('/api/data', { methods: ['POST'] }, async (req) => {
      const jsonData = await req.json();
      const formData = await req.form();
      const rawBody = await req.body();
      return { received: jsonData, formFields: formData.size, rawBytes: rawBody.length };
    });
    await using client = new TestClient(seed);
    const res = await client.post('/api/data', { json: { a: 1 } });
    assert.equal(res.status, 200);
    assert.deepEqual(res.json(), { received: { a: 1 }, formFields: 0, rawBytes: 7 });
    const form = await client.post('/api/data', { form: { a: '1' } });
    assert.equal(form.status, 415);
    assert.deepEqual(form.json(), { error: 'Unsupported Media Type: expected application/json, got application/x-www-form-urlencoded' });
  });

  it('accepts +json types and a missing content type', async () => {
    await using client = new TestClient(app);
    const a = await client.post('/json', { content: '[1]', headers: { 'content-type': 'application/merge-patch+json' } });
    assert.deepEqual(a.json(), { got: [1] });
    const b = await client.post('/json', { content: '2' });
    assert.deepEqual(b.json(), { got: 2 });
  });

  it('enforces the app body limit with 413 and a per-route override', async () => {
    await using client = new TestClient(app);
    const res = await client.post('/json', { json: { pad: 'x'.repeat(100) } });
    assert.equal(res.status, 413);
    assert.deepEqual(res.json(), { error: 'Payload Too Large: the body exceeds 64 bytes' });
    assert.deepEqual((await client.post('/big', { content: 'y'.repeat(500) })).json(), { size: 500 });
    assert.equal((await client.post('/big', { content: 'y'.repeat(1025) })).status, 413);
  });

  it('reads a body once and caches it', async () => {
    await using client = new TestClient(app);
    assert.deepEqual((await client.post('/twice', { json: { k: 1 } })).json(), { same: true, raw: '{"k":1}' });
  });

  it('keeps __proto__ and constructor keys from polluting prototypes (JSON, query, form)', async () => {
    await using client = new TestClient(app);
    const merged = await client.post('/merge', { content: '{"__proto__":{"polluted":"yes"},"a":1}', headers: { 'content-type': 'application/json' } });
    assert.deepEqual(merged.json(), { polluted: null, keys: ['a'] });
    const q = await client.get('/q?__proto__[polluted]=1&constructor=2&__proto__=3');
    assert.deepEqual(q.json(), { keys: ['__proto__[polluted]', 'constructor', '__proto__'], polluted: null });
    const f = await client.post('/form', { content: '__proto__=x&constructor=y', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    assert.deepEqual(f.json(), { keys: ['__proto__', 'constructor'], proto: true });
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  it('rejects malformed percent-encoding in the query string with 400', async () => {
    await using client = new TestClient(app);
    const res = await client.get('/q?a=%E0%A4%A');
    assert.equal(res.status, 400);
    assert.deepEqual(res.json(), { error: 'Malformed percent-encoding in query string' });
  });
});

describe('CovetApp plugins, lifecycle and config', () => {
  it('registers a plugin once even when several plugins ask for it, awaiting async ones', async () => {
    const order: string[] = [];
    const db = definePlugin('db', async (app, opts: { url: string }) => {
      await new Promise((r) => setTimeout(r, 5));
      order.push(`db ${opts.url}`);
      app.onStartup(() => {
        order.push('db startup');
      });
    });
    const users = definePlugin('users', (app) => {
      app.register(db, { url: 'sqlite:///:memory:' });
      app.get('/users', () => order);
    });
    const app = new CovetApp();
    app.register(db, { url: 'sqlite:///:memory:' });
    app.register(users);
    app.register(users);
    assert.equal(app.hasPlugin('db'), true);
    await using client = new TestClient(app);
    assert.deepEqual((await client.get('/users')).json(), ['db sqlite:///:memory:', 'db startup']);
  });

  it('runs shutdown hooks in reverse order, all of them even if one fails', async () => {
    const events: string[] = [];
    const app = new CovetApp({ logger: memoryLogger() });
    app.onShutdown(() => {
      events.push('first registered');
    });
    app.onShutdown(() => {
      throw new Error('hook failed');
    });
    app.onShutdown(() => {
      events.push('last registered');
    });
    await app.startup();
    await assert.rejects(app.shutdown(), AggregateError);
    assert.deepEqual(events, ['last registered', 'first registered']);
  });

  it('builds URLs from route names', () => {
    const app = new CovetApp();
    app.get('/users/{id:int}/files/{p:path}', { name: 'user-file' }, () => null);
    assert.equal(app.urlFor('user-file', { id: 7, p: 'a b/c' }), '/users/7/files/a%20b/c');
    assert.throws(() => app.urlFor('user-file', { id: 7 }), /needs parameter "p"/);
    assert.throws(() => app.urlFor('nope'), /No route named/);
  });

  it('includes a free-standing RouteGroup under a prefix', async () => {
    const health = new RouteGroup();
    health.get('/', () => ({ status: 'healthy' }));
    health.get('/live', () => ({ status: 'alive' }));
    const app = new CovetApp();
    app.includeRouter(health, { prefix: '/health' });
    await using client = new TestClient(app);
    assert.deepEqual((await client.get('/health')).json(), { status: 'healthy' });
    assert.deepEqual((await client.get('/health/live')).json(), { status: 'alive' });
  });

  it('refuses duplicate routes where they are added; across groups, when the table is built', () => {
    const app = new CovetApp();
    app.get('/a/{x}', () => 1);
    assert.throws(() => app.get('/a/{y}', () => 2), { name: 'TypeError', message: 'Route GET /a/{y} conflicts with GET /a/{x}, added before' });
    assert.throws(() => app.route('/a/{z:str}', { methods: ['POST', 'GET'] }, () => 2), { name: 'TypeError', message: 'Route GET /a/{z:str} conflicts with GET /a/{x}, added before' });
    // Other methods, converters or trailing slashes are other routes.
    app.post('/a/{y}', () => 3);
    app.get('/a/{n:int}', () => 4);
    app.get('/a/{x}/', () => 5);
    app.get('/b/{rest:path}', () => 6);
    assert.throws(() => app.get('/b/{other:path}', () => 7), /conflicts with GET \/b\/\{rest:path\}/);
    assert.equal(app.routeTable().length > 0, true);
    // The same route through a group (whose prefix is only known when it is included): at build time.
    const group = new RouteGroup();
    group.get('/{x}', () => 8);
    app.includeRouter(group, { prefix: '/a' });
    assert.throws(() => app.routeTable(), /conflicts/);
  });

  it('serves through the fetch-standard handle()', async () => {
    const app = new CovetApp();
    app.post('/echo/{n:int}', async (req) => ({ n: req.params.n, body: await req.json() }));
    const res = await app.handle(new globalThis.Request('http://local/echo/3', { method: 'POST', body: '{"x":1}', headers: { 'content-type': 'application/json' } }));
    assert.equal(res.status, 201 - 1);
    assert.deepEqual(await res.json(), { n: 3, body: { x: 1 } });
  });

  it('gives a handle() request without Host the host of its URL', async () => {
    const app = new CovetApp();
    app.get('/host', (req) => ({ host: req.headers.get('host') }));
    const fromUrl = await app.handle(new globalThis.Request('http://example.test:8080/host'));
    assert.deepEqual(await fromUrl.json(), { host: 'example.test:8080' });
    const given = await app.handle(new globalThis.Request('http://example.test/host', { headers: { host: 'api.example.test' } }));
    assert.deepEqual(await given.json(), { host: 'api.example.test' });
  });

  it('streams an endless SSE or stream() body through handle() as it is produced, and cleans up on cancel', async () => {
    const app = new CovetApp();
    let closed = false;
    app.get('/events', () =>
      sse(
        (async function* () {
          try {
            for (let i = 0; ; i++) {
              yield { event: 'tick', data: { i } };
              await new Promise((r) => setTimeout(r, 5));
            }
          } finally {
            closed = true;
          }
        })(),
        { heartbeat: 0 },
      ),
    );
    const res = await app.handle(new globalThis.Request('http://local/events'));
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'text/event-stream; charset=utf-8');
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    let text = '';
    while (!text.includes('data: {"i":1}')) text += Buffer.from((await reader.read()).value ?? []).toString();
    assert.match(text, /^: connected\n\nevent: tick\ndata: \{"i":0\}\n\nevent: tick\ndata: \{"i":1\}\n\n/);
    await reader.cancel();
    assert.equal(closed, true);
    const finite = await app.handle(new globalThis.Request('http://local/missing'));
    assert.equal(finite.status, 404);
    assert.deepEqual(await finite.json(), { error: 'Not Found' });
  });

  it('aborts req.signal and answers 503 when a route timeout passes', async () => {
    let aborted = false;
    const app = new CovetApp();
    app.get('/slow', { timeout: 30 }, async (req) => {
      await new Promise<void>((resolve) => req.signal.addEventListener('abort', () => resolve()));
      aborted = req.signal.aborted;
      return 'late';
    });
    await using client = new TestClient(app);
    const res = await client.get('/slow');
    assert.equal(res.status, 503);
    assert.deepEqual(res.json(), { error: 'Request timed out' });
    await new Promise((r) => setTimeout(r, 5));
    assert.equal(aborted, true);
  });
});

describe('CovetApp review fixes', () => {
  it('never redirects to /\\host either', async () => {
    const app = new CovetApp();
    app.get('/{x}', () => 'x');
    await using client = new TestClient(app);
    const res = await client.get('/\\evil.example/');
    assert.notEqual(res.status, 308);
    assert.equal(res.headers.get('location'), null);
  });

  it('keeps a rejected async plugin from crashing the process and reports it from startup', async () => {
    const app = new CovetApp();
    app.register(async () => {
      throw new Error('plugin failed');
    });
    await new Promise((r) => setTimeout(r, 10)); // an unhandled rejection would surface here
    await assert.rejects(app.startup(), /plugin failed/);
  });

  it('gives a mounted app its own error handlers and body limit', async () => {
    class Teapot extends Error {}
    const sub = new CovetApp({ bodyLimit: 8 });
    sub.onError(Teapot, () => [{ error: 'short and stout' }, 418]);
    sub.get('/tea', () => {
      throw new Teapot();
    });
    sub.post('/small', async (req) => (await req.body()).length);
    const app = new CovetApp();
    app.mount('/sub', sub);
    app.get('/tea', () => {
      throw new Teapot();
    });
    app.post('/small', async (req) => (await req.body()).length);
    await using client = new TestClient(app);
    assert.equal((await client.get('/sub/tea')).status, 418);
    assert.equal((await client.post('/sub/small', { content: '123456789' })).status, 413);
    assert.equal((await client.post('/small', { content: '123456789' })).json(), 9);
  });

  it('refuses a malformed route path where it is declared', () => {
    const app = new CovetApp();
    assert.throws(() => app.get('/a{b}', () => null), /must be a whole path segment/);
  });

  it('keeps a content type given to json(), html() and text()', () => {
    assert.equal(json({}, 410, { 'content-type': 'application/problem+json' }).headers.get('content-type'), 'application/problem+json');
    assert.equal(html('x', 200, { 'Content-Type': 'application/xhtml+xml' }).headers.get('content-type'), 'application/xhtml+xml');
    assert.equal(text('x', 200, { 'content-type': 'text/csv' }).headers.get('content-type'), 'text/csv');
    assert.equal(json([1]).headers.get('content-type'), 'application/json; charset=utf-8');
  });

  it('sets req.route to null when no route matched', async () => {
    let seen: unknown = 'unset';
    const app = new CovetApp();
    app.addMiddleware(async (req, callNext) => {
      seen = req.route;
      return callNext();
    });
    app.get('/users/{id:int}', { name: 'user' }, () => null);
    await using client = new TestClient(app);
    await client.get('/nope');
    assert.equal(seen, null);
    await client.get('/users/1');
    assert.deepEqual(seen, { path: '/users/{id:int}', name: 'user', meta: {} });
  });

  it('names anonymous middleware "middleware" in the route table', () => {
    const app = new CovetApp();
    app.addMiddleware((_req, callNext) => callNext());
    app.get('/', () => null);
    assert.deepEqual(app.routeTable()[0]?.middleware, ['middleware']);
  });

  it('streams a sync generator returned by a handler', async () => {
    const app = new CovetApp();
    app.get('/', () =>
      (function* () {
        yield 'a';
        yield 'b';
      })(),
    );
    await using client = new TestClient(app);
    assert.equal((await client.get('/')).text, 'ab');
  });
});
