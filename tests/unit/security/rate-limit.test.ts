import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CovetApp, HTTPException, Response } from '../../../src/index.js';
import {
  clientIp,
  IPSet,
  ipv6Subnet,
  MemoryRateLimitStore,
  parseRateLimit,
  RateLimiter,
  type RateLimitStore,
} from '../../../src/security/index.js';
import { TestClient } from '../../../src/testing/index.js';

function clock(start = 1_700_000_000_000): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

async function hit(app: CovetApp, path: string, remoteAddress = '10.0.0.1', headers: Record<string, string> = {}, method = 'GET') {
  const res = await app.inject({ method, url: path, headers: { host: 'test', ...headers }, remoteAddress });
  return { status: res.status, headers: res.headers, json: () => JSON.parse(res.body.toString()) as Record<string, unknown> };
}

describe('parseRateLimit', () => {
  it('parses "<count>/<unit>" and "<count> per <n> <unit>s"', () => {
    assert.deepEqual(parseRateLimit('100/hour'), { spec: '100/hour', count: 100, windowMs: 3_600_000 });
    assert.deepEqual(parseRateLimit('10/minute'), { spec: '10/minute', count: 10, windowMs: 60_000 });
    assert.equal(parseRateLimit('5 per second').windowMs, 1000);
    assert.equal(parseRateLimit('20/5 minutes').windowMs, 300_000);
    assert.equal(parseRateLimit('1000/day').windowMs, 86_400_000);
  });

  it('rejects malformed limits with ERR_RATE_LIMIT_OPTIONS', () => {
    for (const bad of ['', '10', '0/minute', '-1/hour', '10/fortnight', 'ten/minute', '10/minute/extra']) {
      assert.throws(() => parseRateLimit(bad), { code: 'ERR_RATE_LIMIT_OPTIONS' }, bad);
    }
    assert.throws(() => new RateLimiter({ defaultLimits: 'lots' }), { code: 'ERR_RATE_LIMIT_OPTIONS' });
    // A window past 2^53 ms (Redis could not expire it, and a script error would leave the key
    // without an expiry) is refused at construction; a long but representable one is fine.
    assert.throws(() => parseRateLimit('2/99999999999999 days'), { code: 'ERR_RATE_LIMIT_OPTIONS' });
    assert.throws(() => new RateLimiter().limit('1/1000000000 days'), { code: 'ERR_RATE_LIMIT_OPTIONS' });
    assert.equal(parseRateLimit('1/100000000 days').windowMs, 8_640_000_000_000_000);
    // `storage` takes any string in its type (a URL from the environment); a wrong one fails here.
    for (const bad of ['Memory', 'redis-service:6379', '']) {
      assert.throws(() => new RateLimiter({ storage: bad }), { code: 'ERR_RATE_LIMIT_OPTIONS', message: `Not a Redis URL: ${bad}` }, bad);
    }
  });
});

