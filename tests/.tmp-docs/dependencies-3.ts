// runnable
import assert from 'node:assert/strict';
import { CovetApp, Depends } from '/work/main/src/index.ts';
import { TestClient } from '/work/main/src/testing/index.ts';

let lookups = 0;
const currentUser = Depends(() => ({ id: ++lookups }));
const app = new CovetApp();
app.addMiddleware(async (req, callNext) => {
  const user = await req.resolve(currentUser);
  const res = await callNext(req);
  res.headers.set('x-user-id', String(user.id));
  return res;
});
app.get('/me', { deps: { user: currentUser } }, (_req, { user }) => user);

await using client = new TestClient(app);
const res = await client.get('/me');
assert.deepEqual(res.json(), { id: 1 });
assert.equal(res.headers.get('x-user-id'), '1');
assert.equal(lookups, 1);
