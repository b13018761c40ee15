import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, renameSync, rmSync, statSync, symlinkSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CovetApp, type InjectResponse, Response, type StaticOptions } from '../../../src/index.js';
import { createStaticHandler, safeSegments } from '../../../src/http/static.js';
import { APP_JS, DOCS_HTML, INDEX_HTML, MTIME, makeSite, SECRET, type Site } from '../../fixtures/static/site.js';

let site: Site;
before(() => {
  site = makeSite();
});
after(() => site.remove());

function appFor(options: StaticOptions = {}, prefix = '/static'): CovetApp {
  return new CovetApp().static(prefix, site.root, options);
}

function get(app: CovetApp, url: string, headers: Record<string, string> = {}, method = 'GET'): Promise<InjectResponse> {
  return app.inject({ method, url, headers });
}

const NOT_FOUND = '{"error":"Not Found"}';
const LAST_MODIFIED = MTIME.toUTCString();

function assertNotFound(res: InjectResponse, what: string): void {
  assert.equal(res.status, 404, `${what}: status ${res.status}`);
  assert.equal(res.body.toString(), NOT_FOUND, what);
  assert.ok(!res.body.toString().includes(SECRET), `${what} leaked the secret`);
}

describe('safeSegments', () => {
  it('splits a relative path into segments and keeps a trailing slash as an empty last one', () => {
    assert.deepEqual(safeSegments('a/b.txt', false), ['a', 'b.txt']);
    assert.deepEqual(safeSegments('docs/', false), ['docs', '']);
    assert.deepEqual(safeSegments('', false), []);
  });

  it('refuses every path that could leave the root or name a hidden file', () => {
    for (const bad of ['..', '../x', 'a/../../x', 'a/..', '.', './a', 'a/./b', '/etc/passwd', 'a//b', '..\\x', 'a\\b', 'a\0b', 'C:', 'c:/x', 'a/C:x', '.env', 'a/.git/config']) {
      assert.equal(safeSegments(bad, false), null, JSON.stringify(bad));
    }
  });

  it('allows dotfiles when asked, but never . or ..', () => {
    assert.deepEqual(safeSegments('.well-known/x', true), ['.well-known', 'x']);
    assert.equal(safeSegments('../x', true), null);
    assert.equal(safeSegments('./x', true), null);
  });

  it('does not decode again: a literal %2e%2e is a file name', () => {
    assert.deepEqual(safeSegments('%2e%2e', false), ['%2e%2e']);
  });
});

