import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { connect, constants, type ClientHttp2Session } from 'node:http2';
import { describe, it } from 'node:test';
import { CovetApp } from '../../src/index.js';
import { CSRFProtection } from '../../src/security/index.js';
import { memoryLogger } from '../helpers/server.js';

const key = readFileSync(new URL('../fixtures/tls/key.pem', import.meta.url));
const cert = readFileSync(new URL('../fixtures/tls/cert.pem', import.meta.url));

function buildApp(): CovetApp {
  const app = new CovetApp({ logger: memoryLogger() });
  app.get('/users/{id:int}', (req) => ({ id: req.params.id, version: req.raw?.httpVersion }));
  app.post('/echo', async (req) => ({ got: await req.json() }));
  app.get('/stream', () =>
    (async function* () {
      for (let i = 0; i < 3; i++) yield `chunk${i};`;
    })(),
  );
  app.get('/boom', () => {
    throw new Error('boom');
  });
  return app;
}

/** One HTTP/2 request on a session; resolves status, headers and body text. */
function h2(
  session: ClientHttp2Session,
  path: string,
  method = 'GET',
  body?: string,
  extra: Record<string, string> = {},
): Promise<{ status: number; headers: Record<string, unknown>; text: string }> {
  return new Promise((resolve, reject) => {
    const stream = session.request({
      [constants.HTTP2_HEADER_METHOD]: method,
      [constants.HTTP2_HEADER_PATH]: path,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...extra,
    });
    let headers: Record<string, unknown> = {};
    let text = '';
    stream.setEncoding('utf8');
    stream.on('response', (h) => {
      headers = h;
    });
    stream.on('data', (c: string) => {
      text += c;
    });
    stream.on('end', () => resolve({ status: Number(headers[':status']), headers, text }));
    stream.on('error', reject);
    stream.end(body);
  });
}

describe('HTTP/2 and HTTPS', () => {
  it('serves the same app over HTTP/2 with TLS, with HTTP/1.1 fallback on the same port', async () => {
    const app = buildApp();
    const { url, port } = await app.listen({ port: 0, http2: true, key, cert });
    assert.ok(url.startsWith('https://'));
    const session = connect(url, { ca: cert });
    try {
      const user = await h2(session, '/users/7');
      assert.equal(user.status, 200);
      assert.deepEqual(JSON.parse(user.text), { id: 7, version: '2.0' });
      assert.equal(user.headers['content-type'], 'application/json; charset=utf-8');
      const echo = await h2(session, '/echo', 'POST', '{"a":1}');
      assert.deepEqual(JSON.parse(echo.text), { got: { a: 1 } });
      assert.equal((await h2(session, '/stream')).text, 'chunk0;chunk1;chunk2;');
      const missing = await h2(session, '/nope');
      assert.equal(missing.status, 404);
      assert.deepEqual(JSON.parse(missing.text), { error: 'Not Found' });
      const boom = await h2(session, '/boom');
      assert.equal(boom.status, 500);
      // HTTP/1.1 over TLS to the same port (ALPN without h2).
      const h1 = await new Promise<{ status: number; text: string }>((resolve, reject) => {
        const req = httpsRequest({ host: '127.0.0.1', port, path: '/users/8', ca: cert, servername: 'localhost' }, (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => {
            text += c;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        });
        req.on('error', reject);
        req.end();
      });
      assert.equal(h1.status, 200);
      assert.deepEqual(JSON.parse(h1.text), { id: 8, version: '1.1' });
    } finally {
      session.close();
      await app.close();
    }
  });

  it('serves cleartext HTTP/2 (h2c) without TLS', async () => {
    const app = buildApp();
    const { url } = await app.listen({ port: 0, http2: true });
    const session = connect(url);
    try {
      const user = await h2(session, '/users/9');
      assert.deepEqual(JSON.parse(user.text), { id: 9, version: '2.0' });
    } finally {
      session.close();
      await app.close();
    }
  });

  it("reads HTTP/2's :authority as Host, so same-origin checks (CSRF) pass as over HTTP/1.1", async () => {
    const app = new CovetApp({ logger: memoryLogger() });
    app.addMiddleware(new CSRFProtection({ secretKey: 'a-test-secret-that-is-long-enough-123' }));
    app.get('/form', (req) => ({ host: req.headers.get('host') }));
    app.post('/submit', () => ({ ok: true }));
    const { url } = await app.listen({ port: 0, http2: true });
    const authority = new URL(url).host;
    const session = connect(url);
    try {
      const form = await h2(session, '/form');
      assert.deepEqual(JSON.parse(form.text), { host: authority });
      const cookie = String((form.headers['set-cookie'] as string[] | undefined)?.[0] ?? '').split(';', 1)[0] ?? '';
      const token = cookie.split('=')[1] ?? '';
      assert.ok(token.length > 10, cookie);
      const post = await h2(session, '/submit', 'POST', '{}', { origin: url, cookie, 'x-csrf-token': token });
      assert.equal(post.status, 200, post.text);
      const foreign = await h2(session, '/submit', 'POST', '{}', { origin: 'http://evil.example', cookie, 'x-csrf-token': token });
      assert.equal(foreign.status, 403);
    } finally {
      session.close();
      await app.close();
    }
  });

  it('lets an in-flight HTTP/2 stream finish on close, then stops', async () => {
    const app = new CovetApp();
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    app.get('/slow', async () => {
      await gate;
      return { done: true };
    });
    const { url } = await app.listen({ port: 0, http2: true, key, cert });
    const session = connect(url, { ca: cert });
    session.on('error', () => {});
    const pending = h2(session, '/slow');
    await new Promise((r) => setTimeout(r, 100));
    const closing = app.close();
    setTimeout(release, 100);
    const res = await pending;
    assert.equal(res.status, 200);
    assert.deepEqual(JSON.parse(res.text), { done: true });
    await closing;
    session.destroy();
  });

  it('serves HTTPS over HTTP/1.1 when given key and cert only', async () => {
    const app = buildApp();
    const { url } = await app.listen({ port: 0, key, cert });
    try {
      assert.ok(url.startsWith('https://'));
      const res = await new Promise<string>((resolve, reject) => {
        httpsRequest(`${url}/users/3`, { ca: cert, servername: 'localhost' }, (r) => {
          let text = '';
          r.setEncoding('utf8');
          r.on('data', (c: string) => {
            text += c;
          });
          r.on('end', () => resolve(text));
        })
          .on('error', reject)
          .end();
      });
      assert.deepEqual(JSON.parse(res), { id: 3, version: '1.1' });
    } finally {
      await app.close();
    }
  });

  it('refuses key without cert', async () => {
    const app = buildApp();
    await assert.rejects(app.listen({ port: 0, key }), /needs both key and cert/);
  });
});
