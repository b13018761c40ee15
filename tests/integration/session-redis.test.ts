// RedisSessionStore against the real Redis at REDIS_URL: two app instances (each with its own
// client) over real sockets share sessions. Without REDIS_URL these tests skip, unless
// COVET_REQUIRE_SERVICES=1 (CI), where they fail. The last suite (a Redis that is down or
// silent) needs no Redis.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type Socket } from 'node:net';
import { after, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { CovetApp, RedisSessionStore, SessionMiddleware, type SessionOptions } from '../../src/index.js';
import { REQUIRE_SERVICES, withServer } from '../helpers/server.js';
import { within } from './net-helpers.js';

const REDIS_URL = process.env.REDIS_URL;
const skip = REDIS_URL === undefined && !REQUIRE_SERVICES ? 'REDIS_URL is not set' : false;
const T = { timeout: 30_000 };
const SECRET = 'redis-session-secret-0123456789';
// A prefix of our own, so parallel runs and other tests never see each other's keys.
const PREFIX = `covet-test:${randomBytes(6).toString('hex')}:`;

function url(): string {
  if (REDIS_URL === undefined) throw new Error('REDIS_URL must be set when COVET_REQUIRE_SERVICES=1');
  return REDIS_URL;
}

let inspector: Redis | null = null;
function redis(): Redis {
  return (inspector ??= new Redis(url()));
}

after(async () => {
  if (inspector === null) return;
  const keys = await inspector.keys(`${PREFIX}*`);
  if (keys.length > 0) await inspector.del(...keys);
  await inspector.quit();
});

/** An app instance with its own store (and so its own Redis connection). */
function instance(options: Partial<SessionOptions> = {}): { app: CovetApp; store: RedisSessionStore } {
  const store = new RedisSessionStore(url(), { prefix: PREFIX });
  const app = new CovetApp();
  app.addMiddleware(new SessionMiddleware({ secretKey: SECRET, store, ...options }));
  app.onShutdown(() => store.close());
  app.post('/login/{user}', async (req) => {
    const before = req.session.isNew ? null : req.session.id;
    await req.session.regenerate();
    req.session.set('user', req.params.user);
    return { before, id: req.session.id };
  });
  app.get('/me', (req) => ({ user: req.session.get('user') ?? null }));
  app.post('/logout', async (req) => {
    await req.session.destroy();
    return { ok: true };
  });
  return { app, store };
}

function cookieOf(res: globalThis.Response): string {
  const line = res.headers.getSetCookie().find((l) => l.startsWith('session='));
  assert.ok(line, 'a session cookie was set');
  return line.split(';')[0] as string;
}

describe('RedisSessionStore (real Redis)', { skip }, () => {
  it('shares sessions between two app instances, each with its own client', T, async () => {
    const a = instance();
    const b = instance();
    await withServer(a.app, async (srvA) => {
      await withServer(b.app, async (srvB) => {
        const login = await fetch(`${srvA.url}/login/ann`, { method: 'POST' });
        assert.equal(login.status, 200);
        const { id } = (await login.json()) as { id: string };
        const cookie = cookieOf(login);
        assert.equal(await redis().get(`${PREFIX}${id}`), '{"user":"ann"}');
        const ttl = await redis().ttl(`${PREFIX}${id}`);
        assert.ok(ttl > 1_209_500 && ttl <= 1_209_600, `ttl ${ttl}`);

        const me = await fetch(`${srvB.url}/me`, { headers: { cookie } });
        assert.equal(me.status, 200);
        assert.deepEqual(await me.json(), { user: 'ann' });

        const out = await fetch(`${srvB.url}/logout`, { method: 'POST', headers: { cookie } });
        assert.equal(out.status, 200);
        assert.match(out.headers.getSetCookie()[0] ?? '', /^session=; Max-Age=0;/);
        assert.equal(await redis().exists(`${PREFIX}${id}`), 0);
        assert.deepEqual(await (await fetch(`${srvA.url}/me`, { headers: { cookie } })).json(), { user: null });
      });
    });
  });

  it('regenerate() at login deletes the old key (session fixation)', T, async () => {
    const { app } = instance();
    await withServer(app, async ({ url: base }) => {
      const first = await fetch(`${base}/login/eve`, { method: 'POST' });
      const planted = cookieOf(first);
      const { id: oldId } = (await first.json()) as { id: string };
      const second = await fetch(`${base}/login/ann`, { method: 'POST', headers: { cookie: planted } });
      const { before, id: newId } = (await second.json()) as { before: string; id: string };
      assert.equal(before, oldId);
      assert.notEqual(newId, oldId);
      assert.equal(await redis().exists(`${PREFIX}${oldId}`), 0);
      assert.equal(await redis().get(`${PREFIX}${newId}`), '{"user":"ann"}');
      assert.deepEqual(await (await fetch(`${base}/me`, { headers: { cookie: planted } })).json(), { user: null });
    });
  });

  it('lets Redis expire sessions after maxAge', T, async () => {
    const { app } = instance({ maxAge: 1 });
    await withServer(app, async ({ url: base }) => {
      const cookie = cookieOf(await fetch(`${base}/login/ann`, { method: 'POST' }));
      assert.deepEqual(await (await fetch(`${base}/me`, { headers: { cookie } })).json(), { user: 'ann' });
      await new Promise((r) => setTimeout(r, 1_300));
      const res = await fetch(`${base}/me`, { headers: { cookie } });
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), { user: null });
    });
  });

  it('rolling sessions extend the key with EXPIRE on every request', T, async () => {
    const { app } = instance({ maxAge: 600, rolling: true });
    await withServer(app, async ({ url: base }) => {
      const login = await fetch(`${base}/login/ann`, { method: 'POST' });
      const { id } = (await login.json()) as { id: string };
      const cookie = cookieOf(login);
      await redis().expire(`${PREFIX}${id}`, 5);
      const res = await fetch(`${base}/me`, { headers: { cookie } });
      assert.match(res.headers.getSetCookie()[0] ?? '', /; Max-Age=600;/);
      const ttl = await redis().ttl(`${PREFIX}${id}`);
      assert.ok(ttl > 590, `ttl ${ttl}`);
    });
  });

  it('works with a client passed in, and leaves it open on close()', T, async () => {
    const client = new Redis(url());
    try {
      const store = new RedisSessionStore(client, { prefix: PREFIX });
      await store.set('given', { n: 1 }, 60);
      assert.deepEqual(await store.get('given'), { n: 1 });
      await store.close();
      assert.equal(await client.ping(), 'PONG');
      await store.destroy('given');
    } finally {
      await client.quit();
    }
  });

  it('quits the client it created on close()', T, async () => {
    const store = new RedisSessionStore(url(), { prefix: PREFIX });
    await store.set('owned', {}, 60);
    const client = (await store.client()) as Redis;
    const ended = once(client, 'end');
    await store.close();
    await within(ended, 5_000, 'the store\'s client to end');
    assert.equal(client.status, 'end');
    await store.close();
  });
});

