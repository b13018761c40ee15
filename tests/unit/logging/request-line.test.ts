// The request line of `logger.middleware()` is written by a shortcut when only the request's own
// fields go in it; these tests hold it to the same keys, order and redaction as the general
// line writer, which takes over whenever more fields are in play.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CovetApp } from '../../../src/index.js';
import { logSink } from '../../helpers/log-sink.js';
import { StructuredLogger } from '../../../src/logging/index.js';


const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl';

function appWith(logger: StructuredLogger): CovetApp {
  const app = new CovetApp({ logger: { info() {}, error() {} } });
  app.addMiddleware(logger.middleware());
  app.get('/items/{id}', () => ({ ok: true }));
  app.get('/fail', () => [{ error: 'down' }, 503]);
  return app;
}

describe('request line', () => {
  it('has the general writer’s keys in its order, and the same values', async () => {
    const fast = logSink();
    const general = logSink();
    const fastLogger = new StructuredLogger({ destination: fast.stream, name: 'api' });
    // Base fields take the general path; the line is the same but for them.
    const generalLogger = new StructuredLogger({ destination: general.stream, name: 'api', fields: { service: 'shop' } });
    const headers = { 'x-correlation-id': 'abc-1', 'user-agent': 'agent "quoted" \\ /1' };
    await appWith(fastLogger).inject({ url: '/items/7', headers });
    await appWith(generalLogger).inject({ url: '/items/7', headers });
    await fastLogger.flush();
    await generalLogger.flush();
    const [a] = fast.lines();
    const [b] = general.lines();
    assert.deepEqual(Object.keys(a ?? {}), ['timestamp', 'level', 'logger', 'message', 'correlationId', 'method', 'path', 'route', 'status', 'durationMs', 'userAgent']);
    assert.deepEqual(Object.keys(b ?? {}), ['timestamp', 'level', 'logger', 'message', 'service', 'correlationId', 'method', 'path', 'route', 'status', 'durationMs', 'userAgent']);
    const { timestamp: _t1, durationMs: d1, ...restA } = a ?? {};
    const { timestamp: _t2, durationMs: d2, service, ...restB } = b ?? {};
    assert.equal(service, 'shop');
    assert.deepEqual(restA, restB);
    assert.deepEqual(restA, {
      level: 'INFO',
      logger: 'api',
      message: 'Request completed',
      correlationId: 'abc-1',
      method: 'GET',
      path: '/items/7',
      route: '/items/{id}',
      status: 200,
      userAgent: 'agent "quoted" \\ /1',
    });
    assert.equal(typeof d1, 'number');
    assert.equal(typeof d2, 'number');
  });

  it('redacts secrets in the path, the user agent and a client correlation id; logs 5xx at ERROR', async () => {
    const out = logSink();
    const logger = new StructuredLogger({ destination: out.stream });
    const app = appWith(logger);
    await app.inject({ url: '/items/x;token=s3cr3t-value', headers: { 'user-agent': 'bot Bearer abcdef123456', 'x-request-id': JWT } });
    await app.inject({ url: '/items/y', headers: { 'user-agent': 'bot Bearer abcdef123456' } });
    await app.inject({ url: '/fail' });
    await logger.flush();
    const raw = out.raw();
    for (const secret of ['s3cr3t-value', 'abcdef123456', JWT]) assert.ok(!raw.includes(secret), `${secret} leaked: ${raw}`);
    const [first, second, failed] = out.lines();
    assert.equal(first?.path, '/items/x;token=[REDACTED]');
    assert.equal(first?.userAgent, 'bot Bearer [REDACTED]');
    assert.equal(first?.correlationId, '[REDACTED]');
    assert.equal(second?.userAgent, 'bot Bearer [REDACTED]');
    assert.match(String(second?.correlationId), /^[0-9a-f-]{36}$/);
    assert.equal(failed?.level, 'ERROR');
    assert.equal(failed?.message, 'Request failed');
    assert.equal(failed?.status, 503);
    assert.equal(failed?.userAgent, undefined);
  });

  it('keeps the fields of an outer context, and a secret-named request field makes the general writer redact it', async () => {
    const out = logSink();
    const logger = new StructuredLogger({ destination: out.stream });
    const app = appWith(logger);
    await logger.context({ job: 'import', correlationId: 'outer' }, () => app.inject({ url: '/items/1', headers: { 'x-correlation-id': 'inner' } }));
    const strict = logSink();
    const strictLogger = new StructuredLogger({ destination: strict.stream, redact: { keys: ['userAgent'] } });
    await appWith(strictLogger).inject({ url: '/items/2', headers: { 'user-agent': 'curl/8' } });
    await logger.flush();
    await strictLogger.flush();
    const [line] = out.lines();
    assert.equal(line?.job, 'import');
    assert.equal(line?.correlationId, 'inner');
    assert.equal(strict.lines()[0]?.userAgent, '[REDACTED]');
  });

  it('echoes the correlation id on the response and leaves excluded routes alone', async () => {
    const out = logSink();
    const logger = new StructuredLogger({ destination: out.stream });
    const app = new CovetApp();
    app.addMiddleware(logger.middleware({ exclude: ['/health'] }));
    app.get('/health', () => ({ ok: true }));
    app.get('/x', () => ({ ok: true }));
    const health = await app.inject({ url: '/health' });
    assert.equal(health.headers.get('x-correlation-id'), null);
    const x = await app.inject({ url: '/x', headers: { 'x-correlation-id': 'c-9' } });
    assert.equal(x.headers.get('x-correlation-id'), 'c-9');
    assert.equal(x.headers.get('x-request-id'), 'c-9');
    await logger.flush();
    assert.deepEqual(
      out.lines().map((l) => l.path),
      ['/x'],
    );
  });
});
