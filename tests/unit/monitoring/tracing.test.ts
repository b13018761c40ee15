import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { CovetApp } from '../../../src/index.js';
import {
  currentSpan,
  formatTraceparent,
  parseTraceparent,
  parseTracestate,
  propagationHeaders,
  resolveTracesUrl,
  trace,
  TracingMiddleware,
  withSpan,
} from '../../../src/monitoring/index.js';
import { TestClient } from '../../../src/testing/index.js';
import { memoryLogger, withServer } from '../../helpers/server.js';
import { type Collector, startCollector } from './otlp-collector.js';

const PARENT_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT_SPAN = '00f067aa0ba902b7';
const quiet = { warn() {}, error() {} };

/** A port with nothing listening (bound, then released). */
async function deadPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

describe('W3C trace context', () => {
  it('parses valid traceparent headers and rejects invalid ones', () => {
    assert.deepEqual(parseTraceparent(`00-${PARENT_TRACE}-${PARENT_SPAN}-01`, 'congo=t61rcWkgMzE'), {
      traceId: PARENT_TRACE,
      spanId: PARENT_SPAN,
      traceFlags: 1,
      traceState: 'congo=t61rcWkgMzE',
      isRemote: true,
    });
    for (const bad of [
      '',
      'garbage',
      `00-${PARENT_TRACE}-${PARENT_SPAN}-1`,
      `00-${'0'.repeat(32)}-${PARENT_SPAN}-01`,
      `00-${PARENT_TRACE}-${'0'.repeat(16)}-01`,
      `ff-${PARENT_TRACE}-${PARENT_SPAN}-01`,
      `00-${PARENT_TRACE.toUpperCase()}-${PARENT_SPAN}-01`,
      `00-${PARENT_TRACE}-${PARENT_SPAN}-01-extra`,
    ]) {
      assert.equal(parseTraceparent(bad), null, bad);
    }
    assert.equal(parseTraceparent(`01-${PARENT_TRACE}-${PARENT_SPAN}-01-future`)?.traceId, PARENT_TRACE, 'a later version is read by its first fields');
    assert.equal(formatTraceparent({ traceId: PARENT_TRACE, spanId: PARENT_SPAN, traceFlags: 1 }), `00-${PARENT_TRACE}-${PARENT_SPAN}-01`);
    assert.equal(parseTracestate('rojo=00f067aa0ba902b7, congo=t61rcWkgMzE'), 'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE');
    assert.equal(parseTracestate('BAD KEY=1'), '');
  });

  it('maps the seed jaegerEndpoint to the same host OTLP port', () => {
    assert.equal(resolveTracesUrl({ jaegerEndpoint: 'http://localhost:14268/api/traces' }), 'http://localhost:4318/v1/traces');
    assert.equal(resolveTracesUrl({ otlpEndpoint: 'http://collector:4318/' }), 'http://collector:4318/v1/traces');
  });

  it('appends /v1/traces to otlpEndpoint only when its path does not already end with it', () => {
    assert.equal(resolveTracesUrl({ otlpEndpoint: 'http://collector:4318' }), 'http://collector:4318/v1/traces');
    assert.equal(resolveTracesUrl({ otlpEndpoint: 'http://collector:4318/otlp' }), 'http://collector:4318/otlp/v1/traces');
    assert.equal(resolveTracesUrl({ otlpEndpoint: 'http://collector:4318/v1/traces' }), 'http://collector:4318/v1/traces');
    assert.equal(resolveTracesUrl({ otlpEndpoint: 'http://collector:4318/v1/traces/' }), 'http://collector:4318/v1/traces');
    assert.equal(resolveTracesUrl({ otlpEndpoint: 'https://gw.example/tenant/v1/traces' }), 'https://gw.example/tenant/v1/traces');
    assert.equal(resolveTracesUrl({ otlpEndpoint: 'http://collector:4318/v1/tracesx' }), 'http://collector:4318/v1/tracesx/v1/traces');
  });
});

