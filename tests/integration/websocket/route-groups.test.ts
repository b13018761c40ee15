// WebSocket routes on route groups and free-standing routers, driven by the `ws` client over
// TCP (and the test client in-process): prefixes compose like HTTP routes', the groups'
// middleware runs for the handshake and can refuse it, the groups' deps resolve.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WebSocket as WsClient } from 'ws';
import { type CallNext, CovetApp, Depends, HTTPException, json, type Request, RouteGroup, WebSocketHandshakeError } from '../../../src/index.js';
import { JWTAuth } from '../../../src/security/index.js';
import { TestClient } from '../../../src/testing/index.js';
import { withServer } from '../../helpers/server.js';

const T = { timeout: 60_000 };

type Outcome = { readonly message: string } | { readonly status: number; readonly body: string; readonly headers: Record<string, unknown> };

/** Opens `url` with `ws` and gives the first message (then closes), or the refusal's status and body. */
function firstMessage(url: string, options: ConstructorParameters<typeof WsClient>[2] = {}, protocols: string[] = []): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const client = new WsClient(url, protocols, options);
    client.once('message', (data) => {
      resolve({ message: String(data) });
      client.close();
    });
    client.once('unexpected-response', (_req, res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    client.once('error', reject);
  });
}

function tag(name: string, log: string[]) {
  return Object.defineProperty(
    async (req: Request, callNext: CallNext) => {
      log.push(`>${name}`);
      const res = await callNext(req);
      log.push(`<${name} ${res.status}`);
      return res;
    },
    'name',
    { value: name },
  );
}

/** A module-style router (FastAPI's `APIRouter`): a free-standing group that nests another. */
class RealtimeRouter {
  readonly group = new RouteGroup();
  constructor() {
    this.group.websocket('/chat/{room}', async (ws) => ws.sendText(`chat ${ws.params.room}`));
    const nested = new RouteGroup();
    nested.websocket('/deep', async (ws) => ws.sendText(`deep ${ws.path}`));
    this.group.includeRouter(nested, { prefix: '/nested' });
  }
}

