// Tracing and request logging share one async context per request, whichever runs first: a
// handler's log lines carry the correlation id, its `trace()` spans are children of the
// request's span, and neither middleware sees another request's context.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CovetApp } from '../../../src/index.js';
import { StructuredLogger } from '../../../src/logging/index.js';
import { TracingMiddleware, currentSpan, trace } from '../../../src/monitoring/index.js';
import type { SpanData } from '../../../src/monitoring/span.js';
import { TestClient } from '../../../src/testing/index.js';
import { logSink } from '../../helpers/log-sink.js';

function setup(order: 'tracing first' | 'logging first') {
  const out = logSink();
  const logger = new StructuredLogger({ level: 'INFO', destination: out.stream });
  const spans: SpanData[] = [];
  const tracing = new TracingMiddleware({ serviceName: 'test', onSpanEnd: (s) => spans.push(s) });
  const app = new CovetApp();
  const layers = order === 'tracing first' ? [tracing, logger.middleware()] : [logger.middleware(), tracing];
  app.get('/work/{n:int}', { middleware: layers }, async (req) => {
    const server = currentSpan();
    await new Promise((r) => setTimeout(r, 5 * (3 - req.params.n)));
    await trace('step', async () => {
      await Promise.resolve();
      logger.info('inside', { n: req.params.n });
    })();
    return { traceId: server?.context.traceId, spanId: server?.context.spanId, sameAfterAwait: currentSpan() === server };
  });
  return { app, logger, spans, lines: out.lines };
}

describe('one context for tracing and request logging', () => {
  for (const order of ['tracing first', 'logging first'] as const) {
    it(`keeps each request's span and correlation id apart (${order})`, async () => {
      const { app, logger, spans, lines } = setup(order);
      await using client = new TestClient(app);
      const responses = await Promise.all([1, 2, 3].map((n) => client.get(`/work/${n}`, { headers: { 'x-request-id': `req-${n}` } })));
      await logger.flush();
      for (const [i, res] of responses.entries()) {
        const n = i + 1;
        assert.equal(res.status, 200);
        assert.equal(res.headers.get('x-request-id'), `req-${n}`);
        const body = res.json() as { traceId: string; spanId: string; sameAfterAwait: boolean };
        assert.equal(body.sameAfterAwait, true);
        assert.match(res.headers.get('traceparent') ?? '', new RegExp(`^00-${body.traceId}-${body.spanId}-01$`));
        const inside = lines().find((l) => l.message === 'inside' && l.n === n);
        assert.equal(inside?.correlationId, `req-${n}`);
        const step = spans.find((s) => s.name === 'step' && s.context.traceId === body.traceId);
        assert.equal(step?.parentSpanId, body.spanId);
        const server = spans.find((s) => s.context.spanId === body.spanId);
        assert.equal(server?.attributes['http.route'], '/work/{n:int}');
        assert.equal(server?.attributes['http.response.status_code'], 200);
        const done = lines().find((l) => l.message === 'Request completed' && l.correlationId === `req-${n}`);
        assert.equal(done?.path, `/work/${n}`);
      }
      // Outside any request there is no context left over.
      assert.equal(currentSpan(), undefined);
      assert.deepEqual(logger.currentContext(), {});
    });
  }
});
