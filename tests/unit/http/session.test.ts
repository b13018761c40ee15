import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { afterEach, describe, it, mock } from 'node:test';
import { expectTypeOf } from 'expect-type';
import {
  CovetApp,
  HTTPException,
  MemorySessionStore,
  type Request,
  type Session,
  SessionMiddleware,
  type SessionOptions,
  type SessionStore,
} from '../../../src/index.js';
import { parseCookies } from '../../../src/http/cookie.js';
import { TestClient } from '../../../src/testing/index.js';
import { memoryLogger } from '../../helpers/server.js';

// Declaration merging, as an app would do it: `req.session.get('typedUserId')` is a number.
declare module '../../../src/index.js' {
  interface SessionData {
    typedUserId?: number;
    typedCart?: string[];
  }
}

const SECRET = 'session-secret-0123456789abcdef';
const OLD_SECRET = 'older-session-secret-0123456789';

/** An app with routes that drive the session, behind `SessionMiddleware(options)`. */
function sessionApp(options: Partial<SessionOptions> = {}, logger = memoryLogger()): CovetApp {
  const app = new CovetApp({ logger });
  app.addMiddleware(new SessionMiddleware({ secretKey: SECRET, ...options }));
  app.get('/get', (req) => ({ data: req.session.toJSON(), isNew: req.session.isNew }));
  app.get('/peek', () => ({ untouched: true }));
  app.post('/set/{key}/{value}', (req) => {
    req.session.set(req.params.key, req.params.value);
    return { id: req.session.id, data: req.session.toJSON() };
  });
  app.post('/delete/{key}', (req) => ({ deleted: req.session.delete(req.params.key) }));
  app.post('/clear', (req) => {
    req.session.clear();
    return { size: req.session.keys().length };
  });
  app.post('/login/{user:int}', async (req) => {
    const before = req.session.id;
    await req.session.regenerate();
    req.session.set('typedUserId', req.params.user);
    return { before, after: req.session.id };
  });
  app.post('/logout', async (req) => {
    await req.session.destroy();
    return { data: req.session.toJSON() };
  });
  app.post('/relogin', async (req) => {
    await req.session.destroy();
    req.session.set('again', 'yes');
    return { isNew: req.session.isNew };
  });
  app.post('/fail', (req) => {
    req.session.set('lost', 'yes');
    throw new Error('boom');
  });
  app.post('/deny', (req) => {
    req.session.set('kept', 'yes');
    throw new HTTPException(403, 'Forbidden');
  });
  app.get('/id', (req) => ({ id: req.session.id }));
  return app;
}

function sessionCookie(res: { headers: Headers }, name = 'session'): string | undefined {
  const line = res.headers.getSetCookie().find((l) => l.startsWith(`${name}=`));
  return line === undefined ? undefined : parseCookies(line.split(';')[0])[name];
}

afterEach(() => {
  mock.timers.reset();
});

