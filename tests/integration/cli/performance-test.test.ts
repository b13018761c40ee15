import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CovetApp } from '../../../src/index.js';
import { PerformanceTest } from '../../../src/testing/index.js';
import { withServer } from '../../helpers/server.js';
import { covetDone } from './helpers.js';

function makeApp() {
  const app = new CovetApp({ logger: { info() {}, error() {} } });
  let n = 0;
  app.get('/api/users', () => ({ users: [] }));
  app.get('/flaky', (_req) => {
    n++;
    if (n % 4 === 0) throw new Error('every fourth fails');
    return 'ok';
  });
  return app;
}

describe('PerformanceTest', { timeout: 180_000 }, () => {
  it('load tests over a real socket with the seed fields and percentiles (the seed example)', async () => {
    const app = makeApp();
    const result = await new PerformanceTest(app).loadTest('/api/users', { concurrentUsers: 10, requestsPerUser: 10 });
    assert.equal(result.totalRequests, 100);
    assert.equal(result.failedRequests, 0);
    assert.equal(result.errorRate, 0);
    assert.deepEqual(result.statusCodes, { '200': 100 });
    assert.ok(result.requestsPerSecond > 0);
    assert.ok(result.avgResponseTime > 0 && result.avgResponseTime < 2);
    assert.ok(result.p50 <= result.p90 && result.p90 <= result.p99 && result.p99 <= result.maxResponseTime);
    // Response times are seconds, as the seed's `avg_response_time < 0.1  # 100ms` reads: no
    // request takes longer than the whole test.
    assert.ok(result.maxResponseTime > 0 && result.maxResponseTime <= result.durationMs / 1000, `${result.maxResponseTime} s of ${result.durationMs} ms`);
    // The seed's assertions, with generous bounds for a shared machine.
    assert.ok(result.avgResponseTime < 1);
    assert.ok(result.errorRate < 0.01);
    assert.equal(app.server, null); // started and closed by the test
  });

  it('counts errors and reuses an app that is already listening', async () => {
    const app = makeApp();
    await withServer(app, async () => {
      const result = await new PerformanceTest(app).loadTest('/flaky', { concurrentUsers: 2, requestsPerUser: 10 });
      assert.equal(result.totalRequests, 20);
      assert.equal(result.failedRequests, 5);
      assert.equal(result.errorRate, 0.25);
      assert.equal(result.statusCodes['500'], 5);
      assert.notEqual(app.server, null);
    });
  });

  it('works as `await using` (the seed\'s `with PerformanceTest(app) as perf`): disposal waits for running tests', async () => {
    const app = makeApp();
    let pending: Promise<unknown> | undefined;
    let settled = false;
    {
      await using perf = new PerformanceTest(app);
      pending = perf.loadTest('/api/users', { concurrentUsers: 5, requestsPerUser: 20 }).then((r) => {
        settled = true;
        return r;
      });
    }
    assert.equal(settled, true);
    assert.equal(((await pending) as { totalRequests: number }).totalRequests, 100);
    assert.equal(app.server, null);
    const perf = new PerformanceTest(app);
    await perf.close(); // nothing running: resolves at once
  });

  it('runs load tests at once on one server, closed after the last', async () => {
    const app = makeApp();
    const perf = new PerformanceTest(app);
    const [a, b] = await Promise.all([
      perf.loadTest('/api/users', { concurrentUsers: 3, requestsPerUser: 5 }),
      perf.loadTest('/api/users', { concurrentUsers: 3, requestsPerUser: 40 }),
    ]);
    assert.deepEqual([a.totalRequests, a.failedRequests, b.totalRequests, b.failedRequests], [15, 0, 120, 0]);
    assert.equal(app.server, null);
    // Started again afterwards, and again at once.
    const [c] = await Promise.all([perf.loadTest('/api/users', { concurrentUsers: 1, requestsPerUser: 3 }), perf.loadTest('/api/users', { concurrentUsers: 1, requestsPerUser: 3 })]);
    assert.equal(c.failedRequests, 0);
    assert.equal(app.server, null);
  });

  it('starts one server when listen() is called twice at once', async () => {
    const app = makeApp();
    const results = await Promise.allSettled([app.listen({ host: '127.0.0.1', port: 0 }), app.listen({ host: '127.0.0.1', port: 0 })]);
    try {
      assert.deepEqual(
        results.map((r) => r.status),
        ['fulfilled', 'rejected'],
      );
      assert.equal(((results[1] as PromiseRejectedResult).reason as Error).message, 'The app is already listening');
    } finally {
      await app.close();
    }
    assert.equal(app.server, null);
  });

  it('rejects bad options', async () => {
    await assert.rejects(new PerformanceTest(makeApp()).loadTest('/', { concurrentUsers: 0 }), /concurrentUsers must be a positive integer/);
  });
});

