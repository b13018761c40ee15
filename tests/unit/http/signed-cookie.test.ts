import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { CookieSigner, CovetApp, Response } from '../../../src/index.js';
import { TestClient } from '../../../src/testing/index.js';
import { memoryLogger } from '../../helpers/server.js';

const KEY = 'current-key-0123456789abcdef';
const OLD = 'previous-key-0123456789abcdef';
const OTHER = 'someone-elses-key-0123456789';

describe('CookieSigner', () => {
  it('signs as value.HMAC-SHA256(name=value) in base64url', () => {
    const signer = new CookieSigner(KEY);
    const mac = createHmac('sha256', KEY).update('theme=dark').digest('base64url');
    assert.equal(signer.sign('theme', 'dark'), `dark.${mac}`);
    assert.equal(mac.length, 43);
  });

  it('verifies its own signatures, also of empty values and values holding dots', () => {
    const signer = new CookieSigner(KEY);
    for (const value of ['dark', '', 'a.b.c', 'café ☕', 'x\r\ny']) {
      assert.equal(signer.unsign('c', signer.sign('c', value)), value, JSON.stringify(value));
    }
  });

  it('returns null for a tampered value', () => {
    const signer = new CookieSigner(KEY);
    const signed = signer.sign('role', 'user');
    assert.equal(signer.unsign('role', signed.replace(/^user/, 'admin')), null);
  });

  it('returns null for a tampered or truncated signature', () => {
    const signer = new CookieSigner(KEY);
    const signed = signer.sign('role', 'user');
    const last = signed.at(-1) === 'A' ? 'B' : 'A';
    assert.equal(signer.unsign('role', signed.slice(0, -1) + last), null);
    assert.equal(signer.unsign('role', signed.slice(0, -1)), null);
    assert.equal(signer.unsign('role', `${signed}A`), null);
    assert.equal(signer.unsign('role', 'user'), null);
    assert.equal(signer.unsign('role', ''), null);
    assert.equal(signer.unsign('role', `user.${'!'.repeat(43)}`), null);
    assert.equal(signer.unsign('role', `user_${signed.slice(5)}`), null);
  });

  it('returns null for a value signed with a key it does not have', () => {
    assert.equal(new CookieSigner(KEY).unsign('c', new CookieSigner(OTHER).sign('c', 'v')), null);
  });

  it('binds the signature to the cookie name', () => {
    const signer = new CookieSigner(KEY);
    assert.equal(signer.unsign('admin', signer.sign('user', 'yes')), null);
  });

  it('signs with the first key and verifies with every key (rotation)', () => {
    const before = new CookieSigner(OLD);
    const rotated = new CookieSigner([KEY, OLD]);
    const oldCookie = before.sign('c', 'v');
    assert.deepEqual(rotated.verify('c', oldCookie), { value: 'v', keyIndex: 1 });
    assert.deepEqual(rotated.verify('c', rotated.sign('c', 'v')), { value: 'v', keyIndex: 0 });
    assert.equal(rotated.sign('c', 'v'), new CookieSigner(KEY).sign('c', 'v'));
    // Once the old key is dropped, its cookies stop verifying.
    assert.equal(new CookieSigner(KEY).unsign('c', oldCookie), null);
    assert.equal(rotated.size, 2);
  });

  it('accepts byte keys', () => {
    const bytes = Buffer.alloc(32, 7);
    assert.equal(new CookieSigner([bytes]).unsign('c', new CookieSigner(new Uint8Array(bytes)).sign('c', 'v')), 'v');
  });

  it('refuses an empty key list and keys under 16 bytes', () => {
    assert.throws(() => new CookieSigner([]), { name: 'RangeError', message: 'CookieSigner needs at least one key' });
    assert.throws(() => new CookieSigner([KEY, 'short']), {
      name: 'RangeError',
      message: "Cookie signing key #1 is 5 bytes; use at least 16 (e.g. crypto.randomBytes(32).toString('base64url'))",
    });
  });
});

function signedApp(signer: CookieSigner): CovetApp {
  const app = new CovetApp({ logger: memoryLogger() });
  app.post('/theme/{value}', (req) => new Response(null, { status: 204 }).setCookie('theme', req.params.value, { signed: signer, maxAge: 60 }));
  app.get('/theme', (req) => ({ theme: req.getSignedCookie('theme', signer), raw: req.cookies.theme ?? null }));
  app.delete('/theme', () => new Response(null, { status: 204 }).deleteCookie('theme'));
  return app;
}

