import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib';
import {
  CompressionMiddleware,
  type CompressionOptions,
  CovetApp,
  type Encoding,
  isCompressible,
  negotiateEncoding,
  Response,
  sse,
  stream,
} from '../../../src/index.js';
import { appendVary } from '../../../src/http/compress.js';
import { ResponseHeaders } from '../../../src/http/headers.js';
import { TestClient } from '../../../src/testing/index.js';
import { memoryLogger } from '../../helpers/server.js';

const BIG = `${'Covet compresses this line. '.repeat(100)}END`; // 2803 bytes
const SMALL = 'tiny body';

function decode(encoding: string | null, body: Buffer): string {
  if (encoding === 'gzip') return gunzipSync(body).toString('utf8');
  if (encoding === 'br') return brotliDecompressSync(body).toString('utf8');
  if (encoding === 'deflate') return inflateSync(body).toString('utf8');
  return body.toString('utf8');
}

function compressedApp(options: CompressionOptions = {}): CovetApp {
  const app = new CovetApp({ logger: memoryLogger() });
  app.addMiddleware(new CompressionMiddleware(options));
  app.get('/big', () => BIG);
  app.get('/small', () => SMALL);
  app.get('/json', () => ({ items: Array.from({ length: 200 }, (_, i) => ({ id: i, name: `item ${i}` })) }));
  app.get('/bytes', () => new Response(Buffer.from(BIG), { headers: { 'content-type': 'text/csv' } }));
  app.get(
    '/stream',
    () =>
      stream(
        (async function* () {
          for (let i = 0; i < 50; i++) yield `line ${i} ${'x'.repeat(100)}\n`;
        })(),
        'text/plain; charset=utf-8',
      ),
  );
  return app;
}

describe('negotiateEncoding', () => {
  const cases: [string | null, Encoding | null, boolean][] = [
    [null, null, true],
    ['', null, true],
    ['gzip', 'gzip', true],
    ['gzip, deflate, br, zstd', 'br', true],
    ['deflate, gzip', 'gzip', true],
    ['gzip;q=0.5, deflate;q=0.8', 'deflate', true],
    ['br;q=0.1, gzip;q=1.0', 'gzip', true],
    ['br;q=0, gzip', 'gzip', true],
    ['*', 'br', true],
    ['*;q=0.5, br;q=0', 'gzip', true],
    ['identity', null, true],
    ['identity;q=0', null, false],
    ['gzip, identity;q=0', 'gzip', false],
    ['*;q=0', null, false],
    ['*;q=0, identity', null, true],
    ['gzip;q=0.5, identity;q=1', null, true],
    ['gzip;q=1, identity;q=0.5', 'gzip', true],
    ['zstd, compress', null, true],
    ['GZIP;Q=0.7, BR;q=0.6', 'gzip', true],
    ['x-gzip', 'gzip', true],
    ['gzip;q=2, deflate', 'deflate', true],
    ['gzip;q=abc, br;q=0.001', 'br', true],
    ['gzip;q=0.1234, deflate;q=0.5', 'deflate', true],
    [' gzip ; q=0.9 ,, br ; q = 0.8 ', 'gzip', true],
    ['gzip;level=1', 'gzip', true],
  ];
  for (const [header, encoding, identityAcceptable] of cases) {
    it(`${JSON.stringify(header)} → ${encoding ?? 'identity'}${identityAcceptable ? '' : ' (identity refused)'}`, () => {
      assert.deepEqual(negotiateEncoding(header), { encoding, identityAcceptable });
    });
  }

  it('only offers the codings it is given, in their order for ties', () => {
    assert.deepEqual(negotiateEncoding('br, gzip', ['gzip']), { encoding: 'gzip', identityAcceptable: true });
    assert.deepEqual(negotiateEncoding('br, gzip', ['gzip', 'br']), { encoding: 'gzip', identityAcceptable: true });
    assert.deepEqual(negotiateEncoding('br', ['gzip']), { encoding: null, identityAcceptable: true });
  });
});

