import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import client from 'prom-client';
import { CovetApp, HTTPException } from '../../../src/index.js';
import {
  MetricsError,
  MetricsManager,
  OPENMETRICS_CONTENT_TYPE,
  PROMETHEUS_CONTENT_TYPE,
  PrometheusBackend,
  formatCanonicalFloat,
  negotiateFormat,
} from '../../../src/monitoring/index.js';
import { TestClient } from '../../../src/testing/index.js';
import { withServer } from '../../helpers/server.js';
import { type ParsedFamily, hasPythonClient, hasTextParser, oracleSkip, parseText, parseWithPython } from './oracles.js';

const PROMETHEUS_ACCEPT = 'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';
const text = oracleSkip(hasTextParser, 'parse-prometheus-text-format');
const python = oracleSkip(hasPythonClient, 'python3-prometheus-client');

function family(parsed: readonly ParsedFamily[], name: string): ParsedFamily {
  const f = parsed.find((p) => p.name === name);
  assert.ok(f, `family ${name} missing from ${parsed.map((p) => p.name).join(', ')}`);
  return f;
}

/** A comparable form: family → sorted samples, numbers as numbers. */
function normalize(parsed: readonly ParsedFamily[]): unknown {
  const out: Record<string, unknown> = {};
  for (const f of parsed) {
    out[f.name] = {
      type: f.type,
      help: f.help,
      metrics: f.metrics
        .map((m) => JSON.stringify({ ...m, value: m.value === undefined ? undefined : Number(m.value), labels: m.labels ?? {} }))
        .sort(),
    };
  }
  return out;
}

