import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RadixTree } from '../../../src/router/radix-tree.js';

/** A tree holding each route under its own path, so a match names the route it came from. */
function treeOf(...paths: string[]): RadixTree<string> {
  const tree = new RadixTree<string>();
  for (const path of paths) tree.insert(path, path);
  return tree;
}

/** The value matched for `path`, or `null`. */
function hit(tree: RadixTree<string>, path: string): string | null {
  return tree.lookup(path)?.value ?? null;
}

describe('RadixTree', () => {
  describe('static routes', () => {
    it('matches a static route and returns its value, template and empty params', () => {
      const tree = treeOf('/health');
      const m = tree.lookup('/health');
      assert.ok(m);
      assert.equal(m.value, '/health');
      assert.equal(m.path, '/health');
      assert.deepEqual(m.params, {});
    });

    it('matches the root path', () => {
      const tree = treeOf('/', '/a');
      assert.equal(hit(tree, '/'), '/');
      assert.equal(hit(tree, '/a'), '/a');
      assert.equal(hit(tree, ''), null);
    });

    it('returns null for an unknown path, a prefix of a route and a route plus extra text', () => {
      const tree = treeOf('/users/list');
      assert.equal(hit(tree, '/nope'), null);
      assert.equal(hit(tree, '/users'), null);
      assert.equal(hit(tree, '/users/lis'), null);
      assert.equal(hit(tree, '/users/listing'), null);
      assert.equal(hit(tree, '/users/list/x'), null);
    });

    it('treats /users and /users/ as different routes', () => {
      const onlyBare = treeOf('/users');
      assert.equal(hit(onlyBare, '/users'), '/users');
      assert.equal(hit(onlyBare, '/users/'), null);

      const onlySlash = treeOf('/users/');
      assert.equal(hit(onlySlash, '/users/'), '/users/');
      assert.equal(hit(onlySlash, '/users'), null);

      const both = treeOf('/users/', '/users');
      assert.equal(hit(both, '/users'), '/users');
      assert.equal(hit(both, '/users/'), '/users/');
    });

    it('matches case-sensitively', () => {
      const tree = treeOf('/Users', '/about');
      assert.equal(hit(tree, '/Users'), '/Users');
      assert.equal(hit(tree, '/users'), null);
      assert.equal(hit(tree, '/About'), null);
      assert.equal(hit(tree, '/ABOUT'), null);
    });

    it('returns the same frozen match object for every lookup of a static route', () => {
      const tree = treeOf('/a');
      const first = tree.lookup('/a');
      assert.ok(first);
      assert.equal(tree.lookup('/a'), first);
      assert.ok(Object.isFrozen(first));
      assert.ok(Object.isFrozen(first.params));
    });
  });

  describe('node splitting', () => {
    it('keeps every route reachable when shared prefixes split nodes in any order', () => {
      const paths = ['/search', '/se', '/sea', '/s', '/searching', '/seat', '/set', '/settings', '/static/x', '/st'];
      const orders = [paths, [...paths].reverse(), [...paths].sort(), [...paths].sort().reverse()];
      for (const order of orders) {
        const tree = treeOf(...order);
        for (const p of paths) assert.equal(hit(tree, p), p, `${p} in order ${order.join(',')}`);
        for (const miss of ['/sear', '/searchin', '/seats', '/stat', '/static', '/static/', '/settin', '/']) {
          assert.equal(hit(tree, miss), null, `${miss} must not match`);
        }
      }
    });

    it('keeps parameters of a node that is split after they were added', () => {
      // '/users/{id}' first puts a param edge under '/users/'; '/us' then splits that node.
      const tree = treeOf('/users/{id}', '/us', '/users-old', '/u/{x}');
      assert.deepEqual(tree.lookup('/users/7')?.params, { id: '7' });
      assert.equal(hit(tree, '/us'), '/us');
      assert.equal(hit(tree, '/users-old'), '/users-old');
      assert.deepEqual(tree.lookup('/u/z')?.params, { x: 'z' });
      assert.equal(hit(tree, '/users'), null);
      assert.equal(hit(tree, '/u'), null);
    });
  });

  describe('parameters', () => {
    it('captures a {name} segment as a string', () => {
      const tree = treeOf('/users/{id}');
      const m = tree.lookup('/users/abc');
      assert.ok(m);
      assert.equal(m.path, '/users/{id}');
      assert.deepEqual(m.params, { id: 'abc' });
    });

    it('captures several parameters in order', () => {
      const tree = treeOf('/orgs/{org}/repos/{repo}/issues/{number:int}');
      assert.deepEqual(tree.lookup('/orgs/acme/repos/covet/issues/12')?.params, { org: 'acme', repo: 'covet', number: 12 });
    });

    it('does not match an empty segment', () => {
      const tree = treeOf('/users/{id}', '/a/{x}/b');
      assert.equal(hit(tree, '/users/'), null);
      assert.equal(hit(tree, '/a//b'), null);
    });

    it('does not let a {name} parameter span a slash', () => {
      const tree = treeOf('/users/{id}');
      assert.equal(hit(tree, '/users/a/b'), null);
      assert.equal(hit(tree, '/users/a/'), null);
    });

    it('accepts any characters other than "/" in a segment', () => {
      const tree = treeOf('/t/{tag}');
      assert.deepEqual(tree.lookup('/t/a.b-c~d:e@f')?.params, { tag: 'a.b-c~d:e@f' });
      assert.deepEqual(tree.lookup('/t/café')?.params, { tag: 'café' });
    });

    it('gives params own properties, even for a parameter named __proto__', () => {
      const tree = treeOf('/a/{__proto__}/{constructor}');
      const m = tree.lookup('/a/x/y');
      assert.ok(m);
      assert.deepEqual(Object.keys(m.params), ['__proto__', 'constructor']);
      assert.equal(Object.getOwnPropertyDescriptor(m.params, '__proto__')?.value, 'x');
      assert.equal(m.params.constructor, 'y');
      assert.equal(Object.getPrototypeOf(m.params), Object.prototype);
    });

    it('returns a fresh params object per lookup', () => {
      const tree = treeOf('/u/{id}');
      const a = tree.lookup('/u/1');
      const b = tree.lookup('/u/2');
      assert.deepEqual(a?.params, { id: '1' });
      assert.deepEqual(b?.params, { id: '2' });
      assert.notEqual(a?.params, b?.params);
    });

    it('uses the parameter names of the matched route when routes share a placeholder edge', () => {
      const tree = treeOf('/a/{first}/x', '/a/{second}/y');
      assert.deepEqual(tree.lookup('/a/1/x')?.params, { first: '1' });
      assert.deepEqual(tree.lookup('/a/1/y')?.params, { second: '1' });
    });
  });

  describe('priority', () => {
    it('prefers a static segment over a parameter, whatever the insertion order', () => {
      for (const order of [
        ['/users/me', '/users/{id}'],
        ['/users/{id}', '/users/me'],
      ]) {
        const tree = treeOf(...order);
        assert.equal(hit(tree, '/users/me'), '/users/me');
        assert.deepEqual(tree.lookup('/users/you')?.params, { id: 'you' });
        assert.deepEqual(tree.lookup('/users/m')?.params, { id: 'm' });
        assert.deepEqual(tree.lookup('/users/meh')?.params, { id: 'meh' });
      }
    });

    it('prefers int over float over uuid over str over path, whatever the insertion order', () => {
      const routes = ['/v/{p:path}', '/v/{s}', '/v/{u:uuid}', '/v/{f:float}', '/v/{i:int}'];
      for (const order of [routes, [...routes].reverse()]) {
        const tree = treeOf(...order);
        assert.equal(hit(tree, '/v/42'), '/v/{i:int}');
        assert.equal(hit(tree, '/v/4.2'), '/v/{f:float}');
        assert.equal(hit(tree, '/v/123e4567-e89b-12d3-a456-426614174000'), '/v/{u:uuid}');
        assert.equal(hit(tree, '/v/abc'), '/v/{s}');
        assert.equal(hit(tree, '/v/a/b'), '/v/{p:path}');
      }
    });

    it('lets a static route and an int route coexist, with other segments not matching', () => {
      const tree = treeOf('/users/{id:int}', '/users/me');
      assert.equal(hit(tree, '/users/me'), '/users/me');
      assert.deepEqual(tree.lookup('/users/42')?.params, { id: 42 });
      assert.equal(hit(tree, '/users/abc'), null);
    });

    it('returns null when the only route is int and the segment is not an integer', () => {
      const tree = treeOf('/users/{id:int}');
      for (const p of ['/users/abc', '/users/-1', '/users/+1', '/users/1.5', '/users/1e3', '/users/ 1', '/users/0x1']) {
        assert.equal(hit(tree, p), null, p);
      }
    });
  });

  describe('backtracking', () => {
    it('falls back to a parameter when the static branch fails further down', () => {
      const tree = treeOf('/a/{x}/c', '/a/b/d');
      assert.deepEqual(tree.lookup('/a/b/c')?.params, { x: 'b' });
      assert.equal(hit(tree, '/a/b/d'), '/a/b/d');
      assert.equal(hit(tree, '/a/b/e'), null);
    });

    it('falls back from a narrow converter to a wider one when the rest does not match', () => {
      const tree = treeOf('/u/{id:int}/posts', '/u/{name}/profile');
      assert.deepEqual(tree.lookup('/u/42/posts')?.params, { id: 42 });
      assert.deepEqual(tree.lookup('/u/42/profile')?.params, { name: '42' });
      assert.equal(hit(tree, '/u/abc/posts'), null);
    });

    it('falls back to a wildcard of an ancestor node', () => {
      const tree = treeOf('/{rest:path}', '/a/b', '/a/{x}/c');
      assert.equal(hit(tree, '/a/b'), '/a/b');
      assert.deepEqual(tree.lookup('/a/z/c')?.params, { x: 'z' });
      assert.deepEqual(tree.lookup('/a/z/d')?.params, { rest: 'a/z/d' });
      assert.deepEqual(tree.lookup('/a/b/c')?.params, { x: 'b' });
      assert.deepEqual(tree.lookup('/a/b/d')?.params, { rest: 'a/b/d' });
    });

    it('leaves no values behind from failed branches', () => {
      const tree = treeOf('/a/{x}/{y}/end', '/a/{x}/{y}/{z:int}', '/a/{x}/b/{q}');
      for (let i = 0; i < 3; i++) {
        assert.equal(hit(tree, '/a/1/2/nope'), null);
        assert.deepEqual(tree.lookup('/a/1/b/3')?.params, { x: '1', q: '3' });
        assert.deepEqual(tree.lookup('/a/1/2/3')?.params, { x: '1', y: '2', z: 3 });
        assert.deepEqual(tree.lookup('/a/1/2/end')?.params, { x: '1', y: '2' });
      }
    });
  });

  describe('converters', () => {
    it('converts int segments to numbers, leading zeros included', () => {
      const tree = treeOf('/n/{v:int}');
      assert.equal(tree.lookup('/n/0')?.params.v, 0);
      assert.equal(tree.lookup('/n/007')?.params.v, 7);
      assert.equal(tree.lookup('/n/9007199254740991')?.params.v, Number.MAX_SAFE_INTEGER);
    });

    it('rejects int segments beyond the safe integer range', () => {
      const tree = treeOf('/n/{v:int}');
      assert.equal(hit(tree, '/n/9007199254740992'), null);
      assert.equal(hit(tree, '/n/99999999999999999999'), null);
    });

    it('converts float segments to numbers and rejects other notations', () => {
      const tree = treeOf('/f/{v:float}');
      assert.equal(tree.lookup('/f/3.25')?.params.v, 3.25);
      assert.equal(tree.lookup('/f/3')?.params.v, 3);
      for (const bad of ['/f/-1.5', '/f/1e3', '/f/.5', '/f/5.', '/f/Infinity', '/f/NaN', '/f/abc']) {
        assert.equal(hit(tree, bad), null, bad);
      }
    });

    it('matches uuid segments in either case and lower-cases them', () => {
      const tree = treeOf('/o/{id:uuid}');
      assert.equal(tree.lookup('/o/123E4567-E89B-12D3-A456-426614174000')?.params.id, '123e4567-e89b-12d3-a456-426614174000');
      assert.equal(hit(tree, '/o/123e4567e89b12d3a456426614174000'), null);
      assert.equal(hit(tree, '/o/123e4567-e89b-12d3-a456-42661417400g'), null);
    });

    it('takes the rest of the path, slashes included, with a path parameter', () => {
      const tree = treeOf('/files/{p:path}');
      assert.deepEqual(tree.lookup('/files/a')?.params, { p: 'a' });
      assert.deepEqual(tree.lookup('/files/a/b/c.txt')?.params, { p: 'a/b/c.txt' });
      assert.deepEqual(tree.lookup('/files/a/')?.params, { p: 'a/' });
    });

    it('requires at least one character for a path parameter', () => {
      const tree = treeOf('/files/{p:path}');
      assert.equal(hit(tree, '/files/'), null);
      assert.equal(hit(tree, '/files'), null);
    });

    it('combines a segment parameter with a trailing path parameter', () => {
      const tree = treeOf('/repos/{repo}/blob/{file:path}');
      assert.deepEqual(tree.lookup('/repos/covet/blob/src/router/index.ts')?.params, { repo: 'covet', file: 'src/router/index.ts' });
    });
  });

  describe('escaped lookups', () => {
    it('decodes %2F and %25 in parameter values when told the path is escaped', () => {
      const tree = treeOf('/f/{name}', '/p/{rest:path}');
      assert.deepEqual(tree.lookup('/f/a%2Fb%25c', true)?.params, { name: 'a/b%c' });
      assert.deepEqual(tree.lookup('/f/a%2fb', true)?.params, { name: 'a/b' });
      assert.deepEqual(tree.lookup('/p/x/a%2Fb', true)?.params, { rest: 'x/a/b' });
    });

    it('decodes each escape once, so %252F becomes %2F', () => {
      const tree = treeOf('/f/{name}');
      assert.deepEqual(tree.lookup('/f/%252F', true)?.params, { name: '%2F' });
      assert.deepEqual(tree.lookup('/f/%2525', true)?.params, { name: '%25' });
    });

    it('leaves parameter values alone when told the path is not escaped', () => {
      const tree = treeOf('/f/{name}');
      assert.deepEqual(tree.lookup('/f/a%2Fb', false)?.params, { name: 'a%2Fb' });
    });

    it('does not treat an escaped slash as a segment boundary', () => {
      const tree = treeOf('/a/b', '/a/{x}');
      assert.deepEqual(tree.lookup('/a%2Fb', true), null);
      assert.deepEqual(tree.lookup('/a/b%2Fc', true)?.params, { x: 'b/c' });
    });
  });

  describe('conflicts', () => {
    it('throws on the same path twice', () => {
      const tree = treeOf('/users/{id}');
      assert.throws(() => tree.insert('/users/{id}', 'again'), { message: 'Route /users/{id} conflicts with /users/{id}' });
      assert.throws(() => treeOf('/a', '/a'), { message: 'Route /a conflicts with /a' });
    });

    it('throws on a route of the same shape with other parameter names', () => {
      const tree = treeOf('/users/{id}');
      assert.throws(() => tree.insert('/users/{name}', 'x'), { message: 'Route /users/{name} conflicts with /users/{id}' });
      assert.throws(() => treeOf('/f/{a:path}', '/f/{b:path}'), { message: 'Route /f/{b:path} conflicts with /f/{a:path}' });
      assert.throws(() => treeOf('/n/{a:int}', '/n/{b:int}'), /conflicts with \/n\/\{a:int\}/);
    });

    it('keeps the first route after a rejected duplicate', () => {
      const tree = treeOf('/users/{id}');
      assert.throws(() => tree.insert('/users/{name}', 'x'));
      assert.equal(tree.lookup('/users/1')?.value, '/users/{id}');
      assert.deepEqual(tree.lookup('/users/1')?.params, { id: '1' });
    });

    it('accepts the same shape with different converters', () => {
      const tree = treeOf('/x/{a}', '/x/{a:int}', '/x/{a:float}', '/x/{a:uuid}', '/x/{a:path}');
      assert.equal(hit(tree, '/x/1'), '/x/{a:int}');
    });

    it('throws on malformed paths', () => {
      const tree = new RadixTree<number>();
      assert.throws(() => tree.insert('users', 1), TypeError);
      assert.throws(() => tree.insert('/a{x}', 1), TypeError);
      assert.throws(() => tree.insert('/a/{x:bogus}', 1), TypeError);
      assert.throws(() => tree.insert('/a/{x}/{x}', 1), TypeError);
    });
  });
});
