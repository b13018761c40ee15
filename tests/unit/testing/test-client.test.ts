import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CovetApp, Response, WebSocketHandshakeError } from '../../../src/index.js';
import { AsyncTestClient, TestClient } from '../../../src/testing/index.js';
import { withServer } from '../../helpers/server.js';

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

  it('percent-encodes what fetch would (spaces, quotes, non-ASCII) and nothing else, as over a socket', async () => {
    const app = new CovetApp();
    app.get('/{p:path}', (req) => ({ raw: req.url.raw, path: req.path, q: req.queryParams.get('q') }));
    await using client = new TestClient(app);
    const paths = ['/p/José', '/p/a b?q=a b', '/p/x?q=é&r=1', '/p/a%20b?q=a+b', `/p/<x>{y}\`|^[]?q="'<>\`{}|^\\`, '/p/😀?q=😀#frag', '/p/../x'];
    const seen = [];
    for (const path of paths) seen.push((await client.get(path)).json<{ raw: string }>().raw);
    assert.deepEqual(seen, [
      '/p/Jos%C3%A9',
      '/p/a%20b?q=a%20b',
      '/p/x?q=%C3%A9&r=1',
      '/p/a%20b?q=a+b',
      // Node 24's URL parser encodes `^` in a path (the URL standard since 2024); 20 and 22 do not.
      `/p/%3Cx%3E%7By%7D%60|${new URL('http://x/^').pathname === '/%5E' ? '%5E' : '^'}[]?q=%22%27%3C%3E\`{}|^\\`,
      '/p/%F0%9F%98%80?q=%F0%9F%98%80',
      '/p/../x',
    ]);
    await withServer(app, async ({ url }) => {
      for (const path of paths.slice(0, -1)) assert.equal((await client.get(path)).text, await (await fetch(url + path)).text(), path);
    });
    assert.equal((await client.get('/p/x?q=%zz')).status, 400);
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

  describe('cookie jar: what a browser (or httpx) sends back', () => {
    /** An app whose `/set` answers the raw Set-Cookie lines given in `?c=` and whose every other path shows its Cookie header. */
    function cookieApp() {
      const app = new CovetApp();
      app.get('/set', (req) => {
        const res = new Response(null, { status: 204 });
        for (const line of req.queryParams.getAll('c')) res.headers.append('set-cookie', line);
        return res;
      });
      const show = (req: { headers: { get(name: string): string | null } }) => req.headers.get('cookie') ?? '';
      app.get('/', show);
      app.get('/{rest:path}', show);
      return app;
    }
    const set = (client: TestClient, ...lines: string[]) => client.get('/set', { query: { c: lines } });
    const sent = async (client: TestClient, path: string) => (await client.get(path)).text;

    it('sends a cookie only under its Path (RFC 6265 path-match)', async () => {
      await using client = new TestClient(cookieApp());
      await set(client, 'a=1; Path=/other', 'b=2; Path=/', 'c=3; Path=/other/');
      assert.equal(await sent(client, '/see'), 'b=2');
      assert.equal(await sent(client, '/otherwise'), 'b=2');
      assert.equal(await sent(client, '/other'), 'a=1; b=2');
      // Longest path first, as browsers order them.
      assert.equal(await sent(client, '/other/x'), 'c=3; a=1; b=2');
      assert.equal(await sent(client, '/other?x=/'), 'a=1; b=2');
    });

    it('defaults Path to the directory of the request that set the cookie', async () => {
      const app = cookieApp();
      app.get('/auth/raw', () => {
        const res = new Response(null, { status: 204 });
        res.headers.append('set-cookie', 'd=4');
        res.headers.append('set-cookie', 'e=5; Path=relative');
        return res;
      });
      await using client = new TestClient(app);
      await client.get('/auth/raw');
      assert.deepEqual(
        client.cookies.list().map((c) => [c.name, c.path]),
        [['d', '/auth'], ['e', '/auth']],
      );
      assert.equal(await sent(client, '/auth/me'), 'd=4; e=5');
      assert.equal(await sent(client, '/me'), '');
    });

    it('deletes a cookie on Max-Age=0 or a past Expires (of the same path), and expires it when Max-Age runs out', async () => {
      await using client = new TestClient(cookieApp());
      await set(client, 'a=1', 'b=2', 'c=3; Path=/x', 'd=4; Max-Age=3600', 'e=5; Max-Age=abc');
      assert.equal(await sent(client, '/x'), 'c=3; a=1; b=2; d=4; e=5');
      await set(client, 'a=; Max-Age=0', 'b=; Expires=Thu, 01 Jan 1970 00:00:00 GMT', 'c=; Max-Age=0');
      // `c` lives at /x: a deletion for path / (the default here) leaves it.
      assert.equal(await sent(client, '/x'), 'c=3; d=4; e=5');
      await client.get('/set', { query: { c: 'c=; Max-Age=0; Path=/x' } });
      assert.equal(await sent(client, '/x'), 'd=4; e=5');
      assert.deepEqual([client.cookies.has('a'), client.cookies.has('b'), client.cookies.has('c')], [false, false, false]);
      await set(client, 'f=6; Max-Age=1', 'g=7; Max-Age=-1', 'h=8; Max-Age=1; Expires=Thu, 01 Jan 1970 00:00:00 GMT');
      assert.equal(await sent(client, '/'), 'd=4; e=5; f=6; h=8');
      await new Promise((resolve) => setTimeout(resolve, 1100));
      assert.equal(await sent(client, '/'), 'd=4; e=5');
    });

    it('keeps a cookie for its host (or its Domain), refuses another site\'s Domain', async () => {
      await using client = new TestClient(cookieApp());
      await set(client, 'host=1', 'dom=2; Domain=testserver', 'dot=3; Domain=.TestServer', 'evil=4; Domain=example.com');
      assert.equal(client.cookies.has('evil'), false);
      assert.equal(await sent(client, '/'), 'host=1; dom=2; dot=3');
      assert.equal(await sent(client, 'http://api.testserver/'), 'dom=2; dot=3');
      assert.equal(await sent(client, 'http://testserver:8080/'), 'host=1; dom=2; dot=3');
      assert.equal(await sent(client, 'http://other.test/'), '');
      // A cookie an absolute URL's host sets goes back to that host.
      await client.get('http://other.test/set', { query: { c: 'o=5' } });
      assert.equal(await sent(client, 'http://other.test/'), 'o=5');
      assert.equal(await sent(client, '/'), 'host=1; dom=2; dot=3');
    });

    it('sends Secure cookies over https only (an https:// URL or baseUrl), as httpx does', async () => {
      const app = cookieApp();
      await using client = new TestClient(app);
      await set(client, 's=1; Secure', 'n=2; SameSite=None; Secure', 'p=3');
      assert.equal(client.cookies.get('s'), '1');
      assert.equal(await sent(client, '/'), 'p=3');
      assert.equal(await sent(client, 'https://testserver/'), 's=1; n=2; p=3');
      const ws = app.websocket('/ws', async (socket) => socket.sendText(socket.headers.get('cookie') ?? ''));
      assert.ok(ws);
      assert.equal(await (await client.websocketConnect('/ws')).receiveText(), 'p=3');
      assert.equal(await (await client.websocketConnect('wss://testserver/ws')).receiveText(), 's=1; n=2; p=3');
      await using secure = new TestClient(app, { baseUrl: 'https://testserver' });
      await set(secure, 's=1; Secure');
      assert.equal(await sent(secure, '/'), 's=1');
      assert.equal((await secure.get('/', { headers: { 'x-a': '1' } })).text, 's=1');
    });

    it('keeps the cookies of a WebSocket handshake, accepted or refused', async () => {
      const app = cookieApp();
      app.websocket('/ws', { middleware: [async (req, callNext) => (await callNext(req)).setCookie('wsid', 'w1')] }, async (ws) => {
        await ws.accept();
        await ws.sendText('hi');
      });
      app.websocket('/refused', { middleware: [() => new Response('no', { status: 401 }).setCookie('why', 'denied')] }, async () => {});
      await using client = new TestClient(app);
      assert.equal(await (await client.websocketConnect('/ws')).receiveText(), 'hi');
      await assert.rejects(client.websocketConnect('/refused'), (err) => err instanceof WebSocketHandshakeError && err.status === 401);
      assert.equal(await sent(client, '/'), 'wsid=w1; why=denied');
    });

    it('is still a Map of name → value: set() sends to every path, delete() and clear() forget', async () => {
      await using client = new TestClient(cookieApp());
      client.cookies.set('manual', 'm');
      await set(client, 'a=1; Path=/p');
      assert.equal(await sent(client, '/deep/path'), 'manual=m');
      assert.deepEqual([...client.cookies], [['manual', 'm'], ['a', '1']]);
      assert.deepEqual([client.cookies.size, [...client.cookies.keys()], [...client.cookies.values()]], [2, ['manual', 'a'], ['m', '1']]);
      assert.deepEqual(new Map(client.cookies), new Map([['manual', 'm'], ['a', '1']]));
      // Per-request cookies replace the jar's of the same name.
      assert.equal((await client.get('/p', { cookies: { a: 'own' } })).text, 'manual=m; a=own');
      assert.equal(client.cookies.delete('a'), true);
      assert.equal(client.cookies.delete('a'), false);
      client.cookies.clear();
      assert.equal(await sent(client, '/p'), '');
    });
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
