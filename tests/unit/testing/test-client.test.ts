import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CovetApp, Response } from '../../../src/index.js';
import { AsyncTestClient, TestClient } from '../../../src/testing/index.js';

function echoApp() {
  const app = new CovetApp();
  app.route('/echo', { methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] }, async (req) => ({
    method: req.method,
    query: req.url.query,
    type: req.headers.get('content-type'),
    body: await req.text(),
    cookies: { ...req.cookies },
    host: req.headers.get('host'),
  }));
  app.post('/login', () => new Response(null, { status: 204 }).setCookie('session', 'abc 1'));
  app.post('/logout', () => new Response(null, { status: 204 }).deleteCookie('session'));
  return app;
}

describe('TestClient', () => {
  it('sends every method with json, form, content, headers and query options', async () => {
    await using client = new TestClient(echoApp());
    const j = (await client.post('/echo', { json: { a: [1] } })).json<Record<string, unknown>>();
    assert.equal(j.type, 'application/json');
    assert.equal(j.body, '{"a":[1]}');
    assert.equal(j.host, 'testserver');
    const f = (await client.put('/echo', { form: { a: 'x y', b: [1, 2] } })).json<Record<string, unknown>>();
    assert.equal(f.type, 'application/x-www-form-urlencoded');
    assert.equal(f.body, 'a=x+y&b=1&b=2');
    const c = (await client.patch('/echo', { content: 'raw', headers: { 'Content-Type': 'text/plain' } })).json<Record<string, unknown>>();
    assert.deepEqual([c.method, c.type, c.body], ['PATCH', 'text/plain', 'raw']);
    const q = (await client.delete('/echo?x=1', { query: { y: 2, z: [3, 4] } })).json<Record<string, unknown>>();
    assert.equal(q.query, 'x=1&y=2&z=3&z=4');
    const g = await client.get('/echo');
    assert.equal(g.statusCode, 200);
    assert.equal(g.ok, true);
  });

  it('takes headers in any form fetch does: a record, a Headers or [name, value] pairs', async () => {
    const app = new CovetApp();
    app.get('/h', (req) => ({ a: req.headers.get('x-a'), b: req.headers.get('x-b') }));
    app.websocket('/ws', async (ws) => { await ws.sendJson({ a: ws.headers.get('x-a') }); await ws.close(); });
    await using client = new TestClient(app);
    assert.deepEqual((await client.get('/h', { headers: { 'X-A': '1' } })).json(), { a: '1', b: null });
    assert.deepEqual((await client.get('/h', { headers: new Headers({ 'X-A': '2', 'X-B': '3' }) })).json(), { a: '2', b: '3' });
    assert.deepEqual((await client.get('/h', { headers: [['X-A', '4'], ['x-a', '5']] })).json(), { a: '4, 5', b: null });
    const ws = await client.websocketConnect('/ws', { headers: new Headers({ 'X-A': '6' }) });
    assert.deepEqual(await ws.receiveJson(), { a: '6' });
  });

  it('sends what a real client would for an absolute URL or a fragment: path and query, the URL\'s host, no fragment', async () => {
    await using client = new TestClient(echoApp());
    const abs = (await client.get('http://testserver/echo?x=1', { query: { y: 2 } })).json<Record<string, unknown>>();
    assert.deepEqual([abs.query, abs.host], ['x=1&y=2', 'testserver']);
    const other = (await client.get('https://api.example.com:8443/echo')).json<Record<string, unknown>>();
    assert.deepEqual([other.query, other.host], ['', 'api.example.com:8443']);
    const given = (await client.get('http://a.test/echo', { headers: { Host: 'b.test' } })).json<Record<string, unknown>>();
    assert.equal(given.host, 'b.test');
    const frag = await client.get('/echo#top');
    assert.equal(frag.status, 200);
    assert.equal(frag.json<Record<string, unknown>>().query, '');
    const both = (await client.get('/echo?x=1#top', { query: { y: 2 } })).json<Record<string, unknown>>();
    assert.equal(both.query, 'x=1&y=2');
  });

  it('encodes files as multipart/form-data', async () => {
    await using client = new TestClient(echoApp());
    const res = (await client.post('/echo', {
      form: { title: 'report' },
      files: { file: { filename: 'a.txt', content: 'hello', contentType: 'text/plain' } },
    })).json<{ type: string; body: string }>();
    const boundary = /boundary=(.+)$/.exec(res.type)?.[1] as string;
    assert.ok(boundary);
    assert.ok(res.body.includes(`--${boundary}\r\nContent-Disposition: form-data; name="title"\r\n\r\nreport\r\n`));
    assert.ok(res.body.includes('name="file"; filename="a.txt"\r\nContent-Type: text/plain\r\n\r\nhello\r\n'));
    assert.ok(res.body.endsWith(`--${boundary}--\r\n`));
  });

  it('keeps a cookie jar: stores Set-Cookie, sends it back, forgets expired cookies', async () => {
    await using client = new TestClient(echoApp());
    await client.post('/login');
    assert.equal(client.cookies.get('session'), 'abc%201');
    const seen = (await client.get('/echo', { cookies: { extra: '1' } })).json<{ cookies: Record<string, string> }>();
    assert.deepEqual(seen.cookies, { session: 'abc 1', extra: '1' });
    await client.post('/logout');
    assert.equal(client.cookies.has('session'), false);
  });

  it('percent-encodes cookie values given per request, so the app reads them back intact', async () => {
    const app = new CovetApp();
    app.get('/c', (req) => ({ ...req.cookies }));
    await using client = new TestClient(app);
    const res = await client.get('/c', { cookies: { a: 'x;y', b: 'ü', c: '1=2', d: 'plain' } });
    assert.deepEqual(res.json(), { a: 'x;y', b: 'ü', c: '1=2', d: 'plain' });
  });

  it('runs startup hooks before the first request and shutdown hooks on close', async () => {
    const events: string[] = [];
    const app = new CovetApp();
    app.onStartup(() => {
      events.push('up');
    });
    app.onShutdown(() => {
      events.push('down');
    });
    app.get('/', () => events.join(','));
    const client = new AsyncTestClient(app);
    assert.equal((await client.get('/')).text, 'up');
    await client.close();
    assert.deepEqual(events, ['up', 'down']);
  });

  it('explains a non-JSON body in json()', async () => {
    const app = new CovetApp();
    app.get('/', () => 'not json');
    await using client = new TestClient(app);
    const res = await client.get('/');
    assert.throws(() => res.json(), /Response body is not JSON \(status 200\): not json/);
  });
});
