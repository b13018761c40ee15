// runnable
import assert from 'node:assert/strict';
import { Router } from '/work/main/src/index.ts';

const router = new Router<string>();
router.add('GET', '/users/{id:int}/posts', 'int-posts');
router.add('GET', '/users/{name}/profile', 'profile');
router.add('GET', '/users/{id:int}', 'by-id');
router.add('POST', '/users/{id:int}', 'update');
router.add('get', '/static/{file:path}', 'static');

assert.deepEqual(router.find('GET', '/users/42'), { value: 'by-id', path: '/users/{id:int}', params: { id: 42 } });
// The int branch fails further down, so {name} gets the segment.
assert.deepEqual(router.find('GET', '/users/42/profile')?.params, { name: '42' });
assert.equal(router.find('GET', '/users/ann/posts'), null);
assert.deepEqual(router.find('GET', '/static/css/a%2Fb.css')?.params, { file: 'css/a/b.css' });
assert.equal(router.find('GET', '/static/%E0%A4%A'), null);
assert.deepEqual(router.allowedMethods('/users/1'), ['GET', 'POST']);
assert.equal(router.routes.length, 5);
assert.throws(() => router.add('GET', '/users/{other:int}', 'dup'), /conflicts/);
