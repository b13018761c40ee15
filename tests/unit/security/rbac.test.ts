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

  describe('the seed: addRole("admin", …) then requirePermission("admin")', () => {
    const rbac = new RoleBasedAccessControl();
    rbac.addRole('admin', { permissions: ['read', 'write', 'delete'] });
    rbac.addRole('user', { permissions: ['read'] });
    const app = new CovetApp();
    // Stands in for the app's authentication: the user (if any) and their role from a header.
    app.addMiddleware(async (req, callNext) => {
      const role = req.headers.get('x-role');
      if (role !== null) req.state.user = { name: 'u', roles: role === '' ? [] : role.split(',') };
      return callNext();
    });
    app.route('/admin/users', rbac.requirePermission('admin', async () => ({ users: 'admin data' })));
    app.get('/mw', { middleware: [rbac.requirePermission('admin')] }, () => 'through middleware');

    it('admits a user holding the admin role (200), refuses a plain user (403) and no user (401)', async () => {
      await using client = new TestClient(app);
      const admin = await client.get('/admin/users', { headers: { 'x-role': 'admin' } });
      assert.equal(admin.status, 200);
      assert.deepEqual(admin.json(), { users: 'admin data' });
      const user = await client.get('/admin/users', { headers: { 'x-role': 'user' } });
      assert.equal(user.status, 403);
      assert.deepEqual(user.json(), { error: 'Permission denied' });
      const anonymous = await client.get('/admin/users');
      assert.equal(anonymous.status, 401);
      assert.deepEqual(anonymous.json(), { error: 'Authentication required' });
      assert.equal(anonymous.headers.get('www-authenticate'), 'Bearer');
      assert.equal((await client.get('/mw', { headers: { 'x-role': 'admin' } })).text, 'through middleware');
      assert.deepEqual((await client.get('/mw', { headers: { 'x-role': 'user' } })).json(), { error: 'Permission denied' });
    });

    it('counts roles that inherit it and roles defined later; a name some role lists as a permission stays a permission', async () => {
      const local = new RoleBasedAccessControl();
      local.addRole('admin', ['read']);
      const routes = new CovetApp();
      routes.addMiddleware(async (req, callNext) => {
        req.state.user = { roles: (req.headers.get('x-role') ?? '').split(',') };
        return callNext();
      });
      routes.get('/admin', local.requirePermission('admin', () => 'admin area'));
      routes.get('/both', local.requirePermission(['admin', 'read'], () => 'both'));
      routes.get('/editor', local.requirePermission('editor', () => 'editor area'));
      local.addRole('superadmin', { inherits: ['admin'] });
      local.addRole('editor', ['write']);
      await using client = new TestClient(routes);
      assert.equal((await client.get('/admin', { headers: { 'x-role': 'superadmin' } })).text, 'admin area');
      assert.equal((await client.get('/both', { headers: { 'x-role': 'admin' } })).text, 'both');
      assert.equal((await client.get('/editor', { headers: { 'x-role': 'editor' } })).text, 'editor area', 'a role added after the route');
      assert.equal((await client.get('/admin', { headers: { 'x-role': 'ghost' } })).status, 403);
      assert.equal(local.isRoleOnly('admin'), true);
      assert.equal(local.isRoleOnly('read'), false);
      // Once some role lists "admin" as a permission, the name means that permission only.
      local.addRole('auditor', ['admin']);
      assert.equal(local.isRoleOnly('admin'), false);
      assert.equal((await client.get('/admin', { headers: { 'x-role': 'admin' } })).status, 403);
      assert.equal((await client.get('/admin', { headers: { 'x-role': 'auditor' } })).text, 'admin area');
    });
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
