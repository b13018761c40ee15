// runnable
import assert from 'node:assert/strict';
import { CovetApp } from '/work/main/src/index.ts';
import { TestClient } from '/work/main/src/testing/index.ts';
import { z } from 'zod';

const NewUser = z.object({ name: z.string().min(1), email: z.email() });
const Paging = z.object({ limit: z.coerce.number().int().max(100).default(10) });

const app = new CovetApp();
app.post('/users', { body: NewUser }, async (req) => {
  const user = await req.json(); // { name: string; email: string }
  return [{ created: user.name }, 201];
});
app.get('/users', { query: Paging }, (req) => ({ limit: req.query.limit })); // number

await using client = new TestClient(app);
assert.equal((await client.post('/users', { json: { name: 'Ann', email: 'ann@example.com' } })).status, 201);
const bad = await client.post('/users', { json: { name: '', email: 'nope' } });
assert.equal(bad.status, 400);
assert.deepEqual(Object.keys(bad.json<{ errors: Record<string, string[]> }>().errors).sort(), ['email', 'name']);
assert.deepEqual((await client.get('/users?limit=5')).json(), { limit: 5 });
assert.deepEqual((await client.get('/users')).json(), { limit: 10 });
assert.equal((await client.get('/users?limit=500')).status, 400);
