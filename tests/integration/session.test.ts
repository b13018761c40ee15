// Cookies and sessions over real sockets: what actually goes over the wire.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CookieSigner, CovetApp, MemorySessionStore, Response, SessionMiddleware } from '../../src/index.js';
import { RateLimiter } from '../../src/security/index.js';
import { memoryLogger, withServer } from '../helpers/server.js';
import { rawExchange } from './net-helpers.js';

const T = { timeout: 30_000 };
const SECRET = 'integration-secret-0123456789ab';

function setCookieLines(text: string): string[] {
  const head = text.slice(0, text.indexOf('\r\n\r\n'));
  return head.split('\r\n').filter((line) => /^set-cookie:/i.test(line));
}

describe('cookies on the wire', () => {
  it('cannot be used for header injection: CRLF in a value stays inside one Set-Cookie line', T, async () => {
    const signer = new CookieSigner(SECRET);
    const app = new CovetApp();
    app.get('/set', (req) => {
      const value = req.queryParams.get('v', '');
      return new Response('ok').setCookie('plain', value).setCookie('signed', value, { signed: signer });
    });
    await withServer(app, async ({ port }) => {
      const evil = encodeURIComponent('x\r\nSet-Cookie: evil=1\r\nX-Injected: yes');
      const res = await rawExchange(port, (socket) => {
        socket.end(`GET /set?v=${evil} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
      });
      assert.equal(res.status, 200);
      const lines = setCookieLines(res.text);
      assert.equal(lines.length, 2, res.text);
      assert.equal(lines[0], 'set-cookie: plain=x%0D%0ASet-Cookie%3A%20evil%3D1%0D%0AX-Injected%3A%20yes; Path=/; HttpOnly; SameSite=Lax');
      assert.match(lines[1] ?? '', /^set-cookie: signed=x%0D%0ASet-Cookie%3A%20evil%3D1%0D%0AX-Injected%3A%20yes\.[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Lax$/);
      assert.equal(res.headers['x-injected'], undefined);
      assert.doesNotMatch(res.text, /^set-cookie: evil=1/im);
      assert.equal(res.body, 'ok');
    });
  });

  it('fetch sees the cookie value exactly as set after a round trip', T, async () => {
    const signer = new CookieSigner(SECRET);
    const app = new CovetApp();
    app.post('/set', async (req) => new Response(null, { status: 204 }).setCookie('note', await req.text(), { signed: signer }));
    app.get('/get', (req) => ({ note: req.getSignedCookie('note', signer) }));
    await withServer(app, async ({ url }) => {
      const value = 'line one\r\nline two; "quoted", 100% café';
      const set = await fetch(`${url}/set`, { method: 'POST', body: value });
      assert.equal(set.status, 204);
      const cookie = (set.headers.getSetCookie()[0] ?? '').split(';')[0] as string;
      const res = await fetch(`${url}/get`, { headers: { cookie } });
      assert.deepEqual(await res.json(), { note: value });
    });
  });

  it('answers CR or LF where a cookie cannot encode it (name, Path, Domain) with 500 and no Set-Cookie, and a raw CR or LF in a Cookie header with 400', T, async () => {
    const logger = memoryLogger();
    const app = new CovetApp({ logger });
    app.get('/name', () => new Response('ok').setCookie('a\r\nX-Injected: yes', 'v'));
    app.get('/path', () => new Response('ok').setCookie('a', 'v', { path: '/\r\nX-Injected: yes' }));
    app.get('/domain', () => new Response('ok').setCookie('a', 'v', { domain: 'example.com\nX-Injected: yes' }));
    app.get('/cookies', (req) => ({ cookies: req.cookies }));
    await withServer(app, async ({ port }) => {
      for (const path of ['/name', '/path', '/domain']) {
        const res = await rawExchange(port, (socket) => {
          socket.end(`GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
        });
        assert.equal(res.status, 500, path);
        assert.deepEqual(JSON.parse(res.body), { error: 'Internal Server Error' });
        assert.deepEqual(setCookieLines(res.text), [], path);
        assert.equal(res.headers['x-injected'], undefined);
      }
      assert.equal(logger.errors.length, 3);
      for (const header of ['Cookie: a=b\rX-Injected: yes', 'Cookie: a=b\nX-Injected: yes']) {
        const res = await rawExchange(port, (socket) => {
          socket.end(`GET /cookies HTTP/1.1\r\nHost: x\r\n${header}\r\nConnection: close\r\n\r\n`);
        });
        assert.equal(res.status, 400, JSON.stringify(header));
        assert.deepEqual(JSON.parse(res.body), { error: 'Bad Request' });
      }
      // Percent-encoded, CR and LF are data: decoded into the value, never a header.
      const res = await rawExchange(port, (socket) => {
        socket.end('GET /cookies HTTP/1.1\r\nHost: x\r\nCookie: a=x%0D%0AX-Injected%3A%20yes\r\nConnection: close\r\n\r\n');
      });
      assert.equal(res.status, 200);
      assert.deepEqual(JSON.parse(res.body), { cookies: { a: 'x\r\nX-Injected: yes' } });
    });
  });
});

