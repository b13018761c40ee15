import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Markup } from '../../../src/templates/markup.js';
import { LoopContext } from '../../../src/templates/loop-context.js';
import { add, contains, eq, esc, iter, mod, mul, slice, str, truthy } from '../../../src/templates/runtime.js';

describe('runtime', () => {
  it('truthy: Jinja truth for empty containers', () => {
    for (const v of [false, 0, '', null, undefined, Number.NaN, [], {}, new Map(), new Set(), new Markup(''), Object.create(null)]) assert.equal(truthy(v), false);
    for (const v of [true, 1, 'x', [0], { a: 0 }, new Map([[1, 1]]), new Markup('x'), new Date(), () => 0]) assert.equal(truthy(v), true, String(v));
  });

  it('str and esc: none and undefined render empty, Markup passes, containers as Python, functions do not leak source', () => {
    assert.equal(str(null) + str(undefined), '');
    assert.equal(str(1.5) + str(true) + str([1, 2]), '1.5true[1, 2]');
    assert.equal(str(Object.create(null)), '{}');
    assert.equal(str(new Date(0)), '1970-01-01 00:00:00+00:00'); // Python's str() of an aware datetime
    assert.equal(str(function secretImpl() { return 'x'; }), '[function secretImpl]');
    assert.equal(esc('<') + esc(new Markup('<')) + esc(3) + esc(null), '&lt;<3');
  });

  it('eq, contains and the operators', () => {
    assert.ok(eq([1, [2]], [1, [2]]) && eq(new Markup('a'), 'a') && !eq(1, '1') && !eq(Number.NaN, Number.NaN));
    assert.ok(contains('abc', 'b') && contains([1, 2], 2) && contains({ a: 1 }, 'a') && !contains({ a: 1 }, 'toString') && contains(new Set([1]), 1) && !contains(null, 1));
    assert.deepEqual([add(1, 2), add('a', 'b'), add([1], [2]), mul('ab', 2), mul(3, 'x'), mod(-1, 3), mod(5, -3), mod('%s!', 'hi')], [3, 'ab', [1, 2], 'abab', 'xxx', 2, -1, 'hi!']);
    assert.equal((add(new Markup('<b>'), '<') as Markup).value, '<b>&lt;');
  });

  it('iter and slice', () => {
    assert.deepEqual(iter({ a: 1, b: 2 }, 1), ['a', 'b']);
    assert.deepEqual(iter({ a: 1 }, 2), [['a', 1]]);
    assert.deepEqual(iter(new Map([['k', 'v']]), 1), ['k']);
    assert.deepEqual(iter(new Set([1, 2]), 1), [1, 2]);
    assert.deepEqual(iter(null, 1), []);
    assert.throws(() => iter(5, 1), { code: 'ERR_TEMPLATE_RUNTIME' });
    assert.deepEqual(slice([1, 2, 3, 4, 5], 1, -1, 2), [2, 4]);
    assert.equal(slice('hello', null, null, -2), 'olh');
    assert.throws(() => slice([1], null, null, 0), /step cannot be zero/);
  });

  it('LoopContext', () => {
    const loop = new LoopContext(['a', 'b', 'c']);
    loop.index0 = 1;
    assert.deepEqual([loop.index, loop.revindex, loop.revindex0, loop.first, loop.last, loop.length, loop.previtem, loop.nextitem, loop.cycle('x', 'y')], [2, 2, 1, false, false, 3, 'a', 'c', 'y']);
  });
});
