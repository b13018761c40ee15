import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CovetApp } from '../../src/index.js';
import { withServer } from '../helpers/server.js';

const TOKEN = 'console-token-0123456789abcdef';
const UNAUTHORIZED = {
  error: 'Unauthorized',
  detail: 'The Covet Console needs its token: send "Authorization: Bearer <token>", or open the page once with ?token=<token>',
};

function productionApp(): CovetApp {
  const app = new CovetApp({ logger: { info() {}, error() {} } }).console('/_covet', { token: TOKEN });
  app.get('/hello', () => ({ hello: 'world' }));
  return app;
}

describe('console token', () => {
  it('answers 401 JSON to every console request without the token outside debug mode', async () => {
    const app = productionApp();
    try {
      for (const url of ['/_covet', '/_covet/api/snapshot', '/_covet/api/requests/1', '/_covet?token=wrong-token-0123456789']) {
        const res = await app.inject({ url });
        assert.equal(res.status, 401, url);
        assert.deepEqual(JSON.parse(res.body.toString()), UNAUTHORIZED, url);
        assert.equal(res.headers.get('www-authenticate'), 'Bearer realm="Covet Console"');
        assert.equal(res.headers.get('set-cookie'), null);
      }
      for (const authorization of [`Bearer ${TOKEN}x`, `Basic ${TOKEN}`, TOKEN, 'Bearer ']) {
        assert.equal((await app.inject({ url: '/_covet/api/snapshot', headers: { authorization } })).status, 401, authorization);
      }
      const forged = await app.inject({ url: '/_covet/api/snapshot', headers: { cookie: `covet_console=${TOKEN}` } });
      assert.equal(forged.status, 401, 'the cookie holds a derived value, not the token');
      // The app's own routes are not affected.
      assert.equal((await app.inject({ url: '/hello' })).status, 200);
    } finally {
      await app.close();
    }
  });

  it('lets a Bearer token in', async () => {
    const app = productionApp();
    try {
      await app.inject({ url: '/hello' });
      const res = await app.inject({ url: '/_covet/api/snapshot', headers: { authorization: `Bearer ${TOKEN}` } });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('cache-control'), 'no-store');
      const body = JSON.parse(res.body.toString()) as { requests: { url: string }[] };
      assert.deepEqual(
        body.requests.map((r) => r.url),
        ['/hello'],
        'denied console requests are not recorded either',
      );
      assert.equal((await app.inject({ url: '/_covet', headers: { authorization: `bearer  ${TOKEN}` } })).status, 200);
    } finally {
      await app.close();
    }
  });

  it('trades ?token= for an HttpOnly SameSite=Strict cookie and a redirect without the token', async () => {
    const app = productionApp();
    await withServer(app, async ({ url }) => {
      const first = await fetch(`${url}/_covet?view=sql&token=${TOKEN}`, { redirect: 'manual' });
      assert.equal(first.status, 303);
      assert.equal(first.headers.get('location'), '/_covet?view=sql');
      const cookie = first.headers.get('set-cookie') ?? '';
      assert.match(cookie, /^covet_console=[\w-]+; /);
      assert.ok(!cookie.includes(TOKEN), 'the cookie is not the token');
      for (const attribute of ['HttpOnly', 'SameSite=Strict', 'Path=/_covet']) assert.ok(cookie.includes(attribute), `${attribute} in ${cookie}`);
      assert.ok(!cookie.includes('Secure'), 'plain HTTP: no Secure attribute');
      const pair = cookie.split(';', 1)[0] as string;
      const page = await fetch(`${url}/_covet?view=sql`, { headers: { cookie: pair } });
      assert.equal(page.status, 200);
      assert.match(await page.text(), /<title>Covet Console<\/title>/);
      const api = await fetch(`${url}/_covet/api/snapshot`, { headers: { cookie: pair } });
      assert.equal(api.status, 200);
      const tampered = await fetch(`${url}/_covet/api/snapshot`, { headers: { cookie: `${pair.slice(0, -2)}xx` } });
      assert.equal(tampered.status, 401);
      assert.deepEqual(await tampered.json(), UNAUTHORIZED);
      // The name percent-encoded is the same parameter: stripped too, not redirected to itself.
      for (const name of ['to%6Ben', 'tok%65n']) {
        const encoded = await fetch(`${url}/_covet?view=sql&${name}=${TOKEN}&x=1`, { redirect: 'manual' });
        assert.equal(encoded.status, 303);
        assert.equal(encoded.headers.get('location'), '/_covet?view=sql&x=1');
      }
    });
  });

  it('marks the cookie Secure behind an HTTPS proxy', async () => {
    const app = productionApp();
    try {
      const res = await app.inject({ url: `/_covet?token=${TOKEN}`, headers: { 'x-forwarded-proto': 'https' } });
      assert.equal(res.status, 303);
      assert.match(res.headers.get('set-cookie') ?? '', /; Secure/);
    } finally {
      await app.close();
    }
  });

  it('requires a given token in debug mode too', async () => {
    const app = new CovetApp({ debug: true }).console('/_covet', { token: TOKEN });
    try {
      assert.equal((await app.inject({ url: '/_covet/api/snapshot' })).status, 401);
      assert.equal((await app.inject({ url: '/_covet/api/snapshot', headers: { authorization: `Bearer ${TOKEN}` } })).status, 200);
    } finally {
      await app.close();
    }
  });
});