describe('isCompressible', () => {
  it('accepts text and structured text formats', () => {
    for (const type of [
      'text/plain',
      'text/html; charset=utf-8',
      'TEXT/CSS',
      'application/json',
      'application/problem+json',
      'application/javascript',
      'application/xml',
      'application/atom+xml',
      'image/svg+xml',
      'application/wasm',
      'application/octet-stream',
      'font/ttf',
      'image/x-icon',
      'application/x-www-form-urlencoded',
      'application/yaml',
    ]) {
      assert.equal(isCompressible(type), true, type);
    }
  });

  it('refuses compressed formats, streams of events and malformed types', () => {
    for (const type of [
      '',
      'text',
      '/plain',
      'text/event-stream',
      'text/event-stream; charset=utf-8',
      'image/png',
      'image/jpeg',
      'image/webp',
      'image/avif',
      'video/mp4',
      'audio/mpeg',
      'application/zip',
      'application/gzip',
      'application/x-gzip',
      'application/x-bzip2',
      'application/x-7z-compressed',
      'application/zstd',
      'application/pdf',
      'application/epub+zip',
      'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
      'application/vnd.oasis.opendocument.text',
      'font/woff2',
      'multipart/byteranges; boundary=x',
    ]) {
      assert.equal(isCompressible(type), false, type);
    }
  });
});

describe('appendVary', () => {
  it('adds the field once, keeps others and respects "*"', () => {
    const h = new ResponseHeaders();
    appendVary(h, 'Accept-Encoding');
    appendVary(h, 'accept-encoding');
    assert.equal(h.get('vary'), 'Accept-Encoding');
    appendVary(h, 'Cookie');
    assert.equal(h.get('vary'), 'Accept-Encoding, Cookie');
    const star = new ResponseHeaders({ vary: '*' });
    appendVary(star, 'Cookie');
    assert.equal(star.get('vary'), '*');
    const origin = new ResponseHeaders({ vary: 'Origin' });
    appendVary(origin, 'Accept-Encoding');
    assert.equal(origin.get('vary'), 'Origin, Accept-Encoding');
  });
});

