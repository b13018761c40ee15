// runnable
import assert from 'node:assert/strict';
import { CovetApp, Response, json, redirect, sse } from '/work/main/src/index.ts';
import { TestClient } from '/work/main/src/testing/index.ts';

const app = new CovetApp();
app.post('/login', () => {
  const res = json({ ok: true }, 200);
  res.setCookie('session', 'abc', { maxAge: 3600 });
  res.deleteCookie('legacy');
  return res;
});
app.get('/limited', () => new Response('Rate limited', { status: 429, headers: { 'Retry-After': '60' } }));
app.post('/form-done', () => redirect('/thanks', 303));
app.get('/events', () =>
  sse((async function* () {
    yield 'hello';
    yield { event: 'tick', id: 1, data: { n: 1 } };
  })()),
);

await using client = new TestClient(app);
const login = await client.post('/login');
assert.deepEqual(login.headers.getSetCookie(), [
  'session=abc; Max-Age=3600; Path=/; HttpOnly; SameSite=Lax',
  'legacy=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/; HttpOnly; SameSite=Lax',
]);
const limited = await client.get('/limited');
assert.equal(limited.status, 429);
assert.equal(limited.headers.get('retry-after'), '60');
const done = await client.post('/form-done');
assert.equal(done.status, 303);
assert.equal(done.headers.get('location'), '/thanks');
const events = await client.get('/events');
assert.equal(events.headers.get('content-type'), 'text/event-stream; charset=utf-8');
assert.equal(events.text, 'data: hello\n\nevent: tick\nid: 1\ndata: {"n":1}\n\n');
