// Request contexts are tracked only in apps that use them: the first requests run inside
// `AsyncLocalStorage`; if nothing asks for the context during them (a log line, `trace()`,
// `currentSpan()`), later requests run outside it until something does, and from then on
// inside it again. Either way a handler's lines and spans belong to its own request.
import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { CovetApp, type MiddlewareFunction } from '../../../src/index.js';
import { contextTracking, resetContextTracking } from '../../../src/internal/request-context.js';
import { StructuredLogger } from '../../../src/logging/index.js';
import { SentryIntegration, TracingMiddleware, currentSpan, trace } from '../../../src/monitoring/index.js';
import type { SpanData } from '../../../src/monitoring/span.js';
import { TestClient } from '../../../src/testing/index.js';
import { logSink } from '../../helpers/log-sink.js';

function observed(layers: (logger: StructuredLogger, tracing: TracingMiddleware) => unknown[] = (l, t) => [t, l.middleware()]) {
  const out = logSink();
  const logger = new StructuredLogger({ level: 'INFO', destination: out.stream });
  const spans: SpanData[] = [];
  const tracing = new TracingMiddleware({ serviceName: 'test', onSpanEnd: (s) => spans.push(s) });
  const app = new CovetApp();
  const middleware = layers(logger, tracing) as MiddlewareFunction[];
  return { app, logger, spans, middleware, lines: out.lines };
}

