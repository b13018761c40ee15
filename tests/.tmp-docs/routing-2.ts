// runnable
import assert from 'node:assert/strict';
import { CovetApp, Depends, RouteGroup, type CallNext, type Request } from '/work/main/src/index.ts';
import { TestClient } from '/work/main/src/testing/index.ts';

async function apiVersion(req: Request, callNext: CallNext) {
  const res = await callNext(req);
  res.headers.set('x-api', 'v1');
  return res;
}
const app = new CovetApp();
const api = app.routeGroup('/api/v1', { middleware: [apiVersion], deps: { db: Depends(() => ['ann', 'bob']) } });
api.get('/', () => ({ version: 1 }));
api.get('/users', (_req, { db }) => ({ users: db }));
const admin = api.routeGroup('/admin');
admin.get('/users/{id:int}/files/{file:path}', { name: 'user-file' }, (req) => req.params);

const health = new RouteGroup();
health.get('/', () => ({ status: 'healthy' }));
health.get('/live', () => ({ status: 'alive' }));
app.includeRouter(health, { prefix: '/health' });

const legacy = new CovetApp();
legacy.get('/status', () => ({ legacy: true }));
app.mount('/legacy', legacy);

await using client = new TestClient(app);
assert.deepEqual((await client.get('/api/v1')).json(), { version: 1 });
const users = await client.get('/api/v1/users');
assert.deepEqual(users.json(), { users: ['ann', 'bob'] });
assert.equal(users.headers.get('x-api'), 'v1');
assert.deepEqual((await client.get('/api/v1/admin/users/3/files/a/b.txt')).json(), { id: 3, file: 'a/b.txt' });
assert.deepEqual((await client.get('/health')).json(), { status: 'healthy' });
assert.deepEqual((await client.get('/legacy/status')).json(), { legacy: true });

assert.equal(app.urlFor('user-file', { id: 7, file: 'my docs/cv.pdf' }), '/api/v1/admin/users/7/files/my%20docs/cv.pdf');
assert.deepEqual(
  app.routeTable().find((r) => r.name === 'user-file'),
  { method: 'GET', path: '/api/v1/admin/users/{id:int}/files/{file:path}', name: 'user-file', middleware: ['apiVersion'] },
);
