// runnable
import assert from 'node:assert/strict';
import { CovetApp, HTTPException } from '/work/main/src/index.ts';
import { TestClient } from '/work/main/src/testing/index.ts';

class NotFoundError extends Error {}
const quiet = { info() {}, error() {} };
const app = new CovetApp({ debug: true, logger: quiet });
app.onError(NotFoundError, (err) => [{ error: err.message, kind: 'not_found' }, 404]);
app.get('/users/{id:int}', (req) => {
  if (req.params.id === 0) throw new HTTPException(404, 'User not found', { detail: { id: 0 } });
  if (req.params.id === 1) throw new HTTPException(401, 'Login first', { headers: { 'WWW-Authenticate': 'Bearer' } });
  if (req.params.id === 2) throw new NotFoundError('gone');
  throw new TypeError('bug');
});

await using client = new TestClient(app);
assert.deepEqual((await client.get('/users/0')).json(), { error: 'User not found', detail: { id: 0 } });
const unauthorized = await client.get('/users/1');
assert.equal(unauthorized.headers.get('www-authenticate'), 'Bearer');
assert.deepEqual((await client.get('/users/2')).json(), { error: 'gone', kind: 'not_found' });
const crash = await client.get('/users/3');
assert.equal(crash.status, 500);
const body = crash.json<{ error: string; detail: string; stack: string[] }>();
assert.equal(body.error, 'Internal Server Error');
assert.equal(body.detail, 'TypeError: bug');
assert.ok(Array.isArray(body.stack));