describe('TracingMiddleware', () => {
  let collector: Collector;
  before(async () => {
    collector = await startCollector();
  });
  after(() => collector.close());

  function tracedApp(options: ConstructorParameters<typeof TracingMiddleware>[0] = {}): { app: CovetApp; tracing: TracingMiddleware } {
    const app = new CovetApp({ logger: memoryLogger() });
    const tracing = new TracingMiddleware({ serviceName: 'covet-app', otlpEndpoint: collector.url, logger: quiet, ...options });
    app.addMiddleware(tracing);
    const loadUser = trace('load_user', async (id: number) => {
      currentSpan()?.setAttribute('user.id', id);
      return { id };
    });
    app.get('/users/{id:int}', async (req) => loadUser(req.params.id));
    app.get('/boom', () => {
      throw new Error('kaboom');
    });
    app.get('/headers', () => propagationHeaders());
    return { app, tracing };
  }

  it('exports to a collector given by its full traces URL (…/v1/traces) without doubling the path', async () => {
    collector.spans.length = 0;
    const { app, tracing } = tracedApp({ otlpEndpoint: `${collector.url}/v1/traces` });
    assert.equal(tracing.exporter?.url.href, `${collector.url}/v1/traces`);
    await using client = new TestClient(app);
    assert.equal((await client.get('/users/7')).status, 200);
    await tracing.flush();
    // The collector asserts the request path is /v1/traces.
    assert.equal(collector.spans.length, 2);
  });

  it('reads OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES and OTEL_EXPORTER_OTLP_HEADERS; options win', async () => {
    const saved = { ...process.env };
    process.env.OTEL_SERVICE_NAME = 'checkout';
    process.env.OTEL_RESOURCE_ATTRIBUTES = 'deployment.environment=prod, service.version=1.2.3,broken';
    process.env.OTEL_EXPORTER_OTLP_HEADERS = 'authorization=Bearer%20abc,x-tenant=t1';
    try {
      collector.spans.length = 0;
      collector.requests.length = 0;
      const app = new CovetApp({ logger: memoryLogger() });
      const tracing = new TracingMiddleware({ otlpEndpoint: collector.url, logger: quiet, headers: { 'x-tenant': 't2' } });
      app.addMiddleware(tracing);
      app.get('/', () => 'ok');
      await using client = new TestClient(app);
      assert.equal((await client.get('/')).status, 200);
      await tracing.flush();
      assert.equal(tracing.serviceName, 'checkout');
      const resource = collector.spans[0]?.resource;
      assert.equal(resource?.['service.name'], 'checkout');
      assert.equal(resource?.['deployment.environment'], 'prod');
      assert.equal(resource?.['service.version'], '1.2.3');
      assert.equal(collector.requests[0]?.headers.authorization, 'Bearer abc');
      assert.equal(collector.requests[0]?.headers['x-tenant'], 't2');
      assert.equal(new TracingMiddleware({ serviceName: 'explicit' }).serviceName, 'explicit');
    } finally {
      for (const key of ['OTEL_SERVICE_NAME', 'OTEL_RESOURCE_ATTRIBUTES', 'OTEL_EXPORTER_OTLP_HEADERS']) {
        if (saved[key] === undefined) delete process.env[key];
        else process.env[key] = saved[key];
      }
    }
  });

  it('continues an incoming trace, makes child spans with trace(), and exports both over OTLP/HTTP JSON', async () => {
    collector.spans.length = 0;
    const { app, tracing } = tracedApp();
    await using client = new TestClient(app);
    const res = await client.get('/users/7', {
      headers: { traceparent: `00-${PARENT_TRACE}-${PARENT_SPAN}-01`, tracestate: 'congo=t61rcWkgMzE', 'user-agent': 'ua/1' },
    });
    assert.equal(res.status, 200);
    const out = parseTraceparent(res.headers.get('traceparent'));
    assert.ok(out, 'traceparent on the response');
    assert.equal(out.traceId, PARENT_TRACE);
    assert.notEqual(out.spanId, PARENT_SPAN);
    assert.equal(out.traceFlags, 1);
    assert.equal(res.headers.get('tracestate'), 'congo=t61rcWkgMzE');
    await tracing.flush();
    assert.equal(collector.spans.length, 2);
    const server = collector.spans.find((s) => s.kind === 2);
    const child = collector.spans.find((s) => s.kind === 1);
    assert.ok(server && child);
    assert.equal(server.name, 'GET /users/{id:int}');
    assert.equal(server.traceId, PARENT_TRACE);
    assert.equal(server.parentSpanId, PARENT_SPAN);
    assert.equal(server.spanId, out.spanId);
    assert.equal(server.traceState, 'congo=t61rcWkgMzE');
    assert.equal(server.resource['service.name'], 'covet-app');
    assert.equal(server.scope.name, 'covet');
    assert.deepEqual(
      { ...server.attributes },
      {
        'http.request.method': 'GET',
        'url.path': '/users/7',
        'url.scheme': 'http',
        'http.route': '/users/{id:int}',
        'user_agent.original': 'ua/1',
        'http.response.status_code': 200,
      },
    );
    assert.equal(server.status.code ?? 0, 0);
    assert.equal(child.name, 'load_user');
    assert.equal(child.traceId, PARENT_TRACE);
    assert.equal(child.parentSpanId, server.spanId);
    assert.equal(child.attributes['user.id'], 7);
    assert.ok(child.start >= server.start && child.end <= server.end);
  });

  it('starts a new trace without a valid traceparent and records unhandled errors', async () => {
    collector.spans.length = 0;
    const { app, tracing } = tracedApp();
    await using client = new TestClient(app);
    const res = await client.get('/boom', { headers: { traceparent: 'not-a-traceparent' } });
    assert.equal(res.status, 500);
    const out = parseTraceparent(res.headers.get('traceparent'));
    assert.ok(out);
    assert.notEqual(out.traceId, PARENT_TRACE);
    await tracing.flush();
    const [span] = collector.spans;
    assert.ok(span);
    assert.equal(span.parentSpanId, undefined);
    // The response names the root span that was exported.
    assert.equal(span.traceId, out.traceId);
    assert.equal(span.spanId, out.spanId);
    assert.equal(out.traceFlags, 1);
    assert.equal(span.name, 'GET /boom');
    assert.equal(span.status.code, 2);
    assert.equal(span.status.message, 'kaboom');
    assert.equal(span.attributes['http.response.status_code'], 500);
    assert.equal(span.attributes['error.type'], '500');
    const exception = span.events.find((e) => e.name === 'exception');
    assert.equal(exception?.attributes['exception.type'], 'Error');
    assert.equal(exception?.attributes['exception.message'], 'kaboom');
    assert.match(String(exception?.attributes['exception.stacktrace']), /kaboom/);
  });

  it('propagates but does not record traces the caller did not sample, and names unmatched requests by method', async () => {
    collector.spans.length = 0;
    const { app, tracing } = tracedApp();
    await using client = new TestClient(app);
    const res = await client.get('/headers', { headers: { traceparent: `00-${PARENT_TRACE}-${PARENT_SPAN}-00` } });
    const headers = res.json<{ traceparent: string }>();
    assert.equal(parseTraceparent(headers.traceparent)?.traceId, PARENT_TRACE, 'propagationHeaders() inside the request');
    assert.equal(parseTraceparent(headers.traceparent)?.traceFlags, 0);
    await client.get('/nothing-here');
    await tracing.flush();
    assert.deepEqual(
      collector.spans.map((s) => s.name),
      ['GET'],
    );
  });

  it('batches spans and flushes on app.close(), over a real socket', async () => {
    collector.spans.length = 0;
    collector.requests.length = 0;
    const { app } = tracedApp({ batch: { maxExportBatchSize: 4, scheduledDelayMillis: 60_000 } });
    await withServer(app, async ({ url }) => {
      for (let i = 0; i < 10; i++) await (await fetch(`${url}/users/${i}`)).arrayBuffer();
    });
    assert.equal(collector.spans.length, 20);
    assert.ok(collector.requests.every((r) => r.contentType === 'application/json'));
    assert.ok(collector.requests.every((r) => r.spans <= 4));
    assert.equal(collector.requests.length, 5);
  });

  it('never slows or fails requests when the collector is down, hangs or errors; drops and counts instead', async () => {
    const port = await deadPort();
    const logger = { warnings: [] as string[], warn(m: string) { this.warnings.push(m); }, error(m: string) { this.warnings.push(m); } };
    const down = new TracingMiddleware({ otlpEndpoint: `http://127.0.0.1:${port}`, logger, batch: { maxExportBatchSize: 1 } });
    const app = new CovetApp();
    app.addMiddleware(down);
    app.get('/', () => 'ok');
    await using client = new TestClient(app);
    for (let i = 0; i < 5; i++) assert.equal((await client.get('/')).status, 200);
    await down.flush();
    assert.equal(down.stats.exported, 0);
    assert.equal(down.stats.dropped, 5);
    assert.ok(down.stats.failedExports >= 1);
    assert.equal(logger.warnings.length, 1, 'one warning per outage');

    collector.mode = 'hang';
    try {
      const hung = new TracingMiddleware({
        otlpEndpoint: collector.url,
        logger: quiet,
        batch: { maxExportBatchSize: 2, maxQueueSize: 3, exportTimeoutMillis: 300, maxConcurrentExports: 1 },
      });
      const app2 = new CovetApp();
      app2.addMiddleware(hung);
      app2.get('/', () => 'ok');
      await withServer(app2, async ({ url }) => {
        const started = performance.now();
        for (let i = 0; i < 10; i++) assert.equal((await fetch(url)).status, 200);
        // Generous: a blocked request would take the export timeout (300 ms) each, ten times over.
        assert.ok(performance.now() - started < 2500, 'requests did not wait for the hanging collector');
      });
      assert.ok(hung.stats.dropped >= 5, `dropped ${hung.stats.dropped}`);
      assert.equal(hung.stats.exported, 0);
      collector.mode = 'fail';
      const failing = new TracingMiddleware({ otlpEndpoint: collector.url, logger: quiet });
      const app3 = new CovetApp();
      app3.addMiddleware(failing);
      app3.get('/', () => 'ok');
      await using c3 = new TestClient(app3);
      assert.equal((await c3.get('/')).status, 200);
      await failing.flush();
      assert.equal(failing.stats.dropped, 1);
    } finally {
      collector.mode = 'ok';
    }
  });

  it('runs trace() outside requests as a root span of the last tracer, and as a plain call without one', async () => {
    collector.spans.length = 0;
    const tracing = new TracingMiddleware({ serviceName: 'jobs', otlpEndpoint: collector.url, logger: quiet });
    const complexBusinessLogic = trace('business_operation', async () => {
      await withSpan('step', async (span) => span?.setAttribute('step', 1));
      return 42;
    });
    assert.equal(await complexBusinessLogic(), 42);
    const failing = trace('failing_operation', () => {
      throw new RangeError('bad');
    });
    assert.throws(() => failing(), RangeError);
    await tracing.flush();
    const names = collector.spans.map((s) => s.name).sort();
    assert.deepEqual(names, ['business_operation', 'failing_operation', 'step']);
    const root = collector.spans.find((s) => s.name === 'business_operation');
    const step = collector.spans.find((s) => s.name === 'step');
    assert.equal(root?.parentSpanId, undefined);
    assert.equal(step?.parentSpanId, root?.spanId);
    assert.equal(collector.spans.find((s) => s.name === 'failing_operation')?.status.code, 2);
  });

  it('keeps this for traced methods', async () => {
    const counter = {
      n: 1,
      bump: trace('bump', function (this: { n: number }, by: number) {
        this.n += by;
        return this.n;
      }),
    };
    assert.equal(counter.bump(2), 3);
  });

  it('samples new traces by sampleRate', async () => {
    collector.spans.length = 0;
    const { app, tracing } = tracedApp({ sampleRate: 0 });
    await using client = new TestClient(app);
    const res = await client.get('/users/1');
    assert.equal(parseTraceparent(res.headers.get('traceparent'))?.traceFlags, 0);
    await tracing.flush();
    assert.equal(collector.spans.length, 0);
  });

  it('gives an unsampled request ids to propagate, and records nothing of it or its children', async () => {
    collector.spans.length = 0;
    const { app, tracing } = tracedApp({ sampleRate: 0 });
    const seen: { traceId: string; spanId: string; recording: boolean; child: { traceId: string; recording: boolean; flags: number } | undefined }[] = [];
    app.get('/inside', async () => {
      const span = currentSpan();
      assert.ok(span);
      span.setAttribute('ignored', 1).addEvent('ignored').setStatus('error').updateName('ignored');
      const child = await trace('child', async () => currentSpan())();
      seen.push({ traceId: span.context.traceId, spanId: span.context.spanId, recording: span.recording, child: child && { traceId: child.context.traceId, recording: child.recording, flags: child.context.traceFlags } });
      return propagationHeaders();
    });
    await using client = new TestClient(app);
    const res = await client.get('/inside');
    const out = parseTraceparent(res.headers.get('traceparent'));
    assert.ok(out);
    assert.deepEqual(seen, [{ traceId: out.traceId, spanId: out.spanId, recording: false, child: { traceId: out.traceId, recording: false, flags: 0 } }]);
    // What the handler sends downstream continues the same unsampled trace.
    assert.match((res.json() as { traceparent: string }).traceparent, new RegExp(`^00-${out.traceId}-[0-9a-f]{16}-00$`));
    // An upstream decision not to sample is kept, with its trace id.
    const upstream = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00';
    const continued = parseTraceparent((await client.get('/users/2', { headers: { traceparent: upstream } })).headers.get('traceparent'));
    assert.deepEqual([continued?.traceId, continued?.traceFlags], ['0af7651916cd43dd8448eb211c80319c', 0]);
    const failed = await client.get('/boom');
    assert.equal(failed.status, 500);
    assert.equal(parseTraceparent(failed.headers.get('traceparent'))?.traceFlags, 0);
    await tracing.flush();
    assert.equal(collector.spans.length, 0);
  });
});

