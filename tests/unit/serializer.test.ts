import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileSerializer } from '../../src/openapi/compile-serializer.js';
import { filterBySchema } from '../../src/openapi/filter-by-schema.js';
import type { JSONSchemaObject } from '../../src/openapi/openapi-types.js';
import { schemaNode } from '../../src/openapi/schema-node.js';

/** A small seeded PRNG (mulberry32), so a failure names a seed that reproduces it. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const CHARS = ['a', 'Z', '0', ' ', '"', '\\', '/', '\n', '\t', '\u0000', '\u001f', '\u007f', '\u2028', '\u2029', 'é', '€', '😀', '\ud800', '\udfff', '\ud83d', '\ude00', '<', '&'];
const NUMBERS = [0, -0, 1, -1, 42, 3.14, -2.5e-7, 1e21, 1e-7, 5e-324, Number.MAX_SAFE_INTEGER, Number.MAX_VALUE, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY];
const KEYS = ['id', 'name', 'a b', 'é', '"q"', '\u2028', '0', '10', '2', '__proto__', 'constructor', 'toJSON_', 'x'];

function pick<T>(rand: () => number, list: readonly T[]): T {
  return list[Math.floor(rand() * list.length)] as T;
}

function randomString(rand: () => number): string {
  let s = '';
  const n = Math.floor(rand() * 8);
  for (let i = 0; i < n; i++) s += pick(rand, CHARS);
  return s;
}

function randomSchema(rand: () => number, depth: number): JSONSchemaObject {
  const r = rand();
  if (depth > 3 || r < 0.3) return pick(rand, [{ type: 'string' }, { type: 'integer' }, { type: 'number' }, { type: 'boolean' }, {}, { type: 'null' }, { type: ['string', 'null'] }, { format: 'date-time', type: 'string' }]);
  if (r < 0.45) return { type: 'array', items: randomSchema(rand, depth + 1) };
  if (r < 0.5) return { anyOf: [randomSchema(rand, depth + 1), { type: 'null' }] };
  if (r < 0.53) return { anyOf: [{ type: 'object', properties: { kind: { const: 'a' }, a: { type: 'string' } }, required: ['a'] }, { type: 'object', properties: { b: { type: 'integer' } } }] };
  if (r < 0.55) return { type: 'array', prefixItems: [{ type: 'string' }, randomSchema(rand, depth + 1)], items: { type: 'object', properties: { z: {} } } };
  const properties: Record<string, JSONSchemaObject> = {};
  const n = 1 + Math.floor(rand() * 5);
  for (let i = 0; i < n; i++) properties[pick(rand, KEYS)] = randomSchema(rand, depth + 1);
  const schema: JSONSchemaObject = { type: 'object', properties };
  const extra = rand();
  if (extra < 0.1) schema.additionalProperties = true;
  else if (extra < 0.15) schema.additionalProperties = { type: 'object', properties: { k: { type: 'string' } } };
  else if (extra < 0.2) schema.additionalProperties = false;
  return schema;
}

class KeyAware {
  toJSON(key: string): unknown {
    return `key:${key}`;
  }
}

function randomValue(rand: () => number, schema: JSONSchemaObject | undefined, depth: number): unknown {
  const r = rand();
  // Off-schema values now and then: the serializer must still equal JSON.stringify of the filtered value.
  if (r < 0.08) return pick(rand, [null, undefined, 'str', 7, true, [], {}, new Date(0), new Date(Number.NaN), () => 1, Symbol('s'), new KeyAware(), { toJSON: () => undefined }]);
  const type = Array.isArray(schema?.type) ? schema?.type[0] : schema?.type;
  if (schema?.anyOf) return rand() < 0.3 ? null : randomValue(rand, schema.anyOf[Math.floor(rand() * schema.anyOf.length)] as JSONSchemaObject, depth + 1);
  if (type === 'object' && schema?.properties && depth < 6) {
    const out: Record<string, unknown> = {};
    for (const [k, s] of Object.entries(schema.properties)) {
      if (rand() < 0.15) continue; // optional field left out
      Object.defineProperty(out, k, { value: randomValue(rand, s as JSONSchemaObject, depth + 1), enumerable: true, writable: true, configurable: true });
    }
    if (rand() < 0.6) out.passwordHash = randomString(rand);
    if (rand() < 0.3) Object.defineProperty(out, pick(rand, KEYS), { value: randomValue(rand, undefined, depth + 1), enumerable: true, writable: true, configurable: true });
    if (rand() < 0.1) return Object.create({ inherited: 1 }, Object.getOwnPropertyDescriptors(out));
    return out;
  }
  if ((type === 'array' || schema?.prefixItems) && depth < 6) {
    const n = Math.floor(rand() * 4);
    const arr: unknown[] = [];
    for (let i = 0; i < n; i++) arr.push(randomValue(rand, (schema?.prefixItems?.[i] ?? schema?.items) as JSONSchemaObject | undefined, depth + 1));
    if (rand() < 0.1) arr.length += 1; // a hole
    return arr;
  }
  if (type === 'string') return rand() < 0.1 ? new Date(Math.floor(rand() * 4e12)) : randomString(rand);
  if (type === 'integer' || type === 'number') return pick(rand, NUMBERS);
  if (type === 'boolean') return rand() < 0.5;
  if (type === 'null') return null;
  if (depth < 4 && rand() < 0.3) return { nested: [randomString(rand), pick(rand, NUMBERS)], passwordHash: 'x' };
  return pick(rand, [randomString(rand), pick(rand, NUMBERS), true, null, [1, [2, [3]]], new Date(1e12)]);
}

describe('compileSerializer', () => {
  it('equals JSON.stringify(filterBySchema(value)) byte for byte on 20,000 random schemas and values', () => {
    for (let seed = 1; seed <= 2000; seed++) {
      const rand = prng(seed);
      const schema = randomSchema(rand, 0);
      const node = schemaNode(schema);
      const serialize = compileSerializer(node);
      for (let i = 0; i < 10; i++) {
        const value = randomValue(rand, schema, 0);
        const expected = JSON.stringify(filterBySchema(value, node));
        assert.equal(serialize(value), expected, `seed ${seed}, value ${i}: ${JSON.stringify(schema)}`);
        if (schema.properties !== undefined && schema.additionalProperties === undefined && expected?.startsWith('{')) {
          assert.equal(Object.hasOwn(JSON.parse(expected), 'passwordHash'), false, `seed ${seed}: leaked an undeclared field`);
        }
      }
    }
  });

  it('equals JSON.stringify when the value holds exactly the declared fields', () => {
    const schema = {
      type: 'object',
      properties: {
        s: { type: 'string' },
        n: { type: 'number' },
        b: { type: 'boolean' },
        d: { type: 'string', format: 'date-time' },
        list: { type: 'array', items: { type: 'object', properties: { x: { type: 'integer' }, y: { anyOf: [{ type: 'string' }, { type: 'null' }] } } } },
        nested: { type: 'array', items: { type: 'array', items: { type: 'number' } } },
      },
    };
    const serialize = compileSerializer(schemaNode(schema));
    const value = {
      s: 'lone \ud800 surrogate, pair 😀, \u2028 and \u2029, "quotes", \\ \n\t\u0001',
      n: Number.NaN,
      b: false,
      d: new Date(1700000000000),
      list: [
        { x: 1, y: null },
        { x: Number.POSITIVE_INFINITY, y: 'é' },
      ],
      nested: [[1, -0, 1e21], [], [Number.NEGATIVE_INFINITY]],
    };
    assert.equal(serialize(value), JSON.stringify(value));
  });

  it('drops undeclared properties and undefined values, keeps null, writes holes and undefined items as null', () => {
    const serialize = compileSerializer(schemaNode({ type: 'object', properties: { a: {}, b: { type: 'string' }, c: { type: 'array', items: { type: 'integer' } } } }));
    assert.equal(serialize({ a: undefined, b: null, c: [1, undefined, , 3], secret: 1 }), '{"b":null,"c":[1,null,null,3]}');
    assert.equal(serialize({ a: () => 1, b: Symbol('x') }), '{}');
    assert.equal(serialize(null), 'null');
    assert.equal(serialize('text'), '"text"');
    assert.equal(serialize(undefined), undefined);
  });

  it('passes toJSON the property key, as JSON.stringify does', () => {
    const serialize = compileSerializer(schemaNode({ type: 'object', properties: { when: { type: 'string' }, list: { type: 'array', items: {} } } }));
    const keyed = { toJSON: (key: string) => `k=${key}` };
    assert.equal(serialize({ when: keyed, list: [keyed, keyed] }), JSON.stringify({ when: keyed, list: [keyed, keyed] }));
  });

  it('writes a declared __proto__ field as data and never touches prototypes', () => {
    const schema = { type: 'object', properties: { ['__proto__']: { type: 'object', properties: { polluted: { type: 'boolean' } } } } };
    const value = JSON.parse('{"__proto__":{"polluted":true,"other":1}}');
    assert.equal(compileSerializer(schemaNode(schema))(value), '{"__proto__":{"polluted":true}}');
    assert.equal(({} as { polluted?: boolean }).polluted, undefined);
  });

  it('handles recursive schemas through $defs', () => {
    const schema = { $ref: '#/$defs/Node', $defs: { Node: { type: 'object', properties: { v: { type: 'integer' }, kids: { type: 'array', items: { $ref: '#/$defs/Node' } } } } } };
    const serialize = compileSerializer(schemaNode(schema));
    const value = { v: 1, x: 0, kids: [{ v: 2, x: 0, kids: [{ v: 3, kids: [], x: 0 }] }] };
    assert.equal(serialize(value), '{"v":1,"kids":[{"v":2,"kids":[{"v":3,"kids":[]}]}]}');
  });

  it('merges allOf object parts', () => {
    const serialize = compileSerializer(schemaNode({ allOf: [{ type: 'object', properties: { a: { type: 'integer' } } }, { type: 'object', properties: { b: { type: 'integer' } } }] }));
    assert.equal(serialize({ a: 1, b: 2, c: 3 }), '{"a":1,"b":2}');
  });

  it('picks the union branch whose const or enum discriminator matches the value', () => {
    const user = { type: 'object', properties: { type: { const: 'user' }, name: { type: 'string' } }, required: ['type', 'name'] };
    const admin = { type: 'object', properties: { type: { type: 'string', enum: ['admin', 'root'] }, name: { type: 'string' }, perms: { type: 'array' } }, required: ['type', 'name'] };
    const node = schemaNode({ oneOf: [user, admin] });
    const serialize = compileSerializer(node);
    const value = { type: 'admin', name: 'Ann', perms: ['all'], secret: 'x' };
    assert.equal(serialize(value), '{"type":"admin","name":"Ann","perms":["all"]}');
    assert.deepEqual(filterBySchema(value, node), { type: 'admin', name: 'Ann', perms: ['all'] });
    assert.equal(serialize({ type: 'user', name: 'Bo', perms: [], secret: 'x' }), '{"type":"user","name":"Bo"}');
    // A discriminator no branch names still goes through a branch: filtered, never sent whole.
    assert.equal(serialize({ type: 'guest', name: 'Cy', secret: 'x' }), '{"type":"guest","name":"Cy"}');
  });

  it('tells union branches apart by the required properties of their allOf parts', () => {
    const both = { allOf: [{ type: 'object', properties: { a: { type: 'integer' } }, required: ['a'] }, { type: 'object', properties: { b: { type: 'integer' } }, required: ['b'] }] };
    const other = { type: 'object', properties: { a: { type: 'integer' }, z: { type: 'integer' } }, required: ['a', 'z'] };
    const serialize = compileSerializer(schemaNode({ anyOf: [both, other] }));
    assert.equal(serialize({ a: 1, z: 2, secret: 3 }), '{"a":1,"z":2}');
    assert.equal(serialize({ a: 1, b: 2, secret: 3 }), '{"a":1,"b":2}');
  });

  it('is a plain JSON.stringify for schemas that filter nothing', () => {
    const serialize = compileSerializer(schemaNode({ type: 'array', items: { type: 'string' } }));
    const value = ['a', { secret: 1 }];
    assert.equal(serialize(value), JSON.stringify(value));
  });

  it('throws like JSON.stringify on a bigint', () => {
    const serialize = compileSerializer(schemaNode({ type: 'object', properties: { n: { type: 'integer' } } }));
    assert.throws(() => serialize({ n: 1n }), TypeError);
  });

  it('keeps generated code safe from hostile property names', () => {
    const name = "'); globalThis.__pwned = true; ('";
    const other = '`${globalThis.__pwned = 1}`\n*/';
    const serialize = compileSerializer(schemaNode({ type: 'object', properties: { [name]: { type: 'string' }, [other]: { type: 'integer' } } }));
    assert.equal(serialize({ [name]: 'v', [other]: 2 }), JSON.stringify({ [name]: 'v', [other]: 2 }));
    assert.equal((globalThis as { __pwned?: unknown }).__pwned, undefined);
  });
});