describe('WebSocket routes on groups (ws client)', T, () => {
  it('composes prefixes of nested groups, included routers and mounted apps', async () => {
    const app = new CovetApp();
    const api = app.routeGroup('/api');
    const v1 = api.routeGroup('/v1/');
    v1.websocket('/rooms/{room}/{n:int}', async (ws) => {
      await ws.sendJson({ path: ws.path, route: ws.request.route?.path, room: ws.params.room, n: ws.params.n + 1 });
    });
    v1.websocket('/', async (ws) => ws.sendText(`root ${ws.path}`));

    const realtime = new RealtimeRouter();
    app.includeRouter(realtime.group, { prefix: '/rt' });
    const inner = new RouteGroup();
    inner.websocket('/feed', async (ws) => ws.sendText(`feed ${ws.path}`));
    api.includeRouter(inner, { prefix: '/inner' });

    const sub = new CovetApp();
    sub.routeGroup('/g').websocket('/live', async (ws) => ws.sendText(`live ${ws.path}`));
    app.mount('/sub', sub);

    await withServer(app, async ({ port }) => {
      const base = `ws://127.0.0.1:${port}`;
      const rooms = await firstMessage(`${base}/api/v1/rooms/lobby/41`);
      assert.ok('message' in rooms, JSON.stringify(rooms));
      assert.deepEqual(JSON.parse(rooms.message), { path: '/api/v1/rooms/lobby/41', route: '/api/v1/rooms/{room}/{n:int}', room: 'lobby', n: 42 });
      assert.deepEqual(await firstMessage(`${base}/api/v1`), { message: 'root /api/v1' });
      assert.deepEqual(await firstMessage(`${base}/rt/chat/general`), { message: 'chat general' });
      assert.deepEqual(await firstMessage(`${base}/rt/nested/deep`), { message: 'deep /rt/nested/deep' });
      assert.deepEqual(await firstMessage(`${base}/api/inner/feed`), { message: 'feed /api/inner/feed' });
      assert.deepEqual(await firstMessage(`${base}/sub/g/live`), { message: 'live /sub/g/live' });
      // Without the prefixes there is no route: 404 before any upgrade.
      for (const path of ['/rooms/lobby/41', '/v1/rooms/lobby/41', '/api/rooms/lobby/41', '/chat/general', '/feed', '/inner/feed', '/g/live', '/api/v1/rooms/lobby/x']) {
        const out = await firstMessage(`${base}${path}`);
        assert.ok('status' in out, `${path}: ${JSON.stringify(out)}`);
        assert.deepEqual([out.status, JSON.parse(out.body)], [404, { error: 'Not Found' }], path);
      }
      // Plain HTTP on a group's WebSocket path gets 426, as on an app's.
      const plain = await fetch(`http://127.0.0.1:${port}/api/v1/rooms/lobby/1`);
      assert.equal(plain.status, 426);
      assert.equal(plain.headers.get('upgrade'), 'websocket');
      assert.deepEqual(await plain.json(), { error: 'Upgrade Required: this is a WebSocket endpoint' });
    });
  });

  it("runs app, group and route middleware for the handshake in order; a group's auth refuses with its own response", async () => {
    const log: string[] = [];
    let opened = 0;
    const app = new CovetApp();
    app.addMiddleware(tag('app', log));
    async function requireKey(req: Request, callNext: CallNext) {
      log.push('>auth');
      if (req.headers.get('x-api-key') !== 'secret') return json({ error: 'Unauthorized', detail: 'missing key' }, 401);
      return callNext(req);
    }
    const api = app.routeGroup('/api', { middleware: [tag('group', log)] });
    api.addMiddleware(tag('added', log));
    const admin = api.routeGroup('/admin', { middleware: [requireKey] });
    admin.websocket('/ws', { middleware: [tag('route', log)] }, async (ws) => {
      opened++;
      log.push('handler');
      await ws.sendText('welcome');
    });
    // Throwing an HTTPException refuses too, with its status, body and headers.
    const strict = app.routeGroup('/strict', {
      middleware: [
        () => {
          throw new HTTPException(401, 'Unauthorized', { headers: { 'www-authenticate': 'Bearer' }, code: 'ERR_UNAUTHORIZED' });
        },
      ],
    });
    strict.websocket('/ws', async (ws) => {
      opened++;
      await ws.sendText('never');
    });

    await withServer(app, async ({ port }) => {
      const refused = await firstMessage(`ws://127.0.0.1:${port}/api/admin/ws`);
      assert.ok('status' in refused);
      assert.equal(refused.status, 401);
      assert.deepEqual(JSON.parse(refused.body), { error: 'Unauthorized', detail: 'missing key' });
      assert.deepEqual(log, ['>app', '>group', '>added', '>auth', '<added 401', '<group 401', '<app 401']);
      assert.equal(opened, 0);

      log.length = 0;
      const thrown = await firstMessage(`ws://127.0.0.1:${port}/strict/ws`);
      assert.ok('status' in thrown);
      assert.deepEqual([thrown.status, JSON.parse(thrown.body), thrown.headers['www-authenticate']], [401, { error: 'Unauthorized' }, 'Bearer']);
      assert.equal(opened, 0);

      log.length = 0;
      assert.deepEqual(await firstMessage(`ws://127.0.0.1:${port}/api/admin/ws`, { headers: { 'x-api-key': 'secret' } }), { message: 'welcome' });
      assert.deepEqual(log.slice(0, 6), ['>app', '>group', '>added', '>auth', '>route', 'handler']);
      assert.deepEqual(log.slice(6), ['<route 101', '<added 101', '<group 101', '<app 101']);
      assert.equal(opened, 1);
    });
  });

  it('resolves group and included-router deps with the opening request, and cleans them up', async () => {
    const events: string[] = [];
    async function* session(req: Request) {
      events.push(`open ${req.path}`);
      yield { id: req.headers.get('x-session') ?? 'anon' };
      events.push('cleanup');
    }
    const app = new CovetApp();
    const api = app.routeGroup('/api', { deps: { session: Depends(session), source: Depends(() => 'group') } });
    api.websocket('/me', { deps: { source: Depends(() => 'route') } }, async (ws, { session, source }) => {
      await ws.sendJson({ session, source });
    });
    const router = new RouteGroup();
    router.websocket('/where', async (ws, deps) => ws.sendJson(deps));
    app.includeRouter(router, { prefix: '/geo', deps: { region: Depends(() => 'eu-west') } });

    await withServer(app, async ({ port }) => {
      const me = await firstMessage(`ws://127.0.0.1:${port}/api/me`, { headers: { 'x-session': 's-42' } });
      assert.ok('message' in me);
      // The route's own dep of the same name wins, as on HTTP routes.
      assert.deepEqual(JSON.parse(me.message), { session: { id: 's-42' }, source: 'route' });
      for (let i = 0; i < 100 && !events.includes('cleanup'); i++) await new Promise((r) => setTimeout(r, 10));
      assert.deepEqual(events, ['open /api/me', 'cleanup']);
      const where = await firstMessage(`ws://127.0.0.1:${port}/geo/where`);
      assert.ok('message' in where);
      assert.deepEqual(JSON.parse(where.message), { region: 'eu-west' });
    });
  });

  it('serves routes added to a free-standing group after includeRouter, and after listen', async () => {
    const app = new CovetApp();
    const router = new RouteGroup();
    router.websocket('/before', async (ws) => ws.sendText('before'));
    app.includeRouter(router, { prefix: '/r' });
    router.websocket('/after', async (ws) => ws.sendText('after'));
    await withServer(app, async ({ port }) => {
      router.websocket('/later', async (ws) => ws.sendText('later'));
      router.get('/later-http', () => 'http');
      assert.deepEqual(await firstMessage(`ws://127.0.0.1:${port}/r/before`), { message: 'before' });
      assert.deepEqual(await firstMessage(`ws://127.0.0.1:${port}/r/after`), { message: 'after' });
      assert.deepEqual(await firstMessage(`ws://127.0.0.1:${port}/r/later`), { message: 'later' });
      assert.equal(await (await fetch(`http://127.0.0.1:${port}/r/later-http`)).text(), 'http');
    });
  });

  it('lets requireWebsocketToken guard a group route: 401 before the upgrade, then the user', async () => {
    const jwtAuth = new JWTAuth({ secretKey: 'route-groups-websocket-secret-0123456789' });
    const app = new CovetApp();
    const secure = app.routeGroup('/secure', { meta: { area: 'secure' } });
    secure.websocket(
      '/ws/{room}',
      jwtAuth.requireWebsocketToken(async (ws) => {
        await ws.accept();
        await ws.sendJson({ user: (ws.state.user as { id: number }).id, room: ws.params.room, meta: ws.request.route?.meta, protocol: ws.subprotocol });
      }),
    );
    await withServer(app, async ({ port }) => {
      const refused = await firstMessage(`ws://127.0.0.1:${port}/secure/ws/a`);
      assert.ok('status' in refused);
      assert.deepEqual([refused.status, JSON.parse(refused.body)], [401, { error: 'Missing bearer token' }]);
      const token = await jwtAuth.createToken({ id: 9 });
      const ok = await firstMessage(`ws://127.0.0.1:${port}/secure/ws/a`, {}, ['access_token', token]);
      assert.ok('message' in ok);
      assert.deepEqual(JSON.parse(ok.message), { user: 9, room: 'a', meta: { area: 'secure' }, protocol: 'access_token' });
    });
  });
});

