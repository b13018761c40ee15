import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DatabaseManager } from '../../../src/database/index.js';
import { ProductionValidator } from '../../../src/deployment/index.js';
import { Config, CovetApp, Secret } from '../../../src/index.js';
import { HealthChecker, MetricsManager, PrometheusBackend } from '../../../src/monitoring/index.js';
import { SecurityConfig } from '../../../src/security/index.js';
import { REQUIRE_SERVICES } from '../../helpers/server.js';

// The database check logs in: it needs a real PostgreSQL (bash scripts/services.sh).
const PG_URL = process.env.DATABASE_URL?.startsWith('postgres') ? process.env.DATABASE_URL : undefined;
const pgSkip = PG_URL === undefined && !REQUIRE_SERVICES ? 'DATABASE_URL (PostgreSQL) is not set' : false;

const STRONG = 'k9Q2vX7mL4pR8sT1wY6zB3nC5dF0gH2jK7eA9uI4oP';

function healthyApp() {
  const securityConfig = new SecurityConfig({ secretKey: STRONG, headers: { strictTransportSecurity: { maxAge: 31536000 } } });
  const app = new CovetApp({ securityConfig, config: new Config({ SECRET_KEY: new Secret(STRONG) }), logger: { info() {}, error() {} } });
  securityConfig.apply(app);
  app.get('/', () => ({ ok: true }));
  app.get('/health/live', () => ({ status: 'ok' }));
  app.get('/health/ready', () => ({ status: 'ok' }));
  app.get('/metrics', () => new Response('denied', { status: 401 }));
  return app;
}

async function listen(server: Server): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as { port: number }).port;
}

