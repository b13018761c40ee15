import assert from 'node:assert/strict';
import { channel } from 'node:diagnostics_channel';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { CacheManager } from '../../src/cache/index.js';
import { DatabaseManager } from '../../src/database/index.js';
import { Column, ForeignKey, hasMany, Integer, Model, String } from '../../src/database/orm/index.js';
import { CovetApp, HTTPException, json, Response } from '../../src/index.js';
import { HealthChecker, TracingMiddleware, trace } from '../../src/monitoring/index.js';
import { memoryLogger, withServer } from '../helpers/server.js';

class Author extends Model {
  static override tableName = 'console_authors';
  static override columns = {
    id: Column(Integer, { primaryKey: true }),
    name: Column(String(100), { nullable: false }),
  };
  static override relations = { posts: hasMany(() => Book) };
}

class Book extends Model {
  static override tableName = 'console_books';
  static override columns = {
    id: Column(Integer, { primaryKey: true }),
    authorId: Column(ForeignKey(() => Author), { nullable: false, name: 'author_id' }),
    title: Column(String(200), { nullable: false }),
  };
}

type Json = Record<string, unknown>;
type Summary = { id: number; method: string; url: string; route: string | null; status: number; durationMs: number; queryCount: number; nPlusOne: { shape: string; count: number }[]; traceId: string | null; cacheHits: number; cacheMisses: number };

async function getJson(app: CovetApp, url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: Json }> {
  const res = await app.inject({ url, headers });
  return { status: res.status, body: JSON.parse(res.body.toString()) as Json };
}

async function snapshot(app: CovetApp, since = 0): Promise<Json & { requests: Summary[] }> {
  const { status, body } = await getJson(app, `/_covet/api/snapshot?since=${since}`);
  assert.equal(status, 200);
  return body as Json & { requests: Summary[] };
}

