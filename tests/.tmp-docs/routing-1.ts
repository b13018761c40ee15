// runnable
import assert from 'node:assert/strict';
import { CovetApp } from '/work/main/src/index.ts';
import { TestClient } from '/work/main/src/testing/index.ts';

const app = new CovetApp();
app.get('/users', () => 'list');
app.post('/users', () => [{ created: true }, 201]);
app.get('/users/me', () => 'me');
app.get('/users/{id:int}', (req) => ({ id: req.params.id }));
app.get('/users/{name}', (req) => ({ name: req.params.name }));
app.get('/files/{rest:path}', (req) => ({ rest: req.params.rest }));
app.get('/docs/', () => 'docs index');

await using client = new TestClient(app);
assert.equal((await client.get('/users/me')).text, 'me');
assert.deepEqual((await client.get('/users/007')).json(), { id: 7 });
assert.deepEqual((await client.get('/users/ann')).json(), { name: 'ann' });
assert.deepEqual((await client.get('/files/a%2Fb/c%20d')).json(), { rest: 'a/b/c d' });
assert.equal((await client.get('/Users')).status, 404);
assert.equal((await client.get('/files/%zz')).status, 400);

const wrong = await client.delete('/users');
assert.equal(wrong.status, 405);
assert.equal(wrong.headers.get('allow'), 'GET, POST, HEAD, OPTIONS');
const options = await client.options('/users');
assert.equal(options.status, 204);
assert.equal(options.headers.get('allow'), 'GET, POST, HEAD, OPTIONS');
const head = await client.head('/users/5');
assert.equal(head.status, 200);
assert.equal(head.body.length, 0);

const slash = await client.get('/users/?page=2');
assert.equal(slash.status, 308);
assert.equal(slash.headers.get('location'), '/users?page=2');
assert.equal((await client.get('/docs')).headers.get('location'), '/docs/');
assert.equal((await client.post('/users/')).status, 404);