describe('app.static: serving files', () => {
  it('serves a file with its type, length, validators and caching headers', async () => {
    const res = await get(appFor(), '/static/app.js');
    assert.equal(res.status, 200);
    assert.equal(res.body.toString(), APP_JS);
    assert.equal(res.headers.get('content-type'), 'text/javascript; charset=utf-8');
    assert.equal(res.headers.get('content-length'), String(Buffer.byteLength(APP_JS)));
    assert.equal(res.headers.get('etag'), `W/"${Buffer.byteLength(APP_JS).toString(16)}-${MTIME.getTime().toString(16)}"`);
    assert.equal(res.headers.get('last-modified'), LAST_MODIFIED);
    assert.equal(res.headers.get('cache-control'), 'public, max-age=0');
    assert.equal(res.headers.get('accept-ranges'), 'bytes');
    assert.equal(res.headers.get('vary'), 'Accept-Encoding');
    assert.equal(res.headers.get('content-encoding'), null);
  });

  it('gives the right content type for common extensions', async () => {
    const app = appFor();
    const expected: Record<string, string> = {
      '/static/index.html': 'text/html; charset=utf-8',
      '/static/style.css': 'text/css; charset=utf-8',
      '/static/data.json': 'application/json; charset=utf-8',
      '/static/digits.txt': 'text/plain; charset=utf-8',
      '/static/image.png': 'image/png',
      '/static/font.woff2': 'font/woff2',
      '/static/big.bin': 'application/octet-stream',
      '/static/unknown.xyz': 'application/octet-stream',
      '/static/app.js.gz': 'application/gzip',
    };
    for (const [url, type] of Object.entries(expected)) {
      const res = await get(app, url);
      assert.equal(res.status, 200, url);
      assert.equal(res.headers.get('content-type'), type, url);
    }
  });

  it('serves names with escapes, spaces and non-ASCII letters, decoded once', async () => {
    const app = appFor();
    assert.equal((await get(app, '/static/caf%C3%A9.txt')).body.toString(), 'accents');
    assert.equal((await get(app, '/static/with%20space.txt')).body.toString(), 'spaced');
    // %252e%252e is the literal name "%2e%2e", not "..".
    assert.equal((await get(app, '/static/%252e%252e')).body.toString(), 'a file literally named %2e%2e');
  });

  it('serves an empty file as an empty 200', async () => {
    const res = await get(appFor(), '/static/empty.txt');
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-length'), '0');
    assert.equal(res.body.length, 0);
  });

  it('streams files past the in-memory threshold byte for byte', async () => {
    const res = await get(appFor(), '/static/big.bin');
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-length'), String(site.big.length));
    assert.ok(res.body.equals(site.big));
  });

  it('answers 404 {"error":"Not Found"} for a missing file, and 405 for other methods', async () => {
    const app = appFor();
    assertNotFound(await get(app, '/static/nope.txt'), 'missing');
    assertNotFound(await get(app, '/static/app.js/'), 'file with a trailing slash');
    assert.equal((await get(app, '/static/app.js', {}, 'POST')).status, 405);
  });

  it('works under the root prefix "/" too', async () => {
    const app = appFor({}, '/');
    assert.equal((await get(app, '/')).body.toString(), INDEX_HTML);
    assert.equal((await get(app, '/app.js')).body.toString(), APP_JS);
    assertNotFound(await get(app, '//etc/passwd'), '//etc/passwd');
    assertNotFound(await get(app, '/..%2fsecret.txt'), '/..%2fsecret.txt');
  });

  it('answers 404 while the root does not exist, and serves it once it does', async () => {
    const root = join(site.base, 'later');
    const app = new CovetApp().static('/later', root);
    assertNotFound(await get(app, '/later/a.txt'), 'no root yet');
    mkdirSync(root);
    writeFileSync(join(root, 'a.txt'), 'now');
    try {
      assert.equal((await get(app, '/later/a.txt')).body.toString(), 'now');
    } finally {
      rmSync(root, { recursive: true });
    }
  });

  it('validates its options once, at registration', () => {
    assert.throws(() => createStaticHandler(site.root, { maxAge: -1 }), RangeError);
    assert.throws(() => createStaticHandler(site.root, { maxAge: 1.5 }), RangeError);
    assert.throws(() => createStaticHandler(site.root, { index: '../index.html' }), TypeError);
  });
});

