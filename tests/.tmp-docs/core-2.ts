// runnable
import assert from 'node:assert/strict';
import { CovetApp, html } from '/work/main/src/index.ts';
import { TestClient } from '/work/main/src/testing/index.ts';

const app = new CovetApp();
app.get('/obj', () => ({ a: 1 }));
app.get('/created', () => [{ id: 1 }, 201, { location: '/items/1' }]);
app.get('/text', () => 'plain');
app.get('/page', () => html('<h1>Hi</h1>'));
app.get('/nothing', () => undefined);
app.get('/bytes', () => Buffer.from([1, 2, 3]));
app.get('/pair', () => [7, 200]);
app.get('/stream', async function* () {
  yield 'a';
  yield Buffer.from('b');
});

await using client = new TestClient(app);
assert.deepEqual((await client.get('/obj')).json(), { a: 1 });
const created = await client.get('/created');
assert.equal(created.status, 201);
assert.equal(created.headers.get('location'), '/items/1');
assert.equal((await client.get('/text')).headers.get('content-type'), 'text/plain; charset=utf-8');
assert.equal((await client.get('/page')).headers.get('content-type'), 'text/html; charset=utf-8');
assert.equal((await client.get('/nothing')).status, 204);
assert.equal((await client.get('/bytes')).headers.get('content-type'), 'application/octet-stream');
assert.equal((await client.get('/pair')).text, '7'); // a tuple, not the array [7, 200]
const streamed = await client.get('/stream');
assert.equal(streamed.text, 'ab');
assert.equal(streamed.headers.get('transfer-encoding'), 'chunked');