describe('ProductionValidator (the seed checklist)', { timeout: 180_000 }, () => {
  let redis: Server;
  let redisPort = 0;
  let postgres: Server;
  let pgPort = 0;
  let backups = '';
  before(async () => {
    // A Redis that wants a password: AUTH s3cret, then PING → +PONG.
    redis = createServer((socket) => {
      let authed = false;
      socket.on('data', (chunk) => {
        const text = chunk.toString();
        if (text.includes('AUTH')) {
          authed = text.includes('s3cret');
          socket.write(authed ? '+OK\r\n' : '-WRONGPASS invalid password\r\n');
        }
        if (text.includes('PING')) socket.write(authed ? '+PONG\r\n' : '-NOAUTH Authentication required.\r\n');
      });
    });
    redisPort = await listen(redis);
    postgres = createServer((socket) => socket.end());
    pgPort = await listen(postgres);
    backups = mkdtempSync(join(tmpdir(), 'covet-backups-'));
  });
  after(() => {
    redis.close();
    postgres.close();
    rmSync(backups, { recursive: true, force: true });
  });

  it('passes every check of a ready deployment, as the seed script prints them', { skip: pgSkip }, async () => {
    assert.ok(PG_URL, 'DATABASE_URL (PostgreSQL) is required');
    const pg = new URL(PG_URL);
    writeFileSync(join(backups, 'db-2026.sql.gz'), 'x');
    const validator = new ProductionValidator({
      app: healthyApp(),
      env: { DATABASE_URL: PG_URL, REDIS_URL: `redis://:s3cret@127.0.0.1:${redisPort}/0`, BACKUP_DIR: backups },
      performance: { maxAvgResponseTime: 1000 },
    });
    const { ok, results } = await validator.validate();
    assert.deepEqual(results.map((r) => [r.name, r.status]), [
      ['Database', 'pass'],
      ['Redis', 'pass'],
      ['Security', 'pass'],
      ['Performance', 'pass'],
      ['Monitoring', 'pass'],
      ['Backup', 'pass'],
    ], JSON.stringify(results, null, 2));
    assert.equal(ok, true);
    assert.equal(results[0]?.message, `database ${pg.protocol}//${pg.host}${pg.pathname} accepted the credentials and answered a query`);
    assert.ok(results.every((r) => !r.message.includes(`:${pg.password}@`) && !r.message.includes('s3cret')));
    assert.match(results[3]?.message ?? '', /avg [\d.]+ ms, p99 [\d.]+ ms, \d+ req\/s, 0\.0% errors/);
  });

  it('fails the database check for wrong credentials or a server that is not the database, without showing the password', { skip: pgSkip }, async () => {
    assert.ok(PG_URL, 'DATABASE_URL (PostgreSQL) is required');
    const wrong = new URL(PG_URL);
    wrong.password = 'not-the-password';
    const badLogin = await new ProductionValidator({ env: { DATABASE_URL: wrong.href }, timeoutMs: 5000 }).checkDatabaseConnectivity();
    assert.equal(badLogin.status, 'fail');
    assert.match(badLogin.message, /refused or failed: .*password authentication failed/);
    assert.ok(!badLogin.message.includes('not-the-password'));
    // A server that accepts connections but is not PostgreSQL (here: one that hangs up).
    const impostor = await new ProductionValidator({ env: { DATABASE_URL: `postgresql://app:pw@127.0.0.1:${pgPort}/app` }, timeoutMs: 2000 }).checkDatabaseConnectivity();
    assert.equal(impostor.status, 'fail');
    assert.match(impostor.message, /^database postgresql:\/\/127\.0\.0\.1:\d+\/app refused or failed: /);
  });

  it("probes covet/monitoring's health router on the started app, also after the performance check ran", async () => {
    const app = new CovetApp({ logger: { info() {}, error() {} } });
    const health = new HealthChecker();
    let connected = false;
    app.onStartup(() => {
      connected = true;
    });
    app.onShutdown(() => {
      connected = false;
    });
    health.check('database', () => ({ status: connected ? 'healthy' : 'unhealthy' }));
    app.includeRouter(health.router, { prefix: '/health' });
    app.get('/', () => ({ ok: true }));
    const metrics = new MetricsManager(new PrometheusBackend());
    app.get('/metrics', metrics.handler);
    const v = new ProductionValidator({ app, env: {}, performance: { maxAvgResponseTime: 1000 } });
    // The seed's checks, awaited one after the other.
    assert.deepEqual(await v.checkMonitoringSetup(), { status: 'pass', message: 'health probes answer 200; /metrics served' });
    assert.equal((await v.checkPerformanceRequirements()).status, 'pass');
    assert.deepEqual(await v.checkMonitoringSetup(), { status: 'pass', message: 'health probes answer 200; /metrics served' });
    assert.equal(connected, false, 'the app is stopped again');
    // A startup that fails is named.
    const broken = new CovetApp({ logger: { info() {}, error() {} } });
    broken.onStartup(() => {
      throw new Error('database unreachable');
    });
    assert.deepEqual(await new ProductionValidator({ app: broken, env: {} }).checkMonitoringSetup(), {
      status: 'fail',
      message: 'GET /health/live → error (database unreachable), GET /health/ready → error (database unreachable)',
    });
    const { results } = await v.validate();
    assert.deepEqual(
      results.filter((r) => r.name === 'Performance' || r.name === 'Monitoring').map((r) => r.status),
      ['pass', 'pass'],
    );
  });

  it('fails each check with a message saying why', async () => {
    const closed = createServer();
    const deadPort = await listen(closed);
    closed.close();
    const insecure = new CovetApp({ debug: true, logger: { info() {}, error() {} } });
    insecure.get('/', () => {
      throw new Error('always');
    });
    const old = join(backups, 'old.sql');
    writeFileSync(old, 'x');
    const emptyDir = mkdtempSync(join(tmpdir(), 'covet-nobackup-'));
    try {
      rmSync(join(backups, 'db-2026.sql.gz'), { force: true });
      utimesSync(old, new Date(Date.now() - 48 * 3600_000), new Date(Date.now() - 48 * 3600_000));
      const v = new ProductionValidator({
        app: insecure,
        env: { DATABASE_URL: `postgres://127.0.0.1:${deadPort}/x`, REDIS_URL: `redis://127.0.0.1:${redisPort}`, BACKUP_DIR: backups },
        timeoutMs: 1000,
      });
      assert.match((await v.checkDatabaseConnectivity()).message, /database server postgres:\/\/127\.0\.0\.1:\d+\/x unreachable: .*ECONNREFUSED/);
      assert.deepEqual(await v.checkRedisConnectivity(), { status: 'fail', message: `Redis at redis://127.0.0.1:${redisPort} refused: NOAUTH Authentication required.` });
      assert.match((await v.checkSecurityConfiguration()).message, /high\/critical finding\(s\): Debug mode on/);
      assert.match((await v.checkPerformanceRequirements()).message, /^GET \/: avg .*, 100\.0% errors \(500 ×100\): error rate above 1%$/);
      assert.match((await v.checkMonitoringSetup()).message, /GET \/health\/live → 404, GET \/health\/ready → 404, GET \/metrics → 404/);
      assert.match((await v.checkBackupConfiguration()).message, /newest backup in .* is 4\d\.\d h old \(limit 24 h\)/);
      const none = new ProductionValidator({ env: { BACKUP_DIR: emptyDir, SECRET_KEY: 'changeme' } });
      assert.deepEqual(await none.checkDatabaseConnectivity(), { status: 'fail', message: 'DATABASE_URL is not set' });
      assert.deepEqual(await none.checkRedisConnectivity(), { status: 'fail', message: 'REDIS_URL is not set' });
      assert.deepEqual(await none.checkSecurityConfiguration(), { status: 'fail', message: 'SECRET_KEY is a known default value' });
      assert.deepEqual(await none.checkBackupConfiguration(), { status: 'fail', message: `no backups in ${emptyDir}` });
      // The seed's `ProductionValidator()` knows no app: the checks that need one say how to give it.
      assert.deepEqual(await none.checkPerformanceRequirements(), { status: 'fail', message: 'no app given to load test: new ProductionValidator({ app })' });
      assert.deepEqual(await none.checkMonitoringSetup(), { status: 'fail', message: 'no app given to check: new ProductionValidator({ app })' });
      assert.equal((await none.validate()).ok, false);
      const memory = new ProductionValidator({ env: { DATABASE_URL: 'sqlite:///:memory:' } });
      assert.match((await memory.checkDatabaseConnectivity()).message, /in-memory SQLite/);
      // sqlite:///relative.db is relative to the working directory; sqlite:////absolute.db is not.
      const relative = new ProductionValidator({ env: { DATABASE_URL: 'sqlite:///no-such-dir/app.db' } });
      assert.deepEqual(await relative.checkDatabaseConnectivity(), { status: 'fail', message: `SQLite directory ${join(process.cwd(), 'no-such-dir')} does not exist` });
      const absolute = new ProductionValidator({ env: { DATABASE_URL: `sqlite:///${join(emptyDir, 'app.db')}` } });
      assert.deepEqual(await absolute.checkDatabaseConnectivity(), { status: 'pass', message: `SQLite database at ${join(emptyDir, 'app.db')}` });
    } finally {
      rmSync(emptyDir, { recursive: true, force: true });
    }
  });
});

