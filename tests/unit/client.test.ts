import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { ClientError, createClient } from '../../src/client/index.js';
import { CovetApp, HTTPException, Response, RouteGroup } from '../../src/index.js';
import { memoryLogger, withServer } from '../helpers/server.js';

const CreateUser = z.object({ name: z.string().min(1), email: z.string() });
const Search = z.object({ q: z.string() });

function makeApp() {
  return new CovetApp({ logger: memoryLogger() })
    .get('/users/{id:int}', (req) => {
      if (req.params.id === 404) throw new HTTPException(404, 'User not found');
      return { id: req.params.id, at: new Date(0) };
    })
    .post('/users', { body: CreateUser }, async (req) => [{ id: 1, ...(await req.json()) }, 201])
    .get('/echo/{name}/{rest:path}', (req) => ({ name: req.params.name, rest: req.params.rest, url: req.url.raw }))
    .get('/query', (req) => ({ tags: req.queryParams.getAll('tag'), page: req.queryParams.get('page'), raw: req.url.query }))
    .get('/search', { query: Search }, (req) => ({ q: req.query.q }))
    .get('/headers', (req) => ({ auth: req.headers.get('authorization'), trace: req.headers.get('x-trace'), accept: req.headers.get('accept') }))
    .get('/text', () => 'plain text')
    .get('/bytes', () => new Uint8Array([1, 2, 3]))
    .get('/html', () => new Response('<p>hi</p>', { headers: { 'content-type': 'text/html; charset=utf-8' } }))
    .delete('/users/{id:int}', () => null)
    .put('/raw', async (req) => ({ type: req.headers.get('content-type'), text: await req.text() }))
    .get('/teapot', () => [{ error: 'short and stout' }, 418])
    .get('/broken', () => {
      throw new Error('boom');
    });
}

