import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CovetApp, html } from '../../../src/index.js';
import { type CSRFOptions, CSRFProtection } from '../../../src/security/index.js';
import { TestClient } from '../../../src/testing/index.js';

const SECRET = 'csrf-secret-key-0123456789';

function appWith(options: Partial<CSRFOptions> = {}): { app: CovetApp; csrf: CSRFProtection; hits: string[] } {
  const csrf = new CSRFProtection({ secretKey: SECRET, exemptPaths: ['/api/webhook', '/hooks/*', /^\/public\/\d+$/], ...options });
  const app = new CovetApp();
  const hits: string[] = [];
  app.addMiddleware(csrf);
  app.get('/form', (req) => html(`<form method="post"><input type="hidden" name="csrf_token" value="${String(req.state.csrfToken)}"></form>`));
  app.get('/token', (req) => ({ token: req.state.csrfToken }));
  for (const path of ['/submit', '/api/webhook', '/hooks/github', '/public/1', '/public/x']) {
    app.post(path, async (req) => {
      hits.push(path);
      const type = req.headers.get('content-type') ?? '';
      return { ok: true, ...(type.includes('form') ? { name: (await req.form()).get('name') } : {}) };
    });
  }
  app.put('/submit', () => ({ put: true }));
  return { app, csrf, hits };
}

/** A client that has fetched a page (so it holds the cookie) and the token. */
async function primed(app: CovetApp): Promise<{ client: TestClient; token: string }> {
  const client = new TestClient(app);
  const { token } = (await client.get('/token')).json<{ token: string }>();
  return { client, token };
}

async function expect403(res: { status: number; json(): unknown }, error: string): Promise<void> {
  assert.equal(res.status, 403);
  assert.deepEqual(res.json(), { error });
}

