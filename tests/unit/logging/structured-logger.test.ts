import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CovetApp } from '../../../src/index.js';
import { logSink } from '../../helpers/log-sink.js';
import { StructuredLogger, parseLevel } from '../../../src/logging/index.js';
import { TestClient } from '../../../src/testing/index.js';
import { withServer } from '../../helpers/server.js';


const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('StructuredLogger', () => {
  it('writes JSON lines with timestamp, level, message and fields, above the level', async () => {
    const out = logSink();
    const logger = new StructuredLogger({ level: 'INFO', format: 'json', destination: out.stream, name: 'api', fields: { service: 'shop' } });
    logger.debug('hidden');
    logger.info('User created', { userId: 42, tags: ['a'], at: new Date(0) });
    logger.warning('Disk low', { extra: { freeBytes: 1024 } });
    logger.error('Oops', { error: Object.assign(new TypeError('bad input'), { code: 'E_BAD' }) });
    logger.critical('Down', { message: 'field named message', count: 10n });
    await logger.flush();
    const lines = out.lines();
    assert.deepEqual(
      lines.map((l) => [l.level, l.message]),
      [
        ['INFO', 'User created'],
        ['WARNING', 'Disk low'],
        ['ERROR', 'Oops'],
        ['CRITICAL', 'Down'],
      ],
    );
    const [info, warning, error, critical] = lines;
    assert.match(String(info?.timestamp), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.deepEqual(Object.keys(info ?? {}).slice(0, 4), ['timestamp', 'level', 'logger', 'message']);
    assert.equal(info?.logger, 'api');
    assert.equal(info?.service, 'shop');
    assert.equal(info?.userId, 42);
    assert.equal(info?.at, '1970-01-01T00:00:00.000Z');
    assert.equal(warning?.freeBytes, 1024, 'the seed’s extra={...} form');
    const err = error?.error as { type: string; message: string; code: string; stack: string };
    assert.equal(err.type, 'TypeError');
    assert.equal(err.message, 'bad input');
    assert.equal(err.code, 'E_BAD');
    assert.match(err.stack, /bad input/);
    assert.equal(critical?._message, 'field named message');
    assert.equal(critical?.count, '10');
    assert.ok(new StructuredLogger({ level: 'debug', destination: out.stream }).isEnabled('DEBUG'));
    assert.equal(parseLevel('warn'), 'WARNING');
    assert.throws(() => new StructuredLogger({ level: 'LOUD' as never }), RangeError);
    // A JavaScript caller passing Python's numeric level gets the same clear error.
    assert.throws(() => new StructuredLogger({ level: 20 as never }), { name: 'RangeError', message: 'Unknown log level 20 (use one of DEBUG, INFO, WARNING, ERROR, CRITICAL)' });
  });

  it('writes values with toJSON as JSON.stringify does, and keeps a field named __proto__', async () => {
    const out = logSink();
    const logger = new StructuredLogger({ level: 'INFO', destination: out.stream });
    class Money {
      readonly cents: number;
      constructor(cents: number) {
        this.cents = cents;
      }
      toJSON(): string {
        return `${(this.cents / 100).toFixed(2)} EUR`;
      }
    }
    const parsed = JSON.parse('{"__proto__":{"admin":true},"plain":1}') as Record<string, unknown>;
    logger.info('toJSON', {
      url: new URL('https://example.com/a?b=1'),
      price: new Money(500),
      nested: { price: new Money(1), token: new Money(2) },
      broken: { toJSON: () => { throw new Error('no'); } },
      parsed,
    });
    await logger.flush();
    const [line] = out.lines();
    assert.equal(line?.url, 'https://example.com/a?b=1');
    assert.equal(line?.price, '5.00 EUR');
    assert.deepEqual(line?.nested, { price: '0.01 EUR', token: '[REDACTED]' });
    assert.equal(line?.broken, '[Unserializable]');
    const copy = line?.parsed as Record<string, unknown>;
    assert.deepEqual(Object.keys(copy), ['__proto__', 'plain']);
    assert.deepEqual(Object.getOwnPropertyDescriptor(copy, '__proto__')?.value, { admin: true });
  });

  it('never throws for a field whose getter or proxy trap throws', async () => {
    const out = logSink();
    const logger = new StructuredLogger({ destination: out.stream });
    const getter = { ok: 1, get bad(): never { throw new Error('getter'); } };
    const proxy = new Proxy({}, { ownKeys: () => { throw new Error('trap'); } });
    assert.doesNotThrow(() => logger.info('odd fields', { getter, nested: { proxy }, list: [proxy] }));
    await logger.flush();
    const [line] = out.lines();
    assert.equal(line?.message, 'odd fields');
    assert.equal(line?.getter, '[Unserializable]');
    assert.deepEqual(line?.nested, { proxy: '[Unserializable]' });
    assert.deepEqual(line?.list, ['[Unserializable]']);
  });

  it('does not hang flush() or throw later when the destination fails', async () => {
    // A stream that fails (a closed pipe, a full disk) and so never drains.
    const failing = new Writable({ write: (_c, _e, done) => done(Object.assign(new Error('write ENOSPC'), { code: 'ENOSPC' })) });
    failing.on('error', () => {});
    const logger = new StructuredLogger({ destination: failing });
    logger.info('one');
    const timeout = (ms: number) => new Promise<string>((r) => setTimeout(() => r('hung'), ms).unref());
    assert.equal(await Promise.race([logger.flush().then(() => 'flushed'), timeout(1000)]), 'flushed');
    logger.info('two');
    logger.info('three');
    assert.equal(await Promise.race([logger.flush().then(() => 'flushed'), timeout(1000)]), 'flushed');
    assert.equal(logger.droppedLines, 2);

    // A destination whose write throws: the batch is lost, counted, and nothing is thrown.
    const throwing = new StructuredLogger({ destination: { write: () => { throw new Error('broken sink'); } } });
    throwing.info('lost');
    await throwing.flush();
    assert.equal(throwing.droppedLines, 1);
  });

  it('logs an Error passed in place of the fields as the error field, and takes null as no fields', async () => {
    const out = logSink();
    const logger = new StructuredLogger({ destination: out.stream });
    logger.error('Payment failed', Object.assign(new Error('card declined'), { code: 'E_CARD' }) as never);
    assert.doesNotThrow(() => logger.info('No fields', null as never));
    await logger.flush();
    const [failed, plain] = out.lines();
    const error = failed?.error as Record<string, unknown>;
    assert.deepEqual([error.type, error.message, error.code, typeof error.stack], ['Error', 'card declined', 'E_CARD', 'string']);
    assert.equal(failed?.code, undefined);
    assert.deepEqual(Object.keys(plain ?? {}), ['timestamp', 'level', 'message']);
  });

  it('never logs secrets', async () => {
    const out = logSink();
    const logger = new StructuredLogger({ destination: out.stream, redact: { keys: ['pin_code'] } });
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLXZhbHVl';
    logger.info(`login with Authorization: Bearer abcdef123456 and ${jwt}`, {
      password: 'hunter2',
      user: { name: 'alice', apiKey: 'ak-999', credentials: { x: 1 }, pin_code: '1234' },
      headers: { authorization: 'Basic dXNlcjpwYXNz', cookie: 'sid=s3cr3t', 'x-api-key': 'xk-1', accept: 'text/html' },
      url: 'postgres://app:dbpass@db:5432/app?sslmode=require',
      next: '/cb?code=1&access_token=at-777&state=x',
      accessToken: 'at-888',
      client_secret: 'cs-1',
    });
    await logger.flush();
    const raw = out.raw();
    for (const secret of ['hunter2', 'abcdef123456', jwt, 'ak-999', '1234', 'dXNlcjpwYXNz', 's3cr3t', 'xk-1', 'dbpass', 'at-777', 'at-888', 'cs-1']) {
      assert.ok(!raw.includes(secret), `${secret} leaked: ${raw}`);
    }
    const [line] = out.lines();
    assert.equal(line?.password, '[REDACTED]');
    assert.deepEqual(line?.user, { name: 'alice', apiKey: '[REDACTED]', credentials: '[REDACTED]', pin_code: '[REDACTED]' });
    assert.equal((line?.headers as Record<string, string>).accept, 'text/html');
    assert.equal(line?.url, 'postgres://app:[REDACTED]@db:5432/app?sslmode=require');
    assert.equal(line?.message, 'login with Authorization: Bearer [REDACTED] and [REDACTED]');
  });

  it('carries context fields through awaits, nested, and keeps concurrent contexts apart', async () => {
    const out = logSink();
    const logger = new StructuredLogger({ destination: out.stream });
    const work = (id: string, delay: number) =>
      logger.context({ correlationId: id }, async () => {
        await new Promise((r) => setTimeout(r, delay));
        await logger.context({ step: 'inner' }, async () => {
          await new Promise((r) => setTimeout(r, 1));
          logger.info('inside', { id });
        });
        logger.info('after', { id });
        return id;
      });
    assert.deepEqual(await Promise.all([work('a', 15), work('b', 1)]), ['a', 'b']);
    logger.info('outside');
    await logger.flush();
    for (const line of out.lines()) {
      if (line.message === 'outside') assert.equal(line.correlationId, undefined);
      else assert.equal(line.correlationId, line.id);
      if (line.message === 'inside') assert.equal(line.step, 'inner');
      if (line.message === 'after') assert.equal(line.step, undefined);
    }
    const child = logger.child({ component: 'billing' });
    await logger.context({ correlationId: 'c' }, async () => child.info('from child'));
    await child.flush();
    const last = out.lines().at(-1);
    assert.deepEqual([last?.component, last?.correlationId], ['billing', 'c']);
  });

  it('writes to stdout by default, and flushes queued lines when the process exits', () => {
    const entry = fileURLToPath(new URL('../../../src/logging/index.ts', import.meta.url));
    const script = `import { StructuredLogger } from ${JSON.stringify(entry)};
const logger = new StructuredLogger({ level: 'INFO', format: 'json', correlationId: true });
for (let i = 0; i < 3; i++) logger.info('line', { i });
process.exit(0);`;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { i: number });
    assert.deepEqual(lines.map((l) => l.i), [0, 1, 2]);
  });

  it('never blocks on a slow destination: waits for drain, and drops past its buffer', async () => {
    const received: string[] = [];
    const slow = new Writable({
      highWaterMark: 16,
      write(chunk: Buffer, _enc, done) {
        received.push(chunk.toString());
        setTimeout(done, 5);
      },
    });
    const logger = new StructuredLogger({ destination: slow, maxBufferBytes: 2000 });
    const started = performance.now();
    for (let i = 0; i < 200; i++) logger.info('burst', { i });
    assert.ok(performance.now() - started < 1000, 'logging returned without waiting for I/O');
    await logger.flush();
    await new Promise((r) => setTimeout(r, 50));
    await logger.flush();
    const lines = received.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { message: string; dropped?: number });
    const dropped = lines.find((l) => l.message.startsWith('log lines dropped'))?.dropped ?? 0;
    assert.ok(logger.droppedLines > 0);
    assert.equal(dropped, logger.droppedLines);
    assert.equal(lines.filter((l) => l.message === 'burst').length + dropped, 200);
  });

  it('writes a pretty format for people', async () => {
    const out = logSink();
    const logger = new StructuredLogger({ format: 'pretty', destination: out.stream });
    logger.info('Server started', { port: 8000, host: 'local host' });
    await logger.flush();
    assert.match(out.raw(), /^\d{4}-\d\d-\d\dT[\d:.]+Z INFO {5}Server started port=8000 host="local host"\n$/);
  });

  it('writes a message with a line break or control character as a JSON string in the pretty format: one call, one line', async () => {
    const out = logSink();
    const logger = new StructuredLogger({ format: 'pretty', destination: out.stream, name: 'api' });
    const forged = 'login failed for bob\n2030-01-01T00:00:00.000Z INFO     login ok for admin';
    logger.warning(forged);
    logger.info('\x1b[2J\x1b[31mred\x1b[0m\tand \u0085 and \u2028 and \u202eevil', { user: 'x\x1b]8;;', tab: 'a\tb', nested: { s: '\u009b31m' } });
    logger.info('"quoted" start');
    logger.info('plain message: kept as is');
    await logger.flush();
    const lines = out.raw().split('\n');
    assert.equal(lines.pop(), '');
    assert.equal(lines.length, 4, out.raw());
    const rest = lines.map((l) => l.replace(/^\S+ \S+ +\[api\] /, ''));
    assert.equal(rest[0], JSON.stringify(forged));
    assert.equal(
      rest[1],
      '"\\u001b[2J\\u001b[31mred\\u001b[0m\\tand \\u0085 and \\u2028 and \\u202eevil" user="x\\u001b]8;;" tab="a\\tb" nested={"s":"\\u009b31m"}',
    );
    assert.equal(rest[2], '"\\"quoted\\" start"');
    assert.equal(rest[3], 'plain message: kept as is');
    // What is quoted reads back exactly.
    assert.equal(JSON.parse(rest[0] ?? ''), forged);
    assert.ok(!/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202e]/.test(out.raw()), 'no control character reaches the output');
  });
});

