// Rate limiting on a real Redis (REDIS_URL): the Lua script, one budget shared by two app
// processes, and the Redis-down policy. Without REDIS_URL the Redis suites are skipped, unless
// COVET_REQUIRE_SERVICES=1 (CI), where a missing Redis is a failure. The dead-port tests need no Redis.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { CovetApp } from '../../../src/index.js';
import { RateLimiter, RedisRateLimitStore } from '../../../src/security/index.js';
import { REQUIRE_SERVICES, withServer } from '../../helpers/server.js';

const REDIS_URL = process.env.REDIS_URL;
if (REQUIRE_SERVICES && !REDIS_URL) throw new Error('REDIS_URL is required (COVET_REQUIRE_SERVICES=1) for the Redis rate-limit tests');
const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

describe('RateLimiter on Redis', { skip: REDIS_URL ? undefined : 'REDIS_URL not set' }, () => {
  const url = REDIS_URL as string;
  const closers: (() => Promise<unknown>)[] = [];
  after(async () => {
    for (const close of closers) await close();
  });

  /** A store under a fresh prefix, a raw client to plant keys with, and Redis' current second (the slice of a one-minute window). */
  async function storeAndRedis(): Promise<{ prefix: string; store: RedisRateLimitStore; redis: Redis; slice: number }> {
    const prefix = `covet:test:${randomUUID()}:`;
    const store = new RedisRateLimitStore(url, { prefix });
    const redis = new Redis(url);
    closers.push(
      () => store.close(),
      () => redis.quit(),
    );
    const [seconds] = (await redis.time()) as unknown as [string, string];
    return { prefix, store, redis, slice: Number(seconds) };
  }

  it('counts through the Lua script: limit, headers, 429, and two limiters on one Redis share the budget', async () => {
    const prefix = `covet:test:${randomUUID()}:`;
    const a = new RateLimiter({ storage: new RedisRateLimitStore(url, { prefix }) });
    const b = new RateLimiter({ storage: new RedisRateLimitStore(url, { prefix }) });
    closers.push(() => a.close(), () => b.close());
    const appA = new CovetApp();
    appA.get('/api/data', a.limit('5/minute', () => ({ data: 'response' })));
    const appB = new CovetApp();
    appB.get('/api/data', b.limit('5/minute', () => ({ data: 'response' })));
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await (i % 2 === 0 ? appA : appB).inject({ url: '/api/data', remoteAddress: '10.0.0.1' });
      statuses.push(res.status);
      if (i === 0) {
        assert.equal(res.headers.get('ratelimit-limit'), '5');
        assert.equal(res.headers.get('ratelimit-remaining'), '4');
        assert.equal(res.headers.get('ratelimit-reset'), '60');
      }
      if (i === 5) {
        assert.equal(res.headers.get('retry-after'), '60');
        assert.equal(res.headers.get('ratelimit-remaining'), '0');
        assert.deepEqual(JSON.parse(res.body.toString()), { error: 'Too Many Requests', limit: '5/minute', retryAfter: 60 });
      }
    }
    assert.deepEqual(statuses, [200, 200, 200, 200, 200, 429]);
    const other = await appA.inject({ url: '/api/data', remoteAddress: '10.0.0.2' });
    assert.equal(other.status, 200);
  });

  it('"4/second" admits at most 4 within the second after the first request, then room again as requests leave the window', async () => {
    const limiter = new RateLimiter({ storage: new RedisRateLimitStore(url, { prefix: `covet:test:${randomUUID()}:` }), keyFunc: () => 'k' });
    closers.push(() => limiter.close());
    const app = new CovetApp();
    app.get('/d', limiter.limit('4/second', () => 'ok'));
    const seen: { sent: number; done: number; status: number; retryAfter: string | null; body: string }[] = [];
    const start = performance.now();
    while (performance.now() - start < 1500) {
      const sent = performance.now();
      const res = await app.inject({ url: '/d' });
      seen.push({ sent, done: performance.now(), status: res.status, retryAfter: res.headers.get('retry-after'), body: res.body.toString() });
      await sleep(50);
    }
    const first = seen[0] as (typeof seen)[number];
    // The first request was recorded while it was in flight, so it stays in the window until at
    // least `first.sent + 1000`: every request answered before that saw it there.
    const inside = seen.filter((r) => r.done < first.sent + 1000).map((r) => r.status);
    assert.ok(inside.length >= 5, `only ${inside.length} requests inside the first second: too slow to tell`);
    assert.deepEqual(inside, [200, 200, 200, 200, ...inside.slice(4).map(() => 429)]);
    for (const r of seen.filter((x) => x.status === 429)) {
      assert.equal(r.retryAfter, '1');
      assert.deepEqual(JSON.parse(r.body), { error: 'Too Many Requests', limit: '4/second', retryAfter: 1 });
    }
    // The first request sent after the first one surely left the window finds room.
    const afterWindow = seen.find((r) => r.sent > first.done + 1000);
    assert.equal(afterWindow?.status, 200);
  });

  it('drops a key holding a foreign value, and slides over a window left without an expiry', async () => {
    // "2/minute": 60 slices of one second, numbered by Redis' clock.
    const { prefix, store, redis, slice } = await storeAndRedis();
    const now = slice * 1000;
    await redis.set(`${prefix}a`, '7');
    // A window whose head is further back than its expiry allows: recounted from its fields.
    await redis.hset(`${prefix}c`, 'n', '9', 'h', String(slice - 500), `c:${slice - 400}`, '4', `l:${slice - 400}`, String(now - 400_000), `c:${slice - 2}`, '1', `l:${slice - 2}`, String(now - 2000));
    // Slices of one second: one of two requests, a minute and a half old (gone), and one a second
    // old (live); no expiry.
    await redis.hset(`${prefix}b`, 'n', '3', 'h', String(slice - 90), `c:${slice - 90}`, '2', `l:${slice - 90}`, String(now - 90_000), `c:${slice - 1}`, '1', `l:${slice - 1}`, String(now - 1000));
    const rules = [
      { count: 2, windowMs: 60_000 },
      { count: 2, windowMs: 60_000 },
    ];
    const recounted = await store.hit(['c'], [{ count: 2, windowMs: 60_000 }]);
    assert.deepEqual(recounted.counts, [2]);
    assert.deepEqual(Object.keys(await redis.hgetall(`${prefix}c`)).sort(), [`c:${slice - 2}`, `c:${slice}`, `l:${slice - 2}`, `l:${slice}`, 'h', 'hl', 'n'].sort());
    const first = await store.hit(['a', 'b'], rules);
    assert.equal(first.allowed, true);
    assert.deepEqual(first.counts, [1, 2]);
    for (const reset of first.resetMs) assert.ok(reset > 59_000 && reset <= 61_000, `reset ${reset}`);
    assert.equal((first.retryMs ?? [])[0], 0);
    for (const key of ['a', 'b']) {
      const ttl = await redis.pttl(`${prefix}${key}`);
      assert.ok(ttl > 60_000 && ttl <= 61_000, `${key}: PTTL ${ttl}`);
    }
    assert.deepEqual(Object.keys(await redis.hgetall(`${prefix}b`)).sort(), [`c:${slice - 1}`, `c:${slice}`, `l:${slice - 1}`, `l:${slice}`, 'h', 'hl', 'n'].sort(), 'the old slice is gone');
    const second = await store.hit(['a', 'b'], rules);
    assert.equal(second.allowed, false);
    assert.deepEqual(second.counts, [1, 2]);
    // b has room once the slice of a second ago leaves: in about 59 s.
    const retry = (second.retryMs ?? [])[1] as number;
    assert.ok(retry > 57_900 && retry <= 60_000, `retry ${retry}`);
    assert.equal((second.retryMs ?? [])[0], 0);
  });

  it('a refusal by another limit keeps the window it slid: the requests that left are not counted again', async () => {
    const { prefix, store, redis, slice } = await storeAndRedis();
    const now = slice * 1000;
    // "2/minute" (slices of one second): a request 70 s ago (gone) and one a second ago (live).
    await redis.hset(`${prefix}a`, 'n', '2', 'h', String(slice - 70), 'hl', String(now - 70_000), `c:${slice - 70}`, '1', `l:${slice - 70}`, String(now - 70_000), `c:${slice - 1}`, '1', `l:${slice - 1}`, String(now - 1000));
    // "1/minute", full: it refuses the request.
    await redis.hset(`${prefix}b`, 'n', '1', 'h', String(slice - 1), 'hl', String(now - 1000), `c:${slice - 1}`, '1', `l:${slice - 1}`, String(now - 1000));
    const rules = [
      { count: 2, windowMs: 60_000 },
      { count: 1, windowMs: 60_000 },
    ];
    const refused = await store.hit(['a', 'b'], rules);
    assert.equal(refused.allowed, false);
    assert.deepEqual(refused.counts, [1, 1]);
    assert.equal(await redis.hget(`${prefix}a`, 'n'), '1', 'the window count follows the slice that left');
    // Once b has room, a holds one request of its two: this one is allowed.
    await redis.del(`${prefix}b`);
    const allowed = await store.hit(['a', 'b'], rules);
    assert.equal(allowed.allowed, true);
    assert.deepEqual(allowed.counts, [2, 1]);
    // A limit with nothing in its window, refused by another, leaves no key behind (it would
    // have no expiry).
    const refusedAgain = await store.hit(['fresh', 'b'], [{ count: 5, windowMs: 60_000 }, rules[1] as (typeof rules)[number]]);
    assert.equal(refusedAgain.allowed, false);
    assert.equal(await redis.exists(`${prefix}fresh`), 0);
  });

  it('a window whose count outlives all its slices starts again instead of failing the script', async () => {
    const { prefix, store, redis, slice } = await storeAndRedis();
    // A count with no slice left behind it (as an earlier version could leave): nothing is live.
    await redis.hset(`${prefix}a`, 'n', '1', 'h', String(slice - 5), 'hl', String(slice * 1000 - 70_000));
    const first = await store.hit(['a'], [{ count: 2, windowMs: 60_000 }]);
    assert.equal(first.allowed, true);
    assert.deepEqual(first.counts, [1]);
    const second = await store.hit(['a'], [{ count: 2, windowMs: 60_000 }]);
    assert.deepEqual([second.allowed, second.counts], [true, [2]]);
  });

  it('several limits in one atomic script: a refusal spends nothing; reset() clears', async () => {
    const prefix = `covet:test:${randomUUID()}:`;
    const limiter = new RateLimiter({ storage: new RedisRateLimitStore(url, { prefix }), keyFunc: () => 'user-1' });
    closers.push(() => limiter.close());
    const app = new CovetApp();
    app.get('/x', limiter.limit(['2/minute', '3/hour'], () => 'x'));
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await app.inject({ url: '/x' })).status);
    assert.deepEqual(statuses, [200, 200, 429, 429]);
    await limiter.reset('user-1', ['2/minute', '3/hour']);
    assert.equal((await app.inject({ url: '/x' })).status, 200);
  });

  it('handles limits so large that one request is under a millisecond of budget', async () => {
    const errors: unknown[] = [];
    const limiter = new RateLimiter({ storage: new RedisRateLimitStore(url, { prefix: `covet:test:${randomUUID()}:` }), onStoreError: (e) => errors.push(e) });
    closers.push(() => limiter.close());
    const app = new CovetApp();
    app.get('/big', limiter.limit('1000000000/minute', () => 'big'));
    const res = await app.inject({ url: '/big' });
    assert.equal(res.status, 200);
    assert.deepEqual(errors, []);
    assert.equal(res.headers.get('ratelimit-limit'), '1000000000');
  });

  it('two app processes on one Redis allow exactly N requests in total, not N per process', async () => {
    const prefix = `covet:test:${randomUUID()}:`;
    const dir = mkdtempSync(join(tmpdir(), 'covet-rl-'));
    const script = join(dir, 'app.mts');
    writeFileSync(
      script,
      `import { CovetApp } from ${JSON.stringify(join(ROOT, 'src/index.ts'))};
import { RateLimiter, RedisRateLimitStore } from ${JSON.stringify(join(ROOT, 'src/security/index.ts'))};
const limiter = new RateLimiter({ storage: new RedisRateLimitStore(process.env.REDIS_URL, { prefix: process.env.RL_PREFIX }) });
const app = new CovetApp();
app.get('/api/data', limiter.limit('10/hour', () => ({ pid: process.pid })));
const info = await app.listen({ host: '127.0.0.1', port: 0 });
console.log('URL ' + info.url);
process.on('SIGTERM', async () => { await app.close(); await limiter.close(); process.exit(0); });
`,
    );
    const children: ChildProcess[] = [];
    try {
      const urls = await Promise.all(
        [0, 1].map(
          () =>
            new Promise<string>((resolve, reject) => {
              const child = spawn(process.execPath, ['--import', 'tsx', script], {
                cwd: ROOT,
                env: { ...process.env, RL_PREFIX: prefix },
                stdio: ['ignore', 'pipe', 'inherit'],
              });
              children.push(child);
              let out = '';
              child.stdout?.setEncoding('utf8').on('data', (d: string) => {
                out += d;
                const m = /URL (\S+)/.exec(out);
                if (m?.[1] !== undefined) resolve(m[1]);
              });
              child.once('exit', (code) => reject(new Error(`app process exited early (${code})`)));
            }),
        ),
      );
      const get = async (u: string): Promise<{ status: number; pid: number | undefined }> => {
        const res = await fetch(`${u}/api/data`);
        const body = (await res.json()) as { pid?: number };
        return { status: res.status, pid: body.pid };
      };
      // Three rounds of one request to each process (6 of the 10 spent, by both), then 12
      // concurrent requests to each: 30 in all from one client IP, and exactly 10 pass.
      const results: { status: number; pid: number | undefined }[] = [];
      for (let round = 0; round < 3; round++) results.push(...(await Promise.all(urls.map(get))));
      assert.equal(new Set(results.map((r) => r.pid)).size, 2, 'both processes served part of the budget');
      results.push(...(await Promise.all(urls.flatMap((u) => Array.from({ length: 12 }, () => get(u))))));
      assert.equal(results.length, 30);
      assert.equal(results.filter((r) => r.status === 200).length, 10);
      assert.equal(results.filter((r) => r.status === 429).length, 20);
    } finally {
      for (const child of children) child.kill('SIGTERM');
      await Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : null)));
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('RateLimiter when Redis is down', () => {
  it('fails open by default (requests pass, the error is reported) and does not crash', async () => {
    const port = await deadPort();
    const errors: unknown[] = [];
    const limiter = new RateLimiter({ storage: `redis://127.0.0.1:${port}`, onStoreError: (e) => errors.push(e) });
    const app = new CovetApp();
    app.get('/', limiter.limit('1/minute', () => 'ok'));
    try {
      await withServer(app, async ({ url }) => {
        const started = Date.now();
        for (let i = 0; i < 3; i++) assert.equal((await fetch(`${url}/`)).status, 200);
        assert.ok(Date.now() - started < 15_000, 'bounded time per request');
      });
      assert.equal(errors.length, 3);
    } finally {
      await limiter.close();
    }
  });

  it('fails closed with failOpen: false: 503 JSON', async () => {
    const port = await deadPort();
    const limiter = new RateLimiter({ storage: `redis://127.0.0.1:${port}`, failOpen: false });
    const app = new CovetApp();
    app.get('/', limiter.limit('1/minute', () => 'ok'));
    try {
      await withServer(app, async ({ url }) => {
        const res = await fetch(`${url}/`);
        assert.equal(res.status, 503);
        assert.deepEqual(await res.json(), { error: 'Service Unavailable' });
        assert.equal(res.headers.get('retry-after'), '1');
      });
    } finally {
      await limiter.close();
    }
  });
});