describe('CSRFProtection', () => {
  it("gives each visitor its own token when the handler returns one shared Response (the object is left as it was)", async () => {
    const csrf = new CSRFProtection({ secretKey: SECRET });
    const app = new CovetApp();
    app.addMiddleware(csrf);
    const shared = html('<p>static</p>');
    app.get('/', () => shared);
    const tokens: string[] = [];
    for (let i = 0; i < 3; i++) {
      await using client = new TestClient(app);
      const res = await client.get('/');
      const cookies = res.headers.getSetCookie();
      assert.equal(cookies.length, 1, cookies.join(' | '));
      tokens.push(cookies[0] as string);
    }
    assert.equal(new Set(tokens).size, 3);
    assert.equal(shared.headers.getSetCookie().length, 0);
  });

  it('sets a signed csrftoken cookie readable by pages, once, and exposes it as req.state.csrfToken', async () => {
    const { app, csrf } = appWith();
    await using client = new TestClient(app);
    const first = await client.get('/token');
    const token = first.json<{ token: string }>().token;
    assert.match(token, /^[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{43}$/);
    assert.ok(csrf.isValidToken(token));
    assert.deepEqual(first.headers.getSetCookie(), [`csrftoken=${token}; Path=/; SameSite=Lax`]);
    assert.equal(first.headers.get('cache-control'), 'private');
    const again = await client.get('/form');
    assert.deepEqual(again.headers.getSetCookie(), [], 'a valid cookie is kept');
    assert.ok(again.text.includes(`value="${token}"`));
  });

  it('accepts an unsafe request with the token in X-CSRF-Token', async () => {
    const { app, hits } = appWith();
    const { client, token } = await primed(app);
    const res = await client.post('/submit', { headers: { 'x-csrf-token': token, origin: 'http://testserver' }, json: {} });
    assert.equal(res.status, 200);
    assert.deepEqual(res.json(), { ok: true });
    assert.equal((await client.put('/submit', { headers: { 'x-csrf-token': token } })).status, 200);
    assert.deepEqual(hits, ['/submit']);
    await client.close();
  });

  it('accepts the token in the csrf_token form field (urlencoded and multipart); the handler still reads the form', async () => {
    const { app } = appWith();
    const { client, token } = await primed(app);
    const res = await client.post('/submit', { form: { csrf_token: token, name: 'Ann' } });
    assert.deepEqual(res.json(), { ok: true, name: 'Ann' });
    const multi = await client.post('/submit', { form: { csrf_token: token, name: 'Bo' }, files: { f: { filename: 'a.txt', content: 'x' } } });
    assert.deepEqual(multi.json(), { ok: true, name: 'Bo' });
    await client.close();
  });

  it('leaves a form body it read to the handler: stream() and body() yield the buffered bytes; a parsed multipart body says why it is gone', async () => {
    const { app } = appWith();
    app.post('/raw', async (req) => {
      const chunks: Buffer[] = [];
      for await (const chunk of req.stream()) chunks.push(chunk);
      return { streamed: Buffer.concat(chunks).toString(), body: (await req.body()).toString() };
    });
    app.post('/bytes', async (req) => ({ size: (await req.body()).length }));
    app.post('/chunks', async (req) => {
      for await (const _ of req.stream()) {
        // drain
      }
      return { ok: true };
    });
    const { client, token } = await primed(app);
    const res = await client.post('/raw', { form: { csrf_token: token, name: 'Ann' } });
    assert.equal(res.status, 200);
    assert.deepEqual(res.json(), { streamed: `csrf_token=${token}&name=Ann`, body: `csrf_token=${token}&name=Ann` });
    // The fetch-style entry point reads the urlencoded body from its stream the same way.
    const fetched = await app.handle(
      new globalThis.Request('http://testserver/raw', {
        method: 'POST',
        body: `csrf_token=${token}`,
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: `csrftoken=${token}` },
      }),
    );
    assert.equal(fetched.status, 200);
    assert.deepEqual(await fetched.json(), { streamed: `csrf_token=${token}`, body: `csrf_token=${token}` });
    // A multipart body was parsed as it streamed (files spooled, raw bytes not kept).
    const files = { f: { filename: 'a.txt', content: 'x' } };
    for (const path of ['/bytes', '/chunks']) {
      const multi = await client.post(path, { form: { csrf_token: token }, files });
      assert.equal(multi.status, 500);
      assert.deepEqual(multi.json(), { error: 'Internal Server Error' });
    }
    const debug = new CovetApp({ debug: true });
    debug.addMiddleware(new CSRFProtection({ secretKey: SECRET }));
    debug.get('/token', (req) => ({ token: req.state.csrfToken }));
    debug.post('/bytes', async (req) => ({ size: (await req.body()).length }));
    const second = await primed(debug);
    const detail = (await second.client.post('/bytes', { form: { csrf_token: second.token }, files })).json<{ detail: string }>().detail;
    assert.equal(
      detail,
      'CovetError: The request body was already parsed by req.form() as multipart (files are streamed, the raw bytes are not kept): use req.form()',
    );
    await second.client.close();
    await client.close();
  });

  it('refuses an unsafe request without a cookie, without a token, or with a wrong one (403, handler not run)', async () => {
    const { app, csrf, hits } = appWith();
    await using fresh = new TestClient(app);
    await expect403(await fresh.post('/submit', { json: {} }), 'CSRF token missing');
    const { client, token } = await primed(app);
    await expect403(await client.post('/submit', { json: {} }), 'CSRF token missing');
    await expect403(await client.post('/submit', { json: { csrf_token: token } }), 'CSRF token missing');
    await expect403(await client.post('/submit', { headers: { 'x-csrf-token': csrf.generateToken() } }), 'CSRF token invalid');
    await expect403(await client.post('/submit', { headers: { 'x-csrf-token': `${token}x` } }), 'CSRF token invalid');
    await expect403(await client.post('/submit', { form: { csrf_token: 'nope' } }), 'CSRF token invalid');
    await expect403(await client.delete('/submit', { headers: { 'x-csrf-token': '' } }), 'CSRF token missing');
    assert.deepEqual(hits, []);
    await client.close();
  });

  it('refuses a cookie it did not sign, even when the header matches it (cookie injection)', async () => {
    const { app } = appWith();
    const other = new CSRFProtection({ secretKey: 'another-secret-key-0123456789' }).generateToken();
    await using client = new TestClient(app);
    const res = await client.post('/submit', { cookies: { csrftoken: other }, headers: { 'x-csrf-token': other } });
    await expect403(res, 'CSRF token invalid');
    assert.equal(res.headers.getSetCookie().length, 0, 'an error response from the check sets no cookie');
    const forged = `${'A'.repeat(43)}.${'B'.repeat(43)}`;
    await expect403(await client.post('/submit', { cookies: { csrftoken: forged }, headers: { 'x-csrf-token': forged } }), 'CSRF token invalid');
    await expect403(await client.post('/submit', { cookies: { csrftoken: 'short' }, headers: { 'x-csrf-token': 'short' } }), 'CSRF token invalid');
  });

  it('checks Origin, then Referer: cross-origin and null origins are refused even with a valid token', async () => {
    const { app } = appWith({ trustedOrigins: ['https://admin.example.com'] });
    const { client, token } = await primed(app);
    const post = (headers: Record<string, string>) => client.post('/submit', { headers: { 'x-csrf-token': token, ...headers } });
    await expect403(await post({ origin: 'https://evil.com' }), 'CSRF origin check failed');
    await expect403(await post({ origin: 'null' }), 'CSRF origin check failed');
    await expect403(await post({ origin: 'http://testserver.evil.com' }), 'CSRF origin check failed');
    await expect403(await post({ referer: 'https://evil.com/page' }), 'CSRF origin check failed');
    await expect403(await post({ referer: 'not a url' }), 'CSRF origin check failed');
    assert.equal((await post({ origin: 'http://testserver' })).status, 200);
    assert.equal((await post({ referer: 'http://testserver/form?x=1' })).status, 200);
    assert.equal((await post({ origin: 'https://admin.example.com' })).status, 200);
    assert.equal((await post({})).status, 200, 'no Origin and no Referer: the token decides');
    const noOriginCheck = appWith({ checkOrigin: false });
    const other = await primed(noOriginCheck.app);
    assert.equal((await other.client.post('/submit', { headers: { 'x-csrf-token': other.token, origin: 'https://evil.com' } })).status, 200);
    await other.client.close();
    await client.close();
  });

  it('lets safe methods and exempt paths (exact, prefix, RegExp) through', async () => {
    const { app, hits } = appWith();
    await using client = new TestClient(app);
    for (const path of ['/api/webhook', '/hooks/github', '/public/1']) assert.equal((await client.post(path, { json: {} })).status, 200, path);
    await expect403(await client.post('/public/x', { json: {} }), 'CSRF token missing');
    assert.deepEqual(hits, ['/api/webhook', '/hooks/github', '/public/1']);
    const custom = appWith({ safeMethods: ['GET', 'POST'] });
    await using c2 = new TestClient(custom.app);
    assert.equal((await c2.post('/submit', { json: {} })).status, 200);
    await expect403(await c2.put('/submit'), 'CSRF token missing');
  });

  it('matches exempt paths as the router does: an encoded slash does not put another route under an exempt prefix', async () => {
    const { app, hits } = appWith();
    app.post('/{lang}/account/delete', (req) => {
      hits.push(`delete ${req.params.lang}`);
      return { deleted: true };
    });
    await using client = new TestClient(app);
    // The router sends these to /{lang}/account/delete (lang = "hooks/x", "public/1"); req.path
    // reads /hooks/x/account/delete, which the prefix /hooks/* would have exempted.
    for (const path of ['/hooks%2Fx/account/delete', '/hooks%2fx/account/delete', '/public%2F1/account/delete']) {
      await expect403(await client.post(path, { json: {} }), 'CSRF token missing');
    }
    // Other escapes are decoded, as the router decodes them: still exempt.
    for (const path of ['/hooks/git%68ub', '/api/%77ebhook', '/public/%31']) assert.equal((await client.post(path, { json: {} })).status, 200, path);
    assert.deepEqual(hits, ['/hooks/github', '/api/webhook', '/public/1']);
  });

  it('takes other cookie, header and field names, cookie attributes, and marks HTTPS cookies Secure', async () => {
    const { app } = appWith({ cookieName: 'xsrf', headerName: 'X-XSRF-TOKEN', formField: 'token', cookie: { sameSite: 'Strict', domain: 'testserver' } });
    await using client = new TestClient(app);
    const res = await client.get('/token', { headers: { 'x-forwarded-proto': 'https' } });
    const token = res.json<{ token: string }>().token;
    assert.deepEqual(res.headers.getSetCookie(), [`xsrf=${token}; Path=/; Domain=testserver; Secure; SameSite=Strict`]);
    // A Secure cookie goes back over https only, as a browser sends it.
    assert.equal((await client.post('https://testserver/submit', { headers: { 'x-xsrf-token': token } })).status, 200);
    assert.equal((await client.post('https://testserver/submit', { form: { token } })).status, 200);
    assert.equal((await client.post('/submit', { headers: { 'x-xsrf-token': token } })).status, 403);
  });

  it('skips routes marked meta: { csrf: false } (and groups so marked): no check, no cookie', async () => {
    const csrf = new CSRFProtection({ secretKey: SECRET });
    const app = new CovetApp();
    app.addMiddleware(csrf);
    app.post('/hooks/payments', { meta: { csrf: false } }, (req) => ({ paid: true, token: req.state.csrfToken ?? null }));
    app.post('/hooks/checked', { meta: { csrf: true } }, () => ({ never: true }));
    const hooks = app.routeGroup('/partner', { meta: { csrf: false } });
    hooks.post('/events', () => ({ received: true }));
    hooks.post('/strict', { meta: { csrf: true } }, () => ({ never: true }));
    await using client = new TestClient(app);
    const paid = await client.post('/hooks/payments', { json: {} });
    assert.equal(paid.status, 200);
    assert.deepEqual(paid.json(), { paid: true, token: null });
    assert.deepEqual(paid.headers.getSetCookie(), []);
    assert.equal(paid.headers.get('cache-control'), null);
    assert.deepEqual((await client.post('/partner/events', { json: {} })).json(), { received: true });
    await expect403(await client.post('/hooks/checked', { json: {} }), 'CSRF token missing');
    await expect403(await client.post('/partner/strict', { json: {} }), 'CSRF token missing');
  });

  it('skips exempt paths entirely, as meta csrf: false does: no token cookie, no private caching', async () => {
    const { mkdtempSync, rmSync, writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'csrf-static-'));
    writeFileSync(join(dir, 'site.css'), 'body{}');
    try {
      const app = new CovetApp();
      app.addMiddleware(new CSRFProtection({ secretKey: SECRET, exemptPaths: ['/static/*', '/health'] }));
      app.static('/static', dir, { maxAge: 60 });
      app.get('/health', (req) => ({ ok: true, token: req.state.csrfToken ?? null }));
      app.get('/page', (req) => ({ token: req.state.csrfToken }));
      await using client = new TestClient(app);
      const css = await client.get('/static/site.css');
      assert.equal(css.status, 200);
      assert.deepEqual(css.headers.getSetCookie(), []);
      assert.equal(css.headers.get('cache-control'), 'public, max-age=60');
      const health = await client.get('/health');
      assert.deepEqual(health.json(), { ok: true, token: null });
      assert.deepEqual(health.headers.getSetCookie(), []);
      // A path outside exemptPaths still gets its cookie.
      const page = await client.get('/page');
      assert.match(page.headers.getSetCookie()[0] ?? '', /^csrftoken=/);
    } finally {
      rmSync(dir, { recursive: true });
    }
  });

  it('exposes a route\'s meta (merged over its groups\') as req.route.meta, frozen', async () => {
    const app = new CovetApp();
    const group = app.routeGroup('/g', { meta: { csrf: false, team: 'billing' } });
    group.get('/r', { meta: { team: 'payments' } }, (req) => ({ meta: req.route?.meta, frozen: Object.isFrozen(req.route?.meta) }));
    app.get('/plain', (req) => ({ meta: req.route?.meta }));
    await using client = new TestClient(app);
    assert.deepEqual((await client.get('/g/r')).json(), { meta: { csrf: false, team: 'payments' }, frozen: true });
    assert.deepEqual((await client.get('/plain')).json(), { meta: {} });
    // WebSocket routes take `meta` too; the handshake's middleware sees it.
    const seen: unknown[] = [];
    app.addMiddleware(async (req, callNext) => {
      if (req.path === '/live') seen.push(req.route?.meta);
      return callNext();
    });
    app.websocket('/live', { meta: { channel: 'ticks' } }, async (ws) => {
      await ws.sendText('hi');
      await ws.close();
    });
    const ws = await client.websocketConnect('/live');
    assert.equal(await ws.receiveText(), 'hi');
    assert.deepEqual(seen, [{ channel: 'ticks' }]);
  });

  it('takes the seed\'s secret "csrf-secret-key"; refuses an empty one or one under 8 characters', async () => {
    const csrf = new CSRFProtection({ secretKey: 'csrf-secret-key', safeMethods: ['GET', 'HEAD', 'OPTIONS'], exemptPaths: ['/api/webhook'] });
    assert.ok(csrf.isValidToken(csrf.generateToken()));
    assert.ok(new CSRFProtection({ secretKey: '12345678' }).isValidToken(new CSRFProtection({ secretKey: '12345678' }).generateToken()));
    assert.throws(() => new CSRFProtection({ secretKey: '1234567' }), {
      code: 'ERR_CSRF_OPTIONS',
      message: 'CSRFProtection needs a secretKey of at least 8 characters (got 7); use a long random value',
    });
    assert.throws(() => new CSRFProtection({ secretKey: '' }), {
      code: 'ERR_CSRF_OPTIONS',
      message: 'CSRFProtection needs a secretKey of at least 8 characters (it is empty); use a long random value',
    });
    assert.throws(() => new CSRFProtection({ secretKey: new Uint8Array(4) }), { code: 'ERR_CSRF_OPTIONS' });
    assert.throws(() => new CSRFProtection({} as CSRFOptions), { code: 'ERR_CSRF_OPTIONS' });
    const app = new CovetApp();
    app.addMiddleware(csrf);
    app.post('/api/webhook', () => ({ hook: true }));
    app.post('/submit', () => ({ ok: true }));
    await using client = new TestClient(app);
    assert.deepEqual((await client.post('/api/webhook', { json: {} })).json(), { hook: true });
    await expect403(await client.post('/submit', { json: {} }), 'CSRF token missing');
  });
});