describe('SessionMiddleware: cookie sessions', () => {
  it('sets a signed cookie with the default attributes once the session gets data', async () => {
    await using client = new TestClient(sessionApp());
    const res = await client.post('/set/name/ann');
    assert.equal(res.status, 200);
    const lines = res.headers.getSetCookie();
    assert.equal(lines.length, 1);
    assert.match(lines[0] ?? '', /^session=[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}; Max-Age=1209600; Path=\/; HttpOnly; SameSite=Lax$/);
    assert.deepEqual((await client.get('/get')).json(), { data: { name: 'ann' }, isNew: false });
  });

  it('keeps the data readable (signed, not secret) as base64url JSON', async () => {
    await using client = new TestClient(sessionApp());
    const res = await client.post('/set/name/ann');
    const value = sessionCookie(res) as string;
    const payload = JSON.parse(Buffer.from(value.slice(0, value.lastIndexOf('.')), 'base64url').toString('utf8'));
    assert.deepEqual(payload.d, { name: 'ann' });
    assert.equal(payload.i, res.json<{ id: string }>().id);
    assert.ok(Math.abs(payload.e - (Math.floor(Date.now() / 1000) + 1209600)) <= 1);
  });

  it('sends no cookie for a session that stays empty, or is only read', async () => {
    await using client = new TestClient(sessionApp());
    const first = await client.get('/get');
    assert.deepEqual(first.json(), { data: {}, isNew: true });
    assert.deepEqual(first.headers.getSetCookie(), []);
    assert.deepEqual((await client.get('/peek')).headers.getSetCookie(), []);
    await client.post('/set/a/1');
    const read = await client.get('/get');
    assert.deepEqual(read.json(), { data: { a: '1' }, isNew: false });
    assert.deepEqual(read.headers.getSetCookie(), []);
  });

  it('adds Vary: Cookie when the handler used the session, and not otherwise', async () => {
    await using client = new TestClient(sessionApp());
    assert.equal((await client.get('/get')).headers.get('vary'), 'Cookie');
    assert.equal((await client.get('/peek')).headers.get('vary'), null);
  });

  it('re-sends the cookie with the new data whenever it changes', async () => {
    await using client = new TestClient(sessionApp());
    const a = sessionCookie(await client.post('/set/a/1'));
    const b = sessionCookie(await client.post('/set/b/2'));
    assert.ok(a && b && a !== b);
    assert.deepEqual((await client.get('/get')).json<{ data: unknown }>().data, { a: '1', b: '2' });
    assert.deepEqual((await client.post('/delete/a')).json(), { deleted: true });
    assert.deepEqual((await client.get('/get')).json<{ data: unknown }>().data, { b: '2' });
    const noop = await client.post('/delete/zzz');
    assert.deepEqual(noop.json(), { deleted: false });
    assert.deepEqual(noop.headers.getSetCookie(), []);
  });

  it('gives a fresh empty session (200, never 500) for a tampered cookie, and deletes it', async () => {
    await using client = new TestClient(sessionApp());
    const good = sessionCookie(await client.post('/set/role/user')) as string;
    const [body = '', mac = ''] = [good.slice(0, good.lastIndexOf('.')), good.slice(good.lastIndexOf('.') + 1)];
    const forgedBody = Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(body, 'base64url').toString()), d: { role: 'admin' } }),
    ).toString('base64url');
    for (const cookie of [`${forgedBody}.${mac}`, `${body}.${mac.slice(0, -1)}${mac.endsWith('A') ? 'B' : 'A'}`, body, 'garbage', '.', `${good}x`]) {
      const res = await client.get('/get', { headers: { cookie: `session=${cookie}` } });
      assert.equal(res.status, 200, cookie);
      assert.deepEqual(res.json(), { data: {}, isNew: true }, cookie);
      assert.deepEqual(res.headers.getSetCookie(), ['session=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/; HttpOnly; SameSite=Lax']);
    }
  });

  it('refuses a well-signed payload that is not a session (wrong shape or not JSON)', async () => {
    // The codec's key is derived from the secret; a payload signed with the derived key but
    // malformed must still give a fresh session.
    const { hkdfSync } = await import('node:crypto');
    const key = Buffer.from(hkdfSync('sha256', SECRET, 'covet.session.v1', 'cookie-signing', 32));
    const sign = (payload: string): string => {
      const b64 = Buffer.from(payload).toString('base64url');
      return `${b64}.${createHmac('sha256', key).update(`session=${b64}`).digest('base64url')}`;
    };
    await using client = new TestClient(sessionApp());
    const future = Math.floor(Date.now() / 1000) + 100;
    // Sanity check: the same construction with a valid payload is accepted.
    const valid = await client.get('/get', { headers: { cookie: `session=${sign(JSON.stringify({ i: 'x', d: { ok: 1 }, e: future }))}` } });
    assert.deepEqual(valid.json(), { data: { ok: 1 }, isNew: false });
    for (const payload of ['not json', '[]', 'null', JSON.stringify({ i: 1, d: {}, e: future }), JSON.stringify({ i: 'x', d: [], e: future }), JSON.stringify({ i: 'x', d: {} })]) {
      const res = await client.get('/get', { headers: { cookie: `session=${sign(payload)}` } });
      assert.equal(res.status, 200, payload);
      assert.deepEqual(res.json(), { data: {}, isNew: true }, payload);
    }
  });

  it('gives a fresh session for a cookie signed with another secret', async () => {
    await using other = new TestClient(sessionApp({ secretKey: 'a-different-secret-0123456789' }));
    const foreign = sessionCookie(await other.post('/set/role/admin')) as string;
    await using client = new TestClient(sessionApp());
    const res = await client.get('/get', { cookies: { session: foreign } });
    assert.deepEqual(res.json(), { data: {}, isNew: true });
  });

  it('verifies cookies made with a rotated-out secret kept in the list, and re-signs them with the current one', async () => {
    await using before = new TestClient(sessionApp({ secretKey: OLD_SECRET }));
    const oldCookie = sessionCookie(await before.post('/set/name/ann')) as string;
    await using rotated = new TestClient(sessionApp({ secretKey: [SECRET, OLD_SECRET] }));
    const res = await rotated.get('/get', { cookies: { session: oldCookie } });
    assert.deepEqual(res.json(), { data: { name: 'ann' }, isNew: false });
    const resigned = sessionCookie(res) as string;
    assert.ok(resigned !== undefined && resigned !== oldCookie, 'the cookie is re-issued with the current secret');
    await using current = new TestClient(sessionApp({ secretKey: SECRET }));
    assert.deepEqual((await current.get('/get', { cookies: { session: resigned } })).json(), { data: { name: 'ann' }, isNew: false });
    assert.deepEqual((await current.get('/get', { cookies: { session: oldCookie } })).json(), { data: {}, isNew: true });
  });

  it('expires a session after maxAge even when the browser replays the cookie', async () => {
    mock.timers.enable({ apis: ['Date'], now: Date.now() });
    await using client = new TestClient(sessionApp({ maxAge: 60 }));
    const cookie = sessionCookie(await client.post('/set/a/1')) as string;
    mock.timers.tick(59_000);
    assert.deepEqual((await client.get('/get', { cookies: { session: cookie } })).json(), { data: { a: '1' }, isNew: false });
    mock.timers.tick(1_000);
    const expired = await client.get('/get', { cookies: { session: cookie } });
    assert.equal(expired.status, 200);
    assert.deepEqual(expired.json(), { data: {}, isNew: true });
  });

  it('with rolling, re-sends the cookie on every response and slides the expiry', async () => {
    mock.timers.enable({ apis: ['Date'], now: Date.now() });
    await using client = new TestClient(sessionApp({ maxAge: 60, rolling: true }));
    await client.post('/set/a/1');
    for (let i = 0; i < 3; i++) {
      mock.timers.tick(45_000);
      const res = await client.get('/get');
      assert.deepEqual(res.json(), { data: { a: '1' }, isNew: false }, `round ${i}`);
      assert.match(res.headers.getSetCookie()[0] ?? '', /^session=.+; Max-Age=60; /);
    }
    // An empty session is never rolled into existence.
    assert.deepEqual((await client.get('/peek', { headers: { cookie: '' } })).headers.getSetCookie(), []);
  });

  it('marks responses that carry the session cookie private, also a public page a rolling session rides on', async () => {
    const app = sessionApp({ maxAge: 60, rolling: true });
    app.get('/public', () => new Response('page', { headers: { 'content-type': 'text/plain', 'cache-control': 'public, max-age=3600' } }));
    await using client = new TestClient(app);
    const set = await client.post('/set/a/1');
    assert.equal(set.headers.get('cache-control'), 'private');
    const page = await client.get('/public');
    assert.match(page.headers.getSetCookie()[0] ?? '', /^session=/);
    assert.equal(page.headers.get('cache-control'), 'private, max-age=3600');
    const logout = await client.post('/logout');
    assert.match(logout.headers.getSetCookie()[0] ?? '', /^session=; Max-Age=0/);
    assert.equal(logout.headers.get('cache-control'), 'private');
    // No cookie, nothing private: the public page stays cacheable for visitors without a session.
    await using fresh = new TestClient(sessionApp({ maxAge: 60 }));
    assert.equal((await fresh.get('/peek')).headers.get('cache-control'), null);
  });

  it('without rolling, an unchanged session keeps its first expiry', async () => {
    mock.timers.enable({ apis: ['Date'], now: Date.now() });
    await using client = new TestClient(sessionApp({ maxAge: 60 }));
    await client.post('/set/a/1');
    mock.timers.tick(45_000);
    assert.deepEqual((await client.get('/get')).json<{ data: unknown }>().data, { a: '1' });
    mock.timers.tick(45_000);
    assert.deepEqual((await client.get('/get')).json<{ data: unknown }>().data, {});
  });

  it('regenerate() gives a new id and keeps the data', async () => {
    await using client = new TestClient(sessionApp());
    const { id } = (await client.post('/set/cart/1')).json<{ id: string }>();
    const res = await client.post('/login/7');
    const { before, after } = res.json<{ before: string; after: string }>();
    assert.equal(before, id);
    assert.notEqual(after, before);
    assert.match(after, /^[A-Za-z0-9_-]{43}$/);
    assert.deepEqual((await client.get('/get')).json<{ data: unknown }>().data, { cart: '1', typedUserId: 7 });
  });

  it('destroy() empties the session and deletes the cookie; the old cookie no longer matters', async () => {
    await using client = new TestClient(sessionApp());
    await client.post('/set/a/1');
    const res = await client.post('/logout');
    assert.deepEqual(res.json(), { data: {} });
    assert.deepEqual(res.headers.getSetCookie(), ['session=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/; HttpOnly; SameSite=Lax']);
    assert.equal(client.cookies.has('session'), false);
    assert.deepEqual((await client.get('/get')).json(), { data: {}, isNew: true });
  });

  it('a session used again after destroy() starts over under a new id', async () => {
    await using client = new TestClient(sessionApp());
    await client.post('/set/a/1');
    const res = await client.post('/relogin');
    assert.deepEqual(res.json(), { isNew: true });
    assert.deepEqual((await client.get('/get')).json<{ data: unknown }>().data, { again: 'yes' });
  });

  it('clear() drops the session and its cookie', async () => {
    await using client = new TestClient(sessionApp());
    await client.post('/set/a/1');
    const res = await client.post('/clear');
    assert.deepEqual(res.json(), { size: 0 });
    assert.match(res.headers.getSetCookie()[0] ?? '', /^session=; Max-Age=0;/);
  });

  it('does not save changes made by a request that ends in a 5xx, but does for a 4xx', async () => {
    await using client = new TestClient(sessionApp());
    await client.post('/set/a/1');
    const failed = await client.post('/fail');
    assert.equal(failed.status, 500);
    assert.deepEqual(failed.json(), { error: 'Internal Server Error' });
    assert.deepEqual(failed.headers.getSetCookie(), []);
    const denied = await client.post('/deny');
    assert.equal(denied.status, 403);
    assert.deepEqual(denied.json(), { error: 'Forbidden' });
    assert.deepEqual((await client.get('/get')).json<{ data: unknown }>().data, { a: '1', kept: 'yes' });
  });

  it('uses the configured cookie name and attributes', async () => {
    // The jar keeps a cookie for its Domain only, and sends it to its Path over https only.
    await using client = new TestClient(
      sessionApp({ cookieName: 'sid', path: '/app', domain: 'example.com', secure: true, httpOnly: false, sameSite: 'Strict', maxAge: 3600 }),
      { baseUrl: 'https://www.example.com' },
    );
    const res = await client.post('/set/a/1');
    assert.match(res.headers.getSetCookie()[0] ?? '', /^sid=[^;]+; Max-Age=3600; Path=\/app; Domain=example.com; Secure; SameSite=Strict$/);
    assert.deepEqual(
      client.cookies.list().map((c) => [c.name, c.domain, c.hostOnly, c.path, c.secure, c.httpOnly]),
      [['sid', 'example.com', false, '/app', true, false]],
    );
    const logout = await client.post('/logout', { cookies: { sid: client.cookies.get('sid') ?? '' } });
    assert.deepEqual(logout.headers.getSetCookie(), ['sid=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/app; Domain=example.com; Secure; SameSite=Strict']);
  });

  it('answers 500 and logs ERR_SESSION_TOO_LARGE when the data does not fit in a cookie', async () => {
    const logger = memoryLogger();
    const app = sessionApp({}, logger);
    app.post('/huge', (req) => {
      req.session.set('blob', 'x'.repeat(4000));
      return { ok: true };
    });
    await using client = new TestClient(app);
    const res = await client.post('/huge');
    assert.equal(res.status, 500);
    assert.deepEqual(res.json(), { error: 'Internal Server Error' });
    assert.deepEqual(res.headers.getSetCookie(), []);
    const err = logger.errors[0] as { code?: string; message?: string };
    assert.equal(err.code, 'ERR_SESSION_TOO_LARGE');
    assert.match(err.message ?? '', /^The session does not fit in its cookie: Cookie session is \d+ bytes .*Keep less in the session, or use a server-side store$/);
  });

  it('stores JSON: values round-trip as JSON does, `undefined` deletes, and `__proto__` stays data', async () => {
    const app = sessionApp();
    app.post('/json', (req) => {
      req.session.set('nested', { list: [1, 'two', null], flag: true });
      req.session.set('__proto__', { polluted: true });
      req.session.set('gone', 'x');
      req.session.set('gone', undefined);
      return { has: req.session.has('gone') };
    });
    await using client = new TestClient(app);
    assert.deepEqual((await client.post('/json')).json(), { has: false });
    const data = (await client.get('/get')).json<{ data: Record<string, unknown> }>().data;
    assert.deepEqual(Object.keys(data), ['nested', '__proto__']);
    assert.deepEqual(data.nested, { list: [1, 'two', null], flag: true });
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });
});

