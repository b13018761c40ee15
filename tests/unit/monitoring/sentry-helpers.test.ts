import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { MAX_BREADTH, scrubData, scrubHeaders, scrubQuery } from '../../../src/monitoring/scrub.js';
import { retryAfterMs } from '../../../src/monitoring/sentry-transport.js';
import { exceptionValues } from '../../../src/monitoring/sentry-event.js';
import { MetricsManager, PrometheusBackend, SentryIntegration } from '../../../src/monitoring/index.js';

const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl';

describe('Sentry scrubbing', () => {
  it('keeps the first 1000 items and properties of huge values, in bounded time', () => {
    const wide: Record<string, unknown> = {};
    for (let i = 0; i < 200_000; i++) wide[`k${i}`] = { password: 'x', value: i };
    const list = Array.from({ length: 5000 }, (_, i) => i);
    const start = performance.now();
    const out = scrubData({ wide, list }) as { wide: Record<string, unknown>; list: unknown[] };
    assert.ok(performance.now() - start < 1000, 'bounded by the breadth, not the input');
    assert.equal(Object.keys(out.wide).length, MAX_BREADTH + 1);
    assert.deepEqual(out.wide.k999, { password: '[Filtered]', value: 999 });
    assert.equal(out.wide.k1000, undefined);
    assert.equal(out.wide['...'], '[MaxProperties ~]');
    assert.deepEqual(out.list, [...list.slice(0, MAX_BREADTH), '[MaxProperties ~]']);
  });

  it('cuts credentials, JWTs and secret query parameters out of any header value', () => {
    assert.deepEqual(
      scrubHeaders([
        ['Referer', 'https://shop.example/reset?token=abc123&step=2#top'],
        ['X-Custom', 'Bearer s3cr3t-value'],
        ['X-Forwarded-Uri', `/cb?jwt=${JWT}`],
        ['Accept', 'text/html'],
      ]),
      {
        referer: 'https://shop.example/reset?token=%5BFiltered%5D&step=2#top',
        'x-custom': 'Bearer [Filtered]',
        'x-forwarded-uri': '/cb?jwt=[Filtered]',
        accept: 'text/html',
      },
    );
  });

  it('cuts JWTs out of query parameters whatever their name', () => {
    assert.equal(scrubQuery(`jwt=${JWT}&page=2&password=x`), 'jwt=%5BFiltered%5D&page=2&password=%5BFiltered%5D');
  });

  it('never throws on a getter or proxy that throws, and keeps an object seen twice', () => {
    const shared = { id: 1 };
    const odd = { get boom(): never { throw new Error('getter'); } };
    const proxy = new Proxy({}, { ownKeys: () => { throw new Error('trap'); } });
    assert.deepEqual(scrubData({ a: shared, b: shared, odd, list: [proxy] }), {
      a: { id: 1 },
      b: { id: 1 },
      odd: '[Unserializable]',
      list: ['[Unserializable]'],
    });
  });
});

describe('Sentry Retry-After', () => {
  it('reads seconds or an HTTP date, and waits 60 s for anything else', () => {
    assert.equal(retryAfterMs('30'), 30_000);
    assert.equal(retryAfterMs(undefined), 60_000);
    assert.equal(retryAfterMs('soon'), 60_000);
    const inTwoMinutes = new Date(Date.now() + 120_000).toUTCString();
    const ms = retryAfterMs(inTwoMinutes);
    assert.ok(ms > 115_000 && ms <= 120_000, String(ms));
    assert.equal(retryAfterMs(new Date(Date.now() - 60_000).toUTCString()), 0);
  });
});

describe('Sentry secret names', () => {
  it('filters what the logger redacts: passphrase, and the short names pass, pin, otp, jwt, cvc', () => {
    assert.deepEqual(scrubData({ passphrase: 'a', keyPassphrase: 'b', pass: 'c', PIN: 'd', otp: 'e', jwt: 'f', cvc: 'g', footprint: 'kept', spinner: 'kept' }), {
      passphrase: '[Filtered]',
      keyPassphrase: '[Filtered]',
      pass: '[Filtered]',
      PIN: '[Filtered]',
      otp: '[Filtered]',
      jwt: '[Filtered]',
      cvc: '[Filtered]',
      footprint: 'kept',
      spinner: 'kept',
    });
  });
});

describe('Sentry exceptions of things that are not Errors', () => {
  it('describes error-like objects by name and message, other objects by their keys, and never throws', () => {
    const bare = Object.create(null) as Record<string, unknown>;
    bare.code = 7;
    const values = (thrown: unknown) => exceptionValues(thrown, true).map(({ type, value }) => [type, value]);
    assert.deepEqual(values(bare), [['Error', 'Object captured as exception with keys: code']]);
    assert.deepEqual(values({ weird: true, a: 1 }), [['Error', 'Object captured as exception with keys: a, weird']]);
    assert.deepEqual(values({ name: 'RpcError', message: 'upstream said no' }), [['RpcError', 'upstream said no']]);
    assert.deepEqual(values({}), [['Error', 'Object captured as exception with keys: [object has no keys]']]);
    assert.deepEqual(values('plain text'), [['Error', 'plain text']]);
    assert.deepEqual(values(42), [['number', '42']]);
  });
});

describe('Timeouts of Infinity', () => {
  it('mean no deadline for Sentry requests and metric collect callbacks', async () => {
    const server = createServer((req, res) => {
      req.resume();
      req.on('end', () => setTimeout(() => res.end('{}'), 30));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const dsn = `http://key@127.0.0.1:${(server.address() as AddressInfo).port}/1`;
      const sentry = new SentryIntegration({ dsn, timeout: Number.POSITIVE_INFINITY, logger: { error() {} } });
      sentry.captureMessage('slow ingest');
      assert.equal(await sentry.flush(), true);
      assert.deepEqual([sentry.stats.sent, sentry.stats.failed], [1, 0]);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }

    const errors: string[] = [];
    const metrics = new MetricsManager(new PrometheusBackend({ collectTimeout: Number.POSITIVE_INFINITY, logger: { error: (m) => errors.push(m) } }));
    metrics.gauge('queue_depth', [], { collect: async (g) => { await new Promise((r) => setTimeout(r, 20)); g.set(7); } });
    assert.match(await metrics.metrics(), /^queue_depth 7$/m);
    assert.deepEqual(errors, []);
  });
});
