// runnable
import assert from 'node:assert/strict';
import { CovetApp } from '/work/main/src/index.ts';
import { TestClient } from '/work/main/src/testing/index.ts';

const app = new CovetApp({ bodyLimit: 64 });
app.post('/json', async (req) => ({ got: await req.json() }));
app.get('/files/{name}', (req) => ({ name: req.params.name }));

await using client = new TestClient(app);
const cases = [
  [await client.post('/json', { content: '{"a":', headers: { 'content-type': 'application/json' } }), 400, 'Malformed JSON in request body'],
  [await client.post('/json', { headers: { 'content-type': 'application/json' } }), 400, 'Request body is empty; expected JSON'],
  [await client.post('/json', { content: 'a=1', headers: { 'content-type': 'text/plain' } }), 415, 'Unsupported Media Type: expected application/json, got text/plain'],
  [await client.post('/json', { json: { pad: 'x'.repeat(100) } }), 413, 'Payload Too Large: the body exceeds 64 bytes'],
  [await client.get('/files/%E0%A4%A'), 400, 'Malformed percent-encoding in URL path'],
  [await client.get('/nowhere'), 404, 'Not Found'],
] as const;
for (const [res, status, error] of cases) {
  assert.equal(res.status, status);
  assert.deepEqual(res.json(), { error });
}
const poisoned = await client.post('/json', { content: '{"__proto__":{"admin":true},"a":1}' });
assert.deepEqual(poisoned.json(), { got: { a: 1 } });
assert.equal(({} as Record<string, unknown>).admin, undefined);