describe('MetricsManager', () => {
  it('runs the API.md example and serves text format 0.0.4 that a Prometheus parser reads', text, async () => {
    const app = new CovetApp();
    const metrics = new MetricsManager(new PrometheusBackend());
    const requests = metrics.counter('http_requests_total', ['method', 'endpoint']);
    requests.inc({ method: 'GET', endpoint: '/' });
    requests.inc({ method: 'GET', endpoint: '/' }, 2);
    metrics.histogram('http_request_duration_seconds').observe(0.012);
    app.route('/metrics', metrics.handler);
    await using client = new TestClient(app);
    const res = await client.get('/metrics');
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), PROMETHEUS_CONTENT_TYPE);
    const parsed = parseText(res.text);
    const counter = family(parsed, 'http_requests_total');
    assert.equal(counter.type, 'COUNTER');
    assert.deepEqual(counter.metrics, [{ value: '3', labels: { method: 'GET', endpoint: '/' } }]);
    const hist = family(parsed, 'http_request_duration_seconds');
    assert.equal(hist.type, 'HISTOGRAM');
    assert.equal(hist.metrics[0]?.count, '1');
    assert.equal(hist.metrics[0]?.sum, '0.012');
    assert.equal(hist.metrics[0]?.buckets?.['0.01'], '0');
    assert.equal(hist.metrics[0]?.buckets?.['0.025'], '1');
    assert.equal(hist.metrics[0]?.buckets?.['+Inf'], '1');
  });

  it('runs the seed metrics middleware (app.middleware("metrics", ...))', text, async () => {
    const app = new CovetApp();
    const metrics = new MetricsManager(new PrometheusBackend());
    const requestCounter = metrics.counter('http_requests_total', ['method', 'endpoint']);
    const responseTime = metrics.histogram('http_request_duration_seconds');
    app.middleware('metrics', async function metricsMiddleware(req, callNext) {
      const start = performance.now();
      const response = await callNext(req);
      requestCounter.inc({ method: req.method, endpoint: req.url.path });
      responseTime.observe((performance.now() - start) / 1000);
      return response;
    });
    app.route('/', () => ({ ok: true }));
    app.route('/metrics', metrics.handler);
    await using client = new TestClient(app);
    await client.get('/');
    await client.get('/');
    const parsed = parseText((await client.get('/metrics')).text);
    assert.deepEqual(family(parsed, 'http_requests_total').metrics, [{ value: '2', labels: { method: 'GET', endpoint: '/' } }]);
    assert.equal(family(parsed, 'http_request_duration_seconds').metrics[0]?.count, '2');
  });

  it('writes what prom-client writes for the same operations', text, async () => {
    const registry = new client.Registry();
    const pc = new client.Counter({ name: 'jobs_total', help: 'Jobs.', labelNames: ['queue', 'state'], registers: [registry] });
    const pg = new client.Gauge({ name: 'queue_depth', help: 'Depth.', labelNames: ['queue'], registers: [registry] });
    const ph = new client.Histogram({ name: 'job_seconds', help: 'Job time.', labelNames: ['queue'], buckets: [0.1, 0.5, 1, 5], registers: [registry] });
    const metrics = new MetricsManager();
    const c = metrics.counter('jobs_total', ['queue', 'state'], { help: 'Jobs.' });
    const g = metrics.gauge('queue_depth', ['queue'], { help: 'Depth.' });
    const h = metrics.histogram('job_seconds', ['queue'], { help: 'Job time.', buckets: [0.1, 0.5, 1, 5] });
    const ops: [string, number][] = [
      ['mail', 0.05],
      ['mail', 0.7],
      ['sms', 3],
      ['mail', 9],
      ['sms', 0.5],
    ];
    for (const [queue, seconds] of ops) {
      pc.inc({ queue, state: 'done' });
      c.inc({ queue, state: 'done' });
      pc.inc({ queue, state: 'retried' }, 2);
      c.inc({ queue, state: 'retried' }, 2);
      ph.observe({ queue }, seconds);
      h.observe({ queue }, seconds);
    }
    pg.set({ queue: 'mail' }, 4);
    g.set({ queue: 'mail' }, 4);
    pg.inc({ queue: 'sms' }, 2.5);
    g.inc({ queue: 'sms' }, 2.5);
    pg.dec({ queue: 'sms' });
    g.dec({ queue: 'sms' });
    assert.deepEqual(normalize(parseText(await metrics.metrics())), normalize(parseText(await registry.metrics())));
  });

  it('escapes label values and help text so that parsers read them back exactly', text, async () => {
    const metrics = new MetricsManager();
    const tricky = 'C:\\dir\\file "quoted"\nnext line — ünïcödé 😀';
    metrics.gauge('tricky', ['path'], { help: 'Help with a \\ backslash\nand a newline "and quotes"' }).set({ path: tricky }, 1);
    const out = await metrics.metrics();
    assert.ok(out.includes('path="C:\\\\dir\\\\file \\"quoted\\"\\nnext line'), out);
    const f = family(parseText(out), 'tricky');
    assert.equal(f.metrics[0]?.labels?.path, tricky);
    assert.equal(f.help, 'Help with a \\ backslash\nand a newline "and quotes"');
  });

  it('serves OpenMetrics when Accept asks for it, accepted by the strict Python OpenMetrics parser', python, async () => {
    const app = new CovetApp();
    const metrics = new MetricsManager();
    metrics.counter('http_requests_total', ['method'], { help: 'Requests "served".' }).inc({ method: 'GET' }, 5);
    metrics.counter('database_queries').inc();
    metrics.gauge('temperature_celsius').set(-3.5);
    const h = metrics.histogram('latency_seconds', ['route'], { buckets: [0.00001, 0.1, 1, 2.5, 10] });
    h.observe({ route: '/a\\"b\n' }, 0.05);
    h.observe({ route: '/a\\"b\n' }, 3);
    const s = metrics.summary('payload_bytes', [], { quantiles: [0.5, 0.9, 1] });
    for (const v of [10, 20, 30, 40]) s.observe(v);
    metrics.gauge('infinite').set(Number.POSITIVE_INFINITY);
    app.route('/metrics', metrics.handler);
    await using tc = new TestClient(app);
    const res = await tc.get('/metrics', { headers: { accept: PROMETHEUS_ACCEPT } });
    assert.equal(res.headers.get('content-type'), OPENMETRICS_CONTENT_TYPE);
    // The format follows Accept: a cache must not hand one client's format to another.
    assert.equal(res.headers.get('vary'), 'Accept');
    assert.ok(res.text.endsWith('# EOF\n'));
    const parsed = parseWithPython(res.text, 'openmetrics');
    const byName = new Map(parsed.map((f) => [f.name, f]));
    const requests = byName.get('http_requests');
    assert.equal(requests?.type, 'counter');
    assert.equal(requests?.documentation, 'Requests "served".');
    assert.deepEqual(requests?.samples, [{ name: 'http_requests_total', labels: { method: 'GET' }, value: 5 }]);
    assert.deepEqual(byName.get('database_queries')?.samples, [{ name: 'database_queries_total', labels: {}, value: 1 }]);
    assert.equal(byName.get('temperature_celsius')?.samples[0]?.value, -3.5);
    const buckets = byName.get('latency_seconds')?.samples.filter((x) => x.name === 'latency_seconds_bucket');
    assert.deepEqual(
      buckets?.map((b) => [b.labels.le, b.value, b.labels.route]),
      [
        ['1e-05', 0, '/a\\"b\n'],
        ['0.1', 1, '/a\\"b\n'],
        ['1.0', 1, '/a\\"b\n'],
        ['2.5', 1, '/a\\"b\n'],
        ['10.0', 2, '/a\\"b\n'],
        ['+Inf', 2, '/a\\"b\n'],
      ],
    );
    const summary = byName.get('payload_bytes');
    assert.equal(summary?.type, 'summary');
    assert.deepEqual(
      summary?.samples.map((x) => [x.name, x.labels.quantile ?? null, x.value]),
      [
        ['payload_bytes', '0.5', 25],
        ['payload_bytes', '0.9', 37],
        ['payload_bytes', '1.0', 40],
        ['payload_bytes_sum', null, 100],
        ['payload_bytes_count', null, 4],
      ],
    );
    assert.equal(byName.get('infinite')?.samples[0]?.value, 'inf');
    // The same registry in 0.0.4 reads the same through the Python client's 0.0.4 parser.
    const plain = parseWithPython((await tc.get('/metrics')).text, 'prometheus');
    assert.equal(plain.find((f) => f.name === 'http_requests')?.samples[0]?.value, 5);
  });

  it('negotiates the format from Accept', () => {
    assert.equal(negotiateFormat(null), 'prometheus');
    assert.equal(negotiateFormat('*/*'), 'prometheus');
    assert.equal(negotiateFormat('text/plain;version=0.0.4'), 'prometheus');
    assert.equal(negotiateFormat(PROMETHEUS_ACCEPT), 'openmetrics');
    assert.equal(negotiateFormat('application/openmetrics-text; version=1.0.0'), 'openmetrics');
    assert.equal(negotiateFormat('application/openmetrics-text;q=0.2, text/plain'), 'prometheus');
    assert.equal(negotiateFormat('application/openmetrics-text;q=0'), 'prometheus');
  });

  it('writes canonical floats for OpenMetrics le and quantile labels', () => {
    const cases: [number, string][] = [
      [1, '1.0'],
      [0.005, '0.005'],
      [2.5, '2.5'],
      [10, '10.0'],
      [0.0001, '0.0001'],
      [0.00001, '1e-05'],
      [1e16, '1e+16'],
      [123456789012345680000, '1.2345678901234568e+20'],
      [Number.POSITIVE_INFINITY, '+Inf'],
    ];
    for (const [n, s] of cases) assert.equal(formatCanonicalFloat(n), s, String(n));
  });

  it('rejects metric and label names that break the format, at declaration', () => {
    const metrics = new MetricsManager();
    const code = (fn: () => unknown, expected: string): void => {
      assert.throws(fn, (e: unknown) => e instanceof MetricsError && e.code === expected);
    };
    code(() => metrics.counter('http requests'), 'ERR_METRIC_NAME');
    code(() => metrics.counter('1abc'), 'ERR_METRIC_NAME');
    code(() => metrics.counter('ok_total', ['bad-label']), 'ERR_METRIC_LABEL_NAME');
    code(() => metrics.counter('ok_total', ['__reserved']), 'ERR_METRIC_LABEL_NAME');
    code(() => metrics.counter('ok_total', ['a', 'a']), 'ERR_METRIC_LABEL_NAME');
    code(() => metrics.histogram('h_seconds', ['le']), 'ERR_METRIC_LABEL_NAME');
    code(() => metrics.summary('s_seconds', ['quantile']), 'ERR_METRIC_LABEL_NAME');
    code(() => metrics.histogram('h2_seconds', [], { buckets: [1, 0.5] }), 'ERR_METRIC_OPTIONS');
    code(() => metrics.summary('s2', [], { quantiles: [1.5] }), 'ERR_METRIC_OPTIONS');
    const a = metrics.counter('same_total', ['x']);
    assert.equal(metrics.counter('same_total', ['x']), a, 'same declaration → same metric');
    code(() => metrics.gauge('same_total', ['x']), 'ERR_METRIC_CONFLICT');
    code(() => metrics.counter('same_total', ['y']), 'ERR_METRIC_CONFLICT');
    metrics.histogram('lat');
    code(() => metrics.gauge('lat_count'), 'ERR_METRIC_CONFLICT');
    // OpenMetrics parsers read <family>_created as the counter's, histogram's or summary's own.
    metrics.counter('bar_total');
    code(() => metrics.gauge('bar_created'), 'ERR_METRIC_CONFLICT');
    code(() => metrics.gauge('lat_created'), 'ERR_METRIC_CONFLICT');
    metrics.summary('sz');
    code(() => metrics.counter('sz_created'), 'ERR_METRIC_CONFLICT');
  });

  it('leaves out what OpenMetrics forbids for negative observations, so strict parsers read the rest', python, async () => {
    const metrics = new MetricsManager();
    const delta = metrics.histogram('temp_delta', [], { buckets: [-10, 0, 10] });
    delta.observe(-5);
    delta.observe(-7);
    const below = metrics.histogram('below_zero', [], { buckets: [1, 5] });
    below.observe(-3);
    const pnl = metrics.summary('pnl', [], { quantiles: [0.5, 0.9] });
    pnl.observe(-3);
    pnl.observe(-1);
    pnl.observe(4);
    metrics.gauge('ok_gauge').set(1);
    const app = new CovetApp();
    app.route('/metrics', metrics.handler);
    await using tc = new TestClient(app);
    const om = await tc.get('/metrics', { headers: { accept: 'application/openmetrics-text; version=1.0.0' } });
    const byName = new Map(parseWithPython(om.text, 'openmetrics').map((f) => [f.name, f]));
    const samples = (name: string) => byName.get(name)?.samples.map((x) => [x.name, x.labels.le ?? x.labels.quantile ?? null, x.value]);
    // A negative bucket: no _sum (OpenMetrics 1.0, Histogram), so no _count either; +Inf counts.
    assert.deepEqual(samples('temp_delta'), [
      ['temp_delta_bucket', '-10.0', 0],
      ['temp_delta_bucket', '0.0', 2],
      ['temp_delta_bucket', '10.0', 2],
      ['temp_delta_bucket', '+Inf', 2],
    ]);
    // No negative bucket, but a negative sum: a counter cannot be negative.
    assert.deepEqual(samples('below_zero'), [
      ['below_zero_bucket', '1.0', 1],
      ['below_zero_bucket', '5.0', 1],
      ['below_zero_bucket', '+Inf', 1],
    ]);
    // Negative quantile values are left out; the positive ones, the sum (0) and count stay.
    assert.deepEqual(samples('pnl'), [
      ['pnl', '0.9', 3],
      ['pnl_sum', null, 0],
      ['pnl_count', null, 3],
    ]);
    pnl.observe(-10);
    const later = await tc.get('/metrics', { headers: { accept: 'application/openmetrics-text; version=1.0.0' } });
    const after = parseWithPython(later.text, 'openmetrics').find((f) => f.name === 'pnl');
    // Now the sum is negative: sum and count go together.
    assert.deepEqual(after?.samples.map((x) => [x.name, x.labels.quantile ?? null]), [['pnl', '0.9']]);
    assert.ok(Math.abs((after?.samples[0]?.value as number) - 2.5) < 1e-9);
    assert.equal(byName.get('ok_gauge')?.samples[0]?.value, 1);
    // The 0.0.4 format has no such rule: everything is there.
    const plain = (await tc.get('/metrics')).text;
    assert.match(plain, /^temp_delta_sum -12$/m);
    assert.match(plain, /^below_zero_sum -3$/m);
    assert.match(plain, /^pnl\{quantile="0.5"\} -2$/m);
    assert.match(plain, /^pnl_sum -10$/m);
    assert.equal(parseWithPython(plain, 'prometheus').find((f) => f.name === 'pnl')?.samples.length, 4);
  });

  it('accepts label names that are also Object.prototype members', () => {
    const metrics = new MetricsManager();
    const c = metrics.counter('proto_names_total', ['constructor', 'toString', 'valueOf']);
    c.inc({ constructor: 'a', toString: 'b', valueOf: 'c' });
    assert.equal(c.get({ constructor: 'a', toString: 'b', valueOf: 'c' }), 1);
    const withDefaults = new MetricsManager(new PrometheusBackend({ defaultLabels: { service: 'api' } }));
    withDefaults.gauge('proto_gauge', ['hasOwnProperty']).set({ hasOwnProperty: 'x' }, 2);
    assert.throws(() => withDefaults.gauge('clash', ['service']), (e: unknown) => e instanceof MetricsError && e.code === 'ERR_METRIC_LABEL_NAME');
  });

  it('validates label sets and values on use', () => {
    const metrics = new MetricsManager();
    // Label names widened to string[], as a JavaScript caller (or one with computed names) sees them.
    const c = metrics.counter('req_total', ['method', 'status'] as string[]);
    const code = (fn: () => unknown, expected: string): void => {
      assert.throws(fn, (e: unknown) => e instanceof MetricsError && e.code === expected, expected);
    };
    code(() => c.inc(), 'ERR_METRIC_LABELS');
    code(() => c.inc({ method: 'GET' }), 'ERR_METRIC_LABELS');
    code(() => c.inc({ method: 'GET', status: 200, extra: 'x' }), 'ERR_METRIC_LABELS');
    c.inc({ method: 'GET', status: 200 });
    code(() => c.inc({ method: 'GET', status: 200, extra: 'x' }), 'ERR_METRIC_LABELS');
    code(() => c.inc({ method: 'GET', state: 200 }), 'ERR_METRIC_LABELS');
    code(() => c.inc({ method: 'GET', status: 'bad\uD800' }), 'ERR_METRIC_LABEL_VALUE');
    code(() => c.inc({ method: 'GET', status: { no: 1 } as unknown as string }), 'ERR_METRIC_LABEL_VALUE');
    code(() => c.inc({ method: 'GET', status: 200 }, -1), 'ERR_METRIC_VALUE');
    code(() => c.inc({ method: 'GET', status: 200 }, Number.NaN), 'ERR_METRIC_VALUE');
    code(() => metrics.counter('plain_total').inc({ x: 'y' }), 'ERR_METRIC_LABELS');
    code(() => metrics.histogram('obs').observe(Number.NaN), 'ERR_METRIC_VALUE');
    assert.equal(c.get({ method: 'GET', status: '200' }), 1, 'numbers and their text are one label value');
  });

  it('caps the number of label sets with a warning and a counter instead of growing without bound', text, async () => {
    const warnings: string[] = [];
    const backend = new PrometheusBackend({ maxSeriesPerMetric: 3, logger: { warn: (m) => warnings.push(m), error: (m) => warnings.push(m) } });
    const metrics = new MetricsManager(backend);
    const c = metrics.counter('by_user_total', ['user']);
    for (let i = 0; i < 10; i++) c.inc({ user: `u${i}` });
    c.inc({ user: 'u0' });
    assert.equal(c.seriesCount, 3);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0] ?? '', /by_user_total/);
    const parsed = parseText(await metrics.metrics());
    assert.equal(family(parsed, 'by_user_total').metrics.length, 3);
    assert.deepEqual(family(parsed, 'covet_metrics_series_dropped_total').metrics, [{ value: '7', labels: { metric: 'by_user_total' } }]);
    // A child bound to a set over the cap drops (and counts) every sample, and counts again
    // once a reset made room.
    const over = c.labels({ user: 'late' });
    over.inc();
    over.inc();
    const again = parseText(await metrics.metrics());
    assert.deepEqual(family(again, 'covet_metrics_series_dropped_total').metrics, [{ value: '10', labels: { metric: 'by_user_total' } }]);
    c.reset();
    over.inc(4);
    assert.equal(c.get({ user: 'late' }), 4);
  });

  it('supports counters, gauges, histograms and summaries with and without labels', text, async () => {
    const metrics = new MetricsManager(new PrometheusBackend({ defaultLabels: { service: 'api' } }), { prefix: 'app_' });
    metrics.counter('hits_total').inc(4);
    const g = metrics.gauge('in_flight');
    g.inc();
    g.inc(5);
    g.dec(2);
    const bound = metrics.counter('bound_total', ['k']).labels({ k: 'v' });
    bound.inc();
    bound.inc(2);
    const end = metrics.histogram('timer_seconds', [], { buckets: [1000] }).startTimer();
    const elapsed = end();
    assert.ok(elapsed >= 0);
    metrics.summary('sizes', ['kind'], { quantiles: [0.5] }).observe({ kind: 'x' }, 7);
    metrics.gauge('unused', ['k']);
    const parsed = parseText(await metrics.metrics());
    assert.deepEqual(family(parsed, 'app_hits_total').metrics, [{ value: '4', labels: { service: 'api' } }]);
    assert.deepEqual(family(parsed, 'app_in_flight').metrics, [{ value: '4', labels: { service: 'api' } }]);
    assert.deepEqual(family(parsed, 'app_bound_total').metrics, [{ value: '3', labels: { k: 'v', service: 'api' } }]);
    assert.equal(family(parsed, 'app_timer_seconds').metrics[0]?.buckets?.['+Inf'], '1');
    assert.deepEqual(family(parsed, 'app_sizes').metrics[0]?.quantiles, { '0.5': '7' });
    assert.equal(parsed.find((f) => f.name === 'app_unused')?.metrics.length ?? 0, 0);
  });

  it('keeps a child bound with labels() counting after reset() and remove(), as prom-client does', () => {
    const metrics = new MetricsManager();
    const counter = metrics.counter('bound_reset_total', ['k']);
    const histogram = metrics.histogram('bound_reset_seconds', ['k'], { buckets: [1] });
    const labels = { k: 'v' };
    const c = counter.labels(labels);
    const h = histogram.labels(labels);
    // The label object given may change afterwards: the child keeps its own label set.
    labels.k = 'changed';
    c.inc(2);
    h.observe(0.5);
    counter.reset();
    histogram.reset();
    c.inc();
    h.observe(2);
    assert.equal(counter.get({ k: 'v' }), 1);
    assert.equal(counter.get({ k: 'changed' }), 0);
    const snap = histogram.snapshot().series as unknown as { labels: string[]; count: number; sum: number }[];
    assert.deepEqual(
      snap.map((x) => [x.labels, x.count, x.sum]),
      [[['v'], 1, 2]],
    );
    counter.remove({ k: 'v' });
    c.inc(5);
    assert.equal(counter.get({ k: 'v' }), 5);
  });

  it('answers a scrape when a collect callback hangs, after collectTimeout, logging which one', async () => {
    const errors: string[] = [];
    const logger = { warn: (m: string) => errors.push(m), error: (m: string) => errors.push(m) };
    const metrics = new MetricsManager(new PrometheusBackend({ collectTimeout: 100, logger }));
    metrics.counter('ok_total').inc();
    metrics.gauge('queue_depth', [], { collect: () => new Promise<void>(() => {}) });
    metrics.gauge('failing', [], {
      collect: () => {
        throw new Error('db down');
      },
    });
    const app = new CovetApp();
    app.route('/metrics', metrics.handler);
    await using client = new TestClient(app);
    const started = performance.now();
    const res = await client.get('/metrics');
    assert.ok(performance.now() - started < 5_000);
    assert.equal(res.status, 200);
    assert.match(res.text, /^ok_total 1$/m);
    assert.match(res.text, /^queue_depth 0$/m);
    assert.deepEqual(errors, ['collect() of metric failing failed', 'collect() of metric queue_depth did not finish within 100 ms; its current value is written']);
    assert.throws(() => new PrometheusBackend({ collectTimeout: 0 }), (e: unknown) => e instanceof MetricsError && e.code === 'ERR_METRIC_OPTIONS');
  });

  it('passes a collect callback the metric before each scrape', async () => {
    const metrics = new MetricsManager();
    let n = 0;
    metrics.gauge('scrapes', [], { collect: (g) => g.set(++n) });
    await metrics.metrics();
    assert.match(await metrics.metrics(), /^scrapes 2$/m);
  });
});