describe('RateLimiter', () => {
  it('limits a route with limit("10/minute", handler) (the seed example): 10 pass, the 11th is 429 JSON with Retry-After', async () => {
    const c = clock();
    const rateLimiter = new RateLimiter({ defaultLimits: '100/hour', storage: 'memory', now: c.now });
    const app = new CovetApp();
    app.route('/api/data', rateLimiter.limit('10/minute', async () => ({ data: 'response' })));
    for (let i = 0; i < 10; i++) {
      const res = await hit(app, '/api/data');
      assert.equal(res.status, 200);
      assert.deepEqual(res.json(), { data: 'response' });
      assert.equal(res.headers.get('ratelimit-limit'), '10');
      assert.equal(res.headers.get('ratelimit-remaining'), String(9 - i));
    }
    const refused = await hit(app, '/api/data');
    assert.equal(refused.status, 429);
    assert.match(refused.headers.get('content-type') ?? '', /^application\/json/);
    assert.deepEqual(refused.json(), { error: 'Too Many Requests', limit: '10/minute', retryAfter: 60 });
    assert.equal(refused.headers.get('retry-after'), '60');
    assert.equal(refused.headers.get('ratelimit-limit'), '10');
    assert.equal(refused.headers.get('ratelimit-remaining'), '0');
    assert.equal(refused.headers.get('ratelimit-reset'), '60');
    // A fixed window from the first request: nothing comes back before it ends.
    c.advance(40_500);
    const later = await hit(app, '/api/data');
    assert.equal(later.status, 429);
    assert.equal(later.headers.get('retry-after'), '20', 'whole seconds until the window ends (19.5 s, rounded up)');
    assert.equal(later.headers.get('ratelimit-reset'), '20');
    c.advance(19_499);
    assert.equal((await hit(app, '/api/data')).headers.get('retry-after'), '1', 'at least 1 second');
    c.advance(1);
    const after = await hit(app, '/api/data');
    assert.equal(after.status, 200, 'a new window opens at the first request after the last one ended');
    assert.equal(after.headers.get('ratelimit-remaining'), '9');
    assert.equal(after.headers.get('ratelimit-reset'), '60');
  });

  it('"10/minute" admits exactly 10 of a request every 0.5 s in any 60 s', async () => {
    const c = clock();
    const rateLimiter = new RateLimiter({ now: c.now });
    const app = new CovetApp();
    app.get('/api/data', rateLimiter.limit('10/minute', () => ({ data: 'response' })));
    const admitted: number[] = [];
    for (let i = 0; i < 240; i++) {
      const res = await hit(app, '/api/data');
      if (res.status === 200) admitted.push(i / 2);
      else {
        assert.equal(res.status, 429);
        // Requests are counted per second-long slice, until the slice's last one is a minute old:
        // the slice of 0 s and 0.5 s frees two places at 60.5 s, the one of 60.5 s alone one at 120.5 s.
        const room = i / 2 < 60.5 ? 60.5 : 120.5;
        assert.equal(res.headers.get('retry-after'), String(Math.max(1, Math.ceil(room - i / 2))), `t=${i / 2}s`);
      }
      c.advance(500);
    }
    assert.deepEqual(admitted, [0, 0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5, 60.5, 61, 61.5, 62, 62.5, 63, 63.5, 64, 64.5, 65]);
    // Never more than 10 in any 60 s.
    for (const t of admitted) assert.ok(admitted.filter((u) => u >= t && u < t + 60).length <= 10, `from ${t}s`);
  });

  it('reports each client its own budget when the handler returns one shared Response', async () => {
    const c = clock();
    const limiter = new RateLimiter({ now: c.now, defaultLimits: ['10/minute'] });
    const app = new CovetApp();
    app.addMiddleware(limiter);
    const shared = new Response('ok', { headers: { 'content-type': 'text/plain' } });
    app.get('/s', () => shared);
    for (let i = 0; i < 3; i++) assert.equal((await hit(app, '/s', '10.0.0.1')).headers.get('ratelimit-remaining'), String(9 - i));
    // A fresh client: its own, fuller budget, not the last one reported on the shared object.
    assert.equal((await hit(app, '/s', '10.0.0.2')).headers.get('ratelimit-remaining'), '9');
  });

  it('keys on the client IP, the method and the route by default', async () => {
    const c = clock();
    const limiter = new RateLimiter({ now: c.now });
    const app = new CovetApp();
    app.get('/a', limiter.limit('2/minute', () => 'a'));
    app.get('/b/{id}', limiter.limit('2/minute', () => 'b'));
    for (let i = 0; i < 2; i++) assert.equal((await hit(app, '/a')).status, 200);
    assert.equal((await hit(app, '/a')).status, 429);
    assert.equal((await hit(app, '/a', '10.0.0.2')).status, 200, 'another IP has its own budget');
    assert.equal((await hit(app, '/b/1')).status, 200, 'another route has its own budget');
    assert.equal((await hit(app, '/b/2')).status, 200, 'the route template is the key, not the URL');
    assert.equal((await hit(app, '/b/3')).status, 429);
  });

  it('IPv6 clients share a budget per /56 by default (ipv6Subnet), per address with ipv6Subnet: false', async () => {
    const run = async (limiter: RateLimiter): Promise<number[]> => {
      const app = new CovetApp();
      app.get('/a', limiter.limit('2/minute', () => 'a'));
      const statuses: number[] = [];
      // Four addresses of one /56 (two of them in another /64), then one of the next /56.
      for (const ip of ['2001:db8:aa:bb01::1', '2001:db8:aa:bb01::2', '2001:db8:aa:bbff:1::9', '2001:db8:aa:bb00::', '2001:db8:aa:cc00::1'])
        statuses.push((await hit(app, '/a', ip)).status);
      return statuses;
    };
    assert.deepEqual(await run(new RateLimiter()), [200, 200, 429, 429, 200]);
    assert.deepEqual(await run(new RateLimiter({ ipv6Subnet: 64 })), [200, 200, 200, 200, 200]);
    assert.deepEqual(await run(new RateLimiter({ ipv6Subnet: false })), [200, 200, 200, 200, 200]);
    const c = clock();
    const v4 = new RateLimiter({ now: c.now });
    const app = new CovetApp();
    app.get('/a', v4.limit('1/minute', () => 'a'));
    assert.equal((await hit(app, '/a', '10.0.0.1')).status, 200);
    assert.equal((await hit(app, '/a', '10.0.0.2')).status, 200, 'IPv4 clients keep one budget per address');
    assert.equal((await hit(app, '/a', '::ffff:10.0.0.1')).status, 429, 'an IPv4-mapped peer is its IPv4 address');
    for (const bad of [0, 129, 1.5, Number.NaN]) {
      assert.throws(() => new RateLimiter({ ipv6Subnet: bad }), { code: 'ERR_RATE_LIMIT_OPTIONS', message: 'ipv6Subnet must be a prefix length from 1 to 128, or false' });
    }
  });

  it('ipv6Subnet: the network of an address, compressed; zone ids and embedded IPv4 read; IPv4 as given', () => {
    assert.equal(ipv6Subnet('2001:db8:aa:bbcc::1', 56), '2001:db8:aa:bb00::/56');
    assert.equal(ipv6Subnet('2001:DB8:aa:bbcc:dd:ee:ff:1', 64), '2001:db8:aa:bbcc::/64');
    assert.equal(ipv6Subnet('2001:db8:aa:bbcc:dd:ee:ff:1', 128), '2001:db8:aa:bbcc:dd:ee:ff:1/128');
    assert.equal(ipv6Subnet('fe80::1%eth0', 64), 'fe80::/64');
    assert.equal(ipv6Subnet('::1', 56), '::/56');
    assert.equal(ipv6Subnet('64:ff9b::192.0.2.33', 120), '64:ff9b::c000:200/120');
    assert.equal(ipv6Subnet('2001:db8::', 1), '::/1');
    assert.equal(ipv6Subnet('ffff::', 1), '8000::/1');
    assert.equal(ipv6Subnet('203.0.113.7', 56), '203.0.113.7');
    assert.equal(ipv6Subnet('not an ip', 56), 'not an ip');
  });

  it('app-wide: requests no route matched share one budget per client and method, whatever their path', async () => {
    const c = clock();
    const keys: string[] = [];
    const memory = new MemoryRateLimitStore({ now: c.now });
    const store: RateLimitStore = { hit: (k, rules) => (keys.push(...k), memory.hit(k, rules)) };
    const limiter = new RateLimiter({ defaultLimits: '3/hour', storage: store });
    const app = new CovetApp();
    app.addMiddleware(limiter);
    app.get('/items/{id:int}', (req) => ({ id: req.params.id }));
    app.post('/only-post', () => 'posted');
    const scan = [];
    for (let i = 0; i < 5; i++) scan.push((await hit(app, `/no-such-page-${i}`)).status);
    assert.deepEqual(scan, [404, 404, 404, 429, 429], 'a made-up path does not get a fresh budget');
    const refused = await hit(app, '/another-made-up-path');
    assert.deepEqual(refused.json(), { error: 'Too Many Requests', limit: '3/hour', retryAfter: 3600 });
    assert.equal((await hit(app, '/items/1')).status, 200, 'routes keep their own budget');
    assert.equal((await hit(app, '/x', '10.0.0.1', {}, 'DELETE')).status, 404, 'another method has its own budget');
    assert.equal((await hit(app, '/no-such-page', '10.0.0.2')).status, 404, 'another client has its own budget');
    // One key per client and method, not one per path: the store does not grow with made-up URLs.
    for (let i = 0; i < 3; i++) await hit(app, `/items/${i}`, '10.0.0.3', {}, 'OPTIONS');
    assert.equal((await hit(app, '/only-post', '10.0.0.3')).status, 405);
    assert.equal(memory.size, 6);
    assert.ok(keys.includes('s:d:3/3600000|{10.0.0.1|GET|(no route)|}'), keys.join(' '));
    assert.ok(keys.includes('s:d:3/3600000|{10.0.0.3|OPTIONS|(no route)|}'), keys.join(' '));
  });

  it('gives the keys of one request one Redis Cluster hash tag, so one script can read them all', async () => {
    // Redis Cluster hashes the text between the first '{' and the next '}' when there is one.
    const hashTag = (key: string): string => {
      const open = key.indexOf('{');
      const close = open === -1 ? -1 : key.indexOf('}', open + 1);
      return close > open + 1 ? key.slice(open + 1, close) : key;
    };
    const calls: string[][] = [];
    const memory = new MemoryRateLimitStore();
    const store: RateLimitStore = { hit: (k, rules) => (calls.push([...k]), memory.hit(k, rules)) };
    for (const key of ['10.0.0.1', 'user:{7}', 'a}b{c', '']) {
      const limiter = new RateLimiter({ defaultLimits: ['100/hour', '1000/day'], storage: store, keyFunc: () => key });
      const app = new CovetApp();
      app.addMiddleware(limiter);
      app.get('/x', limiter.limit(['5/second', '100/hour'], () => 'ok'));
      calls.length = 0;
      assert.equal((await hit(app, '/x')).status, 200);
      assert.deepEqual(calls.map((k) => k.length), [2, 2], key);
      const tags = new Set(calls.flat().map(hashTag));
      assert.equal(tags.size, 1, `${key}: ${calls.flat().join(' ')}`);
    }
  });

  it('separately registered GET /x and POST /x, each with limit("2/minute"), do not share a budget', async () => {
    const c = clock();
    const limiter = new RateLimiter({ now: c.now });
    const app = new CovetApp();
    app.get('/x', limiter.limit('2/minute', () => 'get'));
    app.post('/x', limiter.limit('2/minute', () => 'post'));
    assert.deepEqual([await hit(app, '/x'), await hit(app, '/x'), await hit(app, '/x')].map((r) => r.status), [200, 200, 429]);
    const posts = [];
    for (let i = 0; i < 3; i++) posts.push(await hit(app, '/x', '10.0.0.1', {}, 'POST'));
    assert.deepEqual(posts.map((r) => r.status), [200, 200, 429]);
    assert.equal(posts[0]?.headers.get('ratelimit-remaining'), '1');
    assert.deepEqual(posts[2]?.json(), { error: 'Too Many Requests', limit: '2/minute', retryAfter: 60 });
    // HEAD is answered by the GET route and counts against its budget.
    assert.equal((await hit(app, '/x', '10.0.0.1', {}, 'HEAD')).status, 429);
  });

  it('checks several limits per route; a refused request spends nothing', async () => {
    const c = clock();
    const limiter = new RateLimiter({ now: c.now });
    const app = new CovetApp();
    app.get('/login', limiter.limit(['3/second', '5/minute'], () => 'ok'));
    for (let i = 0; i < 3; i++) assert.equal((await hit(app, '/login')).status, 200);
    const burst = await hit(app, '/login');
    assert.equal(burst.status, 429);
    assert.equal(burst.json().limit, '3/second');
    c.advance(1000);
    assert.equal((await hit(app, '/login')).status, 200);
    assert.equal((await hit(app, '/login')).status, 200);
    const minute = await hit(app, '/login');
    assert.equal(minute.status, 429);
    assert.deepEqual(minute.json(), { error: 'Too Many Requests', limit: '5/minute', retryAfter: 59 });
    assert.equal(minute.headers.get('retry-after'), '59');
    assert.equal(minute.headers.get('ratelimit-limit'), '5');
    assert.equal(minute.headers.get('ratelimit-reset'), '59');
    c.advance(59_000);
    const next = await hit(app, '/login');
    assert.equal(next.status, 200, 'the refused requests did not use the minute budget');
    assert.equal(next.headers.get('ratelimit-limit'), '3', 'the limit with the fewest requests left is reported');
    assert.equal(next.headers.get('ratelimit-remaining'), '2');
    assert.equal(next.headers.get('ratelimit-reset'), '1');
  });

  it('a refused request records nothing: a limit that did not refuse counts from the next allowed request', () => {
    const c = clock();
    const store = new MemoryRateLimitStore({ now: c.now });
    const rules = [
      { count: 1, windowMs: 1000 },
      { count: 5, windowMs: 60_000 },
    ];
    assert.deepEqual(store.hit(['a', 'b'], rules), { allowed: true, counts: [1, 1], resetMs: [1000, 60_000], retryMs: [1000, 0] });
    c.advance(250);
    assert.deepEqual(store.hit(['a', 'b'], rules), { allowed: false, counts: [1, 1], resetMs: [750, 59_750], retryMs: [750, 0] });
    assert.deepEqual(store.hit(['a', 'c'], rules), { allowed: false, counts: [1, 0], resetMs: [750, 0], retryMs: [750, 0] });
    c.advance(750);
    assert.deepEqual(store.hit(['a', 'c'], rules), { allowed: true, counts: [1, 1], resetMs: [1000, 60_000], retryMs: [1000, 0] });
    store.reset(['a']);
    assert.deepEqual(store.hit(['a', 'c'], rules), { allowed: true, counts: [1, 2], resetMs: [1000, 60_000], retryMs: [1000, 0] });
  });

  it('the same limit given twice counts each request once, in memory as in Redis', async () => {
    const limiter = new RateLimiter({ defaultLimits: '4/minute', defaultRate: '4/minute' });
    const app = new CovetApp();
    app.addMiddleware(limiter);
    app.get('/', () => 'ok');
    const seen: string[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await hit(app, '/');
      seen.push(`${res.status} ${res.headers.get('ratelimit-remaining')}`);
    }
    assert.deepEqual(seen, ['200 3', '200 2', '200 1', '200 0', '429 0']);
    const store = new MemoryRateLimitStore({ now: clock().now });
    const rule = { count: 2, windowMs: 1000 };
    assert.deepEqual(store.hit(['k', 'k'], [rule, rule]), { allowed: true, counts: [1, 1], resetMs: [1000, 1000], retryMs: [0, 0] });
  });

  it('slides: at most the limit in any window-long span, with no double burst where two windows meet', async () => {
    const c = clock();
    const app = new CovetApp();
    const limiter = new RateLimiter({ storage: 'memory', now: c.now });
    app.get('/x', limiter.limit('10/minute', () => 'ok'));
    assert.equal((await hit(app, '/x')).status, 200);
    c.advance(59_900);
    for (let i = 0; i < 9; i++) assert.equal((await hit(app, '/x')).status, 200);
    const full = await hit(app, '/x');
    assert.equal(full.status, 429);
    // The first request leaves the window at 60 s: room for one, at 100 ms from now.
    assert.equal(full.headers.get('retry-after'), '1');
    c.advance(200);
    const statuses = [];
    for (let i = 0; i < 10; i++) statuses.push((await hit(app, '/x')).status);
    assert.deepEqual(statuses, [200, 429, 429, 429, 429, 429, 429, 429, 429, 429]);
    const refused = await hit(app, '/x');
    // The nine of 59.9 s leave at 119.9 s, 59.8 s from now.
    assert.equal(refused.headers.get('retry-after'), '60');
    assert.equal(refused.headers.get('ratelimit-reset'), '60');
    assert.deepEqual(refused.json(), { error: 'Too Many Requests', limit: '10/minute', retryAfter: 60 });
    c.advance(59_800);
    const again = await hit(app, '/x');
    assert.equal(again.status, 200);
    assert.equal(again.headers.get('ratelimit-remaining'), '8', 'the request of 60.1 s is still in the window, with this one');
  });

  it('applies defaultLimits to every route through app.addMiddleware, on top of per-route limits', async () => {
    const c = clock();
    const limiter = new RateLimiter({ defaultLimits: '3/hour', now: c.now });
    const app = new CovetApp();
    app.addMiddleware(limiter);
    app.get('/x', () => 'x');
    app.get('/y', limiter.limit('1/minute', () => 'y'));
    for (let i = 0; i < 3; i++) {
      const res = await hit(app, '/x');
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('ratelimit-limit'), '3');
    }
    assert.equal((await hit(app, '/x')).status, 429);
    assert.equal((await hit(app, '/y')).status, 200);
    const second = await hit(app, '/y');
    assert.equal(second.status, 429);
    assert.equal(second.json().limit, '1/minute');
  });

  it('with app-wide defaults around a route limit, the headers report the budget with fewer requests left, and a route 429 keeps its own', async () => {
    const c = clock();
    const rateLimiter = new RateLimiter({ defaultLimits: '100/hour', now: c.now });
    const app = new CovetApp();
    app.addMiddleware(rateLimiter);
    app.route('/api/data', rateLimiter.limit('3/minute', async () => ({ data: 'response' })));
    app.get('/other', () => 'other');
    const seen = [];
    for (let i = 0; i < 3; i++) {
      const res = await hit(app, '/api/data');
      seen.push([res.status, res.headers.get('ratelimit-limit'), res.headers.get('ratelimit-remaining'), res.headers.get('ratelimit-reset')]);
    }
    assert.deepEqual(seen, [
      [200, '3', '2', '60'],
      [200, '3', '1', '60'],
      [200, '3', '0', '60'],
    ]);
    const refused = await hit(app, '/api/data');
    assert.equal(refused.status, 429);
    assert.deepEqual(refused.json(), { error: 'Too Many Requests', limit: '3/minute', retryAfter: 60 });
    assert.deepEqual(
      ['retry-after', 'ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset'].map((h) => refused.headers.get(h)),
      ['60', '3', '0', '60'],
    );
    // A route without a limit of its own reports the defaults.
    const other = await hit(app, '/other');
    assert.deepEqual([other.headers.get('ratelimit-limit'), other.headers.get('ratelimit-remaining')], ['100', '99']);
  });

  it('takes the seed\'s defaultRate and burstRate, and allowRequest(req) for hand-written middleware', async () => {
    const c = clock();
    const rateLimiter = new RateLimiter({ defaultRate: '100/hour', burstRate: '2/minute', storage: 'memory', now: c.now });
    const app = new CovetApp();
    app.middleware('security', async (req, callNext) => {
      if (!(await rateLimiter.allowRequest(req))) return new Response('Rate limited', { status: 429 });
      return callNext();
    });
    app.get('/', () => 'ok');
    assert.equal((await hit(app, '/')).status, 200);
    assert.equal((await hit(app, '/')).status, 200);
    const res = await app.inject({ url: '/', remoteAddress: '10.0.0.1' });
    assert.equal(res.status, 429);
    assert.equal(res.body.toString(), 'Rate limited');
  });

  it('keys by a custom keyFunc (e.g. the user)', async () => {
    const c = clock();
    const limiter = new RateLimiter({ now: c.now, keyFunc: (req) => req.headers.get('x-user') ?? 'anonymous' });
    const app = new CovetApp();
    app.get('/me', limiter.limit('1/minute', () => 'me'));
    assert.equal((await hit(app, '/me', '10.0.0.1', { 'x-user': 'alice' })).status, 200);
    assert.equal((await hit(app, '/me', '10.0.0.2', { 'x-user': 'alice' })).status, 429, 'same user from another IP');
    assert.equal((await hit(app, '/me', '10.0.0.1', { 'x-user': 'bob' })).status, 200);
    await limiter.reset('alice', '1/minute');
    assert.equal((await hit(app, '/me', '10.0.0.3', { 'x-user': 'alice' })).status, 200, 'reset forgets the count');
  });

  it('counts a request by the default key (client, method, route) when keyFunc gives null or undefined', async () => {
    for (const async of [false, true]) {
      const c = clock();
      const limiter = new RateLimiter({
        now: c.now,
        keyFunc: async ? async (req) => req.headers.get('x-api-key') ?? undefined : (req) => req.headers.get('x-api-key'),
      });
      const app = new CovetApp();
      app.get('/data', limiter.limit('1/minute', () => 'data'));
      assert.equal((await hit(app, '/data', '10.0.0.1', { 'x-api-key': 'k1' })).status, 200);
      assert.equal((await hit(app, '/data', '10.0.0.1', { 'x-api-key': 'k1' })).status, 429);
      // No API key: limited by address, not refused with a 500.
      assert.equal((await hit(app, '/data', '10.0.0.1')).status, 200, `first keyless request (async: ${async})`);
      const refused = await hit(app, '/data', '10.0.0.1');
      assert.equal(refused.status, 429);
      assert.equal((refused.json() as { error: string }).error, 'Too Many Requests');
      assert.equal((await hit(app, '/data', '10.0.0.2')).status, 200, 'another address, its own budget');
    }
  });

  it('ignores a spoofed X-Forwarded-For from an untrusted peer', async () => {
    const limiter = new RateLimiter({ trustedProxies: ['10.0.0.0/8'] });
    const app = new CovetApp();
    app.get('/', limiter.limit('1/minute', () => 'ok'));
    assert.equal((await hit(app, '/', '203.0.113.9', { 'x-forwarded-for': '1.1.1.1' })).status, 200);
    // A new spoofed address every time does not buy a new budget.
    const spoofed = await hit(app, '/', '203.0.113.9', { 'x-forwarded-for': '2.2.2.2' });
    assert.equal(spoofed.status, 429);
    assert.deepEqual(spoofed.json(), { error: 'Too Many Requests', limit: '1/minute', retryAfter: 60 });
    assert.equal(spoofed.headers.get('retry-after'), '60');
    assert.equal(spoofed.headers.get('ratelimit-remaining'), '0');
    assert.equal((await hit(app, '/', '203.0.113.9')).status, 429);
    // The budget is the peer's own: another peer sending the same header is not refused.
    assert.equal((await hit(app, '/', '203.0.113.10', { 'x-forwarded-for': '1.1.1.1' })).status, 200);
  });

  it('reads X-Forwarded-For right to left behind trusted proxies', async () => {
    const limiter = new RateLimiter({ trustedProxies: ['10.0.0.0/8', 'fd00::/8'] });
    const app = new CovetApp();
    app.get('/', limiter.limit('1/minute', () => 'ok'));
    assert.equal((await hit(app, '/', '10.0.0.5', { 'x-forwarded-for': '198.51.100.1' })).status, 200);
    assert.equal((await hit(app, '/', '10.0.0.6', { 'x-forwarded-for': '198.51.100.1' })).status, 429, 'same client via another proxy');
    assert.equal((await hit(app, '/', '10.0.0.5', { 'x-forwarded-for': '198.51.100.2' })).status, 200);
    // The client prepends a fake hop: the proxy appended the real one, which is what counts.
    assert.equal((await hit(app, '/', '10.0.0.5', { 'x-forwarded-for': '9.9.9.9, 198.51.100.1' })).status, 429);
  });

  it('clientIp: peer when untrusted, first untrusted hop from the right, garbage falls back to the peer', () => {
    const trusted = new IPSet(['10.0.0.0/8', '::1']);
    const req = (host: string, xff?: string) =>
      ({ client: { host, port: 0 }, headers: new Headers(xff === undefined ? {} : { 'x-forwarded-for': xff }) }) as never;
    assert.equal(clientIp(req('203.0.113.9', '1.1.1.1'), trusted), '203.0.113.9');
    assert.equal(clientIp(req('::ffff:10.1.1.1', '1.1.1.1, 10.2.2.2'), trusted), '1.1.1.1');
    assert.equal(clientIp(req('::1', '2001:db8::5'), trusted), '2001:db8::5');
    assert.equal(clientIp(req('10.1.1.1', 'not-an-ip'), trusted), '10.1.1.1');
    assert.equal(clientIp(req('10.1.1.1', '10.3.3.3, 10.4.4.4'), trusted), '10.3.3.3');
    assert.equal(clientIp(req('10.1.1.1'), trusted), '10.1.1.1');
    assert.equal(clientIp(req('10.1.1.1', `${'10.0.0.1,'.repeat(40)}10.0.0.2`), trusted), '10.1.1.1', 'a huge all-trusted chain is not believed');
  });

  it('fails open by default when the store throws, and answers 503 with failOpen: false; never crashes', async () => {
    const broken: RateLimitStore = {
      hit: () => {
        throw new Error('ECONNREFUSED');
      },
    };
    const errors: unknown[] = [];
    const open = new RateLimiter({ storage: broken, onStoreError: (e) => errors.push(e) });
    const closed = new RateLimiter({ storage: broken, failOpen: false });
    const app = new CovetApp();
    app.get('/open', open.limit('1/minute', () => 'open'));
    app.get('/closed', closed.limit('1/minute', () => 'closed'));
    for (let i = 0; i < 3; i++) assert.equal((await hit(app, '/open')).status, 200);
    assert.equal(errors.length, 3);
    const res = await hit(app, '/closed');
    assert.equal(res.status, 503);
    assert.deepEqual(res.json(), { error: 'Service Unavailable' });
    assert.equal(await closed.allowRequest({} as never), true, 'no default limits: nothing to check');
  });

  it('keeps handler errors and response statuses as they are', async () => {
    const limiter = new RateLimiter();
    const app = new CovetApp();
    app.get('/fail', limiter.limit('5/minute', () => {
      throw new HTTPException(418, 'teapot');
    }));
    app.post('/made', limiter.limit('5/minute', () => [{ created: true }, 201]));
    await using client = new TestClient(app);
    assert.equal((await client.get('/fail')).status, 418);
    const made = await client.post('/made');
    assert.equal(made.status, 201);
    assert.equal(made.headers.get('ratelimit-remaining'), '4');
  });

  it('also works as route middleware: limit(limits) without a handler', async () => {
    const limiter = new RateLimiter();
    const app = new CovetApp();
    app.get('/m', { middleware: [limiter.limit('1/hour')] }, () => 'm');
    assert.equal((await hit(app, '/m')).status, 200);
    assert.equal((await hit(app, '/m')).status, 429);
  });

  it('the memory store sweeps expired keys', () => {
    const c = clock();
    const store = new MemoryRateLimitStore({ now: c.now });
    for (let i = 0; i < 5000; i++) store.hit([`k${i}`], [{ count: 10, windowMs: 1000 }]);
    c.advance(2000);
    store.hit(['fresh'], [{ count: 10, windowMs: 1000 }]);
    for (let i = 0; i < 4100; i++) store.hit([`n${i}`], [{ count: 10, windowMs: 1000 }]);
    assert.ok(store.size < 5000 + 4101, `size ${store.size}`);
  });
});