describe('RedisSessionStore when Redis is down or silent (no Redis needed)', () => {
  /** An app whose sessions live in the Redis at `redisUrl`, logging request errors into `errors`. */
  function downApp(redisUrl: string, errors: unknown[]): { app: CovetApp; store: RedisSessionStore } {
    const store = new RedisSessionStore(redisUrl, { commandTimeout: 300 });
    const app = new CovetApp({ logger: { error: (_message, meta) => void errors.push(meta?.error), info() {} } });
    app.addMiddleware(new SessionMiddleware({ secretKey: SECRET, store }));
    app.get('/visit', (req) => {
      req.session.set('n', 1);
      return 'ok';
    });
    return { app, store };
  }

  it('a Redis that accepts connections but never answers costs a request the command timeout, then a 500', T, async () => {
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => {
      sockets.add(socket);
      socket.on('data', () => {});
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const errors: unknown[] = [];
    const { app, store } = downApp(`redis://127.0.0.1:${(silent.address() as { port: number }).port}`, errors);
    try {
      const started = Date.now();
      const res = await within(app.inject({ url: '/visit' }), 10_000, 'the request was held');
      assert.equal(res.status, 500);
      assert.deepEqual(JSON.parse(res.body.toString()), { error: 'Internal Server Error' });
      assert.ok(Date.now() - started < 5000, `answered after ${Date.now() - started} ms`);
      assert.match(String(errors[0]), /timed out/);
    } finally {
      await within(store.close(), 2000, 'close').catch(() => {});
      for (const socket of sockets) socket.destroy();
      await new Promise((r) => silent.close(r));
    }
  });

  it('a Redis that refuses connections fails the request quickly, without ioredis logging every retry', T, async () => {
    const logged: unknown[][] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => void logged.push(args);
    const errors: unknown[] = [];
    const { app, store } = downApp('redis://127.0.0.1:1', errors);
    try {
      const started = Date.now();
      const res = await within(app.inject({ url: '/visit' }), 10_000, 'the request was held');
      assert.equal(res.status, 500);
      assert.ok(Date.now() - started < 3000, `answered after ${Date.now() - started} ms`);
      await new Promise((r) => setTimeout(r, 300));
    } finally {
      console.error = original;
      await store.close().catch(() => {});
    }
    assert.deepEqual(logged.filter((args) => String(args[0]).includes('ioredis')), []);
  });

  it('refuses a commandTimeout that is not a positive integer', () => {
    assert.throws(() => new RedisSessionStore('redis://127.0.0.1:6379', { commandTimeout: 0 }), RangeError);
  });
});