describe('lazily tracked request contexts', () => {
  // Untracked from the first request: what an app that never asked runs like after learning.
  beforeEach(() => resetContextTracking(0));

  it('leaves requests untracked while nothing asks for the context, and still logs and traces each', async () => {
    const { app, logger, spans, middleware, lines } = observed();
    app.get('/sync/{n:int}', { middleware }, (req) => ({ n: req.params.n }));
    app.get('/async/{n:int}', { middleware }, async (req) => {
      await sleep(2);
      return { n: req.params.n };
    });
    app.get('/boom', { middleware }, async () => {
      await sleep(1);
      throw new Error('kaput');
    });
    await using client = new TestClient(app);
    const responses = await Promise.all([1, 2, 3].flatMap((n) => [client.get(`/sync/${n}`, { headers: { 'x-request-id': `s${n}` } }), client.get(`/async/${n}`, { headers: { 'x-request-id': `a${n}` } })]));
    const failed = await client.get('/boom', { headers: { 'x-request-id': 'b1' } });
    await logger.flush();
    assert.equal(contextTracking(), 'untracked');
    for (const res of responses) assert.equal(res.status, 200);
    assert.equal(failed.status, 500);
    for (const id of ['s1', 's2', 's3', 'a1', 'a2', 'a3']) {
      const line = lines().find((l) => l.correlationId === id);
      assert.equal(line?.message, 'Request completed');
      assert.equal(line?.status, 200);
    }
    assert.equal(lines().find((l) => l.correlationId === 'b1')?.message, 'Request failed');
    // The unhandled error is recorded on its own request's span.
    const boom = spans.find((s) => s.attributes['http.route'] === '/boom');
    assert.equal(boom?.status.code, 'error');
    assert.equal(boom?.events[0]?.name, 'exception');
    assert.equal(boom?.events[0]?.attributes['exception.message'], 'kaput');
    assert.equal(spans.length, 7);
  });

  it('does not start tracking for lines logged outside requests', async () => {
    const { app, logger, middleware, lines } = observed();
    app.get('/', { middleware }, () => 'ok');
    logger.info('starting');
    await using client = new TestClient(app);
    assert.equal((await client.get('/')).status, 200);
    logger.info('still outside');
    await logger.flush();
    assert.equal(contextTracking(), 'untracked');
    assert.equal(lines().find((l) => l.message === 'still outside')?.correlationId, undefined);
  });

  it('keeps the context of the request that first logs, before and after its awaits', async () => {
    const { app, logger, middleware, lines } = observed();
    app.get('/work', { middleware }, async () => {
      logger.info('before');
      await sleep(3);
      logger.info('after');
      await Promise.resolve();
      return { spanId: currentSpan()?.context.spanId };
    });
    await using client = new TestClient(app);
    const res = await client.get('/work', { headers: { 'x-correlation-id': 'first' } });
    await logger.flush();
    assert.equal(contextTracking(), 'tracked');
    assert.equal(lines().find((l) => l.message === 'before')?.correlationId, 'first');
    assert.equal(lines().find((l) => l.message === 'after')?.correlationId, 'first');
    const spanId = (res.json() as { spanId?: string }).spanId;
    assert.match(res.headers.get('traceparent') ?? '', new RegExp(`^00-[0-9a-f]{32}-${spanId}-01$`));
    // Nothing of that request is left current for the code around it.
    logger.info('outside');
    await logger.flush();
    assert.equal(lines().find((l) => l.message === 'outside')?.correlationId, undefined);
    assert.equal(currentSpan(), undefined);
  });

  it('gives a line logged only after an await no context the first time, then tracks every request', async () => {
    const { app, logger, spans, middleware, lines } = observed();
    app.get('/late', { middleware }, async () => {
      await sleep(3);
      logger.info('late');
      return trace('step', async () => {
        await sleep(1);
        logger.info('in step');
        return 'done';
      })();
    });
    await using client = new TestClient(app);
    const first = await client.get('/late', { headers: { 'x-request-id': 'first' } });
    assert.equal(first.status, 200);
    assert.equal(contextTracking(), 'tracked');
    const res = await client.get('/late', { headers: { 'x-request-id': 'second' } });
    await logger.flush();
    assert.equal(res.status, 200);
    // Asked after an await of an untracked request: code that no request's context can be proven for.
    assert.equal(lines().find((l) => l.message === 'late')?.correlationId, undefined);
    assert.equal(lines().filter((l) => l.message === 'late')[1]?.correlationId, 'second');
    assert.equal(lines().filter((l) => l.message === 'in step')[1]?.correlationId, 'second');
    const server = spans.filter((s) => s.kind === 'server')[1];
    const step = spans.filter((s) => s.name === 'step')[1];
    assert.equal(step?.parentSpanId, server?.context.spanId);
    assert.equal(step?.context.traceId, server?.context.traceId);
  });

  it('never gives background code the context of the one request in flight', async () => {
    const { app, logger, spans, middleware, lines } = observed();
    let release = (): void => {};
    const held = new Promise<void>((r) => {
      release = r;
    });
    app.get('/slow', { middleware }, async () => {
      await held;
      return 'ok';
    });
    await using client = new TestClient(app);
    const pending = client.get('/slow', { headers: { 'x-request-id': 'req-slow-1' } });
    await sleep(5);
    // A timer that belongs to no request logs and traces while /slow is in flight, twice.
    const job = (): Promise<void> =>
      new Promise((resolve) =>
        setTimeout(async () => {
          logger.info('background');
          await trace('background_job', async () => {})();
          resolve();
        }, 1),
      );
    await job();
    await job();
    release();
    assert.equal((await pending).status, 200);
    await logger.flush();
    const background = lines().filter((l) => l.message === 'background');
    assert.equal(background.length, 2);
    for (const line of background) assert.equal(line.correlationId, undefined);
    const jobs = spans.filter((s) => s.name === 'background_job');
    assert.equal(jobs.length, 2);
    for (const span of jobs) assert.equal(span.parentSpanId, null);
  });

  it('keeps concurrent requests apart once tracking is on', async () => {
    const { app, logger, middleware, lines } = observed();
    app.get('/n/{n:int}', { middleware }, async (req) => {
      logger.info('start', { n: req.params.n });
      await sleep(5 * (4 - req.params.n));
      logger.info('end', { n: req.params.n });
      return { spanId: currentSpan()?.context.spanId };
    });
    await using client = new TestClient(app);
    const responses = await Promise.all([1, 2, 3].map((n) => client.get(`/n/${n}`, { headers: { 'x-request-id': `r${n}` } })));
    await logger.flush();
    for (const [i, res] of responses.entries()) {
      const n = i + 1;
      for (const message of ['start', 'end']) assert.equal(lines().find((l) => l.message === message && l.n === n)?.correlationId, `r${n}`);
      assert.match(res.headers.get('traceparent') ?? '', new RegExp(`-${(res.json() as { spanId: string }).spanId}-01$`));
    }
  });

  it('carries the request context across a middleware that awaits between logging and tracing', async () => {
    const pause: MiddlewareFunction = async (req, callNext) => {
      await sleep(2);
      return callNext(req);
    };
    const { app, logger, spans, middleware, lines } = observed((l, t) => [l.middleware(), pause, t]);
    app.get('/gap', { middleware }, () => {
      logger.info('handler');
      return trace('inner', () => currentSpan()?.context.spanId)();
    });
    await using client = new TestClient(app);
    const res = await client.get('/gap', { headers: { 'x-request-id': 'gap-1' } });
    await logger.flush();
    assert.equal(res.status, 200);
    assert.equal(lines().find((l) => l.message === 'handler')?.correlationId, 'gap-1');
    const server = spans.find((s) => s.kind === 'server');
    const inner = spans.find((s) => s.name === 'inner');
    assert.equal(inner?.parentSpanId, server?.context.spanId);
    assert.equal(lines().find((l) => l.message === 'Request completed')?.correlationId, 'gap-1');
  });

  it('lets Sentry find the request of an event captured after an await once requests are tracked', async () => {
    const events: { request?: { url?: string }; transaction?: string }[] = [];
    const sentry = new SentryIntegration({
      dsn: 'http://key@127.0.0.1:9/1',
      beforeSend: (event) => {
        events.push(event as (typeof events)[number]);
        return null;
      },
    });
    const app = new CovetApp();
    app.addIntegration(sentry);
    app.get('/capture/{n:int}', async () => {
      await sleep(2);
      sentry.captureMessage('hello');
      return 'ok';
    });
    await using client = new TestClient(app);
    assert.equal((await client.get('/capture/1')).status, 200);
    assert.equal(contextTracking(), 'tracked');
    assert.equal(events[0]?.transaction, undefined, 'the first, untracked, is not taken for a request');
    assert.equal((await client.get('/capture/2')).status, 200);
    assert.equal(events[1]?.transaction, 'GET /capture/{n:int}');
    assert.match(events[1]?.request?.url ?? '', /\/capture\/2$/);
    await sentry.close?.();
  });
});