describe('SessionMiddleware: encrypted cookie sessions', () => {
  it('round-trips data that the client cannot read', async () => {
    await using client = new TestClient(sessionApp({ encrypt: true }));
    const res = await client.post('/set/secret/hunter2');
    const value = sessionCookie(res) as string;
    assert.match(value, /^[A-Za-z0-9_-]+$/);
    assert.ok(!Buffer.from(value, 'base64url').toString('latin1').includes('hunter2'));
    assert.ok(!value.includes('.'));
    assert.deepEqual((await client.get('/get')).json(), { data: { secret: 'hunter2' }, isNew: false });
  });

  it('gives a fresh session for a flipped bit, a truncated value or a foreign secret', async () => {
    await using client = new TestClient(sessionApp({ encrypt: true }));
    const value = sessionCookie(await client.post('/set/a/1')) as string;
    const bytes = Buffer.from(value, 'base64url');
    for (const index of [0, 12, 20, bytes.length - 1]) {
      const flipped = Buffer.from(bytes);
      flipped[index] = (flipped[index] as number) ^ 1;
      const res = await client.get('/get', { headers: { cookie: `session=${flipped.toString('base64url')}` } });
      assert.deepEqual(res.json(), { data: {}, isNew: true }, `bit flipped at ${index}`);
    }
    for (const bad of [bytes.subarray(0, 27).toString('base64url'), 'not*base64', value.slice(0, -4)]) {
      assert.deepEqual((await client.get('/get', { headers: { cookie: `session=${bad}` } })).json(), { data: {}, isNew: true });
    }
    await using other = new TestClient(sessionApp({ encrypt: true, secretKey: 'a-different-secret-0123456789' }));
    assert.deepEqual((await other.get('/get', { cookies: { session: value } })).json(), { data: {}, isNew: true });
  });

  it('binds the ciphertext to the cookie name', async () => {
    await using a = new TestClient(sessionApp({ encrypt: true, cookieName: 'a' }));
    const value = sessionCookie(await a.post('/set/k/v'), 'a') as string;
    await using b = new TestClient(sessionApp({ encrypt: true, cookieName: 'b' }));
    assert.deepEqual((await b.get('/get', { cookies: { b: value } })).json(), { data: {}, isNew: true });
  });

  it('decrypts with a rotated-out secret and re-encrypts with the current one', async () => {
    await using before = new TestClient(sessionApp({ encrypt: true, secretKey: OLD_SECRET }));
    const oldCookie = sessionCookie(await before.post('/set/a/1')) as string;
    await using rotated = new TestClient(sessionApp({ encrypt: true, secretKey: [SECRET, OLD_SECRET] }));
    const res = await rotated.get('/get', { cookies: { session: oldCookie } });
    assert.deepEqual(res.json(), { data: { a: '1' }, isNew: false });
    const fresh = sessionCookie(res) as string;
    await using current = new TestClient(sessionApp({ encrypt: true, secretKey: SECRET }));
    assert.deepEqual((await current.get('/get', { cookies: { session: fresh } })).json(), { data: { a: '1' }, isNew: false });
  });

  it('does not accept signed cookies as encrypted ones, or the other way round', async () => {
    await using signed = new TestClient(sessionApp());
    await using encrypted = new TestClient(sessionApp({ encrypt: true }));
    const s = sessionCookie(await signed.post('/set/a/1')) as string;
    const e = sessionCookie(await encrypted.post('/set/a/1')) as string;
    assert.deepEqual((await encrypted.get('/get', { cookies: { session: s } })).json(), { data: {}, isNew: true });
    assert.deepEqual((await signed.get('/get', { cookies: { session: e } })).json(), { data: {}, isNew: true });
  });
});

