import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { validateJsonSchema } from '../../src/testing/index.js';

describe('validateJsonSchema', () => {
  it('checks types, including integer, null in type arrays and nullable', () => {
    assert.deepEqual(validateJsonSchema({ type: 'integer' }, 3), []);
    assert.deepEqual(validateJsonSchema({ type: 'integer' }, 3.5), ['$: expected integer, got number']);
    assert.deepEqual(validateJsonSchema({ type: 'number' }, '3'), ['$: expected number, got string']);
    assert.deepEqual(validateJsonSchema({ type: ['string', 'null'] }, null), []);
    assert.deepEqual(validateJsonSchema({ type: 'string', nullable: true }, null), []);
    assert.deepEqual(validateJsonSchema({ type: 'object' }, []), ['$: expected object, got array']);
    assert.deepEqual(validateJsonSchema({ type: 'array' }, {}), ['$: expected array, got object']);
    assert.deepEqual(validateJsonSchema(true, 'anything'), []);
    assert.deepEqual(validateJsonSchema(false, 1), ['$: no value is allowed here']);
  });

  it('checks properties, required and additionalProperties', () => {
    const schema = {
      type: 'object',
      properties: { id: { type: 'integer' }, name: { type: 'string' } },
      required: ['id', 'name'],
      additionalProperties: false,
    };
    assert.deepEqual(validateJsonSchema(schema, { id: 1, name: 'a' }), []);
    assert.deepEqual(validateJsonSchema(schema, { id: 'x', passwordHash: 'h' }), [
      '$.name: required',
      '$.id: expected integer, got string',
      '$.passwordHash: not allowed (additionalProperties is false)',
    ]);
    assert.deepEqual(validateJsonSchema({ type: 'object', additionalProperties: { type: 'number' } }, { a: 1, b: 'x' }), ['$.b: expected number, got string']);
  });

  it('checks numbers: minimum, maximum, exclusive bounds (2020-12 and boolean forms), multipleOf', () => {
    const s = { type: 'number', minimum: 0, maximum: 10 };
    assert.deepEqual(validateJsonSchema(s, 0), []);
    assert.deepEqual(validateJsonSchema(s, -1), ['$: -1 is below the minimum 0']);
    assert.deepEqual(validateJsonSchema(s, 11), ['$: 11 is above the maximum 10']);
    assert.deepEqual(validateJsonSchema({ exclusiveMinimum: 0 }, 0), ['$: 0 is at or below the minimum 0']);
    assert.deepEqual(validateJsonSchema({ maximum: 5, exclusiveMaximum: true }, 5), ['$: 5 is at or above the maximum 5']);
    assert.deepEqual(validateJsonSchema({ multipleOf: 0.5 }, 1.5), []);
    assert.deepEqual(validateJsonSchema({ multipleOf: 2 }, 3), ['$: 3 is not a multiple of 2']);
  });

  it('checks strings: lengths in code points, pattern and the uuid, email, date-time and date formats', () => {
    assert.deepEqual(validateJsonSchema({ maxLength: 2 }, '😀😀'), []);
    assert.deepEqual(validateJsonSchema({ maxLength: 2 }, 'abc'), ['$: longer than 2 characters']);
    assert.deepEqual(validateJsonSchema({ minLength: 1 }, ''), ['$: shorter than 1 characters']);
    assert.deepEqual(validateJsonSchema({ pattern: '^[a-z]+$' }, 'abc'), []);
    assert.deepEqual(validateJsonSchema({ pattern: '^[a-z]+$' }, 'ab1'), ['$: "ab1" does not match ^[a-z]+$']);
    assert.deepEqual(validateJsonSchema({ format: 'uuid' }, '0b7ae0c4-7a0f-4f5e-9d62-1d9a2b3c4d5e'), []);
    assert.deepEqual(validateJsonSchema({ format: 'uuid' }, 'nope'), ['$: "nope" is not a valid uuid']);
    assert.deepEqual(validateJsonSchema({ format: 'email' }, 'a@example.com'), []);
    assert.deepEqual(validateJsonSchema({ format: 'email' }, 'a@b'), ['$: "a@b" is not a valid email']);
    assert.deepEqual(validateJsonSchema({ format: 'date-time' }, '2026-11-26T14:07:46.123Z'), []);
    assert.deepEqual(validateJsonSchema({ format: 'date-time' }, '2026-13-45T99:00:00Z'), ['$: "2026-13-45T99:00:00Z" is not a valid date-time']);
    assert.deepEqual(validateJsonSchema({ format: 'date' }, '2026-11-26'), []);
    // Unknown formats are annotations only.
    assert.deepEqual(validateJsonSchema({ format: 'hostname' }, '!!'), []);
  });

  it('checks enum, const, items, prefixItems, item counts and uniqueness', () => {
    assert.deepEqual(validateJsonSchema({ enum: ['a', 1, null] }, null), []);
    assert.deepEqual(validateJsonSchema({ enum: ['a', 'b'] }, 'c'), ['$: "c" is not one of "a", "b"']);
    assert.deepEqual(validateJsonSchema({ const: { a: [1] } }, { a: [1] }), []);
    assert.deepEqual(validateJsonSchema({ const: 'x' }, 'y'), ['$: expected "x"']);
    assert.deepEqual(validateJsonSchema({ type: 'array', items: { type: 'integer' }, maxItems: 2 }, [1, 'b', 3]), [
      '$: more than 2 items',
      '$[1]: expected integer, got string',
    ]);
    assert.deepEqual(validateJsonSchema({ prefixItems: [{ type: 'string' }], items: { type: 'number' } }, ['a', 1, 2]), []);
    assert.deepEqual(validateJsonSchema({ minItems: 1 }, []), ['$: fewer than 1 items']);
    assert.deepEqual(validateJsonSchema({ uniqueItems: true }, [1, 2, 1]), ['$: items are not unique']);
  });

  it('checks anyOf, oneOf, allOf and not', () => {
    const anyOf = { anyOf: [{ type: 'string' }, { type: 'integer' }] };
    assert.deepEqual(validateJsonSchema(anyOf, 1), []);
    assert.deepEqual(validateJsonSchema(anyOf, true), ['$: matches none of the anyOf schemas']);
    const oneOf = { oneOf: [{ type: 'number' }, { type: 'integer' }] };
    assert.deepEqual(validateJsonSchema(oneOf, 1.5), []);
    assert.deepEqual(validateJsonSchema(oneOf, 1), ['$: matches 2 of the oneOf schemas (expected exactly 1)']);
    assert.deepEqual(validateJsonSchema({ allOf: [{ required: ['a'] }, { required: ['b'] }] }, { a: 1 }), ['$.b: required']);
    assert.deepEqual(validateJsonSchema({ not: { type: 'null' } }, null), ['$: matches the "not" schema']);
  });

  it('resolves local $refs against the document, and treats unknown ones as "anything"', () => {
    const doc = { components: { schemas: { User: { type: 'object', required: ['id'], properties: { id: { type: 'integer' } } } } } };
    assert.deepEqual(validateJsonSchema({ $ref: '#/components/schemas/User' }, { id: 1 }, doc), []);
    assert.deepEqual(validateJsonSchema({ type: 'array', items: { $ref: '#/components/schemas/User' } }, [{}], doc), ['$[0].id: required']);
    assert.deepEqual(validateJsonSchema({ $ref: '#/components/schemas/Missing' }, 42, doc), []);
  });
});
