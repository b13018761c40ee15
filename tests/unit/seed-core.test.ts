// The seed's "Core Application" and "Routing System" examples, in their TypeScript form.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CovetApp, Depends, type Request, Response } from '../../src/index.js';
import { TestClient } from '../../src/testing/index.js';

describe('seed: Quick Start', () => {
  it('answers / and /users/{user_id} with a typed integer id', async () => {
    const app = new CovetApp();
    app.route('/', async () => ({ message: 'Hello, World!' }));
    app.route('/users/{user_id:int}', async (req) => ({ id: req.params.user_id, name: `User ${req.params.user_id}` }));
    await using client = new TestClient(app);
    assert.deepEqual((await client.get('/')).json(), { message: 'Hello, World!' });
    assert.deepEqual((await client.get('/users/7')).json(), { id: 7, name: 'User 7' });
    const bad = await client.get('/users/seven');
    assert.equal(bad.status, 404);
    assert.deepEqual(bad.json(), { error: 'Not Found' });
  });
});

describe('seed: CovetApp constructor and methods', () => {
  it('takes config, debug, middleware and securityConfig', async () => {
    const seen: string[] = [];
    const securityConfig = { csrfProtection: true };
    const app = new CovetApp({
      config: { APP_NAME: 'demo' },
      debug: true,
      middleware: [async (req, callNext) => { seen.push(req.path); return callNext(req); }],
      securityConfig,
    });
    assert.equal(app.config.get('APP_NAME'), 'demo');
    assert.equal(app.debug, true);
    assert.equal(app.securityConfig, securityConfig);
    app.route('/x', () => 'x');
    await using client = new TestClient(app);
    await client.get('/x');
    assert.deepEqual(seen, ['/x']);
  });

  it('route with methods GET and POST; POST returns (body, 201)', async () => {
    const app = new CovetApp();
    app.route('/api/users', { methods: ['GET', 'POST'] }, async (req) => {
      if (req.method === 'GET') return { users: [] };
      const data = await req.json();
      return [{ created: data }, 201];
    });
    await using client = new TestClient(app);
    const list = await client.get('/api/users');
    assert.equal(list.status, 200);
    assert.deepEqual(list.json(), { users: [] });
    const created = await client.post('/api/users', { json: { name: 'Ann' } });
    assert.equal(created.status, 201);
    assert.deepEqual(created.json(), { created: { name: 'Ann' } });
    const put = await client.put('/api/users');
    assert.equal(put.status, 405);
    assert.equal(put.headers.get('allow'), 'GET, POST, HEAD, OPTIONS');
  });

  it('add_middleware: a CORS middleware sets a header on every response', async () => {
    const app = new CovetApp();
    async function corsMiddleware(req: Request, callNext: (r?: Request) => Promise<Response>): Promise<Response> {
      const response = await callNext(req);
      response.headers.set('Access-Control-Allow-Origin', '*');
      return response;
    }
    app.addMiddleware(corsMiddleware);
    app.route('/', () => ({ ok: true }));
    await using client = new TestClient(app);
    assert.equal((await client.get('/')).headers.get('access-control-allow-origin'), '*');
    // App middleware also wraps 404s, so CORS headers reach the browser on errors too.
    assert.equal((await client.get('/missing')).headers.get('access-control-allow-origin'), '*');
  });

  it('mount: a sub-application under /api/v1', async () => {
    const app = new CovetApp();
    const apiApp = new CovetApp();
    apiApp.route('/status', () => ({ api: 'v1' }));
    apiApp.addMiddleware(async (req, callNext) => {
      const res = await callNext();
      res.headers.set('x-sub-app', '1');
      return res;
    });
    app.mount('/api/v1', apiApp);
    app.route('/status', () => ({ api: 'root' }));
    await using client = new TestClient(app);
    const sub = await client.get('/api/v1/status');
    assert.deepEqual(sub.json(), { api: 'v1' });
    assert.equal(sub.headers.get('x-sub-app'), '1');
    const root = await client.get('/status');
    assert.deepEqual(root.json(), { api: 'root' });
    assert.equal(root.headers.get('x-sub-app'), null);
  });

  it('on_startup and on_shutdown hooks run around the client session', async () => {
    const events: string[] = [];
    const app = new CovetApp();
    app.onStartup(async () => { events.push('Application starting...'); });
    app.onShutdown(async () => { events.push('Application shutting down...'); });
    app.route('/', () => events.length);
    {
      await using client = new TestClient(app);
      assert.equal((await client.get('/')).json(), 1);
    }
    assert.deepEqual(events, ['Application starting...', 'Application shutting down...']);
  });
});