describe('createClient', () => {
  it('fills int params, parses JSON and types the answer', async () => {
    await withServer(makeApp(), async ({ url }) => {
      const api = createClient<ReturnType<typeof makeApp>>(url);
      const res = await api.get('/users/{id:int}', { params: { id: 7 } });
      assert.equal(res.status, 200);
      assert.deepEqual(res.data, { id: 7, at: '1970-01-01T00:00:00.000Z' });
      assert.equal(res.headers.get('content-type'), 'application/json; charset=utf-8');
      assert.equal(res.response.ok, true);
    });
  });

  it('percent-encodes params; a {name:path} param keeps its slashes', async () => {
    await withServer(makeApp(), async ({ url }) => {
      const api = createClient<ReturnType<typeof makeApp>>(`${url}/`); // a trailing slash on the base is dropped
      const res = await api.get('/echo/{name}/{rest:path}', { params: { name: 'a b/c?d#e%', rest: 'dir one/file ä.txt' } });
      assert.deepEqual(res.data, { name: 'a b/c?d#e%', rest: 'dir one/file ä.txt', url: '/echo/a%20b%2Fc%3Fd%23e%25/dir%20one/file%20%C3%A4.txt' });
    });
  });

  it('sends query arrays as repeated names and leaves out undefined and null', async () => {
    await withServer(makeApp(), async ({ url }) => {
      const api = createClient<ReturnType<typeof makeApp>>(url);
      const res = await api.get('/query', { query: { tag: ['x', 'y z'], page: 2, gone: undefined, none: null, flag: true } });
      assert.deepEqual(res.data, { tags: ['x', 'y z'], page: '2', raw: 'tag=x&tag=y+z&page=2&flag=true' });
      const bare = await api.get('/query');
      assert.deepEqual(bare.data, { tags: [], page: null, raw: '' });
    });
  });

  it('sends a JSON body and reads a [body, status] answer', async () => {
    await withServer(makeApp(), async ({ url }) => {
      const api = createClient<ReturnType<typeof makeApp>>(url);
      const res = await api.post('/users', { body: { name: 'Ada', email: 'ada@example.com' } });
      assert.equal(res.status, 201);
      assert.deepEqual(res.data, { id: 1, name: 'Ada', email: 'ada@example.com' });
    });
  });

  it('sends strings, URLSearchParams and bytes as they are', async () => {
    await withServer(makeApp(), async ({ url }) => {
      const api = createClient<ReturnType<typeof makeApp>>(url);
      assert.deepEqual((await api.put('/raw', { body: 'just text' })).data, { type: 'text/plain;charset=UTF-8', text: 'just text' });
      assert.deepEqual((await api.put('/raw', { body: new URLSearchParams({ a: '1' }) })).data, {
        type: 'application/x-www-form-urlencoded;charset=UTF-8',
        text: 'a=1',
      });
      const bytes = await api.put('/raw', { body: new TextEncoder().encode('xyz'), headers: { 'content-type': 'application/octet-stream' } });
      assert.deepEqual(bytes.data, { type: 'application/octet-stream', text: 'xyz' });
      assert.deepEqual((await api.put('/raw', { body: [1, 'two'] })).data, { type: 'application/json', text: '[1,"two"]' });
      const stream = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(new TextEncoder().encode('stre'));
          controller.enqueue(new TextEncoder().encode('amed'));
          controller.close();
        },
      });
      const streamed = await api.put('/raw', { body: stream, headers: { 'content-type': 'text/plain' } });
      assert.deepEqual(streamed.data, { type: 'text/plain', text: 'streamed' });
    });
  });

  it('merges client headers (static or a function) with per-call headers', async () => {
    await withServer(makeApp(), async ({ url }) => {
      let n = 0;
      const api = createClient<ReturnType<typeof makeApp>>(url, { headers: () => ({ authorization: `Bearer t${++n}`, 'x-trace': 'client' }) });
      assert.deepEqual((await api.get('/headers')).data, { auth: 'Bearer t1', trace: 'client', accept: 'application/json, text/plain;q=0.9, */*;q=0.8' });
      assert.deepEqual((await api.get('/headers', { headers: { 'x-trace': 'call', accept: 'application/json' } })).data, {
        auth: 'Bearer t2',
        trace: 'call',
        accept: 'application/json',
      });
      const fixed = createClient<ReturnType<typeof makeApp>>(url, { headers: [['authorization', 'Basic x']] });
      assert.equal((await fixed.get('/headers')).data.auth, 'Basic x');
    });
  });

  it('reads text, HTML, bytes and empty answers by their content type', async () => {
    await withServer(makeApp(), async ({ url }) => {
      const api = createClient<ReturnType<typeof makeApp>>(url);
      assert.equal((await api.get('/text')).data, 'plain text');
      assert.equal((await api.get('/html')).data, '<p>hi</p>');
      const bytes = await api.get('/bytes');
      assert.ok(bytes.data instanceof Blob);
      assert.deepEqual([...new Uint8Array(await bytes.data.arrayBuffer())], [1, 2, 3]);
      const removed = await api.delete('/users/{id:int}', { params: { id: 1 } });
      assert.equal(removed.status, 204);
      assert.equal(removed.data, null);
      const head = await api.request('head', '/users/{id:int}', { params: { id: 3 } });
      assert.equal(head.status, 200);
      assert.equal(head.data, null);
    });
  });

  it('throws ClientError with the parsed error body on non-2xx answers', async () => {
    await withServer(makeApp(), async ({ url }) => {
      const api = createClient<ReturnType<typeof makeApp>>(url);
      const notFound = await api.get('/users/{id:int}', { params: { id: 404 } }).catch((e: unknown) => e);
      assert.ok(notFound instanceof ClientError);
      assert.equal(notFound.status, 404);
      assert.equal(notFound.code, 'ERR_CLIENT_STATUS');
      assert.deepEqual(notFound.data, { error: 'User not found' });
      assert.equal(notFound.message, `GET ${url}/users/404 answered 404: User not found`);

      const invalid = await api.post('/users', { body: { name: '', email: 'e' } }).catch((e: unknown) => e);
      assert.ok(invalid instanceof ClientError);
      assert.equal(invalid.status, 400);
      assert.deepEqual(Object.keys((invalid.data as { errors: object }).errors), ['name']);

      const missing = await api.get('/search', { query: {} as { q: string } }).catch((e: unknown) => e);
      assert.ok(missing instanceof ClientError);
      assert.equal(missing.status, 400);
      assert.deepEqual(missing.data, { errors: { q: ['Invalid input: expected string, received undefined'] } });

      const teapot = await api.get('/teapot').catch((e: unknown) => e);
      assert.ok(teapot instanceof ClientError);
      assert.equal(teapot.status, 418);
      assert.deepEqual(teapot.data, { error: 'short and stout' });

      const broken = await api.get('/broken').catch((e: unknown) => e);
      assert.ok(broken instanceof ClientError);
      assert.equal(broken.status, 500);
      assert.deepEqual(broken.data, { error: 'Internal Server Error' });

      const unrouted = await api.request('GET', '/nowhere').catch((e: unknown) => e);
      assert.ok(unrouted instanceof ClientError);
      assert.equal(unrouted.status, 404);
    });
  });

  it('throws ClientError with the text when an error answer labelled JSON does not parse (a proxy 502 page)', async () => {
    const page = '<html><body>502 Bad Gateway</body></html>';
    const api = createClient<ReturnType<typeof makeApp>>('http://127.0.0.1:1', {
      fetch: async () => new globalThis.Response(page, { status: 502, headers: { 'content-type': 'application/json' } }),
    });
    const err = await api.get('/text').catch((e: unknown) => e);
    assert.ok(err instanceof ClientError);
    assert.equal(err.status, 502);
    assert.equal(err.data, page);
    assert.equal(err.message, `GET http://127.0.0.1:1/text answered 502: ${page}`);
    // A 2xx that claims JSON and is not stays an error of its own.
    const ok = createClient<ReturnType<typeof makeApp>>('http://127.0.0.1:1', {
      fetch: async () => new globalThis.Response('{oops', { status: 200, headers: { 'content-type': 'application/json' } }),
    });
    await assert.rejects(ok.get('/text'), SyntaxError);
  });

  it('rejects missing and non-scalar params before sending anything', async () => {
    let calls = 0;
    const api = createClient<ReturnType<typeof makeApp>>('http://127.0.0.1:9', {
      fetch: async () => {
        calls++;
        return new globalThis.Response('{}');
      },
    });
    await assert.rejects(api.request('GET', '/users/{id:int}'), { name: 'TypeError', message: 'Missing path param "id" for /users/{id:int}' });
    await assert.rejects(api.request('GET', '/users/{id:int}', { params: { id: {} as unknown as string } }), {
      name: 'TypeError',
      message: 'Path param "id" must be a string or a number, got object',
    });
    await assert.rejects(api.request('GET', '/q', { query: { a: {} as unknown as string } }), {
      name: 'TypeError',
      message: 'Query param "a" must be a string, number or boolean, got object',
    });
    // `.` and `..` are resolved by every URL parser (even as %2E): the call would reach another
    // route (DELETE /users/{name} with '..' would be DELETE /). An empty value, too.
    for (const [path, params] of [
      ['/echo/{name}/{rest:path}', { name: '..', rest: 'x' }],
      ['/echo/{name}/{rest:path}', { name: '.', rest: 'x' }],
      ['/echo/{name}/{rest:path}', { name: '', rest: 'x' }],
      ['/echo/{name}/{rest:path}', { name: 'a', rest: '../admin/secret' }],
      ['/echo/{name}/{rest:path}', { name: 'a', rest: 'dir/./x' }],
    ] as const) {
      await assert.rejects(api.request('GET', path, { params }), (e: unknown) => e instanceof TypeError && /the URL would point to another path/.test(e.message));
    }
    assert.equal(calls, 0);
    await withServer(makeApp(), async ({ url }) => {
      const live = createClient<ReturnType<typeof makeApp>>(url);
      // Dots inside a segment, and `%2e` as text, are ordinary values.
      const res = await live.get('/echo/{name}/{rest:path}', { params: { name: '...', rest: 'a/..b/%2e%2e' } });
      assert.deepEqual(res.data, { name: '...', rest: 'a/..b/%2e%2e', url: '/echo/.../a/..b/%252e%252e' });
    });
  });

  it('uses the given fetch, method, URL and abort signal', async () => {
    const seen: { url: string; init: RequestInit }[] = [];
    const api = createClient<ReturnType<typeof makeApp>>('https://api.example.test/v1', {
      fetch: async (url, init) => {
        seen.push({ url, init });
        return new globalThis.Response(JSON.stringify({ id: 1 }), { headers: { 'content-type': 'application/json' } });
      },
      credentials: 'include',
    });
    const controller = new AbortController();
    await api.post('/users', { body: { name: 'A', email: 'e' }, signal: controller.signal });
    assert.equal(seen[0]?.url, 'https://api.example.test/v1/users');
    assert.equal(seen[0]?.init.method, 'POST');
    assert.equal(seen[0]?.init.body, '{"name":"A","email":"e"}');
    assert.equal(seen[0]?.init.signal, controller.signal);
    assert.equal(seen[0]?.init.credentials, 'include');
    assert.equal(new Headers(seen[0]?.init.headers).get('content-type'), 'application/json');
  });

  it('propagates an abort and network errors as they are', async () => {
    await withServer(makeApp(), async ({ url }) => {
      const api = createClient<ReturnType<typeof makeApp>>(url);
      const controller = new AbortController();
      controller.abort();
      await assert.rejects(api.get('/text', { signal: controller.signal }), { name: 'AbortError' });
    });
    const api = createClient<ReturnType<typeof makeApp>>('http://127.0.0.1:1');
    await assert.rejects(api.get('/text'), { name: 'TypeError' });
  });

  it('calls routes of groups, included routers, mounted apps and multi-method routes by their full paths', async () => {
    const app = new CovetApp();
    const v1 = app.routeGroup('/api/v1/').get('/items/{sku}', (req) => ({ sku: req.params.sku }));
    const admin = new RouteGroup().get('/', () => ({ admin: true }));
    const withAdmin = app.includeRouter(admin, { prefix: '/admin' });
    const sub = new CovetApp().route('/ping', { methods: ['GET', 'post'] }, (req) => ({ method: req.method }));
    const mounted = app.mount('/sub', sub);
    await withServer(app, async ({ url }) => {
      const api = createClient<typeof v1 | typeof withAdmin | typeof mounted>(url);
      assert.deepEqual((await api.get('/api/v1/items/{sku}', { params: { sku: 'a-1' } })).data, { sku: 'a-1' });
      assert.deepEqual((await api.get('/admin')).data, { admin: true });
      assert.deepEqual((await api.get('/sub/ping')).data, { method: 'GET' });
      assert.deepEqual((await api.post('/sub/ping')).data, { method: 'POST' });
    });
  });
});
