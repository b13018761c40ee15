import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { decodeRoutingPath } from '../../../src/router/decode-path.js';
import { Router } from '../../../src/router/router.js';

interface TableRoute {
  readonly method: string;
  readonly path: string;
  readonly names: readonly string[];
}

/** The benchmark's shared route table, `:name` rewritten to Covet's `{name}`. */
function benchRoutes(): TableRoute[] {
  const text = readFileSync(new URL('../../fixtures/bench-routes.txt', import.meta.url), 'utf8');
  const routes: TableRoute[] = [];
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const [method, raw] = trimmed.split(/\s+/) as [string, string];
    const names = [...raw.matchAll(/:([A-Za-z_]\w*)/g)].map((m) => m[1] as string);
    routes.push({ method, path: raw.replace(/:([A-Za-z_]\w*)/g, '{$1}'), names });
  }
  return routes;
}

/** A concrete request path for a template, each parameter filled with `<name>-value`. */
function fill(path: string): string {
  return path.replace(/\{(\w+)\}/g, '$1-value');
}

function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2147483648;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

describe('Router', () => {
  describe('the 106-route benchmark table', () => {
    const table = benchRoutes();

    it('reads all 106 routes from the table', () => {
      assert.equal(table.length, 106);
      assert.equal(new Set(table.map((r) => `${r.method} ${r.path}`)).size, 106);
    });

    for (const [label, order] of [
      ['in file order', table],
      ['in reverse order', [...table].reverse()],
      ['in shuffled order', shuffled(table, 7)],
      ['in another shuffled order', shuffled(table, 12345)],
    ] as const) {
      it(`resolves every route to itself with its params when added ${label}`, () => {
        const router = new Router<string>();
        for (const r of order) router.add(r.method, r.path, `${r.method} ${r.path}`);
        for (const r of table) {
          const m = router.find(r.method, fill(r.path));
          assert.ok(m, `${r.method} ${r.path} did not match`);
          assert.equal(m.value, `${r.method} ${r.path}`);
          assert.equal(m.path, r.path);
          assert.deepEqual(m.params, Object.fromEntries(r.names.map((n) => [n, `${n}-value`])));
        }
      });
    }

    it('sends /users/me to the static route and other ids to /users/{id}', () => {
      const router = new Router<string>();
      for (const r of shuffled(table, 99)) router.add(r.method, r.path, r.path);
      assert.deepEqual(router.find('GET', '/users/me'), { value: '/users/me', path: '/users/me', params: {} });
      assert.equal(router.find('GET', '/users/42/posts')?.value, '/users/{id}/posts');
      // No GET /users/{id} in the table, but PUT has one: "me" is then just an id.
      assert.equal(router.find('GET', '/users/42'), null);
      assert.deepEqual(router.find('PUT', '/users/me')?.params, { id: 'me' });
    });

    it('finds nothing for paths outside the table', () => {
      const router = new Router<string>();
      for (const r of table) router.add(r.method, r.path, r.path);
      for (const p of ['/nope', '/health/', '/users/1/posts/2/extra', '/api/v1', '/api/v2/config', '/Admin', '/docs/', '/tags/x/posts/y']) {
        assert.equal(router.find('GET', p), null, p);
      }
    });

    it('lists the methods of each path in allowedMethods', () => {
      const router = new Router<string>();
      for (const r of table) router.add(r.method, r.path, r.path);
      assert.deepEqual(router.allowedMethods('/users/7').sort(), ['DELETE', 'PUT']);
      assert.deepEqual(router.allowedMethods('/users').sort(), ['GET', 'POST']);
      assert.deepEqual(router.allowedMethods('/orgs/acme/members/bob').sort(), ['DELETE', 'GET']);
      assert.deepEqual(router.allowedMethods('/nowhere'), []);
    });
  });

  describe('add', () => {
    it('returns the router for chaining', () => {
      const router = new Router<number>();
      assert.equal(router.add('GET', '/a', 1).add('GET', '/b', 2), router);
      assert.equal(router.find('GET', '/b')?.value, 2);
    });

    it('throws on a duplicate route for the same method', () => {
      const router = new Router<number>().add('GET', '/users/{id}', 1);
      assert.throws(() => router.add('GET', '/users/{id}', 2), { message: 'Route /users/{id} conflicts with /users/{id}' });
      assert.throws(() => router.add('get', '/users/{other}', 3), { message: 'Route /users/{other} conflicts with /users/{id}' });
    });

    it('allows the same path under different methods', () => {
      const router = new Router<string>().add('GET', '/x', 'get').add('POST', '/x', 'post');
      assert.equal(router.find('GET', '/x')?.value, 'get');
      assert.equal(router.find('POST', '/x')?.value, 'post');
    });

    it('throws TypeError on malformed paths and does not list them', () => {
      const router = new Router<number>();
      assert.throws(() => router.add('GET', 'no-slash', 1), { name: 'TypeError', message: 'Route path must start with "/": "no-slash"' });
      assert.throws(() => router.add('GET', '/a{x}', 1), { name: 'TypeError', message: 'Parameter {x} must be a whole path segment in "/a{x}"' });
      assert.throws(() => router.add('GET', '/a/{x:nope}', 1), { name: 'TypeError', message: /^Unknown converter "nope"/ });
      assert.throws(() => router.add('GET', '/a/{x}/{x}', 1), { name: 'TypeError', message: 'Duplicate parameter "x" in route path "/a/{x}/{x}"' });
      assert.throws(() => router.add('GET', '/a/{p:path}/b', 1), TypeError);
      assert.deepEqual(router.routes, []);
    });

    it('upper-cases the method', () => {
      const router = new Router<number>().add('post', '/a', 1);
      assert.deepEqual(router.routes, [{ method: 'POST', path: '/a', value: 1 }]);
      assert.equal(router.find('POST', '/a')?.value, 1);
    });
  });

  describe('find', () => {
    it('returns null for a method without routes', () => {
      const router = new Router<number>().add('GET', '/a', 1);
      assert.equal(router.find('POST', '/a'), null);
    });

    it('finds routes whatever the case of the method', () => {
      const router = new Router<number>().add('get', '/a', 1);
      assert.equal(router.find('GET', '/a')?.value, 1);
      assert.equal(router.find('get', '/a')?.value, 1);
      assert.equal(router.lookup('Get', '/a')?.value, 1);
    });

    it('types converted params: int and float as numbers, uuid and str as strings', () => {
      const router = new Router<string>()
        .add('GET', '/users/{user_id:int}', 'user')
        .add('GET', '/price/{amount:float}', 'price')
        .add('GET', '/obj/{id:uuid}', 'obj')
        .add('GET', '/tag/{name:str}', 'tag');
      const user = router.find('GET', '/users/42');
      assert.deepEqual(user?.params, { user_id: 42 });
      assert.equal(typeof user?.params.user_id, 'number');
      assert.deepEqual(router.find('GET', '/price/9.5')?.params, { amount: 9.5 });
      assert.deepEqual(router.find('GET', '/obj/6BA7B810-9DAD-11D1-80B4-00C04FD430C8')?.params, { id: '6ba7b810-9dad-11d1-80b4-00c04fd430c8' });
      assert.deepEqual(router.find('GET', '/tag/42')?.params, { name: '42' });
    });

    it('lets /users/me and /users/{id:int} coexist; other segments match neither', () => {
      const router = new Router<string>().add('GET', '/users/{id:int}', 'by-id').add('GET', '/users/me', 'me');
      assert.equal(router.find('GET', '/users/me')?.value, 'me');
      assert.deepEqual(router.find('GET', '/users/5')?.params, { id: 5 });
      assert.equal(router.find('GET', '/users/abc'), null);
    });

    it('backtracks from a failed static branch to a parameter', () => {
      const router = new Router<string>().add('GET', '/a/b/d', 'static').add('GET', '/a/{x}/c', 'param');
      assert.deepEqual(router.find('GET', '/a/b/c'), { value: 'param', path: '/a/{x}/c', params: { x: 'b' } });
      assert.equal(router.find('GET', '/a/b/d')?.value, 'static');
    });

    it('matches the rest of the path with {p:path}, one character at least', () => {
      const router = new Router<string>().add('GET', '/static/{p:path}', 'static');
      assert.deepEqual(router.find('GET', '/static/css/site.css')?.params, { p: 'css/site.css' });
      assert.deepEqual(router.find('GET', '/static/x')?.params, { p: 'x' });
      assert.equal(router.find('GET', '/static/'), null);
      assert.equal(router.find('GET', '/static'), null);
    });

    it('is exact about trailing slashes and case', () => {
      const router = new Router<string>().add('GET', '/users', 'bare').add('GET', '/Docs/', 'docs');
      assert.equal(router.find('GET', '/users')?.value, 'bare');
      assert.equal(router.find('GET', '/users/'), null);
      assert.equal(router.find('GET', '/Docs/')?.value, 'docs');
      assert.equal(router.find('GET', '/Docs'), null);
      assert.equal(router.find('GET', '/docs/'), null);
      assert.equal(router.find('GET', '/USERS'), null);
    });

    it('decodes escapes before matching static segments', () => {
      const router = new Router<string>().add('GET', '/café', 'cafe').add('GET', '/a b', 'space');
      assert.equal(router.find('GET', '/caf%C3%A9')?.value, 'cafe');
      assert.equal(router.find('GET', '/caf%c3%a9')?.value, 'cafe');
      assert.equal(router.find('GET', '/a%20b')?.value, 'space');
    });

    it('decodes escapes in parameter values', () => {
      const router = new Router<string>().add('GET', '/t/{tag}', 'tag').add('GET', '/n/{n:int}', 'n');
      assert.deepEqual(router.find('GET', '/t/caf%C3%A9%20au%20lait')?.params, { tag: 'café au lait' });
      assert.deepEqual(router.find('GET', '/n/%34%32')?.params, { n: 42 });
    });

    it('does not let %2F split a segment, and gives the parameter a decoded "/"', () => {
      const router = new Router<string>().add('GET', '/files/{name}', 'one').add('GET', '/files/a/b', 'two');
      assert.deepEqual(router.find('GET', '/files/a%2Fb'), { value: 'one', path: '/files/{name}', params: { name: 'a/b' } });
      assert.deepEqual(router.find('GET', '/files/a%2fb')?.params, { name: 'a/b' });
      assert.equal(router.find('GET', '/files%2Fa%2Fb'), null);
    });

    it('gives %25 to parameter values as "%" and decodes only once', () => {
      const router = new Router<string>().add('GET', '/p/{v}', 'p').add('GET', '/w/{rest:path}', 'w');
      assert.deepEqual(router.find('GET', '/p/100%25')?.params, { v: '100%' });
      assert.deepEqual(router.find('GET', '/p/%2541')?.params, { v: '%41' });
      assert.deepEqual(router.find('GET', '/p/%252F')?.params, { v: '%2F' });
      assert.deepEqual(router.find('GET', '/w/a%2Fb/c%25')?.params, { rest: 'a/b/c%' });
    });

    it('does not match %2F or %25 against a literal "/" or "%" in a static route', () => {
      const router = new Router<string>().add('GET', '/a/b', 'ab').add('GET', '/100%', 'pct');
      assert.equal(router.find('GET', '/a%2Fb'), null);
      assert.equal(router.find('GET', '/100%25'), null);
    });

    it('returns null for malformed escapes', () => {
      const router = new Router<string>().add('GET', '/{x}', 'x').add('GET', '/f/{p:path}', 'p');
      for (const p of ['/%', '/a%2', '/%zz', '/%E0%A4%A', '/%FF', '/f/a/%C3']) {
        assert.equal(router.find('GET', p), null, p);
      }
    });
  });

  describe('lookup', () => {
    it('matches a path already passed through decodeRoutingPath', () => {
      const router = new Router<string>().add('GET', '/files/{name}', 'one').add('GET', '/café', 'cafe');
      const routing = decodeRoutingPath('/files/caf%C3%A9%2Fx');
      assert.equal(routing, '/files/café%2Fx');
      assert.deepEqual(router.lookup('GET', routing as string)?.params, { name: 'café/x' });
      assert.equal(router.lookup('GET', '/café')?.value, 'cafe');
      assert.equal(router.lookup('DELETE', '/café'), null);
    });
  });

  describe('allowedMethods', () => {
    it('lists every method with a route for the path, in registration order of methods', () => {
      const router = new Router<number>()
        .add('GET', '/items/{id:int}', 1)
        .add('DELETE', '/items/{id:int}', 2)
        .add('PUT', '/items/{name}', 3)
        .add('POST', '/items', 4);
      assert.deepEqual(router.allowedMethods('/items/7'), ['GET', 'DELETE', 'PUT']);
      assert.deepEqual(router.allowedMethods('/items/seven'), ['PUT']);
      assert.deepEqual(router.allowedMethods('/items'), ['POST']);
      assert.deepEqual(router.allowedMethods('/items/'), []);
      assert.deepEqual(router.allowedMethods('/other'), []);
    });
  });

  describe('routes', () => {
    it('lists every route in registration order with upper-case methods', () => {
      const router = new Router<string>().add('GET', '/b', 'b').add('post', '/a/{id:int}', 'a').add('GET', '/a', 'c');
      assert.deepEqual(router.routes, [
        { method: 'GET', path: '/b', value: 'b' },
        { method: 'POST', path: '/a/{id:int}', value: 'a' },
        { method: 'GET', path: '/a', value: 'c' },
      ]);
    });

    it('does not list a route that was refused as a duplicate', () => {
      const router = new Router<string>().add('GET', '/a', 'first');
      assert.throws(() => router.add('GET', '/a', 'second'));
      assert.deepEqual(router.routes, [{ method: 'GET', path: '/a', value: 'first' }]);
      assert.equal(router.find('GET', '/a')?.value, 'first');
    });
  });
});