describe('logger.middleware()', () => {
  function app(logger: StructuredLogger): CovetApp {
    const a = new CovetApp({ logger });
    a.addMiddleware(logger.middleware());
    a.get('/users/{id:int}', (req) => {
      logger.info('Loading user', { id: req.params.id });
      return { id: req.params.id, correlationId: req.state.correlationId };
    });
    a.get('/boom', () => {
      throw new Error('kaboom');
    });
    return a;
  }

  it('echoes X-Correlation-ID and X-Request-ID, generates one when absent, and logs each request with it', async () => {
    const out = logSink();
    const logger = new StructuredLogger({ level: 'INFO', format: 'json', correlationId: true, destination: out.stream });
    await using client = new TestClient(app(logger));
    const a = await client.get('/users/1', { headers: { 'X-Correlation-ID': 'corr-123', 'user-agent': 'test/1' } });
    assert.equal(a.headers.get('x-correlation-id'), 'corr-123');
    assert.equal(a.json<{ correlationId: string }>().correlationId, 'corr-123');
    const b = await client.get('/users/2', { headers: { 'X-Request-ID': 'req-456' } });
    assert.equal(b.headers.get('x-request-id'), 'req-456');
    assert.equal(b.headers.get('x-correlation-id'), 'req-456');
    const c = await client.get('/users/3');
    assert.match(c.headers.get('x-correlation-id') ?? '', UUID);
    const d = await client.get('/users/4', { headers: { 'X-Correlation-ID': `bad id ${'x'.repeat(300)}` } });
    assert.match(d.headers.get('x-correlation-id') ?? '', UUID, 'an unsafe id is replaced');
    // An unsafe X-Correlation-ID gives way to a sane X-Request-ID; ids are trimmed.
    const e = await client.get('/users/5', { headers: { 'X-Correlation-ID': 'no spaces allowed', 'X-Request-ID': '  req-789 ' } });
    assert.equal(e.headers.get('x-correlation-id'), 'req-789');
    assert.equal(e.headers.get('x-request-id'), 'req-789');
    await logger.flush();
    const lines = out.lines();
    const forA = lines.filter((l) => l.correlationId === 'corr-123');
    assert.deepEqual(
      forA.map((l) => l.message),
      ['Loading user', 'Request completed'],
    );
    const done = forA[1] as Record<string, unknown>;
    assert.equal(done.method, 'GET');
    assert.equal(done.path, '/users/1');
    assert.equal(done.route, '/users/{id:int}');
    assert.equal(done.status, 200);
    assert.equal(done.userAgent, 'test/1');
    assert.equal(typeof done.durationMs, 'number');
    assert.equal(lines.filter((l) => l.correlationId === c.headers.get('x-correlation-id')).length, 2);
  });

  it('logs 5xx at ERROR, and the app’s own unhandled-error line carries the correlation id', async () => {
    const out = logSink();
    const logger = new StructuredLogger({ destination: out.stream });
    await withServer(app(logger), async ({ url }) => {
      const res = await fetch(`${url}/boom`, { headers: { 'x-correlation-id': 'boom-1' } });
      assert.equal(res.status, 500);
      assert.equal(res.headers.get('x-correlation-id'), 'boom-1');
    });
    await logger.flush();
    const lines = out.lines().filter((l) => l.correlationId === 'boom-1');
    const unhandled = lines.find((l) => l.message === 'Unhandled error in request');
    assert.equal((unhandled?.error as { message: string }).message, 'kaboom');
    const failed = lines.find((l) => l.message === 'Request failed');
    assert.deepEqual([failed?.level, failed?.status], ['ERROR', 500]);
  });

  it('runs the seed logging middleware written with logger.context', async () => {
    const out = logSink();
    const logger = new StructuredLogger({ level: 'INFO', format: 'json', correlationId: true, performanceTracking: true, destination: out.stream });
    const a = new CovetApp();
    a.middleware('logging', async function loggingMiddleware(request, callNext) {
      const correlationId = request.headers.get('X-Correlation-ID') ?? randomUUID();
      return logger.context({ correlationId, endpoint: request.url.path }, async () => {
        const start = performance.now();
        logger.info('Request started', { extra: { method: request.method, path: request.url.path, user_agent: request.headers.get('user-agent') } });
        try {
          const response = await callNext(request);
          logger.info('Request completed', { extra: { status_code: response.statusCode, duration: (performance.now() - start) / 1000 } });
          return response;
        } catch (e) {
          logger.error('Request failed', { extra: { error: String(e), duration: (performance.now() - start) / 1000 } });
          throw e;
        }
      });
    });
    a.get('/', () => ({ ok: true }));
    await using client = new TestClient(a);
    await client.get('/', { headers: { 'X-Correlation-ID': 'seed-1' } });
    await logger.flush();
    const lines = out.lines();
    assert.deepEqual(lines.map((l) => [l.message, l.correlationId, l.endpoint]), [
      ['Request started', 'seed-1', '/'],
      ['Request completed', 'seed-1', '/'],
    ]);
    assert.equal(lines[1]?.status_code, 200);
  });
});