describe('CompressionMiddleware', () => {
  for (const encoding of ['gzip', 'br', 'deflate'] as const) {
    it(`compresses a text body with ${encoding}`, async () => {
      await using client = new TestClient(compressedApp());
      const res = await client.get('/big', { headers: { 'accept-encoding': encoding } });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-encoding'), encoding);
      assert.equal(res.headers.get('vary'), 'Accept-Encoding');
      assert.equal(res.headers.get('content-type'), 'text/plain; charset=utf-8');
      assert.equal(res.headers.get('content-length'), String(res.body.length));
      assert.ok(res.body.length < BIG.length / 5, `${res.body.length} bytes`);
      assert.equal(decode(encoding, res.body), BIG);
    });
  }

  it('picks brotli for what browsers send', async () => {
    await using client = new TestClient(compressedApp());
    const res = await client.get('/json', { headers: { 'accept-encoding': 'gzip, deflate, br, zstd' } });
    assert.equal(res.headers.get('content-encoding'), 'br');
    assert.equal(JSON.parse(decode('br', res.body)).items.length, 200);
  });

  it('sends identity without Accept-Encoding, but still with Vary', async () => {
    await using client = new TestClient(compressedApp());
    const res = await client.get('/big');
    assert.equal(res.headers.get('content-encoding'), null);
    assert.equal(res.headers.get('vary'), 'Accept-Encoding');
    assert.equal(res.text, BIG);
    assert.equal(res.headers.get('content-length'), String(BIG.length));
  });

  it('leaves bodies under the threshold alone, unless the client refuses identity', async () => {
    await using client = new TestClient(compressedApp());
    const small = await client.get('/small', { headers: { 'accept-encoding': 'gzip' } });
    assert.equal(small.headers.get('content-encoding'), null);
    assert.equal(small.text, SMALL);
    const forced = await client.get('/small', { headers: { 'accept-encoding': 'gzip, identity;q=0' } });
    assert.equal(forced.headers.get('content-encoding'), 'gzip');
    assert.equal(decode('gzip', forced.body), SMALL);
  });

  it('honours a custom threshold (and 0 compresses everything)', async () => {
    await using all = new TestClient(compressedApp({ threshold: 0 }));
    assert.equal((await all.get('/small', { headers: { 'accept-encoding': 'gzip' } })).headers.get('content-encoding'), 'gzip');
    await using high = new TestClient(compressedApp({ threshold: 10_000 }));
    assert.equal((await high.get('/big', { headers: { 'accept-encoding': 'gzip' } })).headers.get('content-encoding'), null);
  });

  it('compresses exactly-threshold bodies and not one byte less', async () => {
    const app = new CovetApp();
    app.addMiddleware(new CompressionMiddleware({ threshold: 100 }));
    app.get('/n/{n:int}', (req) => 'a'.repeat(req.params.n));
    await using client = new TestClient(app);
    assert.equal((await client.get('/n/100', { headers: { 'accept-encoding': 'gzip' } })).headers.get('content-encoding'), 'gzip');
    assert.equal((await client.get('/n/99', { headers: { 'accept-encoding': 'gzip' } })).headers.get('content-encoding'), null);
  });

  it('compresses byte bodies', async () => {
    await using client = new TestClient(compressedApp());
    const res = await client.get('/bytes', { headers: { 'accept-encoding': 'deflate' } });
    assert.equal(res.headers.get('content-encoding'), 'deflate');
    assert.equal(decode('deflate', res.body), BIG);
  });

  it('compresses a streamed body as it flows (chunked, no Content-Length)', async () => {
    await using client = new TestClient(compressedApp());
    const res = await client.get('/stream', { headers: { 'accept-encoding': 'gzip' } });
    assert.equal(res.headers.get('content-encoding'), 'gzip');
    assert.equal(res.headers.get('content-length'), null);
    assert.equal(res.headers.get('transfer-encoding'), 'chunked');
    const text = decode('gzip', res.body);
    assert.equal(text.split('\n').length, 51);
    assert.ok(text.startsWith(`line 0 ${'x'.repeat(100)}\nline 1 `));
  });

  it('compresses web ReadableStreams, Node Readables and sync iterables', async () => {
    const app = new CovetApp();
    app.addMiddleware(new CompressionMiddleware());
    const parts = ['alpha '.repeat(200), 'beta '.repeat(200)];
    app.get('/web', () => stream(new Blob(parts).stream(), 'text/plain'));
    app.get('/node', () => stream(Readable.from(parts.map((p) => Buffer.from(p))), 'text/plain'));
    app.get('/sync', () =>
      stream(
        (function* () {
          yield* parts;
        })(),
        'text/plain',
      ),
    );
    await using client = new TestClient(app);
    for (const path of ['/web', '/node', '/sync']) {
      const res = await client.get(path, { headers: { 'accept-encoding': 'br' } });
      assert.equal(res.headers.get('content-encoding'), 'br', path);
      assert.equal(decode('br', res.body), parts.join(''), path);
    }
  });

  it('skips a stream that declares a Content-Length under the threshold', async () => {
    const app = new CovetApp();
    app.addMiddleware(new CompressionMiddleware());
    app.get('/', () => new Response(Readable.from([Buffer.from('short')]), { headers: { 'content-type': 'text/plain', 'content-length': '5' } }));
    await using client = new TestClient(app);
    const res = await client.get('/', { headers: { 'accept-encoding': 'gzip' } });
    assert.equal(res.headers.get('content-encoding'), null);
    assert.equal(res.text, 'short');
  });

  it('fails the response when a stream yields something that is not bytes or a string', async () => {
    const logger = memoryLogger();
    const app = new CovetApp({ logger });
    app.addMiddleware(new CompressionMiddleware());
    app.get('/', () =>
      stream(
        (async function* () {
          yield 'ok';
          yield 42 as unknown as string;
        })(),
        'text/plain',
      ),
    );
    await using client = new TestClient(app);
    // The compressor had nothing out yet, so the status is not sent: a 500, as over a socket.
    const res = await client.get('/', { headers: { 'accept-encoding': 'gzip' } });
    assert.equal(res.status, 500);
    assert.deepEqual(res.json(), { error: 'Internal Server Error' });
    assert.ok(logger.lines.includes('Unhandled error in request'), logger.lines.join('\n'));
  });

  it('removes Content-Length and Accept-Ranges and weakens a strong ETag', async () => {
    const app = new CovetApp();
    app.addMiddleware(new CompressionMiddleware());
    app.get('/strong', () => new Response(BIG, { headers: { etag: '"v1"', 'accept-ranges': 'bytes', 'content-length': String(BIG.length) } }));
    app.get('/weak', () => new Response(BIG, { headers: { etag: 'W/"v1"' } }));
    await using client = new TestClient(app);
    const strong = await client.get('/strong', { headers: { 'accept-encoding': 'gzip' } });
    assert.equal(strong.headers.get('etag'), 'W/"v1"');
    assert.equal(strong.headers.get('accept-ranges'), null);
    assert.equal(strong.headers.get('content-length'), String(strong.body.length));
    assert.equal((await client.get('/weak', { headers: { 'accept-encoding': 'gzip' } })).headers.get('etag'), 'W/"v1"');
  });

  it('merges with an existing Vary header', async () => {
    const app = new CovetApp();
    app.addMiddleware(new CompressionMiddleware());
    app.get('/', () => new Response(BIG, { headers: { vary: 'Origin' } }));
    await using client = new TestClient(app);
    assert.equal((await client.get('/', { headers: { 'accept-encoding': 'gzip' } })).headers.get('vary'), 'Origin, Accept-Encoding');
  });

  it('leaves alone what must not or need not be compressed', async () => {
    const app = new CovetApp();
    app.addMiddleware(new CompressionMiddleware({ threshold: 0 }));
    const png = Buffer.alloc(4096, 1);
    app.get('/png', () => new Response(png, { headers: { 'content-type': 'image/png' } }));
    app.get('/zip', () => new Response(png, { headers: { 'content-type': 'application/zip' } }));
    app.get('/pre', () => new Response(BIG, { headers: { 'content-encoding': 'gzip', 'content-type': 'text/plain' } }));
    app.get('/no-transform', () => new Response(BIG, { headers: { 'cache-control': 'public, No-Transform' } }));
    app.get('/partial', () => new Response(BIG, { status: 206, headers: { 'content-range': `bytes 0-${BIG.length - 1}/9999` } }));
    app.get('/range', () => new Response(BIG, { headers: { 'content-range': 'bytes 0-1/2' } }));
    app.get('/untyped', () => new Response(Buffer.from(BIG)));
    app.get('/empty', () => new Response(null, { status: 200, headers: { 'content-type': 'text/plain' } }));
    app.get('/events', () =>
      sse(
        (async function* () {
          yield BIG;
        })(),
      ),
    );
    await using client = new TestClient(app);
    const headers = { 'accept-encoding': 'gzip, br' };
    for (const path of ['/png', '/zip', '/no-transform', '/partial', '/range', '/untyped', '/empty', '/events']) {
      const res = await client.get(path, { headers });
      assert.equal(res.headers.get('content-encoding'), null, path);
      assert.equal(res.headers.get('vary'), null, path);
    }
    const pre = await client.get('/pre', { headers });
    assert.equal(pre.headers.get('content-encoding'), 'gzip');
    assert.equal(pre.text, BIG, 'a body encoded already is passed through, not encoded twice');
    const events = await client.get('/events', { headers });
    assert.match(events.text, /^data: Covet compresses/m);
  });

  it("answers HEAD with the GET's headers but no Content-Length (RFC 9110 §8.6); skips 204/304 responses", async () => {
    const app = new CovetApp();
    app.addMiddleware(new CompressionMiddleware({ threshold: 0 }));
    app.get('/big', () => new Response(BIG, { headers: { 'content-type': 'text/plain; charset=utf-8', etag: '"v1"' } }));
    app.get('/none', () => null);
    app.get('/not-modified', () => new Response(BIG, { status: 304 }));
    await using client = new TestClient(app);
    const get = await client.get('/big', { headers: { 'accept-encoding': 'gzip' } });
    const head = await client.head('/big', { headers: { 'accept-encoding': 'gzip' } });
    assert.equal(head.status, 200);
    for (const name of ['content-encoding', 'vary', 'etag', 'content-type']) assert.equal(head.headers.get(name), get.headers.get(name), name);
    assert.equal(head.headers.get('content-encoding'), 'gzip');
    assert.equal(head.headers.get('etag'), 'W/"v1"');
    assert.equal(head.headers.get('content-length'), null, 'not the identity length a GET would not send');
    assert.equal(head.body.length, 0);
    // Without Accept-Encoding the GET is identity: HEAD keeps its length.
    const plain = await client.head('/big');
    assert.equal(plain.headers.get('content-length'), String(BIG.length));
    assert.equal(plain.headers.get('vary'), 'Accept-Encoding');
    const none = await client.get('/none', { headers: { 'accept-encoding': 'gzip' } });
    assert.equal(none.status, 204);
    assert.equal(none.headers.get('content-encoding'), null);
    const nm = await client.get('/not-modified', { headers: { 'accept-encoding': 'gzip' } });
    assert.equal(nm.status, 304);
    assert.equal(nm.headers.get('content-encoding'), null);
  });

  it('compresses error responses too (they are responses like any other)', async () => {
    const app = new CovetApp({ logger: memoryLogger() });
    app.addMiddleware(new CompressionMiddleware({ threshold: 0 }));
    await using client = new TestClient(app);
    const res = await client.get('/missing', { headers: { 'accept-encoding': 'gzip' } });
    assert.equal(res.status, 404);
    assert.equal(res.headers.get('content-encoding'), 'gzip');
    assert.deepEqual(JSON.parse(decode('gzip', res.body)), { error: 'Not Found' });
  });

  it('uses the configured codings, level, quality and filter', async () => {
    await using gzipOnly = new TestClient(compressedApp({ encodings: ['gzip'] }));
    assert.equal((await gzipOnly.get('/big', { headers: { 'accept-encoding': 'br, gzip;q=0.1' } })).headers.get('content-encoding'), 'gzip');
    assert.equal((await gzipOnly.get('/big', { headers: { 'accept-encoding': 'br' } })).headers.get('content-encoding'), null);

    await using fast = new TestClient(compressedApp({ level: 0 }));
    const stored = await fast.get('/big', { headers: { 'accept-encoding': 'gzip' } });
    assert.ok(stored.body.length > BIG.length, 'level 0 stores without compressing');
    assert.equal(decode('gzip', stored.body), BIG);

    await using best = new TestClient(compressedApp({ brotliQuality: 11 }));
    assert.equal(decode('br', (await best.get('/big', { headers: { 'accept-encoding': 'br' } })).body), BIG);

    await using filtered = new TestClient(compressedApp({ filter: (type) => type.startsWith('application/json') }));
    assert.equal((await filtered.get('/big', { headers: { 'accept-encoding': 'gzip' } })).headers.get('content-encoding'), null);
    assert.equal((await filtered.get('/json', { headers: { 'accept-encoding': 'gzip' } })).headers.get('content-encoding'), 'gzip');
  });

  it('validates its options', () => {
    assert.throws(() => new CompressionMiddleware({ threshold: -1 }), { name: 'RangeError', message: 'CompressionMiddleware threshold must be a non-negative integer' });
    assert.throws(() => new CompressionMiddleware({ threshold: 1.5 }), { name: 'RangeError' });
    assert.throws(() => new CompressionMiddleware({ level: 10 }), { name: 'RangeError', message: 'CompressionMiddleware level must be an integer from 0 to 9' });
    assert.throws(() => new CompressionMiddleware({ brotliQuality: 12 }), { name: 'RangeError', message: 'CompressionMiddleware brotliQuality must be an integer from 0 to 11' });
    assert.throws(() => new CompressionMiddleware({ encodings: ['zstd' as Encoding] }), { name: 'TypeError', message: 'CompressionMiddleware cannot produce "zstd"' });
  });

  it('shows up as CompressionMiddleware in the route table', () => {
    const app = compressedApp();
    assert.deepEqual(app.routeTable().find((r) => r.path === '/big')?.middleware, ['CompressionMiddleware']);
  });
});

describe('CompressionMiddleware and reused responses', () => {
  it('does not change a Response the handler returns again', async () => {
    const app = new CovetApp();
    app.addMiddleware(new CompressionMiddleware());
    const cached = new Response(BIG, { headers: { 'content-type': 'text/plain', etag: '"c1"' } });
    app.get('/', () => cached);
    await using client = new TestClient(app);
    const gz = await client.get('/', { headers: { 'accept-encoding': 'gzip' } });
    assert.equal(gz.headers.get('content-encoding'), 'gzip');
    assert.equal(decode('gzip', gz.body), BIG);
    const plain = await client.get('/');
    assert.equal(plain.headers.get('content-encoding'), null);
    assert.equal(plain.text, BIG);
    assert.equal(plain.headers.get('etag'), '"c1"');
    const br = await client.get('/', { headers: { 'accept-encoding': 'br' } });
    assert.equal(decode('br', br.body), BIG);
    assert.equal(cached.body, BIG);
  });
});
