import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CovetApp, HTTPException, Response, json, stream } from '../../../src/index.js';
import { type AnyRequest, CacheManager, type CachePageOptions, cachePage, type PageHandler } from '../../../src/cache/index.js';
import { TestClient } from '../../../src/testing/index.js';
import { withServer } from '../../helpers/server.js';

function clock(start = 1_700_000_000_000): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Both wrappers behave the same; each test runs against both. */
const flavours = [
  { name: 'cachePage (in-process store)', shared: false },
  { name: 'cachePage with a CacheManager (memory)', shared: true },
];

for (const flavour of flavours) {
  describe(flavour.name, () => {
    const page = <R extends AnyRequest, D>(opts: CachePageOptions<R>, handler: PageHandler<R, D>): PageHandler<R, D> =>
      cachePage(flavour.shared ? { ...opts, cache: new CacheManager(opts.now ? { now: opts.now } : {}) } : opts, handler);

    it('caches a 200 GET: the handler runs once, X-Cache tells MISS then HIT, bodies and headers match', async () => {
      const app = new CovetApp();
      let calls = 0;
      app.get(
        '/dashboard',
        page({ ttl: 600 }, async () => ({ dashboard: 'data', calls: ++calls })),
      );
      await using client = new TestClient(app);
      const first = await client.get('/dashboard');
      const second = await client.get('/dashboard');
      assert.equal(calls, 1);
      assert.equal(first.status, 200);
      assert.deepEqual(second.json(), { dashboard: 'data', calls: 1 });
      assert.equal(first.headers.get('x-cache'), 'MISS');
      assert.equal(second.headers.get('x-cache'), 'HIT');
      assert.equal(first.headers.get('content-type'), 'application/json; charset=utf-8');
      assert.equal(second.headers.get('content-type'), 'application/json; charset=utf-8');
      assert.match(first.headers.get('etag') ?? '', /^"[\w-]+"$/);
      assert.equal(second.headers.get('etag'), first.headers.get('etag'));
      assert.equal(second.headers.get('content-length'), String(second.body.length));
    });

    it('keys on method, path and query string; HEAD shares the GET entry', async () => {
      const app = new CovetApp();
      let calls = 0;
      app.get(
        '/items/{id:int}',
        page({ ttl: 60 }, async (req) => ({ id: req.params.id, q: req.url.query, calls: ++calls })),
      );
      await using client = new TestClient(app);
      assert.equal((await client.get('/items/1?sort=asc')).json<{ calls: number }>().calls, 1);
      assert.equal((await client.get('/items/1?sort=asc')).json<{ calls: number }>().calls, 1);
      assert.equal((await client.get('/items/1?sort=desc')).json<{ calls: number }>().calls, 2);
      assert.equal((await client.get('/items/2?sort=asc')).json<{ calls: number }>().calls, 3);
      assert.equal((await client.get('/items/1')).json<{ calls: number }>().calls, 4);
      const head = await client.head('/items/1?sort=asc');
      assert.equal(head.status, 200);
      assert.equal(head.headers.get('x-cache'), 'HIT');
      assert.equal(head.body.length, 0);
      assert.ok(Number(head.headers.get('content-length')) > 0);
      assert.equal(calls, 4);
    });

    it('answers If-None-Match with 304 (weak comparison, lists, *)', async () => {
      const app = new CovetApp();
      app.get(
        '/p',
        page({ ttl: 60 }, () => ({ ok: true })),
      );
      await using client = new TestClient(app);
      const first = await client.get('/p');
      const etag = first.headers.get('etag') as string;
      for (const ifNoneMatch of [etag, `W/${etag}`, `"other", ${etag}`, '*']) {
        const res = await client.get('/p', { headers: { 'if-none-match': ifNoneMatch } });
        assert.equal(res.status, 304, ifNoneMatch);
        assert.equal(res.body.length, 0);
        assert.equal(res.headers.get('etag'), etag);
        assert.equal(res.headers.get('content-type'), null);
      }
      const other = await client.get('/p', { headers: { 'if-none-match': '"nope"' } });
      assert.equal(other.status, 200);
    });

    it('answers 304 on a miss too when the client already has that version', async () => {
      const app = new CovetApp();
      let n = 0;
      app.get(
        '/p',
        page({ ttl: 1, now: clock().now }, () => ({ same: true, n: (n++, 1) })),
      );
      await using client = new TestClient(app);
      const etag = (await client.get('/p')).headers.get('etag') as string;
      const fresh = new CovetApp();
      fresh.get(
        '/p',
        page({ ttl: 1 }, () => ({ same: true, n: 1 })),
      );
      await using other = new TestClient(fresh);
      const res = await other.get('/p', { headers: { 'if-none-match': etag } });
      assert.equal(res.status, 304);
      assert.equal(res.headers.get('x-cache'), 'MISS');
    });

    it('keeps the handler’s own ETag', async () => {
      const app = new CovetApp();
      app.get(
        '/v',
        page({ ttl: 60 }, () => json({ v: 1 }, 200, { etag: '"v1"' })),
      );
      await using client = new TestClient(app);
      assert.equal((await client.get('/v')).headers.get('etag'), '"v1"');
      assert.equal((await client.get('/v', { headers: { 'if-none-match': '"v1"' } })).status, 304);
    });

    it('caches only 200 responses to GET and HEAD', async () => {
      const app = new CovetApp();
      let calls = 0;
      const handler = page({ ttl: 60 }, async (req) => {
        calls++;
        if (req.queryParams.get('missing')) throw new HTTPException(404, 'User not found');
        if (req.queryParams.get('created')) return [{ created: true }, 201];
        if (req.method === 'POST') return { posted: calls };
        return { calls };
      });
      app.route('/r', { methods: ['GET', 'POST'] }, handler);
      await using client = new TestClient(app);
      for (let i = 0; i < 2; i++) assert.equal((await client.get('/r?missing=1')).status, 404);
      for (let i = 0; i < 2; i++) assert.equal((await client.get('/r?created=1')).status, 201);
      assert.equal(calls, 4);
      const posts = [await client.post('/r'), await client.post('/r')];
      assert.deepEqual(
        posts.map((r) => r.json()),
        [{ posted: 5 }, { posted: 6 }],
      );
      assert.equal(posts[0]?.headers.get('x-cache'), null);
    });

    it('respects Cache-Control no-store, private and no-cache, and never caches Set-Cookie', async () => {
      const app = new CovetApp();
      let calls = 0;
      const variants: Record<string, (r: Response) => void> = {
        'no-store': (r) => r.headers.set('cache-control', 'no-store'),
        private: (r) => r.headers.set('cache-control', 'private, max-age=60'),
        'no-cache': (r) => r.headers.set('Cache-Control', 'public, no-cache'),
        cookie: (r) => r.setCookie('session', 'abc'),
      };
      app.get(
        '/v/{kind}',
        page({ ttl: 60 }, (req) => {
          calls++;
          const res = json({ calls });
          variants[req.params.kind]?.(res);
          return res;
        }),
      );
      await using client = new TestClient(app);
      for (const kind of Object.keys(variants)) {
        const a = await client.get(`/v/${kind}`);
        // Without the cookie the first answer set: a request with a cookie skips the cache.
        client.cookies.clear();
        const b = await client.get(`/v/${kind}`);
        client.cookies.clear();
        assert.notDeepEqual(a.json(), b.json(), kind);
        assert.equal(b.headers.get('x-cache'), null, kind);
      }
      // `max-age`/`public` alone are fine.
      const app2 = new CovetApp();
      let n = 0;
      app2.get(
        '/public',
        page({ ttl: 60 }, () => {
          const res = json({ n: ++n });
          res.headers.set('cache-control', 'public, max-age=60');
          return res;
        }),
      );
      await using client2 = new TestClient(app2);
      await client2.get('/public');
      const hit = await client2.get('/public');
      assert.equal(hit.headers.get('x-cache'), 'HIT');
      assert.equal(hit.headers.get('cache-control'), 'public, max-age=60');
    });

    it('never serves one client\'s page to another: requests with a Cookie or Authorization skip the cache', async () => {
      const app = new CovetApp();
      let calls = 0;
      const who = (req: AnyRequest): string => req.cookies.user ?? req.headers.get('authorization') ?? 'anonymous';
      app.get('/me', page({ ttl: 60 }, (req) => ({ hello: who(req), calls: ++calls })));
      await using client = new TestClient(app);
      assert.equal((await client.get('/me')).headers.get('x-cache'), 'MISS');
      assert.equal((await client.get('/me')).headers.get('x-cache'), 'HIT');
      for (const options of [{ cookies: { user: 'alice' } }, { cookies: { user: 'bob' } }, { headers: { authorization: 'Bearer bob' } }]) {
        const res = await client.get('/me', options);
        assert.equal(res.headers.get('x-cache'), 'BYPASS');
        assert.equal((res.json() as { hello: string }).hello, who({ cookies: options.cookies ?? {}, headers: new Headers(options.headers) } as never));
      }
      assert.equal(calls, 4);
      // The anonymous entry is still there.
      assert.deepEqual((await client.get('/me')).json(), { hello: 'anonymous', calls: 1 });
    });

    it('keeps per-client entries when vary names the credential header', async () => {
      const app = new CovetApp();
      let calls = 0;
      app.get('/me', page({ ttl: 60, vary: ['cookie'] }, (req) => ({ hello: req.cookies.user, calls: ++calls })));
      await using client = new TestClient(app);
      const alice = [await client.get('/me', { cookies: { user: 'alice' } }), await client.get('/me', { cookies: { user: 'alice' } })];
      const bob = await client.get('/me', { cookies: { user: 'bob' } });
      assert.deepEqual(alice.map((r) => [r.headers.get('x-cache'), r.json()]), [['MISS', { hello: 'alice', calls: 1 }], ['HIT', { hello: 'alice', calls: 1 }]]);
      assert.deepEqual([bob.headers.get('x-cache'), bob.json()], ['MISS', { hello: 'bob', calls: 2 }]);
      assert.equal(bob.headers.get('vary'), 'cookie');
    });

    it('does not keep a page whose handler read a CSRF token or the session', async () => {
      const { CSRFProtection } = await import('../../../src/security/index.js');
      const { SessionMiddleware } = await import('../../../src/index.js');
      const app = new CovetApp();
      app.addMiddleware(new SessionMiddleware({ secretKey: 'session-secret-0123456789abcdef' }));
      app.addMiddleware(new CSRFProtection({ secretKey: 'csrf-secret-key' }));
      let calls = 0;
      app.get('/form', page({ ttl: 60 }, (req) => ({ token: req.state.csrfToken, calls: ++calls })));
      app.get('/visits', page({ ttl: 60 }, (req) => ({ visits: (req.session.get('n') as number | undefined) ?? 0, calls: ++calls })));
      app.get('/plain', page({ ttl: 60 }, () => ({ plain: true, calls: ++calls })));
      // A fresh client per request: no cookie, so nothing bypasses; only reading makes a page private.
      const once = async (path: string) => {
        await using client = new TestClient(app);
        return client.get(path);
      };
      const forms = [await once('/form'), await once('/form')];
      assert.deepEqual(forms.map((r) => r.headers.get('x-cache')), [null, null]);
      assert.notEqual((forms[0]?.json() as { token: string }).token, (forms[1]?.json() as { token: string }).token);
      const visits = [await once('/visits'), await once('/visits')];
      assert.deepEqual(visits.map((r) => r.headers.get('x-cache')), [null, null]);
      const plain = [await once('/plain'), await once('/plain')];
      assert.deepEqual(plain.map((r) => r.headers.get('x-cache')), ['MISS', 'HIT']);
    });

    it('varies on the configured request headers and says so in Vary', async () => {
      const app = new CovetApp();
      let calls = 0;
      app.get(
        '/greeting',
        page({ ttl: 60, vary: ['Accept-Language'] }, (req) => ({ lang: req.headers.get('accept-language'), calls: ++calls })),
      );
      await using client = new TestClient(app);
      const en = await client.get('/greeting', { headers: { 'accept-language': 'en' } });
      const fr = await client.get('/greeting', { headers: { 'accept-language': 'fr' } });
      const en2 = await client.get('/greeting', { headers: { 'accept-language': 'en' } });
      const none = await client.get('/greeting');
      assert.deepEqual(
        [en, fr, en2, none].map((r) => r.json<{ calls: number }>().calls),
        [1, 2, 1, 3],
      );
      assert.equal(en2.headers.get('vary'), 'accept-language');
      assert.equal(en.headers.get('vary'), 'accept-language');
    });

    it('does not cache a response that varies on a header it was not told about', async () => {
      const app = new CovetApp();
      let calls = 0;
      app.get(
        '/v',
        page({ ttl: 60 }, () => json({ calls: ++calls }, 200, { vary: 'Accept-Encoding' })),
      );
      await using client = new TestClient(app);
      await client.get('/v');
      assert.deepEqual((await client.get('/v')).json(), { calls: 2 });
    });

    it('expires entries after ttl seconds', async () => {
      const c = clock();
      const app = new CovetApp();
      let calls = 0;
      app.get(
        '/t',
        page({ ttl: 10, now: c.now }, () => ({ calls: ++calls })),
      );
      await using client = new TestClient(app);
      await client.get('/t');
      c.advance(9_999);
      assert.equal((await client.get('/t')).headers.get('x-cache'), 'HIT');
      c.advance(1);
      const after = await client.get('/t');
      assert.equal(after.headers.get('x-cache'), 'MISS');
      assert.equal(calls, 2);
    });

    it('runs the handler once for concurrent misses', async () => {
      const app = new CovetApp();
      let calls = 0;
      let release!: () => void;
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      app.get(
        '/slow',
        page({ ttl: 60 }, async () => {
          calls++;
          await gate;
          return { slow: true };
        }),
      );
      await using client = new TestClient(app);
      const all = Promise.all(Array.from({ length: 10 }, () => client.get('/slow')));
      for (let i = 0; i < 5; i++) await tick();
      release();
      const responses = await all;
      assert.equal(calls, 1);
      assert.ok(responses.every((r) => r.status === 200 && r.text === '{"slow":true}'));
    });

    it('lets concurrent waiters run their own handler when the result is not cacheable', async () => {
      const app = new CovetApp();
      let calls = 0;
      let release!: () => void;
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      app.get(
        '/private',
        page({ ttl: 60 }, async () => {
          const n = ++calls;
          await gate;
          return json({ n }, 200, { 'cache-control': 'private' });
        }),
      );
      await using client = new TestClient(app);
      const all = Promise.all([client.get('/private'), client.get('/private'), client.get('/private')]);
      for (let i = 0; i < 5; i++) await tick();
      release();
      const bodies = (await all).map((r) => r.json<{ n: number }>().n).sort();
      assert.deepEqual(bodies, [1, 2, 3]);
    });

    it('serves stale pages while one background run refreshes them', async () => {
      const c = clock();
      const app = new CovetApp();
      let calls = 0;
      app.get(
        '/swr',
        page({ ttl: 10, staleWhileRevalidate: 60, now: c.now }, async () => ({ v: ++calls })),
      );
      await using client = new TestClient(app);
      assert.deepEqual((await client.get('/swr')).json(), { v: 1 });
      c.advance(11_000);
      const stale = await client.get('/swr');
      assert.equal(stale.headers.get('x-cache'), 'STALE');
      assert.deepEqual(stale.json(), { v: 1 });
      for (let i = 0; i < 50 && calls < 2; i++) await tick();
      for (let i = 0; i < 10; i++) await tick();
      const fresh = await client.get('/swr');
      assert.deepEqual(fresh.json(), { v: 2 });
      assert.equal(fresh.headers.get('x-cache'), 'HIT');
      assert.equal(calls, 2);
    });

    it('does not cache streamed bodies or bodies over maxEntrySize', async () => {
      const app = new CovetApp();
      let calls = 0;
      app.get(
        '/stream',
        page({ ttl: 60 }, () => {
          calls++;
          return stream((async function* () {
            yield 'a';
          })());
        }),
      );
      app.get(
        '/big',
        page({ ttl: 60, maxEntrySize: 100 }, () => {
          calls++;
          return 'x'.repeat(101);
        }),
      );
      await using client = new TestClient(app);
      for (let i = 0; i < 2; i++) assert.equal((await client.get('/stream')).text, 'a');
      for (let i = 0; i < 2; i++) assert.equal((await client.get('/big')).text.length, 101);
      assert.equal(calls, 4);
    });

    it('works over a real socket', async () => {
      const app = new CovetApp({ logger: { info() {}, error() {} } });
      let calls = 0;
      app.get(
        '/dashboard',
        page({ ttl: 60 }, async () => ({ dashboard: 'data', calls: ++calls })),
      );
      await withServer(app, async ({ url }) => {
        const first = await fetch(`${url}/dashboard`);
        assert.deepEqual(await first.json(), { dashboard: 'data', calls: 1 });
        const second = await fetch(`${url}/dashboard`);
        assert.equal(second.headers.get('x-cache'), 'HIT');
        assert.deepEqual(await second.json(), { dashboard: 'data', calls: 1 });
        const etag = second.headers.get('etag') as string;
        const revalidated = await fetch(`${url}/dashboard`, { headers: { 'if-none-match': etag } });
        assert.equal(revalidated.status, 304);
        assert.equal(await revalidated.text(), '');
      });
    });

    it('can name the key, and take tags for invalidation', async () => {
      const cache = new CacheManager();
      const app = new CovetApp();
      let calls = 0;
      app.get(
        '/users/{id:int}',
        cachePage({ ttl: 60, cache, key: (req) => `user-page:${String(req.params.id)}`, tags: (req) => [`user:${String(req.params.id)}`] }, (req) => ({ id: req.params.id, calls: ++calls })),
      );
      app.get(
        '/list',
        cache.cached({ ttl: 60, key: 'users:list' }, () => ({ calls: ++calls })),
      );
      await using client = new TestClient(app);
      await client.get('/users/1');
      await client.get('/list');
      assert.ok(await cache.has('user-page:1'));
      assert.ok(await cache.has('users:list'));
      assert.equal(await cache.invalidateTags(['user:1']), 1);
      assert.equal((await client.get('/users/1')).headers.get('x-cache'), 'MISS');
      await cache.delete('users:list');
      assert.equal((await client.get('/list')).headers.get('x-cache'), 'MISS');
      // The default key is readable too: page:<METHOD> <path?query>.
      app.get(
        '/plain',
        cache.cached({ ttl: 60 }, () => 'plain'),
      );
      await client.get('/plain?a=1');
      assert.ok(await cache.has('page:GET /plain?a=1'));
    });
  });
}