describe('app.console()', () => {
  it('is on in debug mode without a token and records requests, not its own', async () => {
    const app = new CovetApp({ debug: true }).console();
    app.get('/users/{id:int}', (req) => ({ id: req.params.id }));
    app.get('/boom', () => {
      throw new Error('kaput');
    });
    try {
      assert.equal((await app.inject({ url: '/users/7?x=1' })).status, 200);
      assert.equal((await app.inject({ url: '/missing' })).status, 404);
      app.logger.error = () => {};
      assert.equal((await app.inject({ url: '/boom' })).status, 500);
      const page = await app.inject({ url: '/_covet' });
      assert.equal(page.status, 200);
      assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
      assert.match(page.headers.get('content-security-policy') ?? '', /script-src 'nonce-[^']+'/);
      const html = page.body.toString().replaceAll('http://www.w3.org/2000/svg', '');
      assert.doesNotMatch(html, /<script[^>]* src=|<link[^>]* rel="stylesheet|href="(?!data:)|@import|url\(|https?:\/\//, 'self-contained: no external script, style or font');
      const snap = await snapshot(app);
      assert.deepEqual(
        snap.requests.map((r) => [r.id, r.method, r.url, r.route, r.status]),
        [
          [1, 'GET', '/users/7?x=1', '/users/{id:int}', 200],
          [2, 'GET', '/missing', null, 404],
          [3, 'GET', '/boom', '/boom', 500],
        ],
      );
      assert.ok(snap.requests.every((r) => r.durationMs >= 0));
      assert.deepEqual(snap.totals, { requests: 3, errors: 1, queries: 0, nPlusOne: 0 });
      const routes = snap.routes as { method: string; path: string }[];
      assert.ok(routes.some((r) => r.path === '/users/{id:int}'));
      assert.deepEqual((await snapshot(app, 2)).requests.map((r) => r.id), [3], '`since` returns only newer requests');
      const detail = await getJson(app, '/_covet/api/requests/1');
      assert.equal(detail.status, 200);
      assert.equal(detail.body.responseBody, '{"id":7}');
    } finally {
      await app.close();
    }
  });

  it('flags N+1 queries of a real SQLite request, and not the eager-loaded version', async () => {
    const db = new DatabaseManager('sqlite:///:memory:');
    const app = new CovetApp({ debug: true });
    app.addDatabase(db);
    app.console('/_covet', { nPlusOneThreshold: 5 });
    app.onStartup(async () => {
      await db.createAll([Author, Book]);
      for (let a = 1; a <= 8; a++) {
        const author = await Author.create(db, { name: `A${a}` });
        await Book.create(db, { authorId: author.id, title: `B${a}` });
      }
    });
    app.get('/n-plus-one', async () => {
      const authors = await Author.query(db).all();
      const out = [];
      for (const a of authors) out.push({ name: a.name, books: (await Book.query(db).where({ authorId: a.id }).all()).length });
      return { authors: out };
    });
    app.get('/eager', async () => {
      const authors = await Author.query(db).include('posts').all();
      return { authors: authors.map((a) => ({ name: a.name, books: a.posts.length })) };
    });
    try {
      await app.startup();
      const lazy = await app.inject({ url: '/n-plus-one' });
      const eager = await app.inject({ url: '/eager' });
      assert.equal(lazy.body.toString(), eager.body.toString(), 'both routes answer the same');
      const [n1, loaded] = (await snapshot(app)).requests;
      assert.equal(n1?.queryCount, 9);
      assert.equal(n1?.nPlusOne.length, 1);
      assert.equal(n1?.nPlusOne[0]?.count, 8);
      assert.match(n1?.nPlusOne[0]?.shape ?? '', /^select .* from "console_books" where .*"author_id" = \?/);
      assert.equal(loaded?.queryCount, 2);
      assert.deepEqual(loaded?.nPlusOne, []);
      const detail = (await getJson(app, `/_covet/api/requests/${n1?.id}`)).body as { queries: { sql: string; paramCount: number; dialect: string; durationMs: number }[] };
      assert.equal(detail.queries.length, 9);
      assert.equal(detail.queries[1]?.paramCount, 1);
      assert.equal(detail.queries[1]?.dialect, 'sqlite');
      assert.ok(detail.queries.every((q) => q.durationMs >= 0 && !q.sql.includes("'")), 'SQL text only, never values');
      assert.equal(((await snapshot(app)).totals as { nPlusOne: number }).nPlusOne, 1);
    } finally {
      await app.close();
    }
  });

  it('attributes SQLite queries from the first request on, and to the right request when they overlap', async () => {
    // This database is not given to addDatabase: the console learns of it from its first query.
    const db = new DatabaseManager('sqlite:///:memory:');
    await db.execute('CREATE TABLE t (id INTEGER PRIMARY KEY)');
    const app = new CovetApp({ debug: true }).console();
    app.get('/q/{n:int}', async (req) => {
      for (let i = 0; i < req.params.n; i++) {
        await db.fetchVal('SELECT %s', i);
        await new Promise((r) => setTimeout(r, 1));
      }
      return { n: req.params.n };
    });
    try {
      await app.inject({ url: '/q/2' });
      await Promise.all([app.inject({ url: '/q/3' }), app.inject({ url: '/q/5' }), app.inject({ url: '/q/1' })]);
      const counts = Object.fromEntries((await snapshot(app)).requests.map((r) => [r.url, r.queryCount]));
      assert.deepEqual(counts, { '/q/2': 2, '/q/3': 3, '/q/5': 5, '/q/1': 1 });
    } finally {
      await app.close();
      await db.close();
    }
  });

  it('redacts credentials in headers, query strings and bodies', async () => {
    const app = new CovetApp({ debug: true }).console();
    app.post('/login', async (req) => {
      const body = (await req.json()) as Json;
      return json({ ok: true, echo: body }, 200, { 'set-cookie': 'sid=secret-session; HttpOnly' });
    });
    try {
      const res = await app.inject({
        method: 'POST',
        url: '/login?next=/home&access_token=abc123',
        headers: {
          'content-type': 'application/json',
          authorization: 'Bearer abc123',
          cookie: 'sid=abc123',
          'x-api-key': 'abc123',
          'proxy-authorization': 'Basic abc123',
        },
        body: JSON.stringify({ user: 'ada', password: 'abc123', card: { creditCard: 'abc123', CVV: 'abc123' }, items: [{ apiKey: 'abc123' }] }),
      });
      assert.equal(res.status, 200);
      const { body } = await getJson(app, '/_covet/api/requests/1');
      const text = JSON.stringify(body);
      assert.doesNotMatch(text, /abc123|secret-session/, 'no secret anywhere in the record');
      assert.equal(body.url, '/login?next=/home&access_token=[REDACTED]');
      const headers = body.requestHeaders as Json;
      for (const name of ['authorization', 'cookie', 'x-api-key', 'proxy-authorization']) assert.equal(headers[name], '[REDACTED]', name);
      assert.equal(headers['content-type'], 'application/json');
      assert.equal((body.responseHeaders as Json)['set-cookie'], '[REDACTED]');
      assert.deepEqual(JSON.parse(body.requestBody as string), {
        user: 'ada',
        password: '[REDACTED]',
        card: { creditCard: '[REDACTED]', CVV: '[REDACTED]' },
        items: [{ apiKey: '[REDACTED]' }],
      });
    } finally {
      await app.close();
    }
  });

  it('truncates bodies, and never reads a body the handler did not read', async () => {
    const app = new CovetApp({ debug: true }).console('/_covet', { bodyLimit: 64 });
    app.post('/big', async (req) => ({ size: (await req.body()).length }));
    app.post('/ignore', () => ({ ok: true }));
    try {
      await withServer(app, async ({ url }) => {
        const big = JSON.stringify({ text: 'x'.repeat(10_000) });
        assert.equal((await fetch(`${url}/big`, { method: 'POST', body: big, headers: { 'content-type': 'application/json' } })).status, 200);
        assert.equal((await fetch(`${url}/ignore`, { method: 'POST', body: big, headers: { 'content-type': 'application/json' } })).status, 200);
        const first = (await (await fetch(`${url}/_covet/api/requests/1`)).json()) as Json;
        assert.match(first.requestBody as string, /^\{"text":"x{55}… \[\d+ more characters\]$/);
        const second = (await (await fetch(`${url}/_covet/api/requests/2`)).json()) as Json;
        assert.equal(second.requestBody, null);
      });
    } finally {
      await app.close();
    }
  });

  it('keeps only the last maxRequests requests', async () => {
    const app = new CovetApp({ debug: true }).console('/_covet', { maxRequests: 5 });
    app.get('/n/{i:int}', (req) => ({ i: req.params.i }));
    try {
      for (let i = 1; i <= 20; i++) await app.inject({ url: `/n/${i}` });
      const snap = await snapshot(app);
      assert.deepEqual(
        snap.requests.map((r) => r.url),
        ['/n/16', '/n/17', '/n/18', '/n/19', '/n/20'],
      );
      assert.deepEqual(snap.totals, { requests: 20, errors: 0, queries: 0, nPlusOne: 0 });
      assert.deepEqual(await getJson(app, '/_covet/api/requests/3'), { status: 404, body: { error: 'No such request in the console buffer' } });
    } finally {
      await app.close();
    }
  });

  it('shows the headers and bodies of requests served over a socket', async () => {
    const app = new CovetApp({ debug: true }).console();
    app.get('/plain', () => ({ hello: 'world' }));
    app.get('/set', () => json({ ok: true }, 201, { 'x-extra': 'yes', 'set-cookie': 'sid=s3cr3t' }));
    app.get('/stream', () => new Response(Readable.from(['a', 'b']), { headers: { 'content-type': 'text/plain' } }));
    try {
      await withServer(app, async ({ url }) => {
        const plain = await fetch(`${url}/plain?api_key=k3y`, { headers: { 'X-Trace': 'one', authorization: 'Bearer t0ken', cookie: 'a=1' } });
        assert.equal(plain.status, 200);
        await plain.text();
        const set = await fetch(`${url}/set`);
        assert.equal(set.status, 201);
        await set.text();
        const stream = await fetch(`${url}/stream`);
        assert.equal(await stream.text(), 'ab');
        const first = (await (await fetch(`${url}/_covet/api/requests/1`)).json()) as Json;
        assert.equal(first.url, '/plain?api_key=[REDACTED]');
        const headers = first.requestHeaders as Json;
        assert.equal(headers['x-trace'], 'one', 'names lower-cased');
        assert.equal(headers.authorization, '[REDACTED]');
        assert.equal(headers.cookie, '[REDACTED]');
        assert.match(headers.host as string, /^127\.0\.0\.1:\d+$/);
        assert.deepEqual(first.responseHeaders, { 'content-type': 'application/json; charset=utf-8' });
        assert.equal(first.responseBody, '{"hello":"world"}');
        assert.equal(first.requestBody, null);
        const second = (await (await fetch(`${url}/_covet/api/requests/2`)).json()) as Json;
        assert.equal(second.status, 201);
        const sent = second.responseHeaders as Json;
        assert.match(sent['content-type'] as string, /^application\/json/);
        assert.deepEqual([sent['x-extra'], sent['set-cookie']], ['yes', '[REDACTED]']);
        assert.equal(second.responseBody, '{"ok":true}');
        const third = (await (await fetch(`${url}/_covet/api/requests/3`)).json()) as Json;
        assert.equal(third.responseBody, '[streamed]');
        assert.equal((third.responseHeaders as Json)['content-type'], 'text/plain');
      });
    } finally {
      await app.close();
    }
  });

  it('keeps headers and bodies for the last maxDetails requests only', async () => {
    const app = new CovetApp({ debug: true }).console('/_covet', { maxRequests: 10, maxDetails: 3 });
    app.get('/n/{i:int}', (req) => ({ i: req.params.i }));
    try {
      for (let i = 1; i <= 6; i++) await app.inject({ url: `/n/${i}`, headers: { 'x-n': `${i}` } });
      const old = (await getJson(app, '/_covet/api/requests/3')).body;
      assert.equal(old.detailsKept, false);
      assert.deepEqual([old.requestHeaders, old.responseHeaders, old.responseBody], [{}, {}, null]);
      assert.equal(old.url, '/n/3', 'the summary stays');
      const recent = (await getJson(app, '/_covet/api/requests/4')).body;
      assert.equal(recent.detailsKept, true);
      assert.equal((recent.requestHeaders as Json)['x-n'], '4');
      assert.equal(recent.responseBody, '{"i":4}');
    } finally {
      await app.close();
    }
  });

  it('answers bad console input with 400/404 JSON', async () => {
    const app = new CovetApp({ debug: true }).console();
    try {
      assert.deepEqual(await getJson(app, '/_covet/api/snapshot?since=abc'), {
        status: 400,
        body: { error: "Invalid value for query parameter 'since': expected int" },
      });
      assert.equal((await getJson(app, '/_covet/api/snapshot?since=-1')).status, 400);
      assert.deepEqual(await getJson(app, '/_covet/api/requests/99'), { status: 404, body: { error: 'No such request in the console buffer' } });
      // Console responses are never stored, its own errors included.
      for (const url of ['/_covet/api/snapshot?since=abc', '/_covet/api/snapshot?since=-1', '/_covet/api/requests/99']) {
        assert.equal((await app.inject({ url })).headers.get('cache-control'), 'no-store', url);
      }
      assert.equal((await getJson(app, '/_covet/api/requests/abc')).status, 404);
      assert.equal((await getJson(app, '/_covet/api/nothing')).status, 404);
    } finally {
      await app.close();
    }
  });

  it('stays off outside debug mode without a token, and says so', async () => {
    const logger = memoryLogger();
    const app = new CovetApp({ logger }).console();
    app.get('/', () => ({ ok: true }));
    try {
      assert.match(logger.lines.join('\n'), /Covet Console is off: outside debug mode it needs a token/);
      assert.equal((await app.inject({ url: '/_covet' })).status, 404);
      assert.equal((await app.inject({ url: '/_covet/api/snapshot' })).status, 404);
      assert.deepEqual(app.routeTable().map((r) => [r.path, r.middleware]), [['/', []]], 'no console routes, no recording middleware');
      assert.equal(channel('covet:db:query').hasSubscribers, false);
    } finally {
      await app.close();
    }
  });

  it('rejects bad options when called', async () => {
    assert.throws(() => new CovetApp().console('/_covet', { token: 'short' }), /at least 16 characters/);
    for (const token of ['a-long-random-console-token\n', ' a-long-random-console-token', ' '.repeat(20)]) {
      assert.throws(
        () => new CovetApp().console('/_covet', { token }),
        (err: Error) => err instanceof TypeError && err.message === 'console(): the token starts or ends with whitespace (a newline read from a file?); trim it',
      );
    }
    assert.throws(() => new CovetApp({ debug: true }).console('_covet'), TypeError);
    assert.throws(() => new CovetApp({ debug: true }).console('/'), TypeError);
    assert.throws(() => new CovetApp({ debug: true }).console('/a/{id}'), TypeError);
    assert.throws(() => new CovetApp({ debug: true }).console('/_covet', { maxRequests: 0 }), RangeError);
    assert.throws(() => new CovetApp({ debug: true }).console('/_covet', { nPlusOneThreshold: 1 }), RangeError);
    assert.throws(() => new CovetApp({ debug: true }).console('/_covet', { maxDetails: -1 }), RangeError);
    const app = new CovetApp({ debug: true }).console();
    assert.throws(() => app.console('/other'), /already enabled/);
    await app.close();
  });

  it('subscribes to the channels only while on, and unsubscribes at shutdown', async () => {
    const names = ['covet:db:query', 'covet:cache:access', 'covet:trace:span', 'covet:health:check'];
    assert.deepEqual(names.map((n) => channel(n).hasSubscribers), [false, false, false, false]);
    const app = new CovetApp({ debug: true }).console();
    assert.deepEqual(names.map((n) => channel(n).hasSubscribers), [true, true, true, true]);
    await app.close();
    assert.deepEqual(names.map((n) => channel(n).hasSubscribers), [false, false, false, false]);
  });

  it('shows cache hit rates, traces and health checks from their channels', async () => {
    const cache = new CacheManager({ backend: 'memory', namespace: 'app' });
    const tracing = new TracingMiddleware({ serviceName: 'console-test', useOpenTelemetry: false });
    const health = new HealthChecker();
    health.check('database', () => true);
    health.check('queue', () => ({ status: 'unhealthy', error: 'backlog' }));
    const app = new CovetApp({ debug: true }).console('/_covet', { health });
    app.addMiddleware(tracing);
    const load = trace('load-item', async (id: number) => ({ id }));
    app.get('/items/{id:int}', async (req) => {
      const key = `item:${req.params.id}`;
      const cached = await cache.get(key);
      if (cached !== undefined) return cached as Json;
      const item = await load(req.params.id);
      await cache.set(key, item);
      return item;
    });
    try {
      await app.inject({ url: '/items/1' });
      await app.inject({ url: '/items/1' });
      await app.inject({ url: '/items/2' });
      let snap = await snapshot(app);
      assert.deepEqual(snap.caches, [{ name: 'memory:app', hits: 1, misses: 2, hitRate: 1 / 3 }]);
      assert.deepEqual(
        snap.requests.map((r) => [r.cacheHits, r.cacheMisses]),
        [
          [0, 1],
          [1, 0],
          [0, 1],
        ],
      );
      const traces = snap.traces as { traceId: string; name: string; spans: { name: string; parentSpanId: string | null; durationMs: number }[] }[];
      assert.equal(traces.length, 3);
      const first = traces.at(-1);
      assert.equal(first?.traceId, snap.requests[0]?.traceId, 'the request links to its trace');
      assert.deepEqual(first?.spans.map((s) => s.name).sort(), ['GET /items/{id:int}', 'load-item']);
      const child = first?.spans.find((s) => s.name === 'load-item');
      assert.ok(child?.parentSpanId !== null && child !== undefined);
      // The first snapshot started the health run; its results arrive on the channel.
      await new Promise((r) => setTimeout(r, 20));
      snap = await snapshot(app);
      const checks = snap.health as Record<string, { status: string; error?: string }>;
      assert.equal(checks.database?.status, 'healthy');
      assert.equal(checks.queue?.status, 'unhealthy');
      assert.equal(checks.queue?.error, 'backlog');
    } finally {
      await app.close();
      await cache.close();
    }
  });

  it('ignores malformed channel messages', async () => {
    const app = new CovetApp({ debug: true }).console();
    app.get('/', () => {
      for (const name of ['covet:db:query', 'covet:cache:access', 'covet:trace:span', 'covet:health:check']) {
        for (const message of [null, 42, 'x', {}, { sql: 7 }, { name: 3 }, { context: {} }]) channel(name).publish(message);
      }
      return { ok: true };
    });
    try {
      assert.equal((await app.inject({ url: '/' })).status, 200);
      const snap = await snapshot(app);
      assert.equal(snap.requests[0]?.queryCount, 0);
      assert.deepEqual(snap.traces, []);
      assert.deepEqual(snap.health, {});
      assert.deepEqual(snap.caches, [{ name: 'cache', hits: 0, misses: 4, hitRate: 0 }], 'only objects count, as misses unless hit: true');
    } finally {
      await app.close();
    }
  });

  it('does not catch errors the app turns into responses', async () => {
    const app = new CovetApp({ debug: true }).console();
    app.get('/teapot', () => {
      throw new HTTPException(418, "I'm a teapot");
    });
    try {
      const res = await app.inject({ url: '/teapot' });
      assert.equal(res.status, 418);
      assert.deepEqual(JSON.parse(res.body.toString()), { error: "I'm a teapot" });
      assert.equal((await snapshot(app)).requests[0]?.status, 418);
    } finally {
      await app.close();
    }
  });
});
