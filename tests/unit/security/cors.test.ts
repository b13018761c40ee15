import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CovetApp, HTTPException } from '../../../src/index.js';
import { CORSMiddleware, type CORSOptions } from '../../../src/security/index.js';
import { TestClient } from '../../../src/testing/index.js';

function appWith(options: CORSOptions): CovetApp {
  const app = new CovetApp();
  app.addMiddleware(new CORSMiddleware(options));
  app.get('/data', () => ({ ok: true }));
  app.post('/data', () => [{ created: true }, 201]);
  app.get('/fail', () => {
    throw new HTTPException(401, 'nope');
  });
  return app;
}

const preflight = (origin: string, method = 'PUT', headers?: string): Record<string, string> => ({
  origin,
  'access-control-request-method': method,
  ...(headers === undefined ? {} : { 'access-control-request-headers': headers }),
});

const CORS_HEADERS = [
  'access-control-allow-origin',
  'access-control-allow-credentials',
  'access-control-allow-methods',
  'access-control-allow-headers',
  'access-control-expose-headers',
  'access-control-max-age',
];

describe('CORSMiddleware', () => {
  const seed = appWith({
    allowOrigins: ['https://myapp.com', 'https://*.example.com', /^https:\/\/[a-z]+\.test$/],
    allowMethods: ['GET', 'POST', 'PUT', 'DELETE'],
    allowHeaders: ['Content-Type', 'Authorization'],
    exposeHeaders: ['X-Total-Count'],
    allowCredentials: true,
    maxAge: 86400,
  });

  it('answers a preflight from an allowed origin with 204 and Access-Control-Max-Age', async () => {
    await using client = new TestClient(seed);
    const res = await client.options('/data', { headers: preflight('https://myapp.com', 'PUT', 'content-type') });
    assert.equal(res.status, 204);
    assert.equal(res.headers.get('access-control-allow-origin'), 'https://myapp.com');
    assert.equal(res.headers.get('access-control-allow-methods'), 'GET, POST, PUT, DELETE');
    assert.equal(res.headers.get('access-control-allow-headers'), 'Content-Type, Authorization');
    assert.equal(res.headers.get('access-control-allow-credentials'), 'true');
    assert.equal(res.headers.get('access-control-max-age'), '86400');
    assert.equal(res.headers.get('vary'), 'Origin');
    assert.equal(res.text, '');
  });

  it('answers preflights for paths whose routes define other methods only, and for unknown paths', async () => {
    await using client = new TestClient(seed);
    for (const path of ['/data', '/fail', '/nowhere']) {
      const res = await client.options(path, { headers: preflight('https://myapp.com', 'DELETE') });
      assert.equal(res.status, 204, path);
      assert.equal(res.headers.get('access-control-allow-origin'), 'https://myapp.com');
    }
  });

  it('adds CORS headers and Vary: Origin to actual responses, errors included', async () => {
    await using client = new TestClient(seed);
    const res = await client.get('/data', { headers: { origin: 'https://myapp.com' } });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('access-control-allow-origin'), 'https://myapp.com');
    assert.equal(res.headers.get('access-control-allow-credentials'), 'true');
    assert.equal(res.headers.get('access-control-expose-headers'), 'X-Total-Count');
    assert.equal(res.headers.get('vary'), 'Origin');
    assert.equal(res.headers.get('access-control-max-age'), null, 'max-age is for preflights');
    const err = await client.get('/fail', { headers: { origin: 'https://myapp.com' } });
    assert.equal(err.status, 401);
    assert.equal(err.headers.get('access-control-allow-origin'), 'https://myapp.com');
    const post = await client.post('/data', { headers: { origin: 'https://myapp.com' }, json: {} });
    assert.equal(post.status, 201);
    assert.equal(post.headers.get('access-control-allow-origin'), 'https://myapp.com');
  });

  it('matches wildcard patterns and RegExps against the whole origin', async () => {
    await using client = new TestClient(seed);
    for (const origin of ['https://a.example.com', 'https://a.b.example.com', 'https://abc.test', 'HTTPS://MYAPP.COM']) {
      const res = await client.get('/data', { headers: { origin } });
      assert.equal(res.headers.get('access-control-allow-origin'), origin, origin);
    }
    for (const origin of ['https://example.com', 'http://a.example.com', 'https://a.example.com.evil.com', 'https://evil.com/.example.com', 'https://a_b.example.com', 'https://ab1.test', 'https://myapp.com.evil.com', 'null', 'x'.repeat(5000)]) {
      const res = await client.get('/data', { headers: { origin } });
      assert.equal(res.headers.get('access-control-allow-origin'), null, origin);
    }
  });

  it('matches patterns with several wildcards, and a long made-up Origin in linear time', async () => {
    const cors = new CORSMiddleware({ allowOrigins: ['https://*-*-*-*.example.com', 'https://*.*.*.preview.example.com'] });
    for (const origin of ['https://a-b-c-d.example.com', 'https://a.b-c-d-e.f.example.com', 'https://A-B-C-D.EXAMPLE.COM', 'https://x.y.z.preview.example.com', 'https://w.x.y.z.preview.example.com']) {
      assert.equal(cors.isAllowed(origin), true, origin);
    }
    for (const origin of ['https://a-b-c.example.com', 'https://a--b-c.example.com', 'https://a-b-c-.example.com', 'https://a-b.-c-d.example.com', 'https://a..b-c-d-e.example.com', 'https://x.y.preview.example.com', 'https://x.y.z.preview.example.com.evil']) {
      assert.equal(cors.isAllowed(origin), false, origin);
    }
    // As a RegExp, `*` (one or more labels) backtracks: an Origin that almost matches took the
    // request seconds at 700 characters, and minutes at the 2 KB the middleware lets through.
    const started = performance.now();
    for (const filler of ['a-', 'a.', 'ab']) {
      const origin = `https://${filler.repeat(350)}x.example.co`;
      assert.equal(cors.isAllowed(origin), false);
      await using client = new TestClient(appWith({ allowOrigins: ['https://*-*-*-*.example.com'] }));
      const res = await client.get('/data', { headers: { origin } });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('access-control-allow-origin'), null);
    }
    assert.ok(performance.now() - started < 1000, `took ${Math.round(performance.now() - started)} ms`);
  });

  it('gives disallowed origins no CORS headers, and passes their preflights to the app', async () => {
    await using client = new TestClient(seed);
    const res = await client.get('/data', { headers: { origin: 'https://evil.com' } });
    assert.equal(res.status, 200);
    for (const h of CORS_HEADERS) assert.equal(res.headers.get(h), null, h);
    assert.equal(res.headers.get('vary'), 'Origin', 'the answer depends on the origin, so caches must know');
    const pre = await client.options('/data', { headers: preflight('https://evil.com') });
    assert.equal(pre.status, 204);
    assert.equal(pre.headers.get('allow'), 'GET, POST, HEAD, OPTIONS');
    for (const h of CORS_HEADERS) assert.equal(pre.headers.get(h), null, h);
  });

  it('leaves requests without Origin and plain OPTIONS alone', async () => {
    await using client = new TestClient(seed);
    const res = await client.get('/data');
    for (const h of CORS_HEADERS) assert.equal(res.headers.get(h), null, h);
    const options = await client.options('/data', { headers: { origin: 'https://myapp.com' } });
    assert.equal(options.headers.get('allow'), 'GET, POST, HEAD, OPTIONS');
    assert.equal(options.headers.get('access-control-allow-origin'), 'https://myapp.com');
    assert.equal(options.headers.get('access-control-max-age'), null);
  });

  it('allows any origin with "*" (no credentials, no Vary)', async () => {
    await using client = new TestClient(appWith({ allowOrigins: '*' }));
    const res = await client.get('/data', { headers: { origin: 'https://anyone.org' } });
    assert.equal(res.headers.get('access-control-allow-origin'), '*');
    assert.equal(res.headers.get('access-control-allow-credentials'), null);
    assert.equal(res.headers.get('vary'), null);
    const pre = await client.options('/data', { headers: preflight('https://anyone.org', 'PATCH', 'x-custom, content-type') });
    assert.equal(pre.headers.get('access-control-allow-origin'), '*');
    assert.equal(pre.headers.get('access-control-allow-methods'), 'GET, HEAD, POST, PUT, PATCH, DELETE');
    assert.equal(pre.headers.get('access-control-allow-headers'), 'x-custom, content-type', 'default: reflect what is asked');
    assert.equal(pre.headers.get('access-control-max-age'), '600');
    assert.equal(pre.headers.get('vary'), 'Access-Control-Request-Headers');
  });

  it('never sends * with credentials: refuses the combination, reflects for allowHeaders ["*"]', async () => {
    assert.throws(() => new CORSMiddleware({ allowOrigins: '*', allowCredentials: true }), { code: 'ERR_CORS_OPTIONS' });
    assert.throws(() => new CORSMiddleware({ allowOrigins: ['*'] }), { code: 'ERR_CORS_OPTIONS' });
    await using client = new TestClient(appWith({ allowOrigins: ['https://a.com'], allowCredentials: true, allowHeaders: ['*'] }));
    const pre = await client.options('/data', { headers: preflight('https://a.com', 'POST', 'X-Token') });
    assert.equal(pre.headers.get('access-control-allow-origin'), 'https://a.com');
    assert.equal(pre.headers.get('access-control-allow-headers'), 'X-Token');
    assert.equal(pre.headers.get('vary'), 'Access-Control-Request-Headers, Origin');
    const bad = await client.options('/data', { headers: preflight('https://a.com', 'POST', 'x-a\r\nx: y') });
    assert.equal(bad.headers.get('access-control-allow-headers'), null, 'a malformed header list is not reflected');
  });

  it('takes a function for origins, appends to an existing Vary, answers private-network preflights', async () => {
    const app = new CovetApp();
    app.addMiddleware(new CORSMiddleware({ allowOrigins: (o) => o.endsWith('.internal'), allowPrivateNetwork: true }));
    app.get('/v', () => [{}, 200, { vary: 'Accept-Encoding' }]);
    await using client = new TestClient(app);
    const res = await client.get('/v', { headers: { origin: 'http://x.internal' } });
    assert.equal(res.headers.get('access-control-allow-origin'), 'http://x.internal');
    assert.equal(res.headers.get('vary'), 'Accept-Encoding, Origin');
    const pre = await client.options('/v', { headers: { ...preflight('http://x.internal', 'GET'), 'access-control-request-private-network': 'true' } });
    assert.equal(pre.headers.get('access-control-allow-private-network'), 'true');
    assert.throws(() => new CORSMiddleware({ maxAge: -1 }), { code: 'ERR_CORS_OPTIONS' });
  });

  it('matches patterns in linear time on adversarial origins', () => {
    const cors = new CORSMiddleware({ allowOrigins: ['https://*.example.com', 'https://*.*.example.org'] });
    const start = performance.now();
    for (const origin of [`https://${'a.'.repeat(1000)}x`, `https://${'a-'.repeat(1000)}.example.co`, `https://${'example.'.repeat(290)}x`, `https://${'a.'.repeat(1000)}example.org.x`]) {
      assert.equal(cors.isAllowed(origin), false);
    }
    assert.equal(cors.isAllowed(`https://${'a.'.repeat(100)}example.com`), true);
    assert.ok(performance.now() - start < 500, 'bounded');
  });

  it('shows up by class name in stack traces and route listings', () => {
    const mw = new CORSMiddleware();
    assert.equal(mw.constructor.name, 'CORSMiddleware');
    assert.equal(typeof mw.handle, 'function');
    assert.equal(mw.isAllowed('https://a.com'), false);
  });
});