describe('OTLP JSON encoding', () => {
  it('writes the same body as the object form, for every attribute type', async () => {
    const { encodeOtlpJson, toOtlpJson } = await import('../../../src/monitoring/index.js');
    const span = {
      name: 'GET /x "quoted"',
      kind: 'server' as const,
      context: { traceId: PARENT_TRACE, spanId: PARENT_SPAN, traceFlags: 1, traceState: 'a=b', isRemote: false },
      parentSpanId: 'aaaaaaaaaaaaaaaa',
      startTimeUnixNano: 1700000000000000000n,
      endTimeUnixNano: 1700000000001000000n,
      attributes: { s: 'x\ny', i: 3, d: 1.5, b: true, big: 1e21, nan: Number.NaN, arr: ['a', 'b'], nums: [1, 2.5] },
      events: [{ name: 'exception', timeUnixNano: 1700000000000500000n, attributes: { 'exception.message': 'boom' } }],
      status: { code: 'error' as const, message: 'boom' },
    };
    const resource = { 'service.name': 'svc', 'process.pid': 12 };
    const scope = { name: 'covet', version: '0.1.0' };
    assert.deepEqual(JSON.parse(encodeOtlpJson([span, { ...span, parentSpanId: null, events: [], status: { code: 'unset' as const } }], resource, scope)), toOtlpJson([span, { ...span, parentSpanId: null, events: [], status: { code: 'unset' as const } }], resource, scope));
  });
});
