// CompressionMiddleware over real sockets: decoded with node:zlib and by fetch, streamed with
// backpressure, and torn down when the client leaves.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import http from 'node:http';
import { describe, it } from 'node:test';
import { brotliDecompressSync, createGunzip, gunzipSync, inflateSync } from 'node:zlib';
import { CompressionMiddleware, CovetApp, html, stream } from '../../src/index.js';
import { memoryLogger, withServer } from '../helpers/server.js';
import { deferred, request, waitUntilStable, within } from './net-helpers.js';

const T = { timeout: 60_000 };
const PAGE = `<!doctype html><title>t</title>${'<p>Covet compresses HTML.</p>\n'.repeat(500)}`;

function decode(encoding: string | undefined, body: Buffer): string {
  if (encoding === 'gzip') return gunzipSync(body).toString('utf8');
  if (encoding === 'br') return brotliDecompressSync(body).toString('utf8');
  if (encoding === 'deflate') return inflateSync(body).toString('utf8');
  return body.toString('utf8');
}

function pageApp(): CovetApp {
  const app = new CovetApp({ logger: memoryLogger() });
  app.addMiddleware(new CompressionMiddleware());
  app.get('/page', () => html(PAGE));
  app.get(
    '/lines',
    () =>
      stream(
        (async function* () {
          for (let i = 0; i < 1000; i++) yield `{"n":${i},"pad":"${'y'.repeat(64)}"}\n`;
        })(),
        'application/x-ndjson',
      ),
  );
  return app;
}

describe('compression over HTTP', () => {
  for (const encoding of ['gzip', 'br', 'deflate'] as const) {
    it(`sends ${encoding} with a Content-Length for a whole body, decodable by node:zlib`, T, async () => {
      await withServer(pageApp(), async ({ port }) => {
        const res = await request(port, { path: '/page', headers: { 'accept-encoding': encoding } });
        assert.equal(res.status, 200);
        assert.equal(res.headers['content-encoding'], encoding);
        assert.equal(res.headers.vary, 'Accept-Encoding');
        assert.equal(res.headers['content-length'], String(res.body.length));
        assert.equal(res.headers['transfer-encoding'], undefined);
        assert.equal(decode(encoding, res.body), PAGE);
      });
    });
  }

  it('streams a compressed body chunked, decodable by node:zlib', T, async () => {
    await withServer(pageApp(), async ({ port }) => {
      const res = await request(port, { path: '/lines', headers: { 'accept-encoding': 'gzip;q=1, br;q=0.5' } });
      assert.equal(res.headers['content-encoding'], 'gzip');
      assert.equal(res.headers['transfer-encoding'], 'chunked');
      assert.equal(res.headers['content-length'], undefined);
      const lines = decode('gzip', res.body).trimEnd().split('\n');
      assert.equal(lines.length, 1000);
      assert.deepEqual(JSON.parse(lines[999] as string), { n: 999, pad: 'y'.repeat(64) });
    });
  });

  it('is decoded transparently by fetch', T, async () => {
    await withServer(pageApp(), async ({ url }) => {
      const res = await fetch(`${url}/page`, { headers: { 'accept-encoding': 'br, gzip' } });
      assert.equal(res.headers.get('content-encoding'), 'br');
      assert.equal(await res.text(), PAGE);
      const lines = await fetch(`${url}/lines`, { headers: { 'accept-encoding': 'deflate' } });
      assert.equal(lines.headers.get('content-encoding'), 'deflate');
      assert.equal((await lines.text()).split('\n').length, 1001);
    });
  });

  it('pauses the producer while the client does not read (backpressure through zlib)', T, async () => {
    const CHUNK = 64 * 1024;
    const TOTAL = 512; // 32 MiB of random bytes: zlib cannot shrink them, sockets cannot hide them
    let produced = 0;
    const app = new CovetApp();
    app.addMiddleware(new CompressionMiddleware());
    app.get('/random', () =>
      stream(
        (async function* () {
          for (let i = 0; i < TOTAL; i++) {
            produced++;
            yield randomBytes(CHUNK);
          }
        })(),
        'application/octet-stream',
      ),
    );
    await withServer(app, async ({ port }) => {
      const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
        const req = http.get({ host: '127.0.0.1', port, path: '/random', agent: false, headers: { 'accept-encoding': 'gzip' } }, resolve);
        req.on('error', reject);
      });
      assert.equal(res.headers['content-encoding'], 'gzip');
      res.pause();
      const stalled = await waitUntilStable(() => produced, 500, 15_000);
      assert.ok(stalled < TOTAL / 4, `the producer ran ahead to ${stalled} of ${TOTAL} chunks while the client was not reading`);
      const gunzip = createGunzip();
      let bytes = 0;
      gunzip.on('data', (c: Buffer) => {
        bytes += c.length;
      });
      res.pipe(gunzip);
      await within(once(gunzip, 'end'), 30_000, 'the rest of the stream');
      assert.equal(produced, TOTAL);
      assert.equal(bytes, CHUNK * TOTAL);
    });
  });

  it("runs the producer's finally block when the client leaves mid-stream", T, async () => {
    const cleaned = deferred<number>();
    const app = new CovetApp({ logger: memoryLogger() });
    app.addMiddleware(new CompressionMiddleware());
    app.get('/forever', () =>
      stream(
        (async function* () {
          let n = 0;
          try {
            for (;;) {
              n++;
              yield randomBytes(16 * 1024);
            }
          } finally {
            cleaned.resolve(n);
          }
        })(),
        'application/octet-stream',
      ),
    );
    await withServer(app, async ({ port }) => {
      const req = http.get({ host: '127.0.0.1', port, path: '/forever', agent: false, headers: { 'accept-encoding': 'br' } }, (res) => {
        assert.equal(res.headers['content-encoding'], 'br');
        res.once('data', () => req.destroy());
      });
      req.on('error', () => {}); // the abort we caused
      const n = await within(cleaned.promise, 10_000, "the producer's finally block");
      assert.ok(n > 0);
    });
  });

  it('cuts the connection when the producer fails mid-stream (no clean end)', T, async () => {
    const logger = memoryLogger();
    const app = new CovetApp({ logger });
    app.addMiddleware(new CompressionMiddleware());
    app.get('/broken', () =>
      stream(
        (async function* () {
          yield randomBytes(64 * 1024);
          // Lets the compressor emit its first output: the response has started. (A producer
          // failing before anything went out gets a 500 instead, see server.test.ts.)
          await new Promise((r) => setTimeout(r, 50));
          throw new Error('producer failed');
        })(),
        'application/octet-stream',
      ),
    );
    await withServer(app, async ({ port }) => {
      const outcome = await new Promise<string>((resolve) => {
        const req = http.get({ host: '127.0.0.1', port, path: '/broken', agent: false, headers: { 'accept-encoding': 'gzip' } }, (res) => {
          res.on('data', () => {});
          res.on('end', () => resolve('end'));
          res.on('error', () => resolve('error'));
          res.on('aborted', () => resolve('aborted'));
        });
        req.on('error', () => resolve('error'));
      });
      assert.notEqual(outcome, 'end');
      assert.ok(logger.lines.includes('response body failed'), logger.lines.join('\n'));
    });
  });
});