describe('HTTPMetricsMiddleware', () => {
  function appWithMetrics(): { app: CovetApp; metrics: MetricsManager } {
    const app = new CovetApp({ logger: { info() {}, error() {} } });
    const metrics = new MetricsManager();
    app.addMiddleware(metrics.middleware());
    app.get('/users/{id:int}', (req) => ({ id: req.params.id }));
    app.get('/boom', () => {
      throw new Error('boom');
    });
    app.get('/teapot', () => {
      throw new HTTPException(418, 'short and stout');
    });
    const api = app.routeGroup('/api');
    api.post('/items/{name}', () => [{ ok: true }, 201]);
    app.route('/metrics', metrics.handler);
    return { app, metrics };
  }

  it('labels by method, route template (never the raw path) and status', text, async () => {
    const { app } = appWithMetrics();
    await using tc = new TestClient(app);
    await tc.get('/users/1');
    await tc.get('/users/2');
    await tc.get('/users/3');
    await tc.get('/boom');
    await tc.get('/teapot');
    await tc.post('/api/items/x');
    await tc.get('/no/such/path/123');
    await tc.get('/no/such/path/456');
    await tc.request('BREW', '/users/1');
    const parsed = parseText((await tc.get('/metrics')).text);
    const counts = Object.fromEntries(
      family(parsed, 'http_requests_total').metrics.map((m) => [`${m.labels?.method} ${m.labels?.route} ${m.labels?.status}`, Number(m.value)]),
    );
    assert.deepEqual(counts, {
      'GET /users/{id:int} 200': 3,
      'GET /boom 500': 1,
      'GET /teapot 418': 1,
      'POST /api/items/{name} 201': 1,
      'GET <unmatched> 404': 2,
      'OTHER <unmatched> 405': 1,
    });
    if (hasPythonClient) {
      // parse-prometheus-text-format drops _count/_sum of labelled histograms; the Python client does not.
      const py = parseWithPython((await tc.get('/metrics')).text, 'prometheus');
      const durations = py.find((f) => f.name === 'http_request_duration_seconds')?.samples ?? [];
      const count = durations.find((x) => x.name === 'http_request_duration_seconds_count' && x.labels.route === '/users/{id:int}');
      assert.equal(count?.value, 3);
      assert.deepEqual(count?.labels, { method: 'GET', route: '/users/{id:int}', status: '200' });
    }
    assert.ok(!JSON.stringify(parsed).includes('/users/1'), 'raw paths must not become labels');
    assert.deepEqual(family(parsed, 'http_requests_in_flight').metrics, [{ value: '1' }], 'the /metrics request itself');
  });

  it('counts requests over a real socket', text, async () => {
    const { app } = appWithMetrics();
    await withServer(app, async ({ url }) => {
      for (let i = 0; i < 5; i++) await (await fetch(`${url}/users/${i}`)).arrayBuffer();
      const parsed = parseText(await (await fetch(`${url}/metrics`)).text());
      const m = family(parsed, 'http_requests_total').metrics.find((x) => x.labels?.route === '/users/{id:int}');
      assert.equal(m?.value, '5');
    });
  });

  it('skips excluded route templates', async () => {
    const app = new CovetApp();
    const metrics = new MetricsManager();
    app.addMiddleware(metrics.middleware({ exclude: ['/metrics'], inFlight: false }));
    app.route('/metrics', metrics.handler);
    await using tc = new TestClient(app);
    await tc.get('/metrics');
    const out = await metrics.metrics();
    assert.doesNotMatch(out, /route="\/metrics"/);
    assert.doesNotMatch(out, /in_flight/);
  });
});

