// With an OpenTelemetry SDK registered (@opentelemetry/api + sdk-trace-base, installed under
// tests/oracles/monitoring), TracingMiddleware and trace() create their spans through the SDK:
// the SDK's exporter sees them, with the parent from traceparent, and the SDK's context holds them.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { after, before, describe, it } from 'node:test';
import { CovetApp } from '../../../src/index.js';
import { parseTraceparent, trace, TracingMiddleware } from '../../../src/monitoring/index.js';
import { TestClient } from '../../../src/testing/index.js';
import { ORACLES_DIR, oracleSkip } from './oracles.js';

interface SdkSpan {
  readonly name: string;
  readonly kind: number;
  spanContext(): { traceId: string; spanId: string };
  readonly parentSpanContext?: { spanId: string };
  readonly parentSpanId?: string;
  readonly attributes: Record<string, unknown>;
  readonly status: { code: number; message?: string };
  readonly events: { name: string }[];
}
interface Api {
  trace: { setGlobalTracerProvider(p: unknown): boolean; disable(): void; getActiveSpan(): { spanContext(): { spanId: string } } | undefined };
  context: { setGlobalContextManager(m: unknown): boolean; disable(): void };
}

const available = existsSync(`${ORACLES_DIR}node_modules/@opentelemetry/sdk-trace-base/package.json`);
const require = createRequire(`${ORACLES_DIR}package.json`);

describe('TracingMiddleware with an OpenTelemetry SDK registered', oracleSkip(available, '@opentelemetry/sdk-trace-base'), () => {
  let api: Api;
  let exporter: { getFinishedSpans(): SdkSpan[]; reset(): void };
  before(() => {
    api = require('@opentelemetry/api') as Api;
    const sdk = require('@opentelemetry/sdk-trace-base') as {
      BasicTracerProvider: new (o: unknown) => unknown;
      InMemorySpanExporter: new () => typeof exporter;
      SimpleSpanProcessor: new (e: unknown) => unknown;
    };
    const { AsyncLocalStorageContextManager } = require('@opentelemetry/context-async-hooks') as {
      AsyncLocalStorageContextManager: new () => { enable(): unknown };
    };
    exporter = new sdk.InMemorySpanExporter();
    api.context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    api.trace.setGlobalTracerProvider(new sdk.BasicTracerProvider({ spanProcessors: [new sdk.SimpleSpanProcessor(exporter)] }));
  });
  after(() => {
    api.trace.disable();
    api.context.disable();
  });

  it('creates the request span and trace() children through the SDK, continuing traceparent', async () => {
    const app = new CovetApp({ logger: { info() {}, error() {} } });
    let activeInHandler: string | undefined;
    const child = trace('child_work', async () => {
      activeInHandler = api.trace.getActiveSpan()?.spanContext().spanId;
    });
    app.addMiddleware(new TracingMiddleware({ serviceName: 'otel-app' }));
    app.get('/items/{id}', async () => {
      await child();
      return { ok: true };
    });
    app.get('/fail', () => {
      throw new Error('sdk boom');
    });
    await using client = new TestClient(app);
    const parent = '4bf92f3577b34da6a3ce929d0e0e4736';
    const res = await client.get('/items/1', { headers: { traceparent: `00-${parent}-00f067aa0ba902b7-01` } });
    assert.equal(res.status, 200);
    const spans = exporter.getFinishedSpans();
    const server = spans.find((s) => s.name === 'GET /items/{id}');
    const inner = spans.find((s) => s.name === 'child_work');
    assert.ok(server && inner, `spans: ${spans.map((s) => s.name).join(', ')}`);
    assert.equal(server.kind, 1, 'SpanKind.SERVER');
    assert.equal(server.spanContext().traceId, parent);
    assert.equal(server.parentSpanContext?.spanId ?? server.parentSpanId, '00f067aa0ba902b7');
    assert.equal(server.attributes['http.route'], '/items/{id}');
    assert.equal(server.attributes['http.response.status_code'], 200);
    assert.equal(inner.spanContext().traceId, parent);
    assert.equal(inner.parentSpanContext?.spanId ?? inner.parentSpanId, server.spanContext().spanId);
    assert.equal(activeInHandler, inner.spanContext().spanId, "the SDK's active span inside trace() is the child");
    assert.equal(parseTraceparent(res.headers.get('traceparent'))?.spanId, server.spanContext().spanId);

    exporter.reset();
    assert.equal((await client.get('/fail')).status, 500);
    const failed = exporter.getFinishedSpans()[0];
    assert.equal(failed?.status.code, 2);
    assert.equal(failed?.status.message, 'sdk boom');
    assert.ok(failed?.events.some((e) => e.name === 'exception'));
  });
});
