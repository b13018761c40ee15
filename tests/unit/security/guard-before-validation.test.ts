// A route with input schemas runs the checks of `requireToken(handler)`-style wrappers before
// validating, as FastAPI runs an auth dependency before the body's validation: an anonymous
// request gets 401 (not 400 with the schema's errors), a user without the role 403.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { CovetApp } from '../../../src/index.js';
import { JWTAuth, RoleBasedAccessControl } from '../../../src/security/index.js';
import { TestClient } from '../../../src/testing/index.js';

const Item = z.object({ name: z.string().min(1) });

function appWith(): { app: CovetApp; auth: JWTAuth; calls: string[] } {
  const auth = new JWTAuth({ secretKey: 'k'.repeat(32) });
  const rbac = new RoleBasedAccessControl();
  rbac.addRole('admin', { permissions: ['items:write'] });
  rbac.addRole('reader', { permissions: ['items:read'] });
  const calls: string[] = [];
  const app = new CovetApp();
  app.post(
    '/items',
    { body: Item },
    auth.requireToken(async (req) => {
      calls.push(`items:${String(req.state.user.sub)}`);
      return [await req.json(), 201];
    }),
  );
  app.post(
    '/admin/items',
    { body: Item, query: z.object({ dry: z.enum(['yes', 'no']).optional() }) },
    auth.requireToken(
      rbac.requirePermission('items:write', async (req) => {
        calls.push('admin');
        return { created: await req.json(), dry: req.query.dry ?? 'no' };
      }),
    ),
  );
  return { app, auth, calls };
}

describe('handler wrappers on routes with input schemas', () => {
  it('requireToken(handler): no token → 401 before validation; a token → the schema decides', async () => {
    const { app, auth, calls } = appWith();
    await using client = new TestClient(app);
    const anonymous = await client.post('/items', { json: { name: '' } });
    assert.equal(anonymous.status, 401);
    assert.deepEqual(anonymous.json(), { error: 'Missing bearer token' });
    assert.equal(anonymous.headers.get('www-authenticate'), 'Bearer');
    const forged = await client.post('/items', { json: {}, headers: { authorization: 'Bearer not.a.token' } });
    assert.equal(forged.status, 401);
    const token = await auth.createToken({ sub: 'u1' });
    const headers = { authorization: `Bearer ${token}` };
    const invalid = await client.post('/items', { json: { name: '' }, headers });
    assert.equal(invalid.status, 400);
    assert.deepEqual(Object.keys(invalid.json<{ errors: Record<string, string[]> }>().errors), ['name']);
    const ok = await client.post('/items', { json: { name: 'x' }, headers });
    assert.equal(ok.status, 201);
    assert.deepEqual(ok.json(), { name: 'x' });
    // The token was checked once per request that reached the handler, and the handler ran once.
    assert.deepEqual(calls, ['items:u1']);
  });

  it('requireToken(rbac.requirePermission(…, handler)): 401, then 403, then validation, then the handler', async () => {
    const { app, auth, calls } = appWith();
    await using client = new TestClient(app);
    assert.equal((await client.post('/admin/items?dry=maybe', { json: { name: 1 } })).status, 401);
    const reader = { authorization: `Bearer ${await auth.createToken({ sub: 'r', roles: ['reader'] })}` };
    const refused = await client.post('/admin/items?dry=maybe', { json: { name: 1 }, headers: reader });
    assert.equal(refused.status, 403);
    assert.deepEqual(refused.json(), { error: 'Permission denied' });
    const admin = { authorization: `Bearer ${await auth.createToken({ sub: 'a', roles: ['admin'] })}` };
    const badQuery = await client.post('/admin/items?dry=maybe', { json: { name: 'x' }, headers: admin });
    assert.equal(badQuery.status, 400);
    assert.deepEqual(Object.keys(badQuery.json<{ errors: Record<string, string[]> }>().errors), ['dry']);
    const ok = await client.post('/admin/items?dry=yes', { json: { name: 'x' }, headers: admin });
    assert.equal(ok.status, 200);
    assert.deepEqual(ok.json(), { created: { name: 'x' }, dry: 'yes' });
    assert.deepEqual(calls, ['admin']);
  });

  it('without schemas the wrapper runs as it is (same answers)', async () => {
    const auth = new JWTAuth({ secretKey: 'k'.repeat(32) });
    const app = new CovetApp();
    app.get('/me', auth.requireToken((req) => ({ sub: req.state.user.sub })));
    await using client = new TestClient(app);
    assert.equal((await client.get('/me')).status, 401);
    const res = await client.get('/me', { headers: { authorization: `Bearer ${await auth.createToken({ sub: 'u' })}` } });
    assert.deepEqual(res.json(), { sub: 'u' });
  });
});