describe('sessions over HTTP', () => {
  function app(store?: MemorySessionStore): CovetApp {
    const a = new CovetApp({ logger: memoryLogger() });
    a.addMiddleware(new SessionMiddleware({ secretKey: SECRET, ...(store === undefined ? {} : { store }) }));
    a.post('/count', (req) => {
      const n = (req.session.get('n') as number | undefined) ?? 0;
      req.session.set('n', n + 1);
      return { n: n + 1 };
    });
    return a;
  }

  for (const kind of ['cookie', 'memory store'] as const) {
    it(`keeps state between requests (${kind})`, T, async () => {
      await withServer(app(kind === 'cookie' ? undefined : new MemorySessionStore()), async ({ url }) => {
        let cookie = '';
        for (let i = 1; i <= 3; i++) {
          const res = await fetch(`${url}/count`, { method: 'POST', headers: cookie ? { cookie } : {} });
          assert.equal(res.status, 200);
          assert.deepEqual(await res.json(), { n: i });
          assert.equal(res.headers.get('vary'), 'Cookie');
          cookie = (res.headers.getSetCookie()[0] ?? '').split(';')[0] as string;
          assert.match(cookie, /^session=/);
        }
        const tampered = `${cookie.slice(0, -3)}${cookie.endsWith('AAA') ? 'BBB' : 'AAA'}`;
        const res = await fetch(`${url}/count`, { method: 'POST', headers: { cookie: tampered } });
        assert.equal(res.status, 200);
        assert.deepEqual(await res.json(), { n: 1 });
      });
    });
  }
});

describe('a Response the handler reuses', () => {
  it("never carries one visitor's session cookie to the next", T, async () => {
    const a = new CovetApp({ logger: memoryLogger() });
    a.addMiddleware(new SessionMiddleware({ secretKey: SECRET, store: new MemorySessionStore() }));
    const shared = new Response('{"ok":true}', { headers: { 'content-type': 'application/json' } });
    a.post('/login/{user}', async (req) => {
      await req.session.regenerate();
      req.session.set('user', req.params.user);
      return shared;
    });
    a.post('/logout', async (req) => {
      await req.session.destroy();
      return shared;
    });
    await withServer(a, async ({ url }) => {
      const alice = await fetch(`${url}/login/alice`, { method: 'POST' });
      const bob = await fetch(`${url}/login/bob`, { method: 'POST' });
      assert.equal(alice.status, 200);
      assert.equal(bob.status, 200);
      assert.equal(alice.headers.getSetCookie().length, 1);
      assert.equal(bob.headers.getSetCookie().length, 1);
      assert.notEqual(bob.headers.getSetCookie()[0], alice.headers.getSetCookie()[0]);
      const cookie = (bob.headers.getSetCookie()[0] ?? '').split(';')[0] as string;
      const out = await fetch(`${url}/logout`, { method: 'POST', headers: { cookie } });
      assert.match(out.headers.getSetCookie()[0] ?? '', /^session=; Max-Age=0;/);
      const anon = await fetch(`${url}/login/carol`, { method: 'POST' });
      assert.equal(anon.headers.getSetCookie().length, 1);
      assert.equal(anon.headers.get('vary'), 'Cookie');
      assert.equal(shared.headers.getSetCookie().length, 0, "the handler's Response is left as it was");
      assert.equal(shared.headers.get('vary'), null);
    });
  });

  it('keeps the tighter rate-limit headers of a route limit inside the session middleware', T, async () => {
    const limiter = new RateLimiter({ defaultLimits: '100/hour' });
    const a = new CovetApp({ logger: memoryLogger() });
    a.addMiddleware(limiter);
    a.addMiddleware(new SessionMiddleware({ secretKey: SECRET, store: new MemorySessionStore() }));
    a.post('/visit', limiter.limit('5/minute', (req) => {
      req.session.set('seen', true);
      return { ok: true };
    }));
    await withServer(a, async ({ url }) => {
      const res = await fetch(`${url}/visit`, { method: 'POST' });
      assert.equal(res.status, 200);
      assert.equal(res.headers.getSetCookie().length, 1);
      assert.equal(res.headers.get('ratelimit-limit'), '5');
      assert.equal(res.headers.get('ratelimit-remaining'), '4');
    });
  });
});
