// The exporter writes each batch straight into bytes: what the collector decodes must be the
// exact spans, non-ASCII text and large batches included.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OTLPTraceExporter, encodeOtlpJson, encodeSpan, toOtlpJson } from '../../../src/monitoring/otlp-exporter.js';
import type { Attributes, HttpServerFields, HttpServerSpan, SpanData } from '../../../src/monitoring/span.js';
import type { SpanContext as SpanContextLike } from '../../../src/monitoring/trace-context.js';
import { Tracer } from '../../../src/monitoring/tracer.js';
import { type Collector, startCollector } from './otlp-collector.js';

/** An exporter (one batch per flush) and tracer sending to a fresh loopback collector, closed after `fn`. */
async function withExporter(
  fn: (t: { collector: Collector; exporter: OTLPTraceExporter; tracer: Tracer; resource: Attributes; scope: { name: string; version: string } }) => Promise<void>,
): Promise<void> {
  const collector = await startCollector();
  try {
    const resource = { 'service.name': 'svc' };
    const scope = { name: 'covet', version: '1' };
    const exporter = new OTLPTraceExporter({ url: `${collector.url}/v1/traces`, resource, scope, scheduledDelayMillis: 60_000 });
    await fn({ collector, exporter, tracer: new Tracer({ exporter, scope, useOpenTelemetry: false }), resource, scope });
  } finally {
    await collector.close();
  }
}