describe('covet performance-test', { timeout: 180_000 }, () => {
  it('load tests an app module and prints a results table', async () => {
    const r = await covetDone(['performance-test', 'tests/fixtures/cli/app.ts', '--concurrency', '4', '--duration', '1']);
    assert.equal(r.code, 0, r.stderr);
    for (const row of ['Requests', 'Requests/sec', 'p50', 'p90', 'p99', 'Errors']) assert.match(r.stdout, new RegExp(`^${row}\\s+\\S`, 'm'));
    assert.match(r.stdout, /^Errors\s+0 \(0\.00%\)$/m);
    assert.match(r.stderr, /Load testing http:\/\/127\.0\.0\.1:\d+\/: 4 connections for 1 s/);
  });

  it('load tests a running server by --url, as JSON, and exits 1 when requests fail', async () => {
    const app = makeApp();
    await withServer(app, async ({ url }) => {
      const r = await covetDone(['performance-test', '--url', url, '--path', '/flaky', '--concurrency', '2', '--duration', '0.5', '--json']);
      assert.equal(r.code, 1, r.stderr);
      const result = JSON.parse(r.stdout) as { totalRequests: number; failedRequests: number; p99: number };
      assert.ok(result.totalRequests > 0);
      assert.ok(result.failedRequests > 0);
    });
  });

  it('load tests the --url as given, path and query included, unless --path replaces the path', async () => {
    const app = makeApp();
    await withServer(app, async ({ url }) => {
      const r = await covetDone(['performance-test', '--url', `${url}/api/users?page=2`, '--concurrency', '2', '--duration', '0.5', '--json']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /^Load testing http:\/\/127\.0\.0\.1:\d+\/api\/users\?page=2: 2 connections for 0\.5 s$/m);
      const result = JSON.parse(r.stdout) as { totalRequests: number; statusCodes: Record<string, number> };
      assert.deepEqual(Object.keys(result.statusCodes), ['200']);
      const replaced = await covetDone(['performance-test', '--url', `${url}/api/users`, '--path', '/flaky', '--concurrency', '2', '--duration', '0.5']);
      assert.match(replaced.stderr, /^Load testing http:\/\/127\.0\.0\.1:\d+\/flaky: 2 connections for 0\.5 s$/m);
    });
  });

  it('load tests an HTTPS server by --url (the certificate verified), and refuses other protocols with exit code 2', async () => {
    const app = makeApp();
    const tls = new URL('../../fixtures/tls/', import.meta.url);
    const { port } = await app.listen({ host: '127.0.0.1', port: 0, key: readFileSync(new URL('key.pem', tls)), cert: readFileSync(new URL('cert.pem', tls)) });
    try {
      const url = `https://127.0.0.1:${port}/api/users`;
      const r = await covetDone(['performance-test', '--url', url, '--concurrency', '2', '--duration', '0.5', '--json'], {
        env: { NODE_EXTRA_CA_CERTS: fileURLToPath(new URL('cert.pem', tls)) },
      });
      assert.equal(r.code, 0, r.stderr);
      const result = JSON.parse(r.stdout) as { totalRequests: number; statusCodes: Record<string, number> };
      assert.ok(result.totalRequests > 0);
      assert.deepEqual(Object.keys(result.statusCodes), ['200']);
      // Without the CA the certificate is refused: every request fails.
      const untrusted = await covetDone(['performance-test', '--url', url, '--concurrency', '1', '--duration', '0.3', '--json']);
      assert.equal(untrusted.code, 1);
      assert.deepEqual(Object.keys((JSON.parse(untrusted.stdout) as { statusCodes: object }).statusCodes), ['0']);
    } finally {
      await app.close();
    }
    const ftp = await covetDone(['performance-test', '--url', 'ftp://127.0.0.1:1/', '--duration', '0.3']);
    assert.equal(ftp.code, 2);
    assert.match(ftp.stderr, /^covet: --url must be an http: or https: URL, got ftp:\/\/127\.0\.0\.1:1\/$/m);
  });

  it('rejects a bad --concurrency with exit code 2', async () => {
    const bad = await covetDone(['performance-test', '--url', 'http://127.0.0.1:1', '--concurrency', 'x']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--concurrency must be a positive integer, got x/);
  });
});
