// The test client must answer exactly as the app does over a socket: same status, headers
// (Set-Cookie included) and body bytes, for every kind of response and for HEAD.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CovetApp, HTTPException, html, json, redirect, sse, stream, text } from '../../../src/index.js';
import { TestClient } from '../../../src/testing/index.js';
import { memoryLogger, withServer } from '../../helpers/server.js';

function parityApp(): CovetApp {
  const app = new CovetApp({ logger: memoryLogger() });
  app.get('/json', () => ({ a: 1, é: 'ü' }));
  app.get('/text', () => text('hi'));
  app.get('/html', () => html('<p>x</p>'));
  app.get('/empty', () => null);
  app.get('/s204', () => [null, 204]);
  app.get('/redirect', () => redirect('/json'));
  app.get('/moved', () => redirect('/json', 301));
  app.get('/error', () => {
    throw new Error('boom');
  });
  app.get('/teapot', () => {
    throw new HTTPException(418, 'teapot');
  });
  app.get('/cookies', () => {
    const res = json({});
    res.setCookie('a', '1');
    res.setCookie('b', 'x y', { path: '/other', maxAge: 10 });
    res.deleteCookie('c');
    return res;
  });
  app.get('/stream', () =>
    stream(
      (async function* () {
        yield 'a';
        yield 'b';
      })(),
      'text/plain',
    ),
  );
  app.get('/sse', () =>
    sse(
      (async function* () {
        yield 'one';
        yield { event: 'e', id: '1', data: { x: 1 } };
      })(),
    ),
  );
  app.get('/bytes', () => new Uint8Array([0, 1, 2, 255]));
  app.get('/tuple', () => [{ created: true }, 201, { 'x-a': 'b' }]);
  app.get('/multi', () => {
    const res = text('x');
    res.headers.append('x-m', '1');
    res.headers.append('x-m', '2');
    return res;
  });
  app.get('/big', () => text('x'.repeat(5000)));
  return app;
}

const PATHS = ['/json', '/text', '/html', '/empty', '/s204', '/redirect', '/moved', '/error', '/teapot', '/cookies', '/stream', '/sse', '/bytes', '/tuple', '/multi', '/big', '/nope', '/json/'];
const SOCKET_ONLY = new Set(['date', 'connection', 'keep-alive']);
const headerList = (headers: Headers): string[] =>
  [...headers]
    .filter(([k]) => !SOCKET_ONLY.has(k))
    .map(([k, v]) => `${k}: ${v}`)
    .sort();

describe('TestClient answers as a socket does', () => {
  for (const method of ['GET', 'HEAD', 'POST', 'OPTIONS']) {
    it(`${method}: same status, headers and body bytes for every kind of response`, async () => {
      const app = parityApp();
      await using client = new TestClient(app);
      await withServer(app, async ({ url }) => {
        for (const path of PATHS) {
          const a = await client.request(method, path);
          const b = await fetch(url + path, { method, redirect: 'manual' });
          const body = Buffer.from(await b.arrayBuffer());
          assert.equal(a.status, b.status, `${method} ${path} status`);
          assert.deepEqual(headerList(a.headers), headerList(b.headers), `${method} ${path} headers`);
          assert.deepEqual(a.headers.getSetCookie(), b.headers.getSetCookie(), `${method} ${path} set-cookie`);
          assert.ok(a.body.equals(body), `${method} ${path} body: ${JSON.stringify(a.text)} vs ${JSON.stringify(body.toString())}`);
        }
      });
    });
  }
});
