import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HTTPException } from '../../../src/errors.js';
import { MultiDict, parseUrlEncoded } from '../../../src/http/url-encoded.js';

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

describe('parseUrlEncoded', () => {
  it('parses pairs in order', () => {
    assert.deepEqual(parseUrlEncoded('a=1&b=2&c=3', 'query string'), { keys: ['a', 'b', 'c'], values: ['1', '2', '3'] });
  });

  it('keeps repeated keys as separate pairs', () => {
    assert.deepEqual(parseUrlEncoded('tag=x&a=1&tag=y', 'query string'), { keys: ['tag', 'a', 'tag'], values: ['x', '1', 'y'] });
  });

  it('turns "+" into a space in keys and values, and %2B into "+"', () => {
    assert.deepEqual(parseUrlEncoded('q=a+b&full+name=c%2Bd', 'query string'), { keys: ['q', 'full name'], values: ['a b', 'c+d'] });
  });

  it('percent-decodes keys and values, UTF-8 included', () => {
    assert.deepEqual(parseUrlEncoded('caf%C3%A9=%E2%82%AC&x=a%26b%3Dc', 'form body'), { keys: ['café', 'x'], values: ['€', 'a&b=c'] });
  });

  it('gives a key without "=" an empty value', () => {
    assert.deepEqual(parseUrlEncoded('flag&a=1&empty=', 'query string'), { keys: ['flag', 'a', 'empty'], values: ['', '1', ''] });
  });

  it('keeps "=" after the first one in the value', () => {
    assert.deepEqual(parseUrlEncoded('t=a=b==', 'query string'), { keys: ['t'], values: ['a=b=='] });
  });

  it('accepts an empty key', () => {
    assert.deepEqual(parseUrlEncoded('=v', 'query string'), { keys: [''], values: ['v'] });
  });

  it('skips empty pairs', () => {
    assert.deepEqual(parseUrlEncoded('&&a=1&&b=2&', 'query string'), { keys: ['a', 'b'], values: ['1', '2'] });
    assert.deepEqual(parseUrlEncoded('', 'query string'), { keys: [], values: [] });
    assert.deepEqual(parseUrlEncoded('&', 'query string'), { keys: [], values: [] });
  });

  it('does not take an "=" of a later pair for the current one', () => {
    assert.deepEqual(parseUrlEncoded('a&b=1&c&d&e=2', 'query string'), { keys: ['a', 'b', 'c', 'd', 'e'], values: ['', '1', '', '', '2'] });
  });

  it('throws 400 naming the source for malformed percent-encoding', () => {
    assertHttp400(() => parseUrlEncoded('a=%', 'query string'), 'Malformed percent-encoding in query string', 'ERR_BAD_ENCODING');
    assertHttp400(() => parseUrlEncoded('a=%zz', 'form body'), 'Malformed percent-encoding in form body', 'ERR_BAD_ENCODING');
    assertHttp400(() => parseUrlEncoded('%E0%A4%A=1', 'query string'), 'Malformed percent-encoding in query string', 'ERR_BAD_ENCODING');
    assertHttp400(() => parseUrlEncoded('a=%FF', 'query string'), 'Malformed percent-encoding in query string', 'ERR_BAD_ENCODING');
  });

  it('allows exactly maxPairs pairs and throws 400 beyond', () => {
    assert.equal(parseUrlEncoded('a=1&b=2&c=3', 'query string', 3).keys.length, 3);
    assertHttp400(() => parseUrlEncoded('a=1&b=2&c=3&d=4', 'query string', 3), 'Too many parameters in query string (limit 3)', 'ERR_TOO_MANY_PARAMS');
  });

  it('does not count empty pairs against maxPairs', () => {
    assert.equal(parseUrlEncoded('a=1&&&&b=2&&', 'query string', 2).keys.length, 2);
  });

  it('limits to 1000 pairs by default', () => {
    const ok = Array.from({ length: 1000 }, (_, i) => `k${i}=${i}`).join('&');
    assert.equal(parseUrlEncoded(ok, 'form body').keys.length, 1000);
    assertHttp400(() => parseUrlEncoded(`${ok}&one=more`, 'form body'), 'Too many parameters in form body (limit 1000)', 'ERR_TOO_MANY_PARAMS');
  });

  it('parses many pairs without "=" in linear time', () => {
    // Each pair searching afresh for "=" rescans the rest of the text: ~10 s here, ~0.1 s linear.
    const text = `${'a&'.repeat(1_000_000)}z=1`;
    const started = performance.now();
    const pairs = parseUrlEncoded(text, 'form body', 2_000_000);
    const elapsed = performance.now() - started;
    assert.equal(pairs.keys.length, 1_000_001);
    assert.equal(pairs.values[1_000_000], '1');
    assert.equal(pairs.values[0], '');
    assert.ok(elapsed < 2000, `took ${elapsed.toFixed(0)} ms`);
  });

  it('treats __proto__ and constructor as ordinary keys', () => {
    assert.deepEqual(parseUrlEncoded('__proto__=x&constructor=y', 'query string'), { keys: ['__proto__', 'constructor'], values: ['x', 'y'] });
  });
});