describe('app.static: paths that leave the root', () => {
  const attempts = [
    '/static/../secret.txt',
    '/static/%2e%2e/secret.txt',
    '/static/%2E%2E/secret.txt',
    '/static/..%2fsecret.txt',
    '/static/..%2Fsecret.txt',
    '/static/%2e%2e%2fsecret.txt',
    '/static/%2e%2e%5csecret.txt',
    '/static/..%5csecret.txt',
    '/static/docs/../../secret.txt',
    '/static/docs/%2e%2e/%2e%2e/secret.txt',
    '/static//etc/passwd',
    '/static/%2fetc%2fpasswd',
    `/static/${encodeURIComponent(join('/', 'etc', 'passwd'))}`,
    '/static/%00',
    '/static/app.js%00.png',
    '/static/C:%5cWindows%5cwin.ini',
    '/static/c:/secret.txt',
    '/static/link-out.txt',
    '/static/link-out-relative.txt',
    '/static/dir-out/passwd',
    '/static/./app.js',
    '/static/%2e/app.js',
  ];

  it('answers every attempt with 404 and never the content', async () => {
    const app = appFor();
    for (const url of attempts) assertNotFound(await get(app, url), url);
  });

  it('refuses them with dotfiles allowed too', async () => {
    const app = appFor({ dotfiles: true });
    for (const url of attempts) assertNotFound(await get(app, url), url);
  });

  it('refuses the absolute path of the secret file', async () => {
    const app = appFor();
    assertNotFound(await get(app, `/static/${site.secretPath.split('/').map(encodeURIComponent).join('%2F')}`), 'encoded absolute path');
    assertNotFound(await get(app, `/static${site.secretPath}`), 'absolute path after the prefix');
  });

  it('follows symlinks that stay inside the root', async () => {
    const res = await get(appFor(), '/static/link-in.js');
    assert.equal(res.status, 200);
    assert.equal(res.body.toString(), APP_JS);
    assert.equal(res.headers.get('content-type'), 'text/javascript; charset=utf-8');
  });
});

