// runnable
import assert from 'node:assert/strict';
import { CovetApp } from '/work/main/src/index.ts';

const app = new CovetApp();
app.get('/', () => ({ message: 'Hello, World!' }));

const info = await app.listen({ host: '127.0.0.1', port: 0 });
try {
  assert.equal(info.host, '127.0.0.1');
  assert.ok(info.port > 0);
  assert.equal(info.url, `http://127.0.0.1:${info.port}`);
  const res = await fetch(`${info.url}/`);
  assert.equal(res.headers.get('content-type'), 'application/json; charset=utf-8');
  assert.deepEqual(await res.json(), { message: 'Hello, World!' });
} finally {
  await app.close();
}
assert.equal(app.server, null);