describe('signed cookies through the app', () => {
  it('sets a signed cookie and reads it back with req.getSignedCookie', async () => {
    const signer = new CookieSigner(KEY);
    await using client = new TestClient(signedApp(signer));
    const set = await client.post('/theme/dark');
    assert.equal(set.status, 204);
    assert.deepEqual(set.headers.getSetCookie(), [`theme=${signer.sign('theme', 'dark')}; Max-Age=60; Path=/; HttpOnly; SameSite=Lax`]);
    const res = await client.get('/theme');
    assert.equal(res.status, 200);
    assert.deepEqual(res.json(), { theme: 'dark', raw: signer.sign('theme', 'dark') });
  });

  it('gives null (not an error) for a missing, unsigned, tampered or foreign cookie', async () => {
    const signer = new CookieSigner(KEY);
    await using client = new TestClient(signedApp(signer));
    const cases: [string | undefined, string][] = [
      [undefined, 'missing'],
      ['dark', 'unsigned'],
      [signer.sign('theme', 'dark').replace('dark', 'light'), 'tampered value'],
      [`${signer.sign('theme', 'dark').slice(0, -2)}xx`, 'tampered signature'],
      [new CookieSigner(OTHER).sign('theme', 'dark'), 'wrong key'],
      [signer.sign('other', 'dark'), 'signed for another cookie'],
    ];
    for (const [cookie, what] of cases) {
      const res = await client.get('/theme', cookie === undefined ? {} : { cookies: { theme: cookie } });
      assert.equal(res.status, 200, what);
      assert.equal(res.json<{ theme: unknown }>().theme, null, what);
    }
  });

  it('still reads cookies signed with a rotated-out key that is kept for verifying', async () => {
    const old = new CookieSigner(OLD);
    await using client = new TestClient(signedApp(new CookieSigner([KEY, OLD])));
    const res = await client.get('/theme', { cookies: { theme: old.sign('theme', 'dark') } });
    assert.deepEqual(res.json(), { theme: 'dark', raw: old.sign('theme', 'dark') });
  });

  it('percent-encodes a signed value with CR/LF and reads it back intact', async () => {
    const signer = new CookieSigner(KEY);
    await using client = new TestClient(signedApp(signer));
    const set = await client.post(`/theme/${encodeURIComponent('x\r\nSet-Cookie: evil=1')}`);
    assert.equal(set.headers.getSetCookie().length, 1);
    assert.match(set.headers.getSetCookie()[0] ?? '', /^theme=x%0D%0ASet-Cookie%3A%20evil%3D1\.[A-Za-z0-9_-]{43}; Max-Age=60;/);
    assert.equal((await client.get('/theme')).json<{ theme: unknown }>().theme, 'x\r\nSet-Cookie: evil=1');
  });

  it('deleteCookie expires the cookie', async () => {
    await using client = new TestClient(signedApp(new CookieSigner(KEY)));
    await client.post('/theme/dark');
    assert.ok(client.cookies.has('theme'));
    const res = await client.delete('/theme');
    assert.deepEqual(res.headers.getSetCookie(), ['theme=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/; HttpOnly; SameSite=Lax']);
    assert.equal(client.cookies.has('theme'), false);
  });

  it('answers 500 with a clear logged error when a cookie is over 4096 bytes', async () => {
    const logger = memoryLogger();
    const app = new CovetApp({ logger });
    app.get('/big', () => new Response('ok').setCookie('big', 'x'.repeat(5000)));
    await using client = new TestClient(app);
    const res = await client.get('/big');
    assert.equal(res.status, 500);
    assert.deepEqual(res.json(), { error: 'Internal Server Error' });
    assert.equal(res.headers.getSetCookie().length, 0);
    const err = logger.errors[0] as { code?: string; message?: string };
    assert.equal(err.code, 'ERR_COOKIE_TOO_LARGE');
    assert.equal(err.message, 'Cookie big is 5004 bytes (name=value, encoded); browsers ignore cookies over 4096 bytes');
  });
});