describe('IPSet', () => {
  it('matches IPv4 and IPv6 CIDR ranges and single addresses, and IPv4-mapped peers', () => {
    const set = new IPSet(['192.168.1.0/24', '2001:db8::/32', '127.0.0.1']);
    assert.equal(set.has('192.168.1.77'), true);
    assert.equal(set.has('192.168.2.1'), false);
    assert.equal(set.has('::ffff:192.168.1.5'), true);
    assert.equal(set.has('2001:db8:1::9'), true);
    assert.equal(set.has('2001:db9::1'), false);
    assert.equal(set.has('127.0.0.1'), true);
    assert.equal(set.has('nonsense'), false);
  });

  it('rejects bad entries', () => {
    for (const bad of ['300.1.1.1', '10.0.0.0/33', '::/129', '10.0.0.0/8/1', 'example.com', '10.0.0.0/x']) {
      assert.throws(() => new IPSet([bad]), { code: 'ERR_IP_RANGE' }, bad);
    }
  });
});

describe('RateLimiter store outages are logged by default', () => {
  /** A store that fails while `down` is true. */
  function flakyStore(): { store: RateLimitStore; setDown: (d: boolean) => void } {
    let down = false;
    const inner = new MemoryRateLimitStore();
    return {
      setDown: (d) => void (down = d),
      store: {
        hit: async (keys, rules) => {
          if (down) throw new Error('connect ECONNREFUSED 127.0.0.1:6379');
          return inner.hit(keys, rules);
        },
      },
    };
  }

  it('warns once per outage (failOpen) and says when the store is back', async (t) => {
    const warn = t.mock.method(console, 'warn', () => {});
    const info = t.mock.method(console, 'info', () => {});
    const { store, setDown } = flakyStore();
    const app = new CovetApp();
    app.get('/a', new RateLimiter({ storage: store }).limit('5/minute', () => 'ok'));
    setDown(true);
    for (let i = 0; i < 3; i++) {
      const res = await hit(app, '/a');
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('ratelimit-limit'), null);
    }
    assert.equal(warn.mock.callCount(), 1, 'one warning for the whole outage');
    assert.equal(
      warn.mock.calls[0]?.arguments[0],
      'RateLimiter: the rate-limit store failed; letting requests through without limits (failOpen) until it answers again',
    );
    assert.match(String((warn.mock.calls[0]?.arguments[1] as { error: Error }).error.message), /ECONNREFUSED/);
    setDown(false);
    assert.equal((await hit(app, '/a')).headers.get('ratelimit-remaining'), '4');
    assert.equal((await hit(app, '/a')).headers.get('ratelimit-remaining'), '3');
    assert.equal(info.mock.callCount(), 1);
    assert.equal(info.mock.calls[0]?.arguments[0], 'RateLimiter: the rate-limit store answers again; limits apply again');
    setDown(true);
    await hit(app, '/a');
    assert.equal(warn.mock.callCount(), 2, 'a new outage warns again');
  });

  it('failOpen: false names the 503 policy; onStoreError replaces the default log', async (t) => {
    const warn = t.mock.method(console, 'warn', () => {});
    t.mock.method(console, 'info', () => {});
    const { store, setDown } = flakyStore();
    setDown(true);
    const closed = new CovetApp();
    closed.get('/a', new RateLimiter({ storage: store, failOpen: false }).limit('5/minute', () => 'ok'));
    const res = await hit(closed, '/a');
    assert.equal(res.status, 503);
    assert.equal(warn.mock.calls[0]?.arguments[0], 'RateLimiter: the rate-limit store failed; answering 503 (failOpen: false) until it answers again');
    const errors: unknown[] = [];
    const custom = new CovetApp();
    custom.get('/a', new RateLimiter({ storage: store, onStoreError: (e) => errors.push(e) }).limit('5/minute', () => 'ok'));
    await hit(custom, '/a');
    await hit(custom, '/a');
    assert.equal(errors.length, 2, 'onStoreError sees every failure');
    assert.equal(warn.mock.callCount(), 1, 'and nothing else is logged');
  });
});