describe('seed: Routing System', () => {
  it('path parameters, including two in one path', async () => {
    const app = new CovetApp();
    app.route('/users/{user_id:int}', async (req) => ({ user_id: req.params.user_id }));
    app.route('/posts/{post_id:int}/comments/{comment_id:int}', async (req) => ({
      post: req.params.post_id,
      comment: req.params.comment_id,
    }));
    await using client = new TestClient(app);
    assert.deepEqual((await client.get('/users/5')).json(), { user_id: 5 });
    assert.deepEqual((await client.get('/posts/3/comments/9')).json(), { post: 3, comment: 9 });
  });

  it('query parameters with a default and an int type', async () => {
    const app = new CovetApp();
    app.route('/search', async (req) => {
      const query = req.queryParams.get('q', '');
      const limit = req.queryParams.get('limit', 10, 'int');
      return { query, limit };
    });
    await using client = new TestClient(app);
    assert.deepEqual((await client.get('/search')).json(), { query: '', limit: 10 });
    assert.deepEqual((await client.get('/search', { query: { q: 'covet', limit: 3 } })).json(), { query: 'covet', limit: 3 });
    const bad = await client.get('/search?limit=ten');
    assert.equal(bad.status, 400);
    assert.deepEqual(bad.json(), { error: "Invalid value for query parameter 'limit': expected int" });
  });

  it('request body handling: json, form and raw body', async () => {
    const app = new CovetApp();
    app.route('/api/data', { methods: ['POST'] }, async (req) => {
      const jsonData = await req.json();
      const raw = await req.body();
      return { received: jsonData, bytes: raw.length };
    });
    app.post('/api/form', async (req) => {
      const form = await req.form();
      return { name: form.get('name'), tags: form.getAll('tag') };
    });
    await using client = new TestClient(app);
    const res = await client.post('/api/data', { json: { a: 1 } });
    assert.deepEqual(res.json(), { received: { a: 1 }, bytes: 7 });
    const form = await client.post('/api/form', { form: { name: 'Ann Lee', tag: ['x', 'y'] } });
    assert.deepEqual(form.json(), { name: 'Ann Lee', tags: ['x', 'y'] });
  });

  it('route groups and prefixes', async () => {
    const app = new CovetApp();
    const api = app.routeGroup('/api/v1');
    api.route('/users', async () => ({ users: [] }));
    api.route('/users/{user_id:int}', async (req) => ({ user_id: req.params.user_id }));
    await using client = new TestClient(app);
    assert.deepEqual((await client.get('/api/v1/users')).json(), { users: [] });
    assert.deepEqual((await client.get('/api/v1/users/12')).json(), { user_id: 12 });
    assert.equal((await client.get('/users')).status, 404);
  });

  it('dependency injection with Depends(getDb)', async () => {
    class DatabaseConnection {
      async fetchAll(sql: string): Promise<{ sql: string }[]> {
        return [{ sql }];
      }
    }
    async function getDb() {
      return new DatabaseConnection();
    }
    const app = new CovetApp();
    app.route('/users', { deps: { db: Depends(getDb) } }, async (_req, { db }) => {
      const users = await db.fetchAll('SELECT * FROM users');
      return { users };
    });
    await using client = new TestClient(app);
    assert.deepEqual((await client.get('/users')).json(), { users: [{ sql: 'SELECT * FROM users' }] });
  });
});

describe('seed: Testing Framework', () => {
  it('TestClient: login, then call a protected endpoint with the token', async () => {
    const app = new CovetApp();
    const tokens = new Set<string>();
    app.post('/login', async (req) => {
      const { username, password } = await req.json<{ username: string; password: string }>();
      if (username !== 'test' || password !== 'test') return [{ error: 'bad credentials' }, 401];
      const token = `t-${tokens.size + 1}`;
      tokens.add(token);
      return { token };
    });
    app.get('/protected', (req) => {
      const auth = req.headers.get('authorization') ?? '';
      if (!tokens.has(auth.replace(/^Bearer /, ''))) return [{ error: 'Unauthorized' }, 401];
      return { ok: true };
    });
    app.get('/api/users', () => ({ users: [] }));
    await using client = new TestClient(app);
    const response = await client.get('/api/users');
    assert.equal(response.statusCode, 200);
    assert.deepEqual(response.json(), { users: [] });
    const login = await client.post('/login', { json: { username: 'test', password: 'test' } });
    const token = login.json<{ token: string }>().token;
    const ok = await client.get('/protected', { headers: { Authorization: `Bearer ${token}` } });
    assert.equal(ok.status, 200);
    assert.equal((await client.get('/protected')).status, 401);
  });
});

describe('seed: Security Best Practices middleware', () => {
  it("answers Response('Rate limited', status_code=429) as 429, with statusCode as the seed's status_code", async () => {
    const app = new CovetApp();
    const blocked = new Set(['/blocked']);
    app.middleware('security', async (request, callNext) => {
      if (blocked.has(request.path)) return new Response('Rate limited', { statusCode: 429 });
      return callNext(request);
    });
    app.get('/blocked', () => ({ never: true }));
    app.get('/ok', () => ({ ok: true }));
    await using client = new TestClient(app);
    const res = await client.get('/blocked');
    assert.equal(res.status, 429);
    assert.equal(res.text, 'Rate limited');
    assert.equal(res.headers.get('content-type'), 'text/plain; charset=utf-8');
    assert.equal((await client.get('/ok')).status, 200);
    assert.equal(new Response('x', { status: 503, statusCode: 503 }).statusCode, 503);
    assert.throws(() => new Response('x', { status: 503, statusCode: 429 }), { name: 'TypeError', message: 'Response got status 503 and statusCode 429: give one' });
    assert.throws(() => new Response('x', { statusCode: 42 }), { name: 'RangeError' });
  });
});