describe('MultiDict', () => {
  const dict = new MultiDict(parseUrlEncoded('a=1&b=2&a=3&c=', 'query string'));

  it('gets the first value, or null', () => {
    assert.equal(dict.get('a'), '1');
    assert.equal(dict.get('c'), '');
    assert.equal(dict.get('zzz'), null);
  });

  it('gets every value of a name in order', () => {
    assert.deepEqual(dict.getAll('a'), ['1', '3']);
    assert.deepEqual(dict.getAll('b'), ['2']);
    assert.deepEqual(dict.getAll('zzz'), []);
  });

  it('says whether a name is present', () => {
    assert.equal(dict.has('a'), true);
    assert.equal(dict.has('c'), true);
    assert.equal(dict.has('A'), false);
  });

  it('lists distinct names in order of first appearance', () => {
    assert.deepEqual([...dict.keys()], ['a', 'b', 'c']);
  });

  it('iterates every pair, repeats included', () => {
    const expected = [
      ['a', '1'],
      ['b', '2'],
      ['a', '3'],
      ['c', ''],
    ];
    assert.deepEqual([...dict.entries()], expected);
    assert.deepEqual([...dict], expected);
  });

  it('counts pairs in size', () => {
    assert.equal(dict.size, 4);
    assert.equal(new MultiDict().size, 0);
  });

  it('builds a prototype-free object of first values', () => {
    const obj = dict.toObject();
    assert.equal(obj instanceof Object, false, 'no Object.prototype in the chain');
    assert.equal(Object.getPrototypeOf(Object.getPrototypeOf(obj)), null);
    assert.deepEqual({ ...obj }, { a: '1', b: '2', c: '' });
    assert.deepEqual(JSON.parse(JSON.stringify(dict)), { a: '1', b: '2', c: '' });
  });

  it('keeps __proto__ and constructor as plain data in toObject', () => {
    const poisoned = new MultiDict(parseUrlEncoded('__proto__=x&constructor=y&__proto__=z&toString=t', 'query string'));
    const obj = poisoned.toObject();
    assert.equal(obj instanceof Object, false, 'no Object.prototype in the chain');
    assert.equal(Object.getPrototypeOf(Object.getPrototypeOf(obj)), null);
    assert.deepEqual(Object.keys(obj).sort(), ['__proto__', 'constructor', 'toString']);
    assert.equal(Object.getOwnPropertyDescriptor(obj, '__proto__')?.value, 'x');
    assert.equal(obj.constructor, 'y');
    assert.equal(obj.toString, 't');
    assert.equal(poisoned.get('__proto__'), 'x');
    assert.deepEqual(poisoned.getAll('__proto__'), ['x', 'z']);
    assert.equal(poisoned.get('hasOwnProperty'), null);
    assert.equal(poisoned.has('valueOf'), false);
    assert.equal(({} as { x?: unknown }).x, undefined);
  });
});
