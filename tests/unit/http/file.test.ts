import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CovetApp, contentTypeFor, file, HTTPException, type Request } from '../../../src/index.js';
import { APP_JS, MTIME, makeSite, type Site } from '../../fixtures/static/site.js';

let site: Site;
before(() => {
  site = makeSite();
});
after(() => site.remove());

/** An app whose one route answers with `file(path, options)` built by `make`. */
function appWith(make: (req: Request) => Promise<unknown>): CovetApp {
  const app = new CovetApp();
  app.get('/f', (req) => make(req));
  return app;
}

const openFds = (): number => readdirSync('/proc/self/fd').length;

/**
 * The open descriptor count once it is back at `before`, or what it is after 2 s: closes run
 * asynchronously (a stream's fs.close, descriptors of earlier tests), so a count taken at once
 * can be off by one under load.
 */
async function fdsSettledAt(before: number): Promise<number> {
  for (let i = 0; i < 200 && openFds() !== before; i++) await new Promise((r) => setTimeout(r, 10));
  return openFds();
}

describe('contentTypeFor', () => {
  it('maps extensions case-insensitively, with a charset for text', () => {
    assert.equal(contentTypeFor('a/b/c.HTML'), 'text/html; charset=utf-8');
    assert.equal(contentTypeFor('x.mjs'), 'text/javascript; charset=utf-8');
    assert.equal(contentTypeFor('x.svg'), 'image/svg+xml');
    assert.equal(contentTypeFor('x.webmanifest'), 'application/manifest+json; charset=utf-8');
    assert.equal(contentTypeFor('x.wasm'), 'application/wasm');
    assert.equal(contentTypeFor('x.tar.gz'), 'application/gzip');
    assert.equal(contentTypeFor('Makefile'), 'application/octet-stream');
    assert.equal(contentTypeFor('.env'), 'application/octet-stream');
  });
});

describe('file()', () => {
  it('sends the file with its type, length, ETag and Last-Modified', async () => {
    const res = await appWith(() => file(join(site.root, 'app.js'))).inject({ url: '/f' });
    assert.equal(res.status, 200);
    assert.equal(res.body.toString(), APP_JS);
    assert.equal(res.headers.get('content-type'), 'text/javascript; charset=utf-8');
    assert.equal(res.headers.get('content-length'), String(APP_JS.length));
    assert.equal(res.headers.get('last-modified'), MTIME.toUTCString());
    assert.match(res.headers.get('etag') ?? '', /^W\/"[0-9a-f]+-[0-9a-f]+"$/);
    // Without the request it cannot honour ranges, so it does not advertise them.
    assert.equal(res.headers.get('accept-ranges'), null);
  });

  it('rejects a missing path or a directory with a 404 HTTPException', async () => {
    await assert.rejects(file(join(site.root, 'nope')), (err: unknown) => err instanceof HTTPException && err.status === 404);
    await assert.rejects(file(site.root), (err: unknown) => err instanceof HTTPException && err.status === 404);
    const res = await appWith(() => file(join(site.root, 'nope'))).inject({ url: '/f' });
    assert.equal(res.status, 404);
    assert.equal(res.body.toString(), '{"error":"Not Found"}');
  });

  it('takes a content type, a download name and Cache-Control', async () => {
    const app = appWith(() =>
      file(join(site.root, 'digits.txt'), { contentType: 'text/csv', downloadName: 'résumé "final".txt', cacheControl: 'no-store' }),
    );
    const res = await app.inject({ url: '/f' });
    assert.equal(res.headers.get('content-type'), 'text/csv');
    assert.equal(res.headers.get('content-disposition'), `attachment; filename="r_sum_ _final_.txt"; filename*=UTF-8''r%C3%A9sum%C3%A9%20%22final%22.txt`);
    assert.equal(res.headers.get('cache-control'), 'no-store');
  });

  it('streams a large file whole', async () => {
    const res = await appWith(() => file(join(site.root, 'big.bin'))).inject({ url: '/f' });
    assert.ok(res.body.equals(site.big));
  });
});

describe('file() with the request', () => {
  const app = () => appWith((req) => file(join(site.root, 'digits.txt'), { request: req }));

  it('answers a matching If-None-Match or If-Modified-Since with 304', async () => {
    const first = await app().inject({ url: '/f' });
    assert.equal(first.headers.get('accept-ranges'), 'bytes');
    const etag = first.headers.get('etag') as string;
    const inm = await app().inject({ url: '/f', headers: { 'if-none-match': etag } });
    assert.equal(inm.status, 304);
    assert.equal(inm.body.length, 0);
    assert.equal(inm.headers.get('etag'), etag);
    assert.equal((await app().inject({ url: '/f', headers: { 'if-modified-since': MTIME.toUTCString() } })).status, 304);
  });

  it('answers ranges with 206, unsatisfiable ones with 416, and honours If-Range', async () => {
    const part = await app().inject({ url: '/f', headers: { range: 'bytes=-4' } });
    assert.equal(part.status, 206);
    assert.equal(part.body.toString(), '6789');
    assert.equal(part.headers.get('content-range'), 'bytes 6-9/10');
    const bad = await app().inject({ url: '/f', headers: { range: 'bytes=10-' } });
    assert.equal(bad.status, 416);
    assert.equal(bad.headers.get('content-range'), 'bytes */10');
    assert.equal(bad.body.toString(), '{"error":"Range Not Satisfiable"}');
    const stale = await app().inject({ url: '/f', headers: { range: 'bytes=0-1', 'if-range': '"old"' } });
    assert.equal(stale.status, 200);
    assert.equal(stale.body.toString(), '0123456789');
  });

  it('answers HEAD with the headers only', async () => {
    const res = await app().inject({ url: '/f', method: 'HEAD' });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-length'), '10');
    assert.equal(res.body.length, 0);
  });
});

describe('file(): file descriptors', { skip: !existsSync('/proc/self/fd') && 'needs /proc/self/fd' }, () => {
  it('holds no descriptor for a streamed response until its body is read', async () => {
    const before = openFds();
    const responses = await Promise.all(Array.from({ length: 50 }, () => file(join(site.root, 'big.bin'))));
    // None of the 50 opened a descriptor: the count never rose by 50 (nor stayed up).
    assert.ok(openFds() < before + 50);
    assert.equal(await fdsSettledAt(before), before);
    // Read one to the end: the descriptor it opened is closed again.
    const chunks: Uint8Array[] = [];
    for await (const chunk of responses[0]?.body as AsyncIterable<Uint8Array>) chunks.push(chunk);
    assert.equal(Buffer.concat(chunks).length, site.big.length);
    assert.equal(await fdsSettledAt(before), before);
  });

  it('closes the descriptor of a small file before returning', async () => {
    const before = openFds();
    await Promise.all(Array.from({ length: 100 }, () => file(join(site.root, 'app.js'))));
    // close() is not awaited, so give it a moment to run.
    assert.equal(await fdsSettledAt(before), before);
  });
});