describe('learning whether an app uses request contexts', () => {
  it('tracks the first requests, so concurrent requests that log only after an await keep their ids', async () => {
    resetContextTracking();
    const { app, logger, middleware, lines } = observed();
    app.get('/n/{n:int}', { middleware }, async (req) => {
      await sleep(5);
      logger.info('after', { n: req.params.n });
      return 'ok';
    });
    await using client = new TestClient(app);
    await Promise.all([1, 2, 3, 4].map((n) => client.get(`/n/${n}`, { headers: { 'x-request-id': `q${n}` } })));
    await logger.flush();
    for (const n of [1, 2, 3, 4]) assert.equal(lines().find((l) => l.message === 'after' && l.n === n)?.correlationId, `q${n}`);
    assert.equal(contextTracking(), 'tracked');
  });

  it('stops tracking once the learning requests passed without anyone asking, and starts again when asked', async () => {
    resetContextTracking(5);
    const { app, logger, middleware, lines } = observed();
    let ask = false;
    app.get('/n/{n:int}', { middleware }, async (req) => {
      await sleep(1);
      if (ask) logger.info('asked', { n: req.params.n });
      return 'ok';
    });
    await using client = new TestClient(app);
    for (let n = 1; n <= 5; n++) await client.get(`/n/${n}`);
    assert.equal(contextTracking(), 'learning');
    await client.get('/n/6');
    assert.equal(contextTracking(), 'untracked');
    await Promise.all([7, 8, 9].map((n) => client.get(`/n/${n}`, { headers: { 'x-request-id': `u${n}` } })));
    assert.equal(contextTracking(), 'untracked');
    ask = true;
    await client.get('/n/10', { headers: { 'x-request-id': 'u10' } });
    assert.equal(contextTracking(), 'tracked');
    await Promise.all([11, 12].map((n) => client.get(`/n/${n}`, { headers: { 'x-request-id': `u${n}` } })));
    await logger.flush();
    for (const n of [7, 8, 9]) assert.equal(lines().find((l) => l.message === 'Request completed' && l.correlationId === `u${n}`)?.status, 200);
    // The request that asked first, after an await, could not be told from background code: its
    // line has no context. Every request after it is tracked.
    assert.equal(lines().find((l) => l.message === 'asked' && l.n === 10)?.correlationId, undefined);
    for (const n of [11, 12]) assert.equal(lines().find((l) => l.message === 'asked' && l.n === n)?.correlationId, `u${n}`);
  });

  it('keeps tracking for good once something asked while learning', async () => {
    resetContextTracking(3);
    const { app, logger, middleware } = observed();
    let asks = 1;
    app.get('/', { middleware }, () => {
      if (asks-- > 0) logger.info('once');
      return 'ok';
    });
    await using client = new TestClient(app);
    for (let i = 0; i < 6; i++) assert.equal((await client.get('/')).status, 200);
    assert.equal(contextTracking(), 'tracked');
  });
});