describe('app.static: a root that is a symlink', () => {
  it('follows the symlink when it is switched to a new release (atomic deploys), and still refuses escapes', async () => {
    const base = mkdtempSync(join(tmpdir(), 'covet-static-swap-'));
    try {
      for (const release of ['r1', 'r2']) {
        mkdirSync(join(base, release));
        writeFileSync(join(base, release, 'a.txt'), release);
      }
      writeFileSync(join(base, 'outside.txt'), SECRET);
      symlinkSync(join(base, 'outside.txt'), join(base, 'r2', 'out.txt'));
      symlinkSync('r1', join(base, 'current'));
      const app = new CovetApp().static('/static', join(base, 'current'));
      assert.equal((await get(app, '/static/a.txt')).body.toString(), 'r1');
      symlinkSync('r2', join(base, 'next'));
      renameSync(join(base, 'next'), join(base, 'current'));
      const res = await get(app, '/static/a.txt');
      assert.equal(res.status, 200);
      assert.equal(res.body.toString(), 'r2');
      assertNotFound(await get(app, '/static/out.txt'), 'symlink out of the new release');
      assert.equal((await get(app, '/static/a.txt')).body.toString(), 'r2');
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  });
});

describe('app.static: dotfiles', () => {
  it('hides them by default, at any depth and through symlinks', async () => {
    const app = appFor();
    for (const url of ['/static/.env', '/static/.git/config', '/static/sub/.hidden', '/static/.well-known/security.txt', '/static/link-dot', '/static/%2eenv']) {
      assertNotFound(await get(app, url), url);
    }
  });

  it('serves them with dotfiles: true', async () => {
    const app = appFor({ dotfiles: true });
    assert.equal((await get(app, '/static/.well-known/security.txt')).status, 200);
    assert.equal((await get(app, '/static/.env')).body.toString(), SECRET);
  });
});

describe('app.static: directories', () => {
  it('serves index.html for the root and for a directory with a trailing slash', async () => {
    const app = appFor();
    const root = await get(app, '/static/');
    assert.equal(root.status, 200);
    assert.equal(root.body.toString(), INDEX_HTML);
    assert.equal(root.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.equal((await get(app, '/static/docs/')).body.toString(), DOCS_HTML);
  });

  it('redirects a directory without its slash, keeping the query (308)', async () => {
    const res = await get(appFor(), '/static/docs?x=1');
    assert.equal(res.status, 308);
    assert.equal(res.headers.get('location'), '/static/docs/?x=1');
    const bare = await get(appFor(), '/static');
    assert.equal(bare.status, 308);
    assert.equal(bare.headers.get('location'), '/static/');
  });

  it('answers 404 for a directory without an index, and for every directory with index: false', async () => {
    assertNotFound(await get(appFor(), '/static/empty/'), 'no index');
    assertNotFound(await get(appFor(), '/static/empty'), 'no index, no slash');
    const app = appFor({ index: false });
    assertNotFound(await get(app, '/static/'), 'index off');
    assertNotFound(await get(app, '/static/docs/'), 'index off');
  });

  it('uses another index name when given', async () => {
    const res = await get(appFor({ index: 'app.js' }), '/static/');
    assert.equal(res.body.toString(), APP_JS);
    assert.equal(res.headers.get('content-type'), 'text/javascript; charset=utf-8');
  });
});

describe('app.static: caching headers and conditional requests', () => {
  it('builds Cache-Control from maxAge and immutable, and can leave out validators', async () => {
    const res = await get(appFor({ maxAge: 31536000, immutable: true, etag: false, lastModified: false }), '/static/app.js');
    assert.equal(res.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    assert.equal(res.headers.get('etag'), null);
    assert.equal(res.headers.get('last-modified'), null);
  });

  it('answers If-None-Match with the current tag with 304 and no body', async () => {
    const app = appFor();
    const etag = (await get(app, '/static/app.js')).headers.get('etag') as string;
    for (const inm of [etag, `"nope", ${etag}`, `${etag},"other"`, '*', etag.slice(2) /* strong form: weak comparison */]) {
      const res = await get(app, '/static/app.js', { 'if-none-match': inm });
      assert.equal(res.status, 304, inm);
      assert.equal(res.body.length, 0);
      assert.equal(res.headers.get('etag'), etag);
      assert.equal(res.headers.get('last-modified'), LAST_MODIFIED);
      assert.equal(res.headers.get('cache-control'), 'public, max-age=0');
      assert.equal(res.headers.get('content-length'), null);
      assert.equal(res.headers.get('content-type'), null);
    }
    const head = await get(app, '/static/app.js', { 'if-none-match': etag }, 'HEAD');
    assert.equal(head.status, 304);
  });

  it('answers 200 when If-None-Match does not match, even if If-Modified-Since would', async () => {
    const app = appFor();
    const res = await get(app, '/static/app.js', { 'if-none-match': 'W/"0-0"', 'if-modified-since': LAST_MODIFIED });
    assert.equal(res.status, 200);
    assert.equal(res.body.toString(), APP_JS);
  });

  it('answers If-Modified-Since with 304 when the file is not newer', async () => {
    const app = appFor();
    assert.equal((await get(app, '/static/app.js', { 'if-modified-since': LAST_MODIFIED })).status, 304);
    assert.equal((await get(app, '/static/app.js', { 'if-modified-since': new Date(MTIME.getTime() + 60_000).toUTCString() })).status, 304);
    assert.equal((await get(app, '/static/app.js', { 'if-modified-since': new Date(MTIME.getTime() - 1000).toUTCString() })).status, 200);
    assert.equal((await get(app, '/static/app.js', { 'if-modified-since': 'not a date' })).status, 200);
  });

  it('sees a changed file as modified: new ETag, 200 for the old one', async () => {
    const path = join(site.root, 'changing.txt');
    writeFileSync(path, 'one');
    utimesSync(path, MTIME, MTIME);
    const app = appFor();
    const first = await get(app, '/static/changing.txt');
    writeFileSync(path, 'three');
    const later = new Date(MTIME.getTime() + 5000);
    utimesSync(path, later, later);
    const res = await get(app, '/static/changing.txt', { 'if-none-match': first.headers.get('etag') as string });
    assert.equal(res.status, 200);
    assert.equal(res.body.toString(), 'three');
    assert.notEqual(res.headers.get('etag'), first.headers.get('etag'));
    unlinkSync(path);
  });

  it('answers failed If-Match / If-Unmodified-Since with 412', async () => {
    const app = appFor();
    const etag = (await get(app, '/static/app.js')).headers.get('etag') as string;
    const res = await get(app, '/static/app.js', { 'if-match': '"other"' });
    assert.equal(res.status, 412);
    assert.deepEqual(JSON.parse(res.body.toString()), { error: 'Precondition Failed' });
    // A weak tag never matches If-Match (strong comparison); `*` does.
    assert.equal((await get(app, '/static/app.js', { 'if-match': etag })).status, 412);
    assert.equal((await get(app, '/static/app.js', { 'if-match': '*' })).status, 200);
    assert.equal((await get(app, '/static/app.js', { 'if-unmodified-since': new Date(MTIME.getTime() - 1000).toUTCString() })).status, 412);
    assert.equal((await get(app, '/static/app.js', { 'if-unmodified-since': LAST_MODIFIED })).status, 200);
  });
});

describe('app.static: ranges', () => {
  it('answers bytes=a-b with 206, Content-Range and exactly those bytes', async () => {
    const res = await get(appFor(), '/static/digits.txt', { range: 'bytes=2-5' });
    assert.equal(res.status, 206);
    assert.equal(res.body.toString(), '2345');
    assert.equal(res.headers.get('content-range'), 'bytes 2-5/10');
    assert.equal(res.headers.get('content-length'), '4');
    assert.equal(res.headers.get('content-type'), 'text/plain; charset=utf-8');
    assert.equal(res.headers.get('accept-ranges'), 'bytes');
  });

  it('answers open-ended, suffix and over-long ranges', async () => {
    const app = appFor();
    const cases: [string, string, string][] = [
      ['bytes=7-', '789', 'bytes 7-9/10'],
      ['bytes=-3', '789', 'bytes 7-9/10'],
      ['bytes=-30', '0123456789', 'bytes 0-9/10'],
      ['bytes=8-100', '89', 'bytes 8-9/10'],
      ['bytes=0-0', '0', 'bytes 0-0/10'],
      ['bytes=0-', '0123456789', 'bytes 0-9/10'],
      ['BYTES = 1-1', '1', 'bytes 1-1/10'],
      ['bytes=50-60, 3-4', '34', 'bytes 3-4/10'],
    ];
    for (const [range, body, contentRange] of cases) {
      const res = await get(app, '/static/digits.txt', { range });
      assert.equal(res.status, 206, range);
      assert.equal(res.body.toString(), body, range);
      assert.equal(res.headers.get('content-range'), contentRange, range);
    }
  });

  it('answers an unsatisfiable range with 416, Content-Range: bytes */size and a JSON error', async () => {
    const app = appFor();
    for (const range of ['bytes=10-', 'bytes=10-20', 'bytes=-0', 'bytes=99-100, 200-']) {
      const res = await get(app, '/static/digits.txt', { range });
      assert.equal(res.status, 416, range);
      assert.equal(res.headers.get('content-range'), 'bytes */10', range);
      assert.equal(res.headers.get('content-type'), 'application/json; charset=utf-8');
      assert.equal(res.body.toString(), '{"error":"Range Not Satisfiable"}');
    }
    const empty = await get(app, '/static/empty.txt', { range: 'bytes=0-' });
    assert.equal(empty.status, 416);
    assert.equal(empty.headers.get('content-range'), 'bytes */0');
  });

  it('ignores malformed ranges and answers several ranges with the whole file (200)', async () => {
    const app = appFor();
    for (const range of ['bytes=abc', 'bytes=5-2', 'bytes=', 'bytes=-', 'items=0-1', 'bytes=1-2-3', 'bytes=0-1,4-5', 'bytes=0-0,0-0,0-0']) {
      const res = await get(app, '/static/digits.txt', { range });
      assert.equal(res.status, 200, range);
      assert.equal(res.body.toString(), '0123456789', range);
      assert.equal(res.headers.get('content-range'), null, range);
    }
  });

  it('streams a range of a large file, across chunk boundaries', async () => {
    const start = 65_000;
    const end = 140_000;
    const res = await get(appFor(), '/static/big.bin', { range: `bytes=${start}-${end}` });
    assert.equal(res.status, 206);
    assert.ok(res.body.equals(site.big.subarray(start, end + 1)));
    assert.equal(res.headers.get('content-range'), `bytes ${start}-${end}/${site.big.length}`);
  });

  it('respects If-Range: the current ETag or date gives 206, a stale one the whole file', async () => {
    const app = appFor();
    const etag = (await get(app, '/static/digits.txt')).headers.get('etag') as string;
    assert.equal((await get(app, '/static/digits.txt', { range: 'bytes=0-1', 'if-range': etag })).status, 206);
    assert.equal((await get(app, '/static/digits.txt', { range: 'bytes=0-1', 'if-range': LAST_MODIFIED })).status, 206);
    for (const stale of ['W/"a-0"', '"a-0"', new Date(MTIME.getTime() - 1000).toUTCString(), 'garbage']) {
      const res = await get(app, '/static/digits.txt', { range: 'bytes=0-1', 'if-range': stale });
      assert.equal(res.status, 200, stale);
      assert.equal(res.body.toString(), '0123456789');
    }
    // A stale If-Range also overrides an unsatisfiable range: the whole file, not 416.
    assert.equal((await get(app, '/static/digits.txt', { range: 'bytes=99-', 'if-range': '"old"' })).status, 200);
  });

  it('answers 304 before looking at Range', async () => {
    const app = appFor();
    const etag = (await get(app, '/static/digits.txt')).headers.get('etag') as string;
    assert.equal((await get(app, '/static/digits.txt', { range: 'bytes=0-1', 'if-none-match': etag })).status, 304);
  });
});

describe('app.static: HEAD', () => {
  it('sends the GET headers with no body', async () => {
    const app = appFor();
    const res = await get(app, '/static/big.bin', {}, 'HEAD');
    assert.equal(res.status, 200);
    assert.equal(res.body.length, 0);
    assert.equal(res.headers.get('content-length'), String(site.big.length));
    assert.equal(res.headers.get('content-type'), 'application/octet-stream');
    assert.ok(res.headers.get('etag'));
    assert.equal((await get(app, '/static/', {}, 'HEAD')).headers.get('content-length'), String(INDEX_HTML.length));
    assert.equal((await get(app, '/static/nope', {}, 'HEAD')).status, 404);
  });

  it('ignores Range (defined for GET only)', async () => {
    const res = await get(appFor(), '/static/digits.txt', { range: 'bytes=0-1' }, 'HEAD');
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-length'), '10');
  });
});

describe('app.static: precompressed siblings', () => {
  it('prefers brotli, keeps the original type, and varies on Accept-Encoding', async () => {
    const res = await get(appFor(), '/static/app.js', { 'accept-encoding': 'gzip, deflate, br' });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-encoding'), 'br');
    assert.equal(res.headers.get('content-type'), 'text/javascript; charset=utf-8');
    assert.equal(res.headers.get('vary'), 'Accept-Encoding');
    assert.equal(res.headers.get('content-length'), String(site.appJsBr.length));
    assert.ok(res.body.equals(site.appJsBr));
  });

  it('follows q-values', async () => {
    const app = appFor();
    const pick = async (ae: string) => (await get(app, '/static/app.js', { 'accept-encoding': ae })).headers.get('content-encoding');
    assert.equal(await pick('gzip'), 'gzip');
    assert.equal(await pick('br;q=0.5, gzip;q=0.8'), 'gzip');
    assert.equal(await pick('br;q=0.8, gzip;q=0.8'), 'br');
    assert.equal(await pick('br;q=0, gzip'), 'gzip');
    assert.equal(await pick('BR'), 'br');
    assert.equal(await pick('*'), 'br');
    assert.equal(await pick('*;q=0.5, br;q=0'), 'gzip');
    assert.equal(await pick('gzip;q=0, br;q=0'), null);
    assert.equal(await pick('identity'), null);
    assert.equal(await pick('deflate'), null);
    assert.equal(await pick(''), null);
    // A malformed q-value voids its entry (as the compression middleware reads it).
    assert.equal(await pick('br;q=abc, gzip'), 'gzip');
    assert.equal(await pick('br;q=2'), null);
  });

  it('falls back to the next accepted sibling, then to the file itself', async () => {
    const app = appFor();
    const css = await get(app, '/static/style.css', { 'accept-encoding': 'br, gzip' });
    assert.equal(css.headers.get('content-encoding'), 'gzip');
    assert.equal(css.headers.get('content-type'), 'text/css; charset=utf-8');
    const json = await get(app, '/static/data.json', { 'accept-encoding': 'br, gzip' });
    assert.equal(json.headers.get('content-encoding'), null);
    assert.equal(json.body.toString(), '{"ok":true}\n');
  });

  it('gives each encoding its own ETag, and revalidates against the one served', async () => {
    const app = appFor();
    const plain = await get(app, '/static/app.js');
    const br = await get(app, '/static/app.js', { 'accept-encoding': 'br' });
    assert.notEqual(plain.headers.get('etag'), br.headers.get('etag'));
    const again = await get(app, '/static/app.js', { 'accept-encoding': 'br', 'if-none-match': br.headers.get('etag') as string });
    assert.equal(again.status, 304);
    assert.equal(again.headers.get('vary'), 'Accept-Encoding');
  });

  it('serves a .gz file asked for by name as itself, never with Content-Encoding', async () => {
    const res = await get(appFor(), '/static/app.js.gz', { 'accept-encoding': 'gzip, br' });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/gzip');
    assert.equal(res.headers.get('content-encoding'), null);
    assert.ok(res.body.equals(site.appJsGz));
  });

  it('does not serve a sibling whose original is missing', async () => {
    writeFileSync(join(site.root, 'orphan.js.gz'), 'gz');
    try {
      assertNotFound(await get(appFor(), '/static/orphan.js', { 'accept-encoding': 'gzip' }), 'orphan');
    } finally {
      unlinkSync(join(site.root, 'orphan.js.gz'));
    }
  });

  it('applies ranges to the compressed bytes', async () => {
    const res = await get(appFor(), '/static/app.js', { 'accept-encoding': 'gzip', range: 'bytes=0-9' });
    assert.equal(res.status, 206);
    assert.equal(res.headers.get('content-encoding'), 'gzip');
    assert.ok(res.body.equals(site.appJsGz.subarray(0, 10)));
    assert.equal(res.headers.get('content-range'), `bytes 0-9/${site.appJsGz.length}`);
  });

  it('never looks for siblings with precompressed: false', async () => {
    const res = await get(appFor({ precompressed: false }), '/static/app.js', { 'accept-encoding': 'br, gzip' });
    assert.equal(res.headers.get('content-encoding'), null);
    assert.equal(res.headers.get('vary'), null);
    assert.equal(res.body.toString(), APP_JS);
  });
});

describe('app.static: middleware and HEAD without reading', () => {
  it('opens no file for a response that middleware replaces', async () => {
    const app = new CovetApp();
    app.addMiddleware(async (req, callNext) => {
      const res = await callNext(req);
      return req.path.endsWith('.bin') ? new Response('replaced') : res;
    });
    app.static('/static', site.root);
    const res = await app.inject({ url: '/static/big.bin' });
    assert.equal(res.body.toString(), 'replaced');
  });

  it('reports the size of the file as it is on disk', async () => {
    const res = await get(appFor(), '/static/big.bin', {}, 'HEAD');
    assert.equal(Number(res.headers.get('content-length')), statSync(join(site.root, 'big.bin')).size);
  });
});