describe('ProductionValidator edge cases', { timeout: 60_000 }, () => {
  it("waits for every Redis reply: AUTH's +OK and PING's +PONG may arrive in separate packets", async () => {
    const slow = createServer((socket) => {
      let text = '';
      socket.on('data', (chunk) => {
        text += chunk.toString();
        if (!text.includes('PING')) return;
        socket.write(text.includes('s3cret') ? '+OK\r\n' : '-WRONGPASS invalid password\r\n');
        setTimeout(() => socket.write(text.includes('s3cret') ? '+PONG\r\n' : '-NOAUTH Authentication required.\r\n'), 50);
      });
    });
    const port = await listen(slow);
    try {
      const ok = new ProductionValidator({ env: { REDIS_URL: `redis://:s3cret@127.0.0.1:${port}` }, timeoutMs: 2000 });
      assert.deepEqual(await ok.checkRedisConnectivity(), { status: 'pass', message: `Redis at redis://127.0.0.1:${port} answered PING` });
      const wrong = new ProductionValidator({ env: { REDIS_URL: `redis://:nope@127.0.0.1:${port}` }, timeoutMs: 2000 });
      assert.deepEqual(await wrong.checkRedisConnectivity(), { status: 'fail', message: `Redis at redis://127.0.0.1:${port} refused: WRONGPASS invalid password` });
    } finally {
      slow.close();
    }
    // A server that answers one line and hangs up is judged by that line, not timed out.
    const denying = createServer((socket) => socket.end('-DENIED Redis is running in protected mode\r\n'));
    const denyingPort = await listen(denying);
    try {
      const started = Date.now();
      const v = new ProductionValidator({ env: { REDIS_URL: `redis://:s3cret@127.0.0.1:${denyingPort}` }, timeoutMs: 5000 });
      assert.deepEqual(await v.checkRedisConnectivity(), {
        status: 'fail',
        message: `Redis at redis://127.0.0.1:${denyingPort} refused: DENIED Redis is running in protected mode`,
      });
      assert.ok(Date.now() - started < 4000);
    } finally {
      denying.close();
    }
  });

  it("bounds the check of the app's databases by timeoutMs: a server that accepts and never answers fails it", async () => {
    const sockets: Socket[] = [];
    const silent = createServer((socket) => {
      sockets.push(socket);
    });
    const port = await listen(silent);
    const app = new CovetApp({ logger: { info() {}, error() {} } });
    app.addDatabase(new DatabaseManager(`postgresql://u:p@127.0.0.1:${port}/x`));
    try {
      const started = Date.now();
      const result = await new ProductionValidator({ app, timeoutMs: 300 }).checkDatabaseConnectivity();
      assert.deepEqual(result, { status: 'fail', message: 'database unreachable: no answer to a ping within 300 ms' });
      assert.ok(Date.now() - started < 5000);
    } finally {
      for (const socket of sockets) socket.destroy();
      silent.close();
      await app.close().catch(() => {});
    }
  });

  it('fails the backup check, without throwing, for a BACKUP_DIR that is a file, and skips dangling links', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'covet-backup-edge-'));
    try {
      const file = join(dir, 'not-a-dir.sql');
      writeFileSync(file, 'x');
      const v = new ProductionValidator({ env: { BACKUP_DIR: file } });
      const result = await v.checkBackupConfiguration();
      assert.equal(result.status, 'fail');
      assert.match(result.message, /^backup directory .*not-a-dir\.sql cannot be read: ENOTDIR/);
      assert.equal((await v.validate()).results.find((r) => r.name === 'Backup')?.status, 'fail');
      symlinkSync(join(dir, 'gone.sql'), join(dir, 'dangling.sql'));
      assert.deepEqual(await new ProductionValidator({ env: { BACKUP_DIR: dir } }).checkBackupConfiguration(), {
        status: 'pass',
        message: `newest backup in ${dir} is 0.0 h old`,
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