describe('OTLP export body', () => {
  it('carries non-ASCII attributes and names intact, in batches larger than the first buffer', async () => {
    const collector = await startCollector();
    try {
      const exporter = new OTLPTraceExporter({
        url: `${collector.url}/v1/traces`,
        resource: { 'service.name': 'café ☕' },
        maxExportBatchSize: 300,
        scheduledDelayMillis: 60_000,
      });
      const tracer = new Tracer({ exporter, scope: { name: 'covet', version: '1' }, useOpenTelemetry: false });
      const long = 'ü€😀'.repeat(2000);
      for (let i = 0; i < 300; i++) {
        const span = tracer.startSpan(i === 7 ? `GET /ünïcödé/${long}` : `GET /items/${i}`, {
          kind: 'server',
          attributes: { 'url.path': i % 2 === 0 ? `/naïve/${i}` : `/plain/${i}`, emoji: '😀', quote: 'a "b" \\ c\n' },
          parent: null,
        });
        span.setAttribute('http.response.status_code', 200);
        span.end();
      }
      await collector.waitFor(300);
      assert.equal(collector.requests.length, 1);
      assert.equal(collector.requests[0]?.contentType, 'application/json');
      const byName = new Map(collector.spans.map((s) => [s.name, s]));
      assert.equal(byName.get(`GET /ünïcödé/${long}`)?.attributes.emoji, '😀');
      const s0 = byName.get('GET /items/0');
      assert.deepEqual(s0?.attributes, { 'url.path': '/naïve/0', emoji: '😀', quote: 'a "b" \\ c\n', 'http.response.status_code': 200 });
      assert.equal(s0?.resource['service.name'], 'café ☕');
      await exporter.flush();
      assert.equal(exporter.stats.exported, 300);
      assert.equal(exporter.stats.dropped, 0);
    } finally {
      await collector.close();
    }
  });

  it('writes HTTP server spans (request fields kept as fields) as the object form says, whatever they hold', async () => {
    const collector = await startCollector();
    try {
      const exporter = new OTLPTraceExporter({ url: `${collector.url}/v1/traces`, resource: { 'service.name': 'svc' }, scheduledDelayMillis: 60_000 });
      const ended: HttpServerSpan[] = [];
      const tracer = new Tracer({ exporter, scope: { name: 'covet', version: '1' }, useOpenTelemetry: false });
      const remote = { traceId: 'ab'.repeat(16), spanId: 'cd'.repeat(8), traceFlags: 1, traceState: 'vendor=x', isRemote: true };
      const cases: [string, HttpServerFields, ((s: HttpServerSpan) => void)?][] = [
        ['plain', { method: 'GET', path: '/items/1', scheme: 'http', route: '/items/{id:int}', userAgent: 'curl/8' }],
        ['non-ascii path, quoted agent', { method: 'GET', path: '/naïve/"q"\\', scheme: 'https', route: '/{p:path}', userAgent: 'Agent "x" ü' }],
        ['no route, no agent', { method: '_OTHER', path: '/', scheme: 'http', route: undefined, userAgent: undefined }],
        ['extra attribute', { method: 'POST', path: '/a', scheme: 'http', route: '/a', userAgent: 'ua' }, (s) => s.setAttribute('user.id', 7)],
        ['overridden request field', { method: 'POST', path: '/a', scheme: 'http', route: '/a', userAgent: 'ua' }, (s) => s.setAttribute('http.route', '/b')],
        ['failed', { method: 'GET', path: '/boom', scheme: 'http', route: '/boom', userAgent: 'ua' }, (s) => s.recordException(new Error('boom'))],
      ];
      for (const [name, http, touch] of cases) {
        const span = tracer.startHttpServerSpan(name === 'plain' ? remote : null, `span ${name}`, (n) => ({ name: n, http })) as HttpServerSpan;
        touch?.(span);
        span.statusCode = name === 'failed' ? 500 : 200;
        span.end();
        ended.push(span);
      }
      await exporter.flush();
      // Attribute order is not meaningful in OTLP: compare by key.
      const sorted = (span: Record<string, unknown>) => ({
        ...span,
        attributes: [...(span.attributes as { key: string }[])].sort((a, b) => a.key.localeCompare(b.key)),
      });
      const objectForm = (s: SpanData) => (toOtlpJson([s], {}, { name: 'covet' }) as { resourceSpans: { scopeSpans: { spans: Record<string, unknown>[] }[] }[] }).resourceSpans[0]?.scopeSpans[0]?.spans[0] as Record<string, unknown>;
      const sent = collector.spans.map((s) => s.raw);
      assert.equal(sent.length, cases.length);
      for (const [i, span] of ended.entries()) {
        assert.deepEqual(sorted(JSON.parse(encodeSpan(span))), sorted(objectForm(span.toData())), cases[i]?.[0]);
        assert.deepEqual(sorted(sent[i] as Record<string, unknown>), sorted(objectForm(span.toData())), cases[i]?.[0]);
      }
      const decoded = new Map(collector.spans.map((s) => [s.name, s]));
      assert.deepEqual(decoded.get('span non-ascii path, quoted agent')?.attributes, {
        'http.request.method': 'GET',
        'url.path': '/naïve/"q"\\',
        'url.scheme': 'https',
        'http.route': '/{p:path}',
        'user_agent.original': 'Agent "x" ü',
        'http.response.status_code': 200,
      });
      assert.equal(decoded.get('span overridden request field')?.attributes['http.route'], '/b');
      assert.equal(decoded.get('span extra attribute')?.attributes['user.id'], 7);
    } finally {
      await collector.close();
    }
  });

  it('writes plain server spans as bytes exactly as the text encoder writes them', async () => {
    // Plain spans (sampled, no trace state, nothing set by hand) skip the text encoder; the
    // others, and paths that need escaping, go through it. The body must be the same text.
    await withExporter(async ({ collector, exporter, tracer, resource, scope }) => {
      const parent = { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: 1, traceState: '', isRemote: true };
      const withState = { ...parent, traceState: 'vendor=x' };
      const fields = (path: string, userAgent: string | undefined, route: string | undefined = '/r/{p:path}'): HttpServerFields => ({ method: 'GET', path, scheme: 'http', route, userAgent });
      const cases: [SpanContextLike | null, HttpServerFields, number][] = [
        [null, fields('/r/1', 'curl/8'), 200],
        [parent, fields('/r/2?ignored', 'curl/8'), 404],
        [null, fields('/r/ü', 'curl/8'), 200],
        [null, fields('/r/"q"', 'curl/8'), 200],
        [null, fields('/r/back\\slash', 'curl/8'), 200],
        [null, fields('/r/tab\t', 'curl/8'), 200],
        [null, fields('/r/3', 'Agent "x" ü ☕'), 500],
        [null, fields('/', undefined, undefined), 201],
        [withState, fields('/r/4', 'curl/8'), 200],
        [parent, fields(`/r/${'x'.repeat(5000)}`, 'curl/8'), 200],
      ];
      const ended: HttpServerSpan[] = [];
      for (const [i, [from, http, status]] of cases.entries()) {
        const span = tracer.startHttpServerSpan(from, `GET ${http.route ?? i}`, (name) => ({ name, http })) as HttpServerSpan;
        span.statusCode = status;
        span.end();
        ended.push(span);
      }
      await exporter.flush();
      assert.equal(collector.requests.length, 1);
      assert.equal(collector.requests[0]?.body, encodeOtlpJson(ended, resource, scope));
      assert.equal(collector.spans.find((s) => s.attributes['url.path'] === '/r/ü')?.attributes['user_agent.original'], 'curl/8');
      assert.equal(collector.spans.find((s) => s.attributes['http.response.status_code'] === 500)?.attributes['user_agent.original'], 'Agent "x" ü ☕');
    });
  });

  it('writes the times of plain server spans as the text encoder does, at every digit and second boundary', async () => {
    // The byte writer copies the seconds' digits kept per second and writes the fraction in
    // integer arithmetic: leading zeros, nines and a change of second in either direction
    // must come out as the text encoder's decimal nanoseconds.
    await withExporter(async ({ collector, exporter, tracer, resource, scope }) => {
      const second = 1_764_000_000_000_000;
      const times: [number, number][] = [
        [second, second + 1],
        [second + 10, second + 999_999],
        [second + 999_999, second + 1_000_000],
        [second - 1, second + 5_000_123],
        [second + 1_000_100, second + 2_000_001],
        [second + 90_000, second + 1_009_090],
      ];
      const ended: HttpServerSpan[] = [];
      for (const [i, [start, end]] of times.entries()) {
        const http: HttpServerFields = { method: 'GET', path: `/t/${i}`, scheme: 'http', route: '/t/{i}', userAgent: undefined };
        const span = tracer.startHttpServerSpan(null, 'GET /t/{i}', (name) => ({ name, http })) as HttpServerSpan;
        span.statusCode = 200;
        span.end();
        // Spans are encoded when the exporter gathers a group of them, so the times can still change.
        Object.defineProperty(span, 'startMicros', { value: start });
        span.endMicros = end;
        ended.push(span);
      }
      await exporter.flush();
      assert.equal(collector.requests[0]?.body, encodeOtlpJson(ended, resource, scope));
      assert.deepEqual(
        collector.spans.map((s) => [s.start, s.end]),
        times.map(([a, b]) => [BigInt(a) * 1000n, BigInt(b) * 1000n]),
      );
    });
  });

  it('sends every span once and intact when batch buffers are reused across exports', async () => {
    const collector = await startCollector();
    try {
      const exporter = new OTLPTraceExporter({ url: `${collector.url}/v1/traces`, resource: { 'service.name': 'svc' }, maxExportBatchSize: 50, scheduledDelayMillis: 60_000 });
      const tracer = new Tracer({ exporter, scope: { name: 'covet', version: '1' }, useOpenTelemetry: false });
      const names: string[] = [];
      for (let wave = 0; wave < 4; wave++) {
        // Later waves write shorter spans into the buffers of earlier, longer ones.
        for (let i = 0; i < 50; i++) {
          const name = `wave ${wave} span ${i} ${'x'.repeat((3 - wave) * 40)}`;
          names.push(name);
          const span = tracer.startHttpServerSpan(null, name, (n) => ({ name: n, http: { method: 'GET', path: `/w/${wave}/${i}`, scheme: 'http', route: '/w/{a}/{b}', userAgent: 'ü' } }));
          (span as HttpServerSpan).statusCode = 200;
          span.end();
        }
        await exporter.flush();
      }
      assert.equal(collector.requests.length, 4);
      assert.deepEqual(collector.spans.map((s) => s.name).sort(), [...names].sort());
      for (const s of collector.spans) {
        const [, wave, , i] = s.name.split(' ');
        assert.equal(s.attributes['url.path'], `/w/${wave}/${i}`);
        assert.equal(s.attributes['user_agent.original'], 'ü');
      }
      assert.equal(exporter.stats.exported, 200);
    } finally {
      await collector.close();
    }
  });

  it('sends a batch once its body passes maxExportBatchBytes, and by default sends 2048 small spans in one request', async () => {
    const collector = await startCollector();
    try {
      const send = async (options: { maxExportBatchBytes?: number }, count: number): Promise<void> => {
        const exporter = new OTLPTraceExporter({ url: `${collector.url}/v1/traces`, resource: { 'service.name': 'svc' }, scheduledDelayMillis: 60_000, ...options });
        const tracer = new Tracer({ exporter, scope: { name: 'covet', version: '1' }, useOpenTelemetry: false });
        for (let i = 0; i < count; i++) {
          const span = tracer.startHttpServerSpan(null, i, (n) => ({ name: 'GET /x/{id}', http: { method: 'GET', path: `/x/${n}`, scheme: 'http', route: '/x/{id}', userAgent: undefined } }));
          (span as HttpServerSpan).statusCode = 200;
          span.end();
        }
        await exporter.flush();
        assert.equal(exporter.stats.exported, count);
      };
      // Spans are encoded 64 at a time: a batch past the byte limit goes out at the next 64.
      await send({ maxExportBatchBytes: 20_000 }, 200);
      // Two exports run at once: the collector may finish reading them in either order.
      const sizes = (): number[] => collector.requests.map((r) => r.spans).sort((a, b) => b - a);
      assert.deepEqual(sizes(), [64, 64, 64, 8]);
      for (const r of collector.requests.filter((x) => x.spans === 64)) assert.ok(Buffer.byteLength(r.body) > 20_000 && Buffer.byteLength(r.body) < 40_000, `${Buffer.byteLength(r.body)} bytes`);
      collector.requests.length = 0;
      // About 500 bytes a span: 2048 of them stay under the default 1 MiB.
      await send({}, 2100);
      assert.deepEqual(sizes(), [2048, 52]);
    } finally {
      await collector.close();
    }
  });
});
