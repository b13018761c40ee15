import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HTTPException } from '../../../src/errors.js';
import { QueryParams } from '../../../src/http/query-params.js';

function assertHttp400(fn: () => unknown, message: string, code: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof HTTPException, `expected an HTTPException, got ${String(err)}`);
    assert.equal(err.status, 400);
    assert.equal(err.message, message);
    assert.equal(err.code, code);
    assert.deepEqual(err.toJSON(), { error: message });
    return true;
  });
}

describe('QueryParams', () => {
  describe('parsing', () => {
    it('parses a raw query string', () => {
      const q = new QueryParams('q=hello+world&page=2');
      assert.equal(q.get('q'), 'hello world');
      assert.equal(q.get('page'), '2');
      assert.equal(q.size, 2);
    });

    it('parses an empty query string to no parameters', () => {
      const q = new QueryParams('');
      assert.equal(q.size, 0);
      assert.equal(q.get('a'), null);
      assert.deepEqual([...q], []);
    });

    it('percent-decodes names and values, "+" being a space', () => {
      const q = new QueryParams('na%20me=a+b%2Bc&caf%C3%A9=%E2%9C%93');
      assert.equal(q.get('na me'), 'a b+c');
      assert.equal(q.get('café'), '✓');
    });

    it('throws 400 for malformed percent-encoding', () => {
      assertHttp400(() => new QueryParams('a=%zz'), 'Malformed percent-encoding in query string', 'ERR_BAD_ENCODING');
      assertHttp400(() => new QueryParams('a=100%'), 'Malformed percent-encoding in query string', 'ERR_BAD_ENCODING');
      assertHttp400(() => new QueryParams('%C3=1'), 'Malformed percent-encoding in query string', 'ERR_BAD_ENCODING');
    });

    it('throws 400 beyond 1000 parameters', () => {
      const many = Array.from({ length: 1001 }, (_, i) => `p${i}=1`).join('&');
      assertHttp400(() => new QueryParams(many), 'Too many parameters in query string (limit 1000)', 'ERR_TOO_MANY_PARAMS');
      assert.equal(new QueryParams(Array.from({ length: 1000 }, (_, i) => `p${i}=1`).join('&')).size, 1000);
    });
  });

  describe('get', () => {
    it('returns the first value of a repeated name', () => {
      assert.equal(new QueryParams('tag=a&tag=b').get('tag'), 'a');
    });

    it('returns null, or the fallback, for an absent name', () => {
      const q = new QueryParams('a=1');
      assert.equal(q.get('b'), null);
      assert.equal(q.get('b', 'fb'), 'fb');
      assert.equal(q.get('limit', 10, 'int'), 10);
      assert.equal(q.get('flag', false, 'bool'), false);
    });

    it('returns an empty string for a name without a value', () => {
      const q = new QueryParams('flag&empty=');
      assert.equal(q.get('flag'), '');
      assert.equal(q.get('empty', 'fb'), '');
    });

    it('does not convert the fallback', () => {
      assert.equal(new QueryParams('').get('limit', '10', 'int'), '10');
    });

    it('is case-sensitive about names', () => {
      assert.equal(new QueryParams('Limit=5').get('limit'), null);
    });

    it('converts int values', () => {
      const q = new QueryParams('limit=25&neg=-3&plus=%2B4&zero=007&max=9007199254740991');
      assert.equal(q.get('limit', 10, 'int'), 25);
      assert.equal(q.get('neg', 0, 'int'), -3);
      assert.equal(q.get('plus', 0, 'int'), 4);
      assert.equal(q.get('zero', 0, 'int'), 7);
      assert.equal(q.get('max', 0, 'int'), Number.MAX_SAFE_INTEGER);
    });

    it('throws 400 naming the parameter when an int does not convert', () => {
      for (const raw of ['abc', '1.5', '1e3', '', '+', ' 1', '0x10', '9007199254740992', '1_000']) {
        const q = new QueryParams(`limit=${encodeURIComponent(raw)}`);
        assertHttp400(() => q.get('limit', 10, 'int'), "Invalid value for query parameter 'limit': expected int", 'ERR_INVALID_QUERY_PARAM');
      }
    });

    it('converts float values in decimal notation', () => {
      const q = new QueryParams('a=1.5&b=-2&c=.25&d=1e3&e=%2B3.&f=-1.5E-2');
      assert.equal(q.get('a', 0, 'float'), 1.5);
      assert.equal(q.get('b', 0, 'float'), -2);
      assert.equal(q.get('c', 0, 'float'), 0.25);
      assert.equal(q.get('d', 0, 'float'), 1000);
      assert.equal(q.get('e', 0, 'float'), 3);
      assert.equal(q.get('f', 0, 'float'), -0.015);
    });

    it('throws 400 when a float does not convert', () => {
      for (const raw of ['abc', '', ' ', ' 1.5 ', 'Infinity', '-Infinity', 'NaN', '0x10', '0b1', '1e999', '1.2.3', '.', 'e5']) {
        const q = new QueryParams(`price=${encodeURIComponent(raw)}`);
        assertHttp400(() => q.get('price', 0, 'float'), "Invalid value for query parameter 'price': expected float", 'ERR_INVALID_QUERY_PARAM');
      }
    });

    it('converts bool values, in any letter case', () => {
      const q = new QueryParams('a=true&b=1&c=YES&d=on&e=false&f=0&g=No&h=OFF');
      for (const name of ['a', 'b', 'c', 'd']) assert.equal(q.get(name, null, 'bool'), true, name);
      for (const name of ['e', 'f', 'g', 'h']) assert.equal(q.get(name, null, 'bool'), false, name);
    });

    it('throws 400 when a bool does not convert', () => {
      for (const raw of ['maybe', '', '2', 't', 'truee']) {
        const q = new QueryParams(`active=${encodeURIComponent(raw)}`);
        assertHttp400(() => q.get('active', false, 'bool'), "Invalid value for query parameter 'active': expected bool", 'ERR_INVALID_QUERY_PARAM');
      }
    });

    it('returns the raw text for str', () => {
      assert.equal(new QueryParams('n=42').get('n', '', 'str'), '42');
    });

    it('converts with a custom function', () => {
      const q = new QueryParams('ids=1,2,3&when=2024-01-02');
      assert.deepEqual(
        q.get('ids', [], (raw) => raw.split(',').map(Number)),
        [1, 2, 3],
      );
      assert.equal(q.get('when', null, (raw) => new Date(raw).getUTCFullYear()), 2024);
      assert.equal(q.get('missing', 'fb', (raw) => raw.length), 'fb');
    });

    it('throws 400 naming the function when a custom conversion throws, returns undefined or NaN', () => {
      const q = new QueryParams('x=abc');
      function positive(raw: string): number {
        const n = Number(raw);
        if (!(n > 0)) throw new Error('not positive');
        return n;
      }
      assertHttp400(() => q.get('x', 0, positive), "Invalid value for query parameter 'x': expected positive", 'ERR_INVALID_QUERY_PARAM');
      assertHttp400(() => q.get('x', 0, Number), "Invalid value for query parameter 'x': expected Number", 'ERR_INVALID_QUERY_PARAM');
      assertHttp400(() => q.get('x', 0, () => undefined), "Invalid value for query parameter 'x': expected a valid value", 'ERR_INVALID_QUERY_PARAM');
    });

    it('keeps falsy results of a custom conversion', () => {
      const q = new QueryParams('x=0&y=');
      assert.equal(q.get('x', 1, Number), 0);
      assert.equal(q.get('y', 'fb', (raw) => raw), '');
      assert.equal(q.get('y', 'fb', () => null), null);
    });
  });

  describe('getAll', () => {
    it('returns every value of a repeated name in order', () => {
      const q = new QueryParams('tag=a&x=1&tag=b&tag=c');
      assert.deepEqual(q.getAll('tag'), ['a', 'b', 'c']);
      assert.deepEqual(q.getAll('x'), ['1']);
      assert.deepEqual(q.getAll('none'), []);
    });
  });

  describe('prototype safety', () => {
    it('treats __proto__ and constructor as plain data', () => {
      const q = new QueryParams('__proto__=x&constructor=y&__proto__=z');
      assert.equal(q.get('__proto__'), 'x');
      assert.deepEqual(q.getAll('__proto__'), ['x', 'z']);
      assert.equal(q.get('constructor'), 'y');
      assert.equal(q.has('__proto__'), true);
    });

    it('does not see Object.prototype members as parameters', () => {
      const q = new QueryParams('a=1');
      for (const name of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
        assert.equal(q.get(name), null, name);
        assert.equal(q.get(name, 'fb'), 'fb', name);
        assert.equal(q.has(name), false, name);
      }
    });

    it('builds a prototype-free object from toObject, first values winning', () => {
      const q = new QueryParams('__proto__=x&constructor=y&a=1&a=2');
      const obj = q.toObject();
      assert.equal(obj instanceof Object, false, 'no Object.prototype in the chain');
    assert.equal(Object.getPrototypeOf(Object.getPrototypeOf(obj)), null);
      assert.equal(Object.getOwnPropertyDescriptor(obj, '__proto__')?.value, 'x');
      assert.equal(obj.constructor, 'y');
      assert.equal(obj.a, '1');
      assert.equal(({} as { x?: unknown }).x, undefined);
      assert.deepEqual(JSON.parse(JSON.stringify(q)), { a: '1', constructor: 'y', ['__proto__']: 'x' });
    });
  });

  describe('iteration', () => {
    it('lists distinct keys and every entry', () => {
      const q = new QueryParams('a=1&b=2&a=3');
      assert.deepEqual([...q.keys()], ['a', 'b']);
      assert.deepEqual([...q.entries()], [
        ['a', '1'],
        ['b', '2'],
        ['a', '3'],
      ]);
    });
  });
});
