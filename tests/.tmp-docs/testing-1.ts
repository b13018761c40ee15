// runnable
import assert from 'node:assert/strict';
import { CovetApp, json } from '/work/main/src/index.ts';
import { TestClient } from '/work/main/src/testing/index.ts';

const events: string[] = [];
const app = new CovetApp();
app.onStartup(() => { events.push('startup'); });
app.onShutdown(() => { events.push('shutdown'); });
app.post('/login', async (req) => {
  const { username } = await req.json<{ username: string }>();
  const res = json({ user: username });
  res.setCookie('session', `s-${username}`);
  return res;
});
app.get('/me', (req) => (req.cookies.session ? { session: req.cookies.session } : [{ error: 'Unauthorized' }, 401]));
app.post('/logout', () => {
  const res = json({ bye: true });
  res.deleteCookie('session');
  return res;
});
app.post('/form', async (req) => {
  const form = await req.form();
  return { name: form.get('name'), tags: form.getAll('tag') };
});
app.get('/search', (req) => ({ q: req.queryParams.get('q'), page: req.queryParams.get('page', 1, 'int') }));
app.put('/raw', async (req) => ({ type: req.headers.get('content-type'), text: await req.text() }));

{
  await using client = new TestClient(app);
  assert.equal((await client.get('/me')).status, 401);
  const login = await client.post('/login', { json: { username: 'ann' } });
  assert.equal(login.ok, true);
  assert.equal(client.cookies.get('session'), 's-ann');
  assert.deepEqual((await client.get('/me')).json(), { session: 's-ann' });
  assert.deepEqual((await client.get('/me', { cookies: { session: 'other' } })).json(), { session: 'other' });
  await client.post('/logout');
  assert.equal(client.cookies.has('session'), false);

  const form = await client.post('/form', { form: { name: 'Ann Lee', tag: ['x', 'y'] } });
  assert.deepEqual(form.json(), { name: 'Ann Lee', tags: ['x', 'y'] });
  const search = await client.get('/search?q=covet', { query: { page: 2 } });
  assert.deepEqual(search.json(), { q: 'covet', page: 2 });
  const raw = await client.put('/raw', { content: 'hello', headers: { 'Content-Type': 'text/plain' } });
  assert.deepEqual(raw.json(), { type: 'text/plain', text: 'hello' });
  assert.equal(raw.statusCode, 200);
  assert.equal(raw.headers.get('content-type'), 'application/json; charset=utf-8');
  assert.equal(typeof raw.text, 'string');
  assert.ok(Buffer.isBuffer(raw.body));
}
assert.deepEqual(events, ['startup', 'shutdown']);
