import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CacheError, deserialize, serialize } from '../../../src/cache/index.js';

const roundTrip = (value: unknown): unknown => deserialize(serialize(value));

describe('serialize / deserialize', () => {
  it('stores plain JSON data as plain JSON', () => {
    const value = { name: 'Ada', tags: ['a', 'b'], n: 1.5, ok: true, none: null, nested: { deep: [1, { x: 'y' }] } };
    assert.equal(serialize(value), JSON.stringify(value));
    assert.deepEqual(roundTrip(value), value);
    assert.equal(serialize('text'), '"text"');
    assert.equal(roundTrip('text'), 'text');
  });

  it('round-trips Date, Buffer, Uint8Array, Map, Set, bigint, RegExp and special numbers', () => {
    const value = {
      at: new Date('2026-01-02T03:04:05.678Z'),
      invalid: new Date(Number.NaN),
      buf: Buffer.from([0, 1, 2, 255]),
      bytes: new Uint8Array([9, 8, 7]),
      map: new Map<unknown, unknown>([
        ['k', new Date(0)],
        [2, new Set([1n, 2n])],
      ]),
      set: new Set(['x', { y: 1 }]),
      big: 12345678901234567890123n,
      negBig: -5n,
      re: /a+b/gi,
      nums: [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0, 0],
    };
    const back = roundTrip(value) as typeof value;
    // Two invalid dates are never deepEqual; checked on their own below.
    assert.deepEqual({ ...back, invalid: null }, { ...value, invalid: null });
    assert.ok(back.at instanceof Date);
    assert.ok(Number.isNaN(back.invalid.getTime()));
    assert.ok(Buffer.isBuffer(back.buf));
    assert.ok(back.bytes instanceof Uint8Array && !Buffer.isBuffer(back.bytes));
    assert.equal(typeof back.big, 'bigint');
    assert.ok(Object.is(back.nums[3], -0));
    assert.ok(Object.is(back.nums[4], 0));
  });

  it('keeps undefined apart from null, in objects, arrays and at the top', () => {
    const back = roundTrip({ a: undefined, b: null, list: [undefined, null, 1] }) as Record<string, unknown>;
    assert.ok(Object.hasOwn(back, 'a'));
    assert.equal(back.a, undefined);
    assert.equal(back.b, null);
    assert.deepEqual(back.list, [undefined, null, 1]);
    assert.equal(roundTrip(undefined), undefined);
    assert.equal(roundTrip(null), null);
    // A sparse array's holes come back as undefined.
    assert.deepEqual(roundTrip([1, , 3]), [1, undefined, 3]);
  });

  it('escapes plain objects that look like tags', () => {
    for (const value of [{ $D: 'not a date' }, { $u: 1 }, { $O: { $n: '1' } }, { $W: [1, 2] }, { $custom: true }]) {
      assert.deepEqual(roundTrip(value), value);
    }
    // Objects with several `$` keys need no escaping.
    assert.equal(serialize({ $a: 1, $b: 2 }), '{"$a":1,"$b":2}');
  });

  it('reads tag-like objects written by other clients as plain objects', () => {
    assert.deepEqual(deserialize('{"$unknown":1}'), { $unknown: 1 });
    assert.deepEqual(deserialize('{"$n":"not a number"}'), { $n: 'not a number' });
  });

  it('never lets __proto__ keys change a prototype', () => {
    const back = deserialize('{"__proto__":{"polluted":true},"a":{"$u":1}}') as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(back), Object.prototype);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.ok(Object.hasOwn(back, '__proto__'));
    const value = JSON.parse('{"__proto__":{"x":1},"d":null}') as Record<string, unknown>;
    value.d = new Date(0);
    const again = roundTrip(value) as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(again), Object.prototype);
    assert.ok(Object.hasOwn(again, '__proto__'));
  });

  it('uses toJSON for other objects that have it', () => {
    class Money {
      readonly cents: number;
      constructor(cents: number) {
        this.cents = cents;
      }
      toJSON() {
        return { cents: this.cents, currency: 'EUR' };
      }
    }
    assert.deepEqual(roundTrip({ price: new Money(250) }), { price: { cents: 250, currency: 'EUR' } });
  });

  it('refuses what it cannot represent, naming where it is', () => {
    class Plain {
      x = 1;
    }
    const circular: Record<string, unknown> = { a: 1 };
    circular.self = circular;
    const cases: [unknown, RegExp][] = [
      [{ user: { greet() {} } }, /value\.user\.greet: it is a function/],
      [[1, Symbol('s')], /value\[1\]: it is a symbol/],
      [{ p: new Plain() }, /instance of Plain without toJSON/],
      [circular, /circular reference/],
      [new Map([['k', () => 1]]), /Map value 0/],
      [{ e: new Error('x') }, /an Error/],
      [{ f: new Float64Array(2) }, /Float64Array/],
      [{ p: Promise.resolve(1) }, /Promise/],
    ];
    for (const [value, message] of cases) {
      assert.throws(
        () => serialize(value),
        (err: unknown) => err instanceof CacheError && err.code === 'ERR_CACHE_UNSERIALIZABLE' && message.test(err.message),
        String(message),
      );
    }
  });

  it('allows the same object twice when it is not a cycle', () => {
    const shared = { id: 1 };
    assert.deepEqual(roundTrip({ a: shared, b: shared }), { a: { id: 1 }, b: { id: 1 } });
  });

  it('refuses absurdly deep nesting with a CacheError', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    assert.throws(() => serialize(deep), { code: 'ERR_CACHE_UNSERIALIZABLE' });
  });
});