describe('runtime metrics', () => {
  it('exposes process, heap, event-loop, GC and handle metrics that parse', text, async () => {
    const metrics = new MetricsManager();
    metrics.collectDefaultMetrics({ eventLoopResolution: 5 });
    try {
      await new Promise((r) => setTimeout(r, 50));
      (globalThis as { gc?: () => void }).gc?.();
      const parsed = parseText(await metrics.metrics());
      const names = new Set(parsed.map((f) => f.name));
      for (const name of [
        'process_cpu_user_seconds_total',
        'process_cpu_seconds_total',
        'process_start_time_seconds',
        'process_resident_memory_bytes',
        'process_open_fds',
        'nodejs_heap_size_used_bytes',
        'nodejs_heap_space_size_used_bytes',
        'nodejs_eventloop_lag_seconds',
        'nodejs_eventloop_lag_p99_seconds',
        'nodejs_gc_duration_seconds',
        'nodejs_active_handles_total',
        'nodejs_active_resources',
        'nodejs_version_info',
      ]) {
        assert.ok(names.has(name), `${name} missing`);
      }
      assert.ok(Number(family(parsed, 'nodejs_heap_size_used_bytes').metrics[0]?.value) > 0);
      assert.ok(Number(family(parsed, 'process_resident_memory_bytes').metrics[0]?.value) > 0);
      assert.ok(Number(family(parsed, 'nodejs_eventloop_lag_seconds').metrics[0]?.value) >= 0);
      assert.equal(family(parsed, 'nodejs_version_info').metrics[0]?.labels?.version, process.version);
    } finally {
      metrics.close();
    }
  });
});