describe('CORSMiddleware on a route group', () => {
  function groupApp(): CovetApp {
    const app = new CovetApp();
    const api = app.routeGroup('/api', { middleware: [new CORSMiddleware({ allowOrigins: ['https://myapp.com'], allowCredentials: true })] });
    api.post('/data/{id:int}', (req) => ({ id: req.params.id }));
    app.get('/plain', () => ({ ok: true }));
    return app;
  }

  it('answers the browser preflight of a group route (its middleware runs for the automatic OPTIONS)', async () => {
    await using client = new TestClient(groupApp());
    const res = await client.options('/api/data/7', { headers: preflight('https://myapp.com', 'POST', 'content-type') });
    assert.equal(res.status, 204);
    assert.equal(res.headers.get('access-control-allow-origin'), 'https://myapp.com');
    assert.equal(res.headers.get('access-control-allow-credentials'), 'true');
    assert.match(res.headers.get('access-control-allow-methods') ?? '', /POST/);
    // An origin the group does not allow gets no CORS headers.
    const other = await client.options('/api/data/7', { headers: preflight('https://evil.example', 'POST') });
    assert.equal(other.headers.get('access-control-allow-origin'), null);
  });

  it('labels the 405 of a group path for allowed origins, and leaves other paths to the app', async () => {
    await using client = new TestClient(groupApp());
    const res = await client.delete('/api/data/7', { headers: { origin: 'https://myapp.com' } });
    assert.equal(res.status, 405);
    assert.deepEqual(res.json(), { error: 'Method Not Allowed' });
    assert.equal(res.headers.get('allow'), 'POST, OPTIONS');
    assert.equal(res.headers.get('access-control-allow-origin'), 'https://myapp.com');
    // Outside the group: the plain automatic answer, no CORS.
    const plain = await client.options('/plain', { headers: preflight('https://myapp.com', 'GET') });
    assert.equal(plain.status, 204);
    assert.equal(plain.headers.get('allow'), 'GET, HEAD, OPTIONS');
    assert.equal(plain.headers.get('access-control-allow-origin'), null);
    const missing = await client.options('/api/nothing', { headers: preflight('https://myapp.com', 'POST') });
    assert.equal(missing.status, 404);
  });
});