describe('WebSocket routes on groups (test client and route table)', T, () => {
  it('reaches group routes in-process with the same refusals', async () => {
    const app = new CovetApp();
    const api = app.routeGroup('/api', {
      middleware: [async (req: Request, callNext: CallNext) => (req.headers.get('authorization') === 'Bearer ok' ? callNext(req) : json({ error: 'Unauthorized' }, 401))],
      deps: { user: Depends(() => ({ id: 1 })) },
    });
    api.routeGroup('/v2').websocket('/echo/{word}', async (ws, { user }) => ws.sendJson({ user, word: ws.params.word }));
    await using client = new TestClient(app);
    await assert.rejects(
      client.websocketConnect('/api/v2/echo/hi'),
      (err) => err instanceof WebSocketHandshakeError && err.status === 401 && err.text === '{"error":"Unauthorized"}',
    );
    await assert.rejects(client.websocketConnect('/v2/echo/hi'), (err) => err instanceof WebSocketHandshakeError && err.status === 404);
    const ws = await client.websocketConnect('/api/v2/echo/hi', { headers: { authorization: 'Bearer ok' } });
    assert.deepEqual(await ws.receiveJson(), { user: { id: 1 }, word: 'hi' });
  });

  it('lists group routes in the route table with their full path, middleware and tags, and finds them by name', () => {
    const app = new CovetApp();
    app.middleware('metrics', async (req, callNext) => callNext(req));
    async function auth(req: Request, callNext: CallNext) {
      return callNext(req);
    }
    const api = app.routeGroup('/api', { middleware: [auth], tags: ['api'] });
    api.routeGroup('/chat', { tags: ['chat'] }).websocket('/{room}', { name: 'chat-room' }, async (ws) => ws.close());
    const router = new RouteGroup();
    router.websocket('/', async (ws) => ws.close());
    app.includeRouter(router, { prefix: '/live', tags: ['live'] });
    const rows = app.routeTable().filter((r) => r.method === 'WEBSOCKET');
    assert.deepEqual(rows, [
      { method: 'WEBSOCKET', path: '/api/chat/{room}', name: 'chat-room', middleware: ['metrics', 'auth'], tags: ['api', 'chat'] },
      { method: 'WEBSOCKET', path: '/live', name: undefined, middleware: ['metrics'], tags: ['live'] },
    ]);
    assert.equal(app.urlFor('chat-room', { room: 'a b' }), '/api/chat/a%20b');
  });

  it('refuses a route of the same path declared on the app and on a group at startup, as for HTTP', async () => {
    const app = new CovetApp();
    app.websocket('/api/ws', async (ws) => ws.close());
    app.routeGroup('/api').websocket('/ws', async (ws) => ws.close());
    assert.throws(() => app.routeTable(), /\/api\/ws/);
  });

  it('checks the path and handler where the route is written', () => {
    const group = new RouteGroup();
    assert.throws(() => group.websocket('/bad/{', async () => {}), TypeError);
    assert.throws(() => (group.websocket as (path: string, handler: unknown) => unknown)('/ws', undefined), {
      name: 'TypeError',
      message: 'websocket("/ws") needs a handler function',
    });
    assert.throws(() => group.websocket('/ws', { maxMessageSize: -1 }, async () => {}), RangeError);
  });
});
