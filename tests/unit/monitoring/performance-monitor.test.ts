import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CovetApp } from '../../../src/index.js';
import { PerformanceMonitor } from '../../../src/monitoring/index.js';
import { TestClient } from '../../../src/testing/index.js';
import { hasTextParser, oracleSkip, parseText } from './oracles.js';
import { startCollector } from './otlp-collector.js';

describe('PerformanceMonitor', () => {
  it('runs the seed example: trace, timer, counter and histogram, served on /metrics and traced to the collector', oracleSkip(hasTextParser, 'parse-prometheus-text-format'), async () => {
    const collector = await startCollector();
    try {
      const monitor = new PerformanceMonitor({ prometheusEndpoint: '/metrics', otlpEndpoint: collector.url, tracing: { logger: { error() {} } } });
      const db = { fetchAll: async (_sql: string) => [{ id: 1 }, { id: 2 }, { id: 3 }] };
      const complexDatabaseOperation = monitor.trace('database_operation', async () => {
        let result: { id: number }[];
        {
          using _t = monitor.timer('query_execution');
          result = await db.fetchAll('SELECT * FROM complex_view');
        }
        monitor.counter('database_queries').inc();
        monitor.histogram('result_size', [], { buckets: [1, 10, 100] }).observe(result.length);
        return result;
      });
      const app = new CovetApp();
      monitor.install(app);
      app.get('/report', async () => ({ rows: (await complexDatabaseOperation()).length }));
      await using client = new TestClient(app);
      assert.deepEqual((await client.get('/report')).json(), { rows: 3 });
      await monitor.time('cleanup', async () => {});
      const parsed = parseText((await client.get('/metrics')).text);
      const get = (name: string) => parsed.find((f) => f.name === name);
      assert.equal(get('database_queries')?.metrics[0]?.value, '1');
      assert.equal(get('result_size')?.metrics[0]?.buckets?.['10'], '1');
      assert.equal(get('query_execution_duration_seconds')?.metrics[0]?.buckets?.['+Inf'], '1');
      assert.equal(get('database_operation_duration_seconds')?.metrics[0]?.buckets?.['+Inf'], '1');
      assert.equal(get('cleanup_duration_seconds')?.metrics[0]?.buckets?.['+Inf'], '1');
      assert.ok(get('http_requests_total')?.metrics.some((m) => m.labels?.route === '/report'));
      await monitor.tracing?.flush();
      const op = collector.spans.find((s) => s.name === 'database_operation');
      const request = collector.spans.find((s) => s.name === 'GET /report');
      assert.ok(op && request);
      assert.equal(op.parentSpanId, request.spanId);
    } finally {
      await collector.close();
    }
  });

  it('reads the seed jaegerEndpoint as OTLP on the same host', () => {
    const monitor = new PerformanceMonitor({ prometheusEndpoint: '/metrics', jaegerEndpoint: 'http://jaeger:14268/api/traces' });
    assert.equal(monitor.tracing?.exporter?.url.href, 'http://jaeger:4318/v1/traces');
    const v6 = new PerformanceMonitor({ jaegerEndpoint: 'http://[::1]:14268/api/traces' });
    assert.equal(v6.tracing?.exporter?.url.href, 'http://[::1]:4318/v1/traces');
  });

  it('is a method decorator without a function: the seed\'s @monitor.trace("database_operation")', async () => {
    const monitor = new PerformanceMonitor();
    const decorate = monitor.trace('database_operation');
    class Repo {
      base = 40;
      async complexDatabaseOperation(n: number): Promise<number> {
        return this.base + n;
      }
    }
    // Applied as TypeScript applies a standard method decorator.
    const method = decorate(Repo.prototype.complexDatabaseOperation, { kind: 'method', name: 'complexDatabaseOperation' });
    Repo.prototype.complexDatabaseOperation = method;
    assert.equal(await new Repo().complexDatabaseOperation(2), 42);
    const text = await monitor.metrics.metrics();
    assert.match(text, /^database_operation_duration_seconds_count 1$/m);
  });
});
