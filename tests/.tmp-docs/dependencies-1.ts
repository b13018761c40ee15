// runnable
import assert from 'node:assert/strict';
import { CovetApp, Depends, HTTPException, type Request } from '/work/main/src/index.ts';
import { TestClient } from '/work/main/src/testing/index.ts';

let configCalls = 0;
const getConfig = Depends(() => {
  configCalls++;
  return { dsn: 'memory://' };
});
const getDb = Depends(async (_req, { config }) => ({ dsn: config.dsn, id: Math.random() }), { deps: { config: getConfig } });
const getRepo = Depends((_req, { db }) => ({ db, find: (id: number) => ({ id }) }), { deps: { db: getDb } });
const currentUser = Depends((req: Request) => {
  const name = req.headers.get('x-user');
  if (!name) throw new HTTPException(401, 'Not authenticated', { headers: { 'WWW-Authenticate': 'Bearer' } });
  return { name };
});
let counter = 0;
const nextNumber = Depends(() => ++counter, { useCache: false });

const app = new CovetApp();
const api = app.routeGroup('/api', { deps: { user: currentUser } });
api.get('/items/{id:int}', { deps: { db: getDb, repo: getRepo } }, (req, { db, repo, user }) => ({
  item: repo.find(req.params.id),
  sameDb: db === repo.db, // one value per request
  owner: user.name,
}));
app.get('/numbers', { deps: { a: nextNumber, b: nextNumber } }, (_req, { a, b }) => [a, b].sort());

await using client = new TestClient(app);
const res = await client.get('/api/items/3', { headers: { 'x-user': 'ann' } });
assert.deepEqual(res.json(), { item: { id: 3 }, sameDb: true, owner: 'ann' });
assert.equal(configCalls, 1);
const denied = await client.get('/api/items/3');
assert.equal(denied.status, 401);
assert.equal(denied.headers.get('www-authenticate'), 'Bearer');
assert.deepEqual((await client.get('/numbers')).json(), [1, 2]);
