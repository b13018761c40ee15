import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createRequire } from 'node:module';
import { CovetApp } from '../../../src/index.js';
import { databaseCheck, HealthChecker, redisCheck } from '../../../src/monitoring/index.js';
import { TestClient } from '../../../src/testing/index.js';

// better-sqlite3 ships no types; only this much of it is used.
const Database = createRequire(import.meta.url)('better-sqlite3') as new (
  path: string,
) => { prepare(sql: string): { all(): unknown[] }; close(): void };

/** A tiny async adapter over better-sqlite3, the shape `covet/database` offers (`execute`). */
function sqlite(path = ':memory:'): { execute(sql: string): Promise<unknown>; close(): void } {
  const db = new Database(path);
  return {
    async execute(sql: string) {
      return db.prepare(sql).all();
    },
    close: () => db.close(),
  };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** `GET /health` of an app serving `health`'s router, which must answer 503: each check's `[status, error]`. */
async function unhealthyReport(health: HealthChecker): Promise<Record<string, [string, string | undefined]>> {
  const app = new CovetApp();
  app.includeRouter(health.router, { prefix: '/health' });
  await using client = new TestClient(app);
  const res = await client.get('/health');
  assert.equal(res.status, 503);
  const { checks } = res.json<{ checks: Record<string, { status: string; error?: string }> }>();
  return Object.fromEntries(Object.entries(checks).map(([k, v]) => [k, [v.status, v.error]]));
}
describe('HealthChecker', () => {
  it('runs the seed example: database and redis checks under /health', async () => {
    const db = sqlite();
    let redisUp = true;
    const cache = { ping: async () => (redisUp ? true : Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:6379'))) };
    const app = new CovetApp();
    const health = new HealthChecker();
    health.check('database', async () => {
      try {
        await db.execute('SELECT 1');
        return { status: 'healthy' };
      } catch (e) {
        return { status: 'unhealthy', error: String(e) };
      }
    });
    health.check('redis', async () => {
      try {
        await cache.ping();
        return { status: 'healthy' };
      } catch (e) {
        return { status: 'unhealthy', error: (e as Error).message };
      }
    });
    app.includeRouter(health.router, { prefix: '/health' });
    await using client = new TestClient(app);
    const ok = await client.get('/health');
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get('content-type'), 'application/json; charset=utf-8');
    const body = ok.json<{ status: string; checks: Record<string, { status: string; latencyMs: number; error?: string }> }>();
    assert.deepEqual(Object.keys(body).sort(), ['checks', 'status']);
    assert.equal(body.status, 'healthy');
    assert.deepEqual(Object.keys(body.checks), ['database', 'redis']);
    for (const check of Object.values(body.checks)) {
      assert.deepEqual(Object.keys(check).sort(), ['latencyMs', 'status']);
      assert.equal(check.status, 'healthy');
      assert.equal(typeof check.latencyMs, 'number');
      assert.ok(check.latencyMs >= 0);
    }
    redisUp = false;
    db.close();
    const bad = await client.get('/health');
    assert.equal(bad.status, 503);
    const badBody = bad.json<{ status: string; checks: Record<string, { status: string; error?: string }> }>();
    assert.equal(badBody.status, 'unhealthy');
    assert.equal(badBody.checks.redis?.status, 'unhealthy');
    assert.equal(badBody.checks.redis?.error, 'connect ECONNREFUSED 127.0.0.1:6379');
    assert.equal(badBody.checks.database?.status, 'unhealthy');
    assert.match(badBody.checks.database?.error ?? '', /not open/);
  });

  it('treats a throw, a false and a timeout as unhealthy, each check with its own timeout', async () => {
    const health = new HealthChecker({ timeout: 2000 });
    health.check('throws', () => {
      throw new TypeError('nope');
    });
    health.check('false', () => false);
    health.check('slow', () => sleep(10_000), { timeout: 50 });
    health.check('fine', async () => {});
    const started = performance.now();
    const report = await health.run();
    assert.ok(performance.now() - started < 5000, 'the slow check is cut off by its own timeout');
    assert.equal(report.status, 'unhealthy');
    assert.deepEqual(
      Object.fromEntries(Object.entries(report.checks).map(([k, v]) => [k, [v.status, v.error]])),
      { throws: ['unhealthy', 'nope'], false: ['unhealthy', 'check returned false'], slow: ['unhealthy', 'timed out after 50 ms'], fine: ['healthy', undefined] },
    );
    assert.ok((report.checks.slow?.latencyMs ?? 0) >= 40);
  });

  it('fails closed on a status other than healthy/unhealthy (or ok/up/pass), and passes objects without one', async () => {
    const health = new HealthChecker();
    health.check('ok', () => ({ status: 'ok' }) as unknown as { status: 'healthy' });
    health.check('up', () => ({ status: 'UP' }) as unknown as { status: 'healthy' });
    health.check('pass', () => ({ status: 'pass' }) as unknown as { status: 'healthy' });
    health.check('degraded', () => ({ status: 'degraded' }) as unknown as { status: 'healthy' });
    health.check('explained', () => ({ status: 'down', error: 'replica lag 30 s' }) as unknown as { status: 'unhealthy' });
    health.check('rows', () => ({ rowCount: 1 }) as unknown as void);
    health.check('numeric', () => ({ status: 200 }) as unknown as void);
    assert.deepEqual(
      await unhealthyReport(health),
      {
        ok: ['healthy', undefined],
        up: ['healthy', undefined],
        pass: ['healthy', undefined],
        degraded: ['unhealthy', 'check returned status "degraded"'],
        explained: ['unhealthy', 'replica lag 30 s'],
        rows: ['healthy', undefined],
        numeric: ['healthy', undefined],
      },
    );
  });

  it('reads a bare status text as the status, an HTTP error status as unhealthy, and reports any error as text', async () => {
    const health = new HealthChecker();
    health.check('text-down', () => 'unhealthy' as unknown as void);
    health.check('text-degraded', () => 'degraded' as unknown as void);
    health.check('text-ok', () => 'ok' as unknown as void);
    health.check('object-error', () => ({ status: 'unhealthy', error: { code: 'E_LAG', seconds: 30 } }) as unknown as void);
    health.check('error-error', () => ({ status: 'down', error: new Error('replica gone') }) as unknown as void);
    health.check('number-error', () => ({ status: 'unhealthy', error: 42 }) as unknown as void);
    health.check('fetch-503', () => new Response('down', { status: 503 }) as unknown as void);
    health.check('fetch-204', () => new Response(null, { status: 204 }) as unknown as void);
    assert.deepEqual(
      await unhealthyReport(health),
      {
        'text-down': ['unhealthy', 'unhealthy'],
        'text-degraded': ['unhealthy', 'check returned status "degraded"'],
        'text-ok': ['healthy', undefined],
        'object-error': ['unhealthy', '{"code":"E_LAG","seconds":30}'],
        'error-error': ['unhealthy', 'replica gone'],
        'number-error': ['unhealthy', '42'],
        'fetch-503': ['unhealthy', 'check returned HTTP status 503'],
        'fetch-204': ['healthy', undefined],
      },
    );
  });

  it('takes a timeout of Infinity (or past what a timer holds) as no timeout', async () => {
    const health = new HealthChecker({ timeout: Number.POSITIVE_INFINITY });
    health.check('slowish', () => new Promise<void>((r) => setTimeout(r, 30)));
    health.check('huge', () => new Promise<void>((r) => setTimeout(r, 30)), { timeout: 2 ** 32 });
    const app = new CovetApp();
    app.includeRouter(health.router, { prefix: '/health' });
    await using client = new TestClient(app);
    const res = await client.get('/health');
    assert.equal(res.status, 200);
    assert.deepEqual(Object.values(res.json<{ checks: Record<string, { status: string }> }>().checks).map((c) => c.status), ['healthy', 'healthy']);
  });

  it('reports a check named like an Object.prototype member in the body', async () => {
    const health = new HealthChecker();
    health.check('__proto__', () => false);
    health.check('constructor', () => true);
    const app = new CovetApp();
    app.includeRouter(health.router, { prefix: '/health' });
    await using client = new TestClient(app);
    const res = await client.get('/health');
    assert.equal(res.status, 503);
    // JSON.parse defines `__proto__` as an own key, as any JSON reader sees it.
    const body = JSON.parse(res.text) as { status: string; checks: Record<string, { status: string; error?: string }> };
    assert.equal(body.status, 'unhealthy');
    assert.deepEqual(Object.keys(body.checks), ['__proto__', 'constructor']);
    assert.deepEqual(Object.getOwnPropertyDescriptor(body.checks, '__proto__')?.value.error, 'check returned false');
  });

  it('answers /health/live without running readiness checks, and /health/ready with them', async () => {
    const app = new CovetApp();
    const health = new HealthChecker();
    let calls = 0;
    health.check('dependency', () => {
      calls++;
      return { status: 'unhealthy', error: 'down' };
    });
    health.check('heartbeat', () => true, { liveness: true });
    app.includeRouter(health.router, { prefix: '/health' });
    await using client = new TestClient(app);
    const live = await client.get('/health/live');
    assert.equal(live.status, 200);
    assert.deepEqual(Object.keys(live.json<{ checks: object }>().checks), ['heartbeat']);
    assert.equal(calls, 0);
    const ready = await client.get('/health/ready');
    assert.equal(ready.status, 503);
    assert.equal(calls, 1);
  });

  it('answers 503 on /health/ready while the app is starting and while it drains', async () => {
    const app = new CovetApp();
    const health = new HealthChecker();
    health.check('ok', () => true);
    app.includeRouter(health.router, { prefix: '/health' });
    const duringStartup: { status: number; body: { status: string; checks: Record<string, unknown> } }[] = [];
    app.onStartup(async () => {
      const res = await app.inject({ url: '/health/ready' });
      duringStartup.push({ status: res.status, body: JSON.parse(res.body.toString()) });
    });
    const client = new TestClient(app);
    const running = await client.get('/health/ready');
    assert.equal(duringStartup[0]?.status, 503);
    assert.equal(duringStartup[0]?.body.status, 'unhealthy');
    assert.deepEqual(duringStartup[0]?.body.checks.lifecycle, { status: 'unhealthy', latencyMs: 0, error: 'starting' });
    assert.equal(running.status, 200);
    assert.equal(health.state, 'running');
    await app.close();
    const draining = await app.inject({ url: '/health/ready' });
    assert.equal(draining.status, 503);
    assert.equal(JSON.parse(draining.body.toString()).checks.lifecycle.error, 'draining');
    assert.equal((await app.inject({ url: '/health/live' })).status, 200, 'liveness stays up while draining');
  });

  it('ignores the lifecycle of apps that do not include its router', async () => {
    const health = new HealthChecker();
    const mine = new CovetApp();
    mine.includeRouter(health.router, { prefix: '/health' });
    const other = new CovetApp();
    await other.startup();
    await other.close();
    assert.equal(health.state, 'running');
    assert.equal((await mine.inject({ url: '/health/ready' })).status, 200);
  });

  it('offers database and Redis checks over structural interfaces', async () => {
    const db = sqlite();
    const health = new HealthChecker();
    health.check('sqlite', databaseCheck(db));
    health.check('pinged', databaseCheck({ ping: async () => 1 }));
    health.check('redis', redisCheck({ ping: async () => 'PONG' }));
    health.check('redis_weird', redisCheck({ ping: async () => 'NOPE' }));
    const report = await health.run();
    assert.equal(report.checks.sqlite?.status, 'healthy');
    assert.equal(report.checks.pinged?.status, 'healthy');
    assert.equal(report.checks.redis?.status, 'healthy');
    assert.equal(report.checks.redis_weird?.error, 'unexpected PING reply "NOPE"');
    db.close();
    assert.equal((await health.run()).checks.sqlite?.status, 'unhealthy');
    assert.throws(() => databaseCheck({} as never), TypeError);
  });

  it('adds checks for the databases given to app.addDatabase', async () => {
    const app = new CovetApp();
    let up = true;
    app.addDatabase({ connect: async () => {}, close: async () => {}, ping: async () => (up ? 1 : Promise.reject(new Error('gone'))) });
    const health = new HealthChecker().checkAppDatabases(app);
    app.includeRouter(health.router, { prefix: '/health' });
    await using client = new TestClient(app);
    assert.equal((await client.get('/health')).status, 200);
    up = false;
    const res = await client.get('/health');
    assert.equal(res.status, 503);
    assert.equal(res.json<{ checks: { database: { error: string } } }>().checks.database.error, 'gone');
  });

  it('shares one run between concurrent requests', async () => {
    const health = new HealthChecker();
    let calls = 0;
    health.check('slowish', async () => {
      calls++;
      await sleep(20);
    });
    await Promise.all([health.run(), health.run(), health.run()]);
    assert.equal(calls, 1);
  });
});