describe('cachePage (in-process store limits)', () => {
  it('serves a page larger than the whole store without keeping it', async () => {
    const app = new CovetApp();
    let calls = 0;
    app.get(
      '/wide',
      cachePage({ ttl: 60, maxBytes: 1000 }, () => {
        calls++;
        return 'x'.repeat(2000);
      }),
    );
    await using client = new TestClient(app);
    for (let i = 0; i < 2; i++) {
      const res = await client.get('/wide');
      assert.equal(res.status, 200);
      assert.equal(res.text.length, 2000);
    }
    assert.equal(calls, 2);
  });

  it('evicts the least recently used pages past maxSize', async () => {
    const app = new CovetApp();
    let calls = 0;
    app.get(
      '/p/{n:int}',
      cachePage({ ttl: 60, maxSize: 2 }, (req) => ({ n: req.params.n, calls: ++calls })),
    );
    await using client = new TestClient(app);
    for (const n of [1, 2, 1, 3]) await client.get(`/p/${n}`);
    assert.equal((await client.get('/p/1')).headers.get('x-cache'), 'HIT');
    assert.equal((await client.get('/p/2')).headers.get('x-cache'), 'MISS');
  });
});

describe('cache.cached', () => {
  it('uses the cache’s defaultTtl when no ttl is given', async () => {
    const c = clock();
    const cache = new CacheManager({ defaultTtl: 5, now: c.now });
    const app = new CovetApp();
    let calls = 0;
    app.get('/d', cache.cached(() => ({ calls: ++calls })));
    await using client = new TestClient(app);
    await client.get('/d');
    c.advance(4_999);
    assert.equal((await client.get('/d')).headers.get('x-cache'), 'HIT');
    c.advance(1);
    assert.equal((await client.get('/d')).headers.get('x-cache'), 'MISS');
  });

  it('serves a page larger than a memory cache’s maxBytes uncached, logging it (not a 500)', async () => {
    const warnings: string[] = [];
    const logger = { info() {}, error: (m: string) => void warnings.push(m), warn: (m: string) => void warnings.push(m) };
    const cache = new CacheManager({ backend: 'memory', maxBytes: 64 * 1024, logger });
    const app = new CovetApp();
    let calls = 0;
    app.get('/report', cache.cached({ ttl: 60 }, () => ({ calls: ++calls, rows: Array.from({ length: 3000 }, (_, i) => ({ id: i, name: `row ${i}` })) })));
    app.get('/small', cache.cached({ ttl: 60 }, () => ({ calls: ++calls })));
    await using client = new TestClient(app);
    for (let i = 1; i <= 2; i++) {
      const res = await client.get('/report');
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('x-cache'), 'MISS');
      const body = res.json() as { calls: number; rows: unknown[] };
      assert.equal(body.calls, i);
      assert.equal(body.rows.length, 3000);
    }
    assert.deepEqual(warnings, ['A value was not cached', 'A value was not cached']);
    // The cache itself is not taken for down: other pages are still cached.
    assert.equal((await client.get('/small')).headers.get('x-cache'), 'MISS');
    assert.equal((await client.get('/small')).headers.get('x-cache'), 'HIT');
    // getOrSet and set still refuse such a value, as documented.
    await assert.rejects(cache.getOrSet('big', async () => 'x'.repeat(100_000)), { code: 'ERR_CACHE_VALUE_TOO_LARGE' });
  });

  it('can leave out the X-Cache header', async () => {
    const app = new CovetApp();
    app.get(
      '/h',
      cachePage({ ttl: 5, cacheHeader: false }, () => 'x'),
    );
    await using client = new TestClient(app);
    await client.get('/h');
    assert.equal((await client.get('/h')).headers.get('x-cache'), null);
  });

  it('refuses bad options when wrapping', () => {
    assert.throws(() => cachePage({ ttl: -5 }, () => 1), { code: 'ERR_CACHE_INVALID_OPTION' });
    assert.throws(() => cachePage({ ttl: 5, vary: ['bad header'] }, () => 1), { code: 'ERR_CACHE_INVALID_OPTION' });
    assert.throws(() => new CacheManager().cached({ ttl: 5 }, 'nope' as unknown as () => 1), { code: 'ERR_CACHE_INVALID_OPTION' });
  });
});
