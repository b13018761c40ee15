// runnable
import assert from 'node:assert/strict';
import { CovetApp } from '/work/main/src/index.ts';

const app = new CovetApp();
app.post('/echo/{n:int}', async (req) => ({ n: req.params.n, body: await req.json(), from: req.client.host }));

const injected = await app.inject({
  method: 'POST',
  url: '/echo/3',
  headers: { 'content-type': 'application/json' },
  body: '{"x":1}',
  remoteAddress: '203.0.113.7',
});
assert.equal(injected.status, 200);
assert.deepEqual(JSON.parse(injected.body.toString()), { n: 3, body: { x: 1 }, from: '203.0.113.7' });

const res = await app.handle(
  new Request('http://example.test/echo/4', { method: 'POST', body: '{"y":2}', headers: { 'content-type': 'application/json' } }),
);
assert.equal(res.status, 200);
assert.deepEqual(await res.json(), { n: 4, body: { y: 2 }, from: '127.0.0.1' });
