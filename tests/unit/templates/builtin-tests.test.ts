import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Markup, TemplateEngine } from '../../../src/templates/index.js';

const t = new TemplateEngine({ directory: [] });
const is = (test: string, value: unknown, arg?: unknown) => t.renderString(`{{ v is ${test}${arg === undefined ? '' : '(a)'} }}`, { v: value, a: arg }) === 'true';

describe('built-in tests', () => {
  it('type tests', () => {
    assert.ok(is('boolean', false) && !is('boolean', 0));
    assert.ok(is('number', 1.5) && is('integer', 2) && !is('integer', 2.5) && is('float', 2.5) && !is('float', 2));
    assert.ok(is('string', 's') && is('string', new Markup('m')) && !is('string', 1));
    assert.ok(is('mapping', {}) && is('mapping', new Map()) && !is('mapping', []) && !is('mapping', 's'));
    assert.ok(is('sequence', []) && is('sequence', 'ab') && !is('sequence', {}));
    assert.ok(is('iterable', []) && is('iterable', new Set()) && is('iterable', 'x') && is('iterable', {}) && !is('iterable', 3));
    assert.ok(is('callable', () => 1) && !is('callable', 1));
    assert.ok(t.renderString('{% macro m() %}{% endmacro %}{{ m is callable }}') === 'true');
    assert.ok(is('none', null) && !is('none', undefined) && is('undefined', undefined) && is('defined', null));
    assert.ok(is('true', true) && !is('true', 1) && is('false', false));
    assert.ok(is('escaped', new Markup('x')) && !is('escaped', 'x'));
  });

  it('number and comparison tests', () => {
    assert.ok(is('odd', 3) && is('odd', -3) && is('even', 4) && !is('even', 3));
    assert.ok(is('divisibleby', 9, 3) && !is('divisibleby', 9, 2));
    assert.ok(is('eq', 2, 2) && is('ne', 2, 3) && is('lt', 1, 2) && is('le', 2, 2) && is('gt', 3, 2) && is('ge', 2, 2));
    assert.ok(is('sameas', null, null) && !is('sameas', [], []));
    assert.ok(is('in', 'b', ['a', 'b']) && is('in', 'x', 'xyz') && !is('in', 'q', { a: 1 }));
    assert.equal(t.renderString('{{ 3 is greaterthan 2 }} {{ 1 is lessthan 2 }} {{ 2 is equalto 2 }} {{ 2 is == 2 }} {{ 2 is != 3 }}'), 'true true true true true');
  });

  it('text case, filter and test names', () => {
    assert.ok(is('lower', 'abc') && !is('lower', 'aBc') && is('upper', 'ABC') && !is('upper', 1));
    assert.ok(is('filter', 'upper') && !is('filter', 'nope') && is('test', 'odd') && !is('test', 'nope'));
  });

  it('negates with is not and combines with and/or', () => {
    assert.equal(t.renderString('{{ x is not none and x is not odd }} {{ not x is even }}', { x: 4 }), 'true false');
  });
});
