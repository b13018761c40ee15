// Built-in health checks against the real Redis (REDIS_URL) and PostgreSQL (DATABASE_URL), and
// against servers that are down. Without the URLs these tests skip, unless
// COVET_REQUIRE_SERVICES=1 (CI), where they fail.
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { describe, it } from 'node:test';
import { Redis } from 'ioredis';
import pg from 'pg';
import { CovetApp } from '../../../src/index.js';
import { HealthChecker } from '../../../src/monitoring/index.js';
import { TestClient } from '../../../src/testing/index.js';
import { REQUIRE_SERVICES } from '../../helpers/server.js';

const { REDIS_URL, DATABASE_URL } = process.env;
const skipRedis = REDIS_URL === undefined && !REQUIRE_SERVICES ? 'REDIS_URL is not set' : false;
const skipPg = DATABASE_URL === undefined && !REQUIRE_SERVICES ? 'DATABASE_URL is not set' : false;

async function deadPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

interface Body {
  status: string;
  checks: Record<string, { status: string; latencyMs: number; error?: string }>;
}

describe('health checks against real services', () => {
  it('checks Redis with PING, and reports a Redis that is down within the timeout', { skip: skipRedis, timeout: 30_000 }, async () => {
    const up = new Redis(REDIS_URL ?? '', { lazyConnect: false });
    const down = new Redis({ host: '127.0.0.1', port: await deadPort(), maxRetriesPerRequest: null, retryStrategy: () => 200, lazyConnect: false });
    down.on('error', () => {});
    try {
      const app = new CovetApp();
      const health = new HealthChecker({ timeout: 500 }).checkRedis(up).checkRedis(down, 'redis_down');
      app.includeRouter(health.router, { prefix: '/health' });
      await using client = new TestClient(app);
      const res = await client.get('/health');
      assert.equal(res.status, 503);
      const body = res.json<Body>();
      assert.equal(body.checks.redis?.status, 'healthy');
      assert.equal(body.checks.redis_down?.status, 'unhealthy');
      assert.match(body.checks.redis_down?.error ?? '', /timed out after 500 ms|ECONNREFUSED/);
      assert.ok((body.checks.redis_down?.latencyMs ?? 0) < 5000);
      health.remove('redis_down');
      assert.equal((await client.get('/health/ready')).status, 200);
    } finally {
      up.disconnect();
      down.disconnect();
    }
  });

  it('checks PostgreSQL with SELECT 1 through an execute() adapter, and reports one that is down', { skip: skipPg, timeout: 30_000 }, async () => {
    const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 2 });
    const downPool = new pg.Pool({ host: '127.0.0.1', port: await deadPort(), user: 'x', database: 'x', max: 1, connectionTimeoutMillis: 2000 });
    try {
      const health = new HealthChecker({ timeout: 3000 });
      health.checkDatabase({ execute: (sql: string) => pool.query(sql) });
      health.checkDatabase({ execute: (sql: string) => downPool.query(sql) }, 'database_down');
      const report = await health.run();
      assert.equal(report.checks.database?.status, 'healthy');
      assert.equal(report.checks.database_down?.status, 'unhealthy');
      assert.match(report.checks.database_down?.error ?? '', /ECONNREFUSED|connect/);
    } finally {
      await pool.end();
      await downPool.end();
    }
  });

  it('checks the databases of app.addDatabase (covet/database) when that module is present', { skip: skipPg, timeout: 30_000 }, async (t) => {
    let DatabaseManager: (new (url: string) => { connect(): Promise<void>; close(): Promise<void>; ping(): Promise<unknown> }) | undefined;
    try {
      ({ DatabaseManager } = (await import('../../../src/database/index.js')) as unknown as { DatabaseManager: typeof DatabaseManager });
    } catch {
      t.skip('covet/database is not available');
      return;
    }
    if (DatabaseManager === undefined) return;
    const app = new CovetApp();
    app.addDatabase(new DatabaseManager(DATABASE_URL ?? ''));
    const health = new HealthChecker().checkAppDatabases(app);
    app.includeRouter(health.router, { prefix: '/health' });
    await using client = new TestClient(app);
    const res = await client.get('/health');
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json<Body>().checks.database?.status, 'healthy');
  });
});
