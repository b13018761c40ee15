import assert from 'node:assert/strict';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { CovetApp } from '../../../src/index.js';
import { parseDsn, SentryIntegration, TracingMiddleware } from '../../../src/monitoring/index.js';
import { TestClient } from '../../../src/testing/index.js';
import { parseStack } from '../../../src/monitoring/sentry-event.js';
import { contextTracking, resetContextTracking } from '../../../src/internal/request-context.js';
import { memoryLogger, withServer } from '../../helpers/server.js';

interface Envelope {
  readonly raw: string;
  readonly path: string;
  readonly auth: string | undefined;
  readonly contentType: string | undefined;
  readonly header: Record<string, unknown>;
  readonly items: { header: { type: string; length: number }; payload: Record<string, unknown> }[];
}

/** A loopback Sentry ingest: parses envelopes (header line, then item header + payload pairs). */
async function fakeSentry(): Promise<{
  port: number;
  envelopes: Envelope[];
  mode: 'ok' | 'hang' | '429';
  /** An `X-Sentry-Rate-Limits` value sent with every answer (also with a 429). */
  rateLimits: string;
  waitFor(n: number): Promise<void>;
  close(): Promise<void>;
}> {
  const envelopes: Envelope[] = [];
  const waiters: (() => void)[] = [];
  const state = { mode: 'ok' as 'ok' | 'hang' | '429', rateLimits: '' };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (state.mode === 'hang') return;
      const limits: Record<string, string> = state.rateLimits === '' ? {} : { 'x-sentry-rate-limits': state.rateLimits };
      if (state.mode === '429') {
        res.writeHead(429, { 'retry-after': '60', ...limits }).end();
        return;
      }
      const raw = Buffer.concat(chunks).toString('utf8');
      const lines = raw.split('\n');
      const header = JSON.parse(lines[0] ?? '{}') as Record<string, unknown>;
      const items: Envelope['items'] = [];
      let rest = raw.slice((lines[0] ?? '').length + 1);
      while (rest.trim() !== '') {
        const nl = rest.indexOf('\n');
        const itemHeader = JSON.parse(rest.slice(0, nl)) as { type: string; length: number };
        const bytes = Buffer.from(rest.slice(nl + 1), 'utf8');
        const payload = bytes.subarray(0, itemHeader.length).toString('utf8');
        items.push({ header: itemHeader, payload: JSON.parse(payload) as Record<string, unknown> });
        rest = bytes.subarray(itemHeader.length).toString('utf8').replace(/^\n/, '');
      }
      envelopes.push({ raw, path: req.url ?? '', auth: req.headers['x-sentry-auth'] as string | undefined, contentType: req.headers['content-type'], header, items });
      res.writeHead(200, { 'content-type': 'application/json', ...limits }).end('{"id":"x"}');
      for (const w of waiters.splice(0)) w();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    envelopes,
    get mode() {
      return state.mode;
    },
    set mode(m) {
      state.mode = m;
    },
    get rateLimits() {
      return state.rateLimits;
    },
    set rateLimits(v) {
      state.rateLimits = v;
    },
    async waitFor(n) {
      while (envelopes.length < n) await new Promise<void>((r) => waiters.push(r));
    },
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

describe('SentryIntegration', () => {
  let sentryServer: Awaited<ReturnType<typeof fakeSentry>>;
  let dsn: string;
  before(async () => {
    sentryServer = await fakeSentry();
    dsn = `http://publickey123@127.0.0.1:${sentryServer.port}/42`;
  });
  after(() => sentryServer.close());

  it('parses DSNs into the envelope URL', () => {
    assert.equal(parseDsn('https://abc@o1.ingest.sentry.io/42').envelopeUrl, 'https://o1.ingest.sentry.io/api/42/envelope/');
    assert.equal(parseDsn('http://k@localhost:9000/prefix/7').envelopeUrl, 'http://localhost:9000/prefix/api/7/envelope/');
    assert.throws(() => parseDsn('https://o1.ingest.sentry.io/42'), TypeError);
    assert.throws(() => parseDsn('not a url'), TypeError);
  });

  it('parses V8 stack lines into frames, oldest first, anonymous async frames included', () => {
    const stack = [
      'Error: boom',
      '    at inner (file:///srv/app/handlers.js:24:29)',
      '    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)',
      '    at async Router.handle (/srv/app/node_modules/lib/router.js:10:3)',
      '    at async file:///srv/app/main.js:28:9',
    ].join('\n');
    assert.deepEqual(parseStack(stack), [
      { filename: '/srv/app/main.js', function: '<anonymous>', lineno: 28, colno: 9, in_app: true },
      { filename: '/srv/app/node_modules/lib/router.js', function: 'async Router.handle', lineno: 10, colno: 3, in_app: false },
      { filename: 'node:internal/process/task_queues', function: 'process.processTicksAndRejections', lineno: 95, colno: 5, in_app: false },
      { filename: '/srv/app/handlers.js', function: 'inner', lineno: 24, colno: 29, in_app: true },
    ]);
  });

  it('runs the seed example: captureException from a handler, sent as an envelope', async () => {
    sentryServer.envelopes.length = 0;
    const app = new CovetApp();
    const sentry = new SentryIntegration({ dsn, environment: 'production', tracesSampleRate: 0.1, release: 'api@1.2.3' });
    app.addIntegration(sentry);
    function riskyOperation(): never {
      throw new Error('risky failed', { cause: new TypeError('root cause') });
    }
    app.route('/error-prone', async () => {
      try {
        riskyOperation();
      } catch (e) {
        sentry.captureException(e);
        return [{ error: 'Something went wrong' }, 500];
      }
    });
    const client = new TestClient(app);
    const res = await client.get('/error-prone');
    assert.equal(res.status, 500);
    assert.deepEqual(res.json(), { error: 'Something went wrong' });
    await client.close(); // flushes
    const env = sentryServer.envelopes.find((e) => e.items[0]?.header.type === 'event');
    assert.ok(env, 'an event envelope arrived');
    assert.equal(env.path, '/api/42/envelope/');
    assert.equal(env.contentType, 'application/x-sentry-envelope');
    assert.match(env.auth ?? '', /^Sentry sentry_version=7, sentry_key=publickey123, sentry_client=covet\.sentry\//);
    assert.equal(env.header.dsn, dsn);
    const event = env.items[0]?.payload as Record<string, unknown> & { exception: { values: { type: string; value: string; mechanism: { handled: boolean }; stacktrace: { frames: { function: string; in_app: boolean; lineno: number }[] } }[] } };
    assert.equal(event.event_id, env.header.event_id);
    assert.match(String(event.event_id), /^[0-9a-f]{32}$/);
    assert.equal(event.level, 'error');
    assert.equal(event.platform, 'node');
    assert.equal(event.environment, 'production');
    assert.equal(event.release, 'api@1.2.3');
    assert.deepEqual(
      event.exception.values.map((v) => [v.type, v.value]),
      [
        ['TypeError', 'root cause'],
        ['Error', 'risky failed'],
      ],
    );
    const thrown = event.exception.values[1];
    assert.equal(thrown?.mechanism.handled, true);
    const frames = thrown?.stacktrace.frames ?? [];
    assert.equal(frames[frames.length - 1]?.function, 'riskyOperation', 'the throwing frame is last');
    assert.equal(frames[frames.length - 1]?.in_app, true);
    assert.ok(Number.isInteger(frames[frames.length - 1]?.lineno));
  });

  it('gives captureException and captureMessage called inside a handler that request, scrubbed, with or without tracing', async () => {
    for (const withTracing of [false, true]) {
      sentryServer.envelopes.length = 0;
      const app = new CovetApp();
      const sentry = new SentryIntegration({ dsn });
      app.addIntegration(sentry);
      if (withTracing) app.addMiddleware(new TracingMiddleware({ serviceName: 'sentry-scope', useOpenTelemetry: false }));
      app.post('/orders/{id:int}', async (req) => {
        await new Promise((r) => setTimeout(r, 1));
        sentry.captureException(new Error('payment declined'));
        sentry.captureMessage('retrying', 'warning');
        return [{ error: 'declined', id: req.params.id }, 402];
      });
      app.get('/outside', () => ({ ok: true }));
      const client = new TestClient(app);
      const res = await client.post('/orders/7?trace=1', { json: { card: '4111' }, headers: { authorization: 'Bearer secret', cookie: 'sid=abc' } });
      assert.equal(res.status, 402);
      sentry.captureMessage('no request here');
      await client.close();
      const events = sentryServer.envelopes.map((e) => e.items[0]?.payload as { message?: { formatted: string }; exception?: unknown; request?: { method: string; url: string; query_string: string; headers: Record<string, string> }; transaction?: string });
      assert.equal(events.length, 3, `${withTracing}`);
      for (const event of events.filter((e) => e.message?.formatted !== 'no request here')) {
        assert.equal(event.request?.method, 'POST');
        assert.equal(event.request?.url, 'http://testserver/orders/7');
        assert.equal(event.request?.query_string, 'trace=1');
        assert.equal(event.transaction, 'POST /orders/{id:int}');
        assert.equal(event.request?.headers.authorization, '[Filtered]');
        assert.ok(!JSON.stringify(event.request).includes('abc') && !JSON.stringify(event.request).includes('secret'));
      }
      assert.equal(events.find((e) => e.message?.formatted === 'no request here')?.request, undefined);
    }
  });

  it('captures unhandled handler errors with a scrubbed request context', async () => {
    sentryServer.envelopes.length = 0;
    const app = new CovetApp({ logger: memoryLogger() });
    app.addIntegration(new SentryIntegration({ dsn, environment: 'staging' }));
    app.get('/orders/{id:int}', () => {
      throw new RangeError('order exploded');
    });
    await withServer(app, async ({ url }) => {
      const res = await fetch(`${url}/orders/7?password=hunter2&q=shoes&api_key=k-123`, {
        headers: {
          cookie: 'session=s3cr3t-cookie',
          authorization: 'Bearer tok-abc.def',
          'x-api-key': 'key-xyz',
          'x-trace': 'visible',
          'x-forwarded-for': '203.0.113.7, 10.0.0.1',
          'x-real-ip': '203.0.113.8',
          forwarded: 'for=203.0.113.9;proto=https',
          'x-goog-iap-jwt-assertion': 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI3In0.c2lnbmF0dXJlLXZhbHVl',
        },
      });
      assert.equal(res.status, 500);
    });
    assert.equal(sentryServer.envelopes.length, 1, 'app.close() flushed the event');
    const env = sentryServer.envelopes[0] as Envelope;
    for (const secret of ['hunter2', 's3cr3t-cookie', 'tok-abc.def', 'key-xyz', 'k-123', '203.0.113.', 'eyJzdWIiOiI3In0']) assert.ok(!env.raw.includes(secret), `${secret} leaked`);
    const event = env.items[0]?.payload as { environment: string; transaction: string; request: { method: string; url: string; query_string: string; headers: Record<string, string> }; exception: { values: { type: string; mechanism: { handled: boolean } }[] } };
    assert.equal(event.environment, 'staging');
    assert.equal(event.transaction, 'GET /orders/{id:int}');
    assert.equal(event.request.method, 'GET');
    assert.match(event.request.url, /^http:\/\/127\.0\.0\.1:\d+\/orders\/7$/);
    assert.equal(event.request.query_string, 'password=%5BFiltered%5D&q=shoes&api_key=%5BFiltered%5D');
    assert.equal(event.request.headers.authorization, '[Filtered]');
    assert.equal(event.request.headers.cookie, '[Filtered]');
    assert.equal(event.request.headers['x-api-key'], '[Filtered]');
    assert.equal(event.request.headers['x-trace'], 'visible');
    assert.equal(event.request.headers['x-forwarded-for'], '[Filtered]');
    assert.equal(event.request.headers['x-real-ip'], '[Filtered]');
    assert.equal(event.request.headers.forwarded, '[Filtered]');
    assert.equal(event.request.headers['x-goog-iap-jwt-assertion'], '[Filtered]', 'a JWT under a name that says nothing');
    assert.equal(event.exception.values[0]?.type, 'RangeError');
    assert.equal(event.exception.values[0]?.mechanism.handled, false);
  });

  it('sends messages, scrubs extra data, applies beforeSend and sampleRate', async () => {
    sentryServer.envelopes.length = 0;
    const sentry = new SentryIntegration({
      dsn,
      beforeSend: (event) => (event.message?.formatted === 'drop me' ? null : { ...event, tags: { ...event.tags, checked: 'yes' } }),
    });
    assert.match(sentry.captureMessage('deploy finished', 'warning') ?? '', /^[0-9a-f]{32}$/);
    sentry.captureException(new Error('with extra'), {
      extra: {
        password: 'p4ss',
        nested: { token: 't0k', ok: 1 },
        at: new Date(0),
        url: new URL('https://example.com/x'),
        big: 10n,
        set: new Set([1]),
        parsed: JSON.parse('{"__proto__":{"a":1}}'),
      },
      tags: { area: 'billing' },
    });
    assert.equal(sentry.captureMessage('drop me'), null);
    await sentry.flush();
    assert.equal(sentryServer.envelopes.length, 2);
    const [message, error] = sentryServer.envelopes.map((e) => e.items[0]?.payload as Record<string, unknown>);
    assert.deepEqual(message?.message, { formatted: 'deploy finished' });
    assert.equal(message?.level, 'warning');
    const extra = error?.extra as Record<string, unknown>;
    assert.deepEqual(Object.keys(extra), ['password', 'nested', 'at', 'url', 'big', 'set', 'parsed']);
    assert.equal(extra.password, '[Filtered]');
    assert.deepEqual(extra.nested, { token: '[Filtered]', ok: 1 });
    // As JSON.stringify writes them (a Date or URL came out as {}; a bigint could not be serialized).
    assert.deepEqual([extra.at, extra.url, extra.big, extra.set], ['1970-01-01T00:00:00.000Z', 'https://example.com/x', '10', [1]]);
    assert.deepEqual(Object.getOwnPropertyDescriptor(extra.parsed, '__proto__')?.value, { a: 1 });
    assert.deepEqual(error?.tags, { area: 'billing', checked: 'yes' });

    const never = new SentryIntegration({ dsn, sampleRate: 0 });
    assert.equal(never.captureException(new Error('x')), null);
    assert.equal(never.stats.sampledOut, 1);
    assert.equal(new SentryIntegration({ dsn: '' }).captureException(new Error('no dsn')), null);
  });

  it('never throws from a beforeSend that throws or returns no event, and awaits an async one', async () => {
    sentryServer.envelopes.length = 0;
    const warnings: string[] = [];
    const logger = { warn: (m: string) => warnings.push(m), error: (m: string) => warnings.push(m) };
    const throwing = new SentryIntegration({ dsn, logger, beforeSend: () => { throw new Error('filter bug'); } });
    assert.equal(throwing.captureException(new Error('a')), null);
    const forgetful = new SentryIntegration({ dsn, logger, beforeSend: (() => undefined) as unknown as () => null });
    assert.equal(forgetful.captureMessage('b'), null);
    const asyncSentry = new SentryIntegration({
      dsn,
      logger,
      beforeSend: async (event) => {
        await new Promise((r) => setTimeout(r, 5));
        if (event.message?.formatted === 'drop') return null;
        if (event.message?.formatted === 'reject') throw new Error('async filter bug');
        return { ...event, tags: { checked: 'async' } };
      },
    });
    const id = asyncSentry.captureMessage('keep');
    assert.match(id ?? '', /^[0-9a-f]{32}$/);
    asyncSentry.captureMessage('drop');
    asyncSentry.captureMessage('reject');
    await Promise.all([throwing.flush(), forgetful.flush(), asyncSentry.flush()]);
    assert.equal(sentryServer.envelopes.length, 1);
    const event = sentryServer.envelopes[0]?.items[0]?.payload as Record<string, unknown>;
    assert.deepEqual([event.event_id, event.tags, event.message], [id, { checked: 'async' }, { formatted: 'keep' }]);
    assert.deepEqual(warnings, [
      'Sentry beforeSend threw; the event is dropped',
      'Sentry beforeSend returned undefined, not an event or null; the event is dropped',
      'Sentry beforeSend threw; the event is dropped',
    ]);
  });

  it('sends performance transactions for tracesSampleRate, linked to the trace', async () => {
    sentryServer.envelopes.length = 0;
    const app = new CovetApp();
    app.addMiddleware(new TracingMiddleware({ logger: { error() {} } }));
    app.addIntegration(new SentryIntegration({ dsn, tracesSampleRate: 1 }));
    app.get('/items/{id}', () => ({ ok: true }));
    const client = new TestClient(app);
    const res = await client.get('/items/3');
    await client.close();
    const env = sentryServer.envelopes.find((e) => e.items[0]?.header.type === 'transaction');
    assert.ok(env);
    const tx = env.items[0]?.payload as { type: string; transaction: string; start_timestamp: number; timestamp: number; contexts: { trace: { trace_id: string; op: string; status: string } } };
    assert.equal(tx.type, 'transaction');
    assert.equal(tx.transaction, 'GET /items/{id}');
    assert.ok(tx.timestamp >= tx.start_timestamp);
    assert.equal(tx.contexts.trace.op, 'http.server');
    assert.equal(tx.contexts.trace.status, 'ok');
    assert.equal(tx.contexts.trace.trace_id, res.headers.get('traceparent')?.split('-')[1]);
    assert.equal((env.header.trace as { public_key: string }).public_key, 'publickey123');
  });

  it('links the transaction to a TracingMiddleware inside it too, without turning context tracking on', async () => {
    resetContextTracking();
    sentryServer.envelopes.length = 0;
    const app = new CovetApp();
    app.addIntegration(new SentryIntegration({ dsn, tracesSampleRate: 1 }));
    app.addMiddleware(new TracingMiddleware({ logger: { error() {} }, useOpenTelemetry: false }));
    app.get('/items/{id}', () => ({ ok: true }));
    const client = new TestClient(app);
    const res = await client.get('/items/3', { headers: { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' } });
    await client.close();
    const [, traceId, spanId] = res.headers.get('traceparent')?.split('-') ?? [];
    assert.equal(traceId, '4bf92f3577b34da6a3ce929d0e0e4736');
    const tx = sentryServer.envelopes.find((e) => e.items[0]?.header.type === 'transaction')?.items[0]?.payload as { contexts: { trace: { trace_id: string; span_id: string } } };
    assert.deepEqual([tx.contexts.trace.trace_id, tx.contexts.trace.span_id], [traceId, spanId]);
    // Reading the request's span from its store is not "code asking for the context".
    assert.notEqual(contextTracking(), 'tracked');
  });

  it('keeps the dynamic sampling context an upstream SDK froze in baggage for the trace', async () => {
    sentryServer.envelopes.length = 0;
    const app = new CovetApp();
    app.addIntegration(new SentryIntegration({ dsn, tracesSampleRate: 1, environment: 'production' }));
    app.get('/x', () => 'ok');
    await using client = new TestClient(app);
    const TRACE = '771a43a4192642f0b136d5159a501700';
    await client.get('/x', {
      headers: {
        'sentry-trace': `${TRACE}-b7ad6b7169203331-1`,
        baggage: `other=1,sentry-trace_id=${TRACE},sentry-public_key=frontendkey,sentry-sample_rate=0.5,sentry-transaction=checkout%20page,sentry-sampled=true;prop`,
      },
    });
    await client.get('/x');
    await client.close();
    const [continued, own] = sentryServer.envelopes.map((e) => e.header.trace as Record<string, string>);
    assert.deepEqual(continued, { trace_id: TRACE, public_key: 'frontendkey', sample_rate: '0.5', transaction: 'checkout page', sampled: 'true' });
    // Without baggage this service heads the trace and makes the DSC itself.
    assert.equal(own?.public_key, 'publickey123');
    assert.equal(own?.transaction, 'GET /x');
  });

  it('without TracingMiddleware, continues an incoming traceparent or sentry-trace and links the request errors to it', async () => {
    type Payload = { type?: string; message?: { formatted: string }; exception?: unknown; contexts: { trace?: { trace_id: string; span_id: string; parent_span_id?: string } } };
    const payloads = (): Payload[] => sentryServer.envelopes.map((e) => e.items[0]?.payload as Payload);
    const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
    const PARENT = '00f067aa0ba902b7';
    const cases: { headers: Record<string, string>; transaction: boolean; parent: string | undefined; trace: string | undefined }[] = [
      { headers: { traceparent: `00-${TRACE}-${PARENT}-01` }, transaction: true, parent: PARENT, trace: TRACE },
      { headers: { 'sentry-trace': `${TRACE}-${PARENT}-1` }, transaction: true, parent: PARENT, trace: TRACE },
      { headers: { 'sentry-trace': `${TRACE}-${PARENT}` }, transaction: true, parent: PARENT, trace: TRACE },
      // The upstream decided not to sample: no transaction, but the errors still carry the trace.
      { headers: { 'sentry-trace': `${TRACE}-${PARENT}-0` }, transaction: false, parent: PARENT, trace: TRACE },
      { headers: { traceparent: `00-${TRACE}-${PARENT}-00` }, transaction: false, parent: PARENT, trace: TRACE },
      // Malformed or absent: a new trace of the transaction's own.
      { headers: { traceparent: `00-${'0'.repeat(32)}-${PARENT}-01`, 'sentry-trace': 'nope' }, transaction: true, parent: undefined, trace: undefined },
      { headers: {}, transaction: true, parent: undefined, trace: undefined },
    ];
    for (const c of cases) {
      sentryServer.envelopes.length = 0;
      const app = new CovetApp({ logger: memoryLogger() });
      const sentry = new SentryIntegration({ dsn, tracesSampleRate: 1 });
      app.addIntegration(sentry);
      app.get('/pay', async () => {
        sentry.captureException(new Error('handled'));
        throw new Error('unhandled');
      });
      const client = new TestClient(app);
      assert.equal((await client.get('/pay', { headers: c.headers })).status, 500);
      await sentry.flush();
      await client.close();
      const all = payloads();
      const errors = all.filter((p) => p.type !== 'transaction');
      const tx = all.find((p) => p.type === 'transaction');
      assert.equal(errors.length, 2, JSON.stringify(c.headers));
      assert.equal(tx !== undefined, c.transaction, JSON.stringify(c.headers));
      const traceId = errors[0]?.contexts.trace?.trace_id;
      const spanId = errors[0]?.contexts.trace?.span_id;
      assert.match(traceId ?? '', /^[0-9a-f]{32}$/);
      assert.match(spanId ?? '', /^[0-9a-f]{16}$/);
      if (c.trace !== undefined) assert.equal(traceId, c.trace);
      assert.notEqual(spanId, PARENT);
      for (const e of errors) assert.deepEqual(e.contexts.trace, { trace_id: traceId, span_id: spanId });
      if (tx !== undefined) {
        assert.equal(tx.contexts.trace?.trace_id, traceId);
        assert.equal(tx.contexts.trace?.span_id, spanId);
        assert.equal(tx.contexts.trace?.parent_span_id, c.parent);
      }
    }
  });

  it('honours rate limits per data category: a transaction quota leaves error events flowing', async () => {
    sentryServer.envelopes.length = 0;
    try {
      // A quota on transactions, sent with a 200.
      sentryServer.rateLimits = '60:transaction:organization:quota_exceeded';
      const sentry = new SentryIntegration({ dsn, tracesSampleRate: 1, logger: { error() {} } });
      const app = new CovetApp({ logger: memoryLogger() });
      app.addIntegration(sentry);
      app.get('/boom', () => {
        throw new Error('boom');
      });
      await using client = new TestClient(app);
      assert.equal((await client.get('/boom')).status, 500);
      await sentry.flush();
      const sent = sentryServer.envelopes.length;
      assert.equal((await client.get('/boom')).status, 500);
      await sentry.flush();
      const types = sentryServer.envelopes.slice(sent).map((e) => e.items[0]?.header.type);
      assert.deepEqual(types, ['event'], 'the error goes out, the transaction waits for its limit');
      assert.equal(sentry.stats.dropped, 1);

      // A 429 whose header limits transactions only: Retry-After does not stop errors.
      sentryServer.mode = '429';
      const limited = new SentryIntegration({ dsn, logger: { error() {} } });
      limited.captureMessage('first');
      await limited.flush();
      sentryServer.mode = 'ok';
      sentryServer.rateLimits = '';
      const before = sentryServer.envelopes.length;
      limited.captureMessage('second');
      await limited.flush();
      assert.equal(sentryServer.envelopes.length, before + 1);
      assert.deepEqual([limited.stats.sent, limited.stats.dropped], [1, 1]);
    } finally {
      sentryServer.mode = 'ok';
      sentryServer.rateLimits = '';
    }
  });

  it('trims events to Sentry\'s 1 MB event limit, and drops (and counts) one that cannot fit', async () => {
    sentryServer.envelopes.length = 0;
    const warnings: string[] = [];
    const sentry = new SentryIntegration({ dsn, logger: { warn: (m: string) => warnings.push(m), error: (m: string) => warnings.push(m) } });
    const huge = 'x'.repeat(3_000_000);
    // Long strings are cut: the message, an exception value, extra values. (Each event is sent
    // before the next is built: building one blocks the loop longer than the send timeout.)
    assert.match(sentry.captureMessage('m'.repeat(2_000_000)) ?? '', /^[0-9a-f]{32}$/);
    await sentry.flush();
    sentry.captureException(new Error(huge), { extra: { body: huge, small: 'kept' }, tags: { area: 'upload' } });
    await sentry.flush();
    // Many values under the cut: extra goes, the rest still fits.
    sentry.captureException(new Error('wide'), { extra: Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`k${i}`, 'v'.repeat(10_000)])) });
    await sentry.flush();
    // Nothing left to drop: 100,000 tags do not fit however trimmed.
    const wide = sentry.captureMessage('too wide', { tags: Object.fromEntries(Array.from({ length: 100_000 }, (_, i) => [`t${i}`, 'value'])) });
    assert.match(wide ?? '', /^[0-9a-f]{32}$/);
    await sentry.flush();
    assert.equal(sentryServer.envelopes.length, 3);
    for (const env of sentryServer.envelopes) {
      const item = env.raw.split('\n')[2] ?? '';
      assert.ok(Buffer.byteLength(item) <= 1_000_000, `${Buffer.byteLength(item)} bytes`);
      assert.equal(env.items[0]?.header.length, Buffer.byteLength(item));
    }
    type Payload = { message?: { formatted: string }; exception: { values: { value: string }[] }; extra?: Record<string, string>; tags?: Record<string, string> };
    const [message, error, wideExtra] = sentryServer.envelopes.map((e) => e.items[0]?.payload as unknown as Payload);
    assert.equal(message?.message?.formatted, `${'m'.repeat(16_384)}…`);
    assert.equal(error?.exception.values[0]?.value, `${'x'.repeat(16_384)}…`);
    assert.deepEqual(error?.extra, { body: `${'x'.repeat(16_384)}…`, small: 'kept' });
    assert.deepEqual(error?.tags, { area: 'upload' });
    assert.equal(wideExtra?.exception.values[0]?.value, 'wide');
    assert.equal(wideExtra?.extra, undefined);
    assert.deepEqual(sentry.stats, { sent: 3, dropped: 1, failed: 0, sampledOut: 0 });
    assert.deepEqual(warnings, ['A Sentry event was dropped: it has no JSON form, or is larger than 1000000 bytes even trimmed']);
  });

  it('sends nothing after close(): captures are dropped and counted, until the app starts again', async () => {
    sentryServer.envelopes.length = 0;
    const sentry = new SentryIntegration({ dsn, tracesSampleRate: 1 });
    const app = new CovetApp({ logger: memoryLogger() });
    app.addIntegration(sentry);
    app.get('/boom', () => {
      throw new Error('boom');
    });
    const client = new TestClient(app);
    assert.equal((await client.get('/boom')).status, 500);
    await client.close();
    assert.equal(sentryServer.envelopes.length, 2, 'the error and its transaction');
    assert.equal(sentry.captureException(new Error('after close')), null);
    assert.equal(sentry.captureMessage('after close'), null);
    // An unhandled error of another app, still running, is not captured either.
    const other = new CovetApp({ logger: memoryLogger() });
    other.get('/boom', () => {
      throw new Error('elsewhere');
    });
    await using otherClient = new TestClient(other);
    assert.equal((await otherClient.get('/boom')).status, 500);
    await sentry.flush();
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(sentryServer.envelopes.length, 2, 'no traffic after close');
    assert.deepEqual(sentry.stats, { sent: 2, dropped: 2, failed: 0, sampledOut: 0 });
    // The app started again reopens it.
    await using again = new TestClient(app);
    assert.equal((await again.get('/boom')).status, 500);
    assert.match(sentry.captureMessage('reopened') ?? '', /^[0-9a-f]{32}$/);
    await sentry.flush();
    assert.equal(sentryServer.envelopes.length, 5);
  });

  it('never slows or fails requests when Sentry is down, hangs or rate-limits; drops and counts', async () => {
    const warnings: string[] = [];
    const logger = { warn: (m: string) => warnings.push(m), error: (m: string) => warnings.push(m) };
    const down = new SentryIntegration({ dsn: 'http://k@127.0.0.1:1/1', logger });
    const app = new CovetApp({ logger: memoryLogger() });
    app.addIntegration(down);
    app.get('/boom', () => {
      throw new Error('boom');
    });
    await using client = new TestClient(app);
    for (let i = 0; i < 3; i++) assert.equal((await client.get('/boom')).status, 500);
    await down.flush();
    assert.equal(down.stats.sent, 0);
    assert.equal(down.stats.dropped, 3);
    assert.equal(warnings.length, 1);

    sentryServer.mode = 'hang';
    try {
      const hung = new SentryIntegration({ dsn, timeout: 300, maxInFlight: 2, logger: { error() {} } });
      const app2 = new CovetApp({ logger: memoryLogger() });
      app2.addIntegration(hung);
      app2.get('/boom', () => {
        throw new Error('boom');
      });
      await withServer(app2, async ({ url }) => {
        const started = performance.now();
        for (let i = 0; i < 6; i++) assert.equal((await fetch(`${url}/boom`)).status, 500);
        assert.ok(performance.now() - started < 2500, 'requests did not wait for Sentry');
      });
      assert.ok(hung.stats.dropped >= 4, `dropped ${hung.stats.dropped}`);

      sentryServer.mode = '429';
      const limited = new SentryIntegration({ dsn, logger: { error() {} } });
      limited.captureMessage('first');
      await limited.flush();
      limited.captureMessage('second');
      assert.equal(limited.stats.dropped, 2, 'the 429 and everything during Retry-After');
    } finally {
      sentryServer.mode = 'ok';
    }
  });
});