/** A store that records calls, around a MemorySessionStore. */
function recordingStore(): { store: SessionStore; memory: MemorySessionStore; calls: string[] } {
  const memory = new MemorySessionStore();
  const calls: string[] = [];
  const store: SessionStore = {
    get: (id) => {
      calls.push(`get ${id.slice(0, 6)}`);
      return memory.get(id);
    },
    set: (id, data, ttl) => {
      calls.push(`set ${id.slice(0, 6)} ${JSON.stringify(data)} ${ttl}`);
      memory.set(id, data, ttl);
    },
    destroy: (id) => {
      calls.push(`destroy ${id.slice(0, 6)}`);
      memory.destroy(id);
    },
    touch: (id, ttl) => {
      calls.push(`touch ${id.slice(0, 6)} ${ttl}`);
      memory.touch(id, ttl);
    },
  };
  return { store, memory, calls };
}

describe('SessionMiddleware: server-side store', () => {
  it('keeps the data in the store and only a signed id in the cookie', async () => {
    const { store, memory } = recordingStore();
    await using client = new TestClient(sessionApp({ store }));
    const res = await client.post('/set/name/ann');
    const { id } = res.json<{ id: string }>();
    const value = sessionCookie(res) as string;
    assert.match(value, /^[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{43}$/);
    assert.equal(value.slice(0, 43), id);
    assert.deepEqual(memory.get(id), { name: 'ann' });
    assert.deepEqual((await client.get('/get')).json(), { data: { name: 'ann' }, isNew: false });
  });

  it('refuses an unsigned or forged id without asking the store', async () => {
    const { store, memory, calls } = recordingStore();
    await using client = new TestClient(sessionApp({ store }));
    const { id } = (await client.post('/set/a/1')).json<{ id: string }>();
    calls.length = 0;
    for (const cookie of [id, `${id}.${'A'.repeat(43)}`, `other.${id}`]) {
      assert.deepEqual((await client.get('/get', { headers: { cookie: `session=${cookie}` } })).json(), { data: {}, isNew: true });
    }
    assert.deepEqual(calls, []);
    assert.deepEqual(memory.get(id), { a: '1' });
  });

  it('gives a fresh session when the store no longer has the id', async () => {
    const { store, memory } = recordingStore();
    await using client = new TestClient(sessionApp({ store }));
    await client.post('/set/a/1');
    memory.clear();
    const res = await client.get('/get');
    assert.deepEqual(res.json(), { data: {}, isNew: true });
    assert.match(res.headers.getSetCookie()[0] ?? '', /^session=; Max-Age=0;/);
  });

  it('regenerate() destroys the old id in the store (session fixation)', async () => {
    const { store, memory } = recordingStore();
    await using client = new TestClient(sessionApp({ store }));
    // An attacker's session id, planted in the victim's browser:
    const planted = sessionCookie(await client.post('/set/lang/en')) as string;
    const plantedId = planted.slice(0, 43);
    const login = await client.post('/login/42');
    const { before, after } = login.json<{ before: string; after: string }>();
    assert.equal(before, plantedId);
    assert.notEqual(after, plantedId);
    assert.equal(memory.get(plantedId), null, 'the old id is gone from the store');
    assert.deepEqual(memory.get(after), { lang: 'en', typedUserId: 42 });
    assert.equal(sessionCookie(login)?.slice(0, 43), after);
    // The attacker's copy of the old cookie is now worthless.
    await using attacker = new TestClient(sessionApp({ store }));
    assert.deepEqual((await attacker.get('/get', { cookies: { session: planted } })).json(), { data: {}, isNew: true });
  });

  it('destroy() deletes the session from the store and the cookie from the browser', async () => {
    const { store, memory } = recordingStore();
    await using client = new TestClient(sessionApp({ store }));
    const { id } = (await client.post('/set/a/1')).json<{ id: string }>();
    const res = await client.post('/logout');
    assert.equal(memory.get(id), null);
    assert.match(res.headers.getSetCookie()[0] ?? '', /^session=; Max-Age=0;/);
  });

  it('clear() destroys the stored session', async () => {
    const { store, calls } = recordingStore();
    await using client = new TestClient(sessionApp({ store }));
    const { id } = (await client.post('/set/a/1')).json<{ id: string }>();
    calls.length = 0;
    await client.post('/clear');
    assert.deepEqual(calls, [`get ${id.slice(0, 6)}`, `destroy ${id.slice(0, 6)}`]);
  });

  it('writes only on change; rolling sessions are touched, not rewritten', async () => {
    const plain = recordingStore();
    await using client = new TestClient(sessionApp({ store: plain.store, maxAge: 300 }));
    const { id } = (await client.post('/set/a/1')).json<{ id: string }>();
    await client.get('/get');
    const short = id.slice(0, 6);
    assert.deepEqual(plain.calls, [`set ${short} {"a":"1"} 300`, `get ${short}`]);

    const rolling = recordingStore();
    await using client2 = new TestClient(sessionApp({ store: rolling.store, maxAge: 300, rolling: true }));
    const id2 = (await client2.post('/set/a/1')).json<{ id: string }>().id.slice(0, 6);
    const res = await client2.get('/get');
    assert.match(res.headers.getSetCookie()[0] ?? '', /; Max-Age=300;/);
    assert.deepEqual(rolling.calls, [`set ${id2} {"a":"1"} 300`, `get ${id2}`, `touch ${id2} 300`]);
  });

  it('falls back to set() for rolling sessions when the store has no touch()', async () => {
    const memory = new MemorySessionStore();
    const calls: string[] = [];
    const store: SessionStore = {
      get: (id) => memory.get(id),
      set: (id, data, ttl) => {
        calls.push(`set ${JSON.stringify(data)} ${ttl}`);
        memory.set(id, data, ttl);
      },
      destroy: (id) => memory.destroy(id),
    };
    await using client = new TestClient(sessionApp({ store, rolling: true, maxAge: 10 }));
    await client.post('/set/a/1');
    await client.get('/get');
    assert.deepEqual(calls, ['set {"a":"1"} 10', 'set {"a":"1"} 10']);
  });

  it('expires with the store TTL', async () => {
    mock.timers.enable({ apis: ['Date'], now: Date.now() });
    await using client = new TestClient(sessionApp({ store: new MemorySessionStore(), maxAge: 30 }));
    await client.post('/set/a/1');
    mock.timers.tick(29_999);
    assert.deepEqual((await client.get('/get')).json<{ data: unknown }>().data, { a: '1' });
    mock.timers.tick(1);
    assert.deepEqual((await client.get('/get')).json(), { data: {}, isNew: true });
  });

  it('answers 500 when the store fails (and logs the error)', async () => {
    const logger = memoryLogger();
    const store: SessionStore = {
      get: () => Promise.reject(new Error('store down')),
      set: () => undefined,
      destroy: () => undefined,
    };
    await using client = new TestClient(sessionApp({ store }, logger));
    const ok = await client.get('/get');
    assert.equal(ok.status, 200, 'no cookie: the store is not asked');
    const signed = await new TestClient(sessionApp({ store: new MemorySessionStore() })).post('/set/a/1');
    const res = await client.get('/get', { cookies: { session: sessionCookie(signed) as string } });
    assert.equal(res.status, 500);
    assert.equal((logger.errors[0] as Error).message, 'store down');
  });
});

describe('req.session', () => {
  it('throws a clear error (500) when no SessionMiddleware runs', async () => {
    const logger = memoryLogger();
    const app = new CovetApp({ logger });
    app.get('/', (req) => req.session.get('x') ?? null);
    await using client = new TestClient(app);
    const res = await client.get('/');
    assert.equal(res.status, 500);
    assert.equal((logger.errors[0] as Error).message, 'req.session is only available behind SessionMiddleware: add it to the app, group or route');
  });

  it('works as route middleware, for that route only', async () => {
    const app = new CovetApp({ logger: memoryLogger() });
    const sessions = new SessionMiddleware({ secretKey: SECRET });
    app.post('/with', { middleware: [sessions] }, (req) => {
      req.session.set('a', 1);
      return { ok: true };
    });
    app.get('/without', () => ({ ok: true }));
    await using client = new TestClient(app);
    assert.equal((await client.post('/with')).headers.getSetCookie().length, 1);
    assert.equal((await client.get('/without')).headers.getSetCookie().length, 0);
    assert.deepEqual(app.routeTable().find((r) => r.path === '/with')?.middleware, ['SessionMiddleware']);
  });

  it('is typed through the augmentable SessionData interface', () => {
    const typed = (req: Request): void => {
      expectTypeOf(req.session).toEqualTypeOf<Session>();
      expectTypeOf(req.session.get('typedUserId')).toEqualTypeOf<number | undefined>();
      expectTypeOf(req.session.get('typedCart')).toEqualTypeOf<string[] | undefined>();
      expectTypeOf(req.session.get('anything')).toEqualTypeOf<unknown>();
      req.session.set('typedUserId', 1);
      // @ts-expect-error -- typedUserId is a number
      req.session.set('typedUserId', 'one');
      // @ts-expect-error -- typedCart holds strings
      req.session.set('typedCart', [1]);
      expectTypeOf(req.session.regenerate()).toEqualTypeOf<Promise<void>>();
    };
    assert.equal(typeof typed, 'function');
  });
});

describe('SessionMiddleware options', () => {
  it('refuses a missing, empty or short secret', () => {
    assert.throws(() => new SessionMiddleware({ secretKey: [] }), { name: 'TypeError', message: /needs a secretKey/ });
    assert.throws(() => new SessionMiddleware({} as SessionOptions), { name: 'TypeError', message: /needs a secretKey/ });
    assert.throws(() => new SessionMiddleware({ secretKey: 'short' }), {
      name: 'RangeError',
      message: 'SessionMiddleware secretKey #0 is too short: use at least 16 bytes of random data',
    });
    assert.throws(() => new SessionMiddleware({ secretKey: [SECRET, 'short'] }), { message: /secretKey #1 is too short/ });
  });

  it('refuses encrypt with a store, a bad maxAge, and bad cookie names or attributes', () => {
    assert.throws(() => new SessionMiddleware({ secretKey: SECRET, encrypt: true, store: new MemorySessionStore() }), {
      name: 'TypeError',
      message: 'SessionMiddleware encrypt applies to cookie sessions; with a store the cookie holds only a signed id',
    });
    for (const maxAge of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      assert.throws(() => new SessionMiddleware({ secretKey: SECRET, maxAge }), { name: 'RangeError' }, String(maxAge));
    }
    assert.throws(() => new SessionMiddleware({ secretKey: SECRET, cookieName: 'bad name' }), { message: 'Invalid cookie name: "bad name"' });
    assert.throws(() => new SessionMiddleware({ secretKey: SECRET, path: '/\r\nx' }), { message: /Invalid cookie Path/ });
  });
});
