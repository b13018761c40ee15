import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CovetApp } from '../../../src/index.js';
import { JWTAuth, RoleBasedAccessControl } from '../../../src/security/index.js';
import { TestClient } from '../../../src/testing/index.js';

function roles(): RoleBasedAccessControl {
  const rbac = new RoleBasedAccessControl();
  rbac.addRole('user', { permissions: ['read'] });
  rbac.addRole('editor', { permissions: ['write', 'posts:*'], inherits: ['user'] });
  rbac.addRole('admin', { permissions: ['delete'], inherits: ['editor'] });
  rbac.addRole('root', ['*']);
  return rbac;
}

describe('RoleBasedAccessControl', () => {
  it('resolves permissions through inheritance and wildcards', () => {
    const rbac = roles();
    assert.deepEqual([...rbac.permissionsOf('admin')].sort(), ['delete', 'posts:*', 'read', 'write']);
    assert.ok(rbac.hasPermission('admin', 'read'));
    assert.ok(rbac.hasPermission('editor', 'posts:publish'));
    assert.ok(rbac.hasPermission(['user', 'editor'], 'posts:comments:delete'));
    assert.ok(!rbac.hasPermission('user', 'write'));
    assert.ok(!rbac.hasPermission('editor', 'postsx:read'));
    assert.ok(!rbac.hasPermission('ghost', 'read'));
    assert.ok(rbac.hasPermission('root', 'anything'));
    assert.deepEqual([...rbac.rolesOf('admin')].sort(), ['admin', 'editor', 'user']);
    assert.ok(rbac.hasRoleOrInherits(['admin'], 'user'));
    assert.ok(!rbac.hasRoleOrInherits('user', 'admin'));
  });

  it('refuses inheriting an undefined role; redefinitions take effect and cannot loop', () => {
    const rbac = new RoleBasedAccessControl();
    assert.throws(() => rbac.addRole('a', { inherits: ['b'] }), { code: 'ERR_RBAC_UNKNOWN_ROLE' });
    rbac.addRole('a', { permissions: ['x'] });
    rbac.addRole('b', { permissions: ['y'], inherits: ['a'] });
    assert.ok(rbac.hasPermission('b', 'x'));
    rbac.addRole('a', { permissions: ['z'], inherits: ['b'] }); // a cycle a → b → a
    assert.deepEqual([...rbac.permissionsOf('a')].sort(), ['y', 'z']);
    assert.ok(!rbac.hasPermission('b', 'x'));
    assert.throws(() => rbac.addRole(''), TypeError);
    assert.throws(() => rbac.requirePermission([]), TypeError);
  });

  describe('requirePermission / requireRole on routes', () => {
    const auth = new JWTAuth<{ user: string; roles?: readonly string[]; role?: string }>('rbac-secret');
    const rbac = roles();
    const app = new CovetApp();
    app.delete('/users/{id:int}', auth.requireToken(rbac.requirePermission('delete', async (req) => ({ deleted: req.params.id, by: req.state.user.user }))));
    app.get('/admin', auth.requireToken(rbac.requireRole('admin', async () => ({ users: 'admin data' }))));
    app.get('/both', auth.requireToken(rbac.requirePermission(['read', 'write'], async () => 'ok')));
    app.get('/any-role', auth.requireToken(rbac.requireRole(['editor', 'root'], async () => 'ok')));
    app.get('/no-auth', rbac.requirePermission('read', async () => 'never'));
    const group = app.routeGroup('/mw', { middleware: [auth.requireToken(), rbac.requirePermission('write')] });
    group.get('/x', () => 'written');
    const as = async (claims: { readonly roles?: readonly string[]; readonly role?: string }) => ({ authorization: `Bearer ${await auth.createToken({ user: 'u', ...claims })}` });

    it('lets a user with the permission through (roles array, or role string)', async () => {
      await using client = new TestClient(app);
      assert.deepEqual((await client.delete('/users/5', { headers: await as({ roles: ['admin'] }) })).json(), { deleted: 5, by: 'u' });
      assert.deepEqual((await client.delete('/users/5', { headers: await as({ role: 'admin' }) })).json(), { deleted: 5, by: 'u' });
      assert.equal((await client.get('/admin', { headers: await as({ roles: ['user', 'admin'] }) })).status, 200);
      assert.equal((await client.get('/both', { headers: await as({ roles: ['editor'] }) })).text, 'ok');
      assert.equal((await client.get('/any-role', { headers: await as({ role: 'root' }) })).text, 'ok');
      assert.equal((await client.get('/any-role', { headers: await as({ role: 'admin' }) })).text, 'ok', 'admin inherits editor');
      assert.equal((await client.get('/mw/x', { headers: await as({ role: 'editor' }) })).text, 'written');
    });

    it('answers 403 to a user without the permission or role', async () => {
      await using client = new TestClient(app);
      for (const [path, claims] of [
        ['/users/5', { roles: ['editor'] }],
        ['/users/5', {}],
        ['/users/5', { roles: 'admin' as unknown as string[] }],
        ['/admin', { role: 'editor' }],
        ['/both', { role: 'user' }],
        ['/any-role', { role: 'user' }],
        ['/mw/x', { role: 'user' }],
      ] as const) {
        const method = path === '/users/5' ? 'delete' : 'get';
        const res = await client[method](path, { headers: await as(claims) });
        assert.equal(res.status, 403, `${path} ${JSON.stringify(claims)}`);
        assert.deepEqual(res.json(), { error: 'Permission denied' });
      }
    });

    it('answers 401 when there is no user (no token, or no requireToken in front)', async () => {
      await using client = new TestClient(app);
      const noToken = await client.delete('/users/5');
      assert.equal(noToken.status, 401);
      assert.deepEqual(noToken.json(), { error: 'Missing bearer token' });
      const unguarded = await client.get('/no-auth');
      assert.equal(unguarded.status, 401);
      assert.deepEqual(unguarded.json(), { error: 'Authentication required' });
      assert.equal(unguarded.headers.get('www-authenticate'), 'Bearer');
    });
  });
});
