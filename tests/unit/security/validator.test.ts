import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CovetApp, HTTPException } from '../../../src/index.js';
import { type FieldRule, InputValidator, isEmail, isUrl, ValidationError, Validator } from '../../../src/security/index.js';
import { TestClient } from '../../../src/testing/index.js';

const SEED_RULES = {
  name: { required: true, maxLength: 100 },
  email: { required: true, email: true },
  age: { type: 'integer', min: 0, max: 150 },
} as const;

function errorsOf(fn: () => unknown): Record<string, readonly string[]> {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ValidationError, `expected a ValidationError, got ${String(err)}`);
    return { ...err.errors };
  }
  assert.fail('expected a ValidationError');
}

/** Runs `fn` and fails when it takes longer than `ms` (generous: a loaded 2-core machine). */
function within<T>(ms: number, fn: () => T): T {
  const start = performance.now();
  const out = fn();
  const took = performance.now() - start;
  assert.ok(took < ms, `took ${took.toFixed(0)} ms (limit ${ms} ms)`);
  return out;
}

describe('Validator', () => {
  it('validates the seed example and returns a new object with the declared fields only', () => {
    const validator = new Validator(SEED_RULES);
    const input = { name: 'Ann', email: 'ann@example.com', age: 30, admin: true };
    const out = validator.validate(input);
    assert.deepEqual(out, { name: 'Ann', email: 'ann@example.com', age: 30 });
    assert.notEqual(out, input);
    assert.deepEqual(validator.validate({ name: 'Bo', email: 'bo@example.org' }), { name: 'Bo', email: 'bo@example.org' });
  });

  it('reports every broken field as { field: [messages] }', () => {
    const validator = new Validator(SEED_RULES);
    assert.deepEqual(errorsOf(() => validator.validate({ name: 'x'.repeat(101), email: 'nope', age: 200 })), {
      name: ['Must be at most 100 characters'],
      email: ['Must be a valid email address'],
      age: ['Must be at most 150'],
    });
    assert.deepEqual(errorsOf(() => validator.validate({ age: 1.5 })), {
      name: ['This field is required'],
      email: ['This field is required'],
      age: ['Must be an integer'],
    });
    assert.deepEqual(errorsOf(() => validator.validate([1])), { _root: ['Must be an object'] });
    assert.deepEqual(errorsOf(() => validator.validate(null)), { _root: ['Must be an object'] });
  });

  it('is a 400 HTTPException: thrown out of a handler the client gets {"errors": ...}', async () => {
    const validator = new Validator(SEED_RULES);
    const app = new CovetApp();
    app.post('/users', async (req) => ({ created: validator.validate(await req.json()) }));
    app.post('/seed-style', async (req) => {
      try {
        return { created: validator.validate(await req.json()) };
      } catch (e) {
        if (e instanceof ValidationError) return [{ errors: e.errors }, 400];
        throw e;
      }
    });
    await using client = new TestClient(app);
    for (const path of ['/users', '/seed-style']) {
      const res = await client.post(path, { json: { name: 'Ann', email: 'ann@' } });
      assert.equal(res.status, 400);
      assert.deepEqual(res.json(), { errors: { email: ['Must be a valid email address'] } });
    }
    const ok = await client.post('/users', { json: { name: 'Ann', email: 'ann@example.com' } });
    assert.deepEqual(ok.json(), { created: { name: 'Ann', email: 'ann@example.com' } });
    const err = new ValidationError({ a: ['b'] });
    assert.ok(err instanceof HTTPException);
    assert.equal(err.status, 400);
    assert.equal(err.code, 'ERR_VALIDATION');
  });

  describe('rules', () => {
    it('type: string, integer, number/float, boolean, object, array, any', () => {
      const v = new Validator({
        s: { type: 'string' },
        i: { type: 'integer' },
        n: { type: 'number' },
        f: { type: 'float' },
        b: { type: 'boolean' },
        o: { type: 'object' },
        a: { type: 'array' },
        x: { type: 'any' },
      });
      assert.deepEqual(v.validate({ s: 's', i: 2, n: 1.5, f: -3, b: false, o: { k: 1 }, a: [1], x: [null] }), {
        s: 's',
        i: 2,
        n: 1.5,
        f: -3,
        b: false,
        o: { k: 1 },
        a: [1],
        x: [null],
      });
      assert.deepEqual(errorsOf(() => v.validate({ s: 1, i: '2', n: '1.5', f: Number.NaN, b: 'true', o: [], a: {}, x: 1 })), {
        s: ['Must be a string'],
        i: ['Must be an integer'],
        n: ['Must be a number'],
        f: ['Must be a number'],
        b: ['Must be a boolean'],
        o: ['Must be an object'],
        a: ['Must be an array'],
      });
    });

    it('constraints imply the type when type is left out', () => {
      const v = new Validator({ name: { maxLength: 3 }, n: { min: 1 }, mail: { email: true } });
      assert.deepEqual(errorsOf(() => v.validate({ name: 12, n: '5', mail: 5 })), {
        name: ['Must be a string'],
        n: ['Must be a number'],
        mail: ['Must be a string'],
      });
    });

    it('required, nullable, default and missing optional fields', () => {
      const v = new Validator({
        a: { required: true },
        b: { type: 'string' },
        c: { type: 'string', nullable: true },
        d: { type: 'integer', default: 5 },
        e: { type: 'array', default: [] },
      });
      assert.deepEqual(v.validate({ a: '' }), { a: '', d: 5, e: [] });
      const first = v.validate({ a: 1 }) as { e: unknown[] };
      first.e.push(1);
      assert.deepEqual((v.validate({ a: 1 }) as { e: unknown[] }).e, [], 'defaults are copied');
      assert.deepEqual(v.validate({ a: 0, c: null, d: 1 }), { a: 0, c: null, d: 1, e: [] });
      assert.deepEqual(errorsOf(() => v.validate({ a: null, b: null })), { a: ['This field is required'], b: ['This field may not be null'] });
      assert.deepEqual(errorsOf(() => v.validate({ a: undefined })), { a: ['This field is required'] });
    });

    it('min/max and minLength/maxLength for strings and arrays', () => {
      const v = new Validator({
        n: { type: 'number', min: -1, max: 1 },
        s: { minLength: 2, maxLength: 3 },
        l: { type: 'array', minLength: 1, maxLength: 2 },
      });
      assert.deepEqual(v.validate({ n: 1, s: 'abc', l: [1, 2] }), { n: 1, s: 'abc', l: [1, 2] });
      assert.deepEqual(errorsOf(() => v.validate({ n: -2, s: 'a', l: [] })), {
        n: ['Must be at least -1'],
        s: ['Must be at least 2 characters'],
        l: ['Must have at least 1 item'],
      });
      // One is singular: `minLength: 1` (non-empty) is the commonest rule.
      const one = new Validator({ s: { minLength: 1 }, t: { maxLength: 1 }, l: { type: 'array', maxLength: 1 } });
      assert.deepEqual(errorsOf(() => one.validate({ s: '', t: 'ab', l: [1, 2] })), {
        s: ['Must be at least 1 character'],
        t: ['Must be at most 1 character'],
        l: ['Must have at most 1 item'],
      });
      assert.deepEqual(errorsOf(() => v.validate({ n: 2, s: 'abcd', l: [1, 2, 3] })), {
        n: ['Must be at most 1'],
        s: ['Must be at most 3 characters'],
        l: ['Must have at most 2 items'],
      });
    });

    it('minLength/maxLength count characters (code points), as JSON Schema and Python do, not UTF-16 units', () => {
      const v = new Validator({ name: { required: true, minLength: 2, maxLength: 3 } });
      // Three emoji are three characters (six UTF-16 units); one is one.
      assert.deepEqual(v.validate({ name: '😀😀😀' }), { name: '😀😀😀' });
      assert.deepEqual(v.validate({ name: 'a😀' }), { name: 'a😀' });
      assert.deepEqual(errorsOf(() => v.validate({ name: '😀' })), { name: ['Must be at least 2 characters'] });
      assert.deepEqual(errorsOf(() => v.validate({ name: '😀😀😀😀' })), { name: ['Must be at most 3 characters'] });
      // A lone surrogate is one character; combining marks are characters of their own.
      assert.deepEqual(v.validate({ name: '\uD83Dab' }), { name: '\uD83Dab' });
      assert.deepEqual(errorsOf(() => v.validate({ name: 'e\u0301e\u0301' })), { name: ['Must be at most 3 characters'] });
      // The seed's name rule: 100 characters of a script outside the BMP fit.
      const seed = new Validator({ name: { required: true, maxLength: 100 } });
      assert.equal(seed.validate({ name: '𠀋'.repeat(100) }).name.length, 200);
      assert.deepEqual(errorsOf(() => seed.validate({ name: '𠀋'.repeat(101) })), { name: ['Must be at most 100 characters'] });
    });

    it('pattern as a string or a RegExp (a global flag does not carry state between calls)', () => {
      const v = new Validator({ name: { pattern: '^[a-zA-Z\\s]+$' }, code: { pattern: /^[A-Z]{3}$/g } });
      assert.deepEqual(v.validate({ name: 'Ann Lee', code: 'ABC' }), { name: 'Ann Lee', code: 'ABC' });
      assert.deepEqual(v.validate({ code: 'ABC' }), { code: 'ABC' });
      assert.deepEqual(errorsOf(() => v.validate({ name: 'Ann1', code: 'abc' })), {
        name: ['Does not match the required pattern'],
        code: ['Does not match the required pattern'],
      });
    });

    it('maxLength bounds the pattern: a string over it is not matched at all', () => {
      const v = new Validator({ name: { maxLength: 10, pattern: '^(a+)+$' }, tag: { maxLength: 5, email: true } });
      within(200, () => {
        assert.deepEqual(errorsOf(() => v.validate({ name: `${'a'.repeat(25)}!`, tag: 'not-an-email' })), {
          name: ['Must be at most 10 characters'],
          tag: ['Must be at most 5 characters'],
        });
      });
      assert.deepEqual(errorsOf(() => v.validate({ name: 'aab!' })), { name: ['Does not match the required pattern'] });
    });

    it('email', () => {
      for (const good of ['a@b.co', 'first.last+tag@sub.example.com', "o'hara@example.ie", 'x@xn--bcher-kva.example']) assert.ok(isEmail(good), good);
      for (const bad of ['', 'a', 'a@', '@b.co', 'a@b', 'a@b.', 'a@.b.co', '.a@b.co', 'a.@b.co', 'a..b@c.co', 'a b@c.co', 'a@b_c.co', 'a@-b.co', 'a@b.123', `${'a'.repeat(65)}@b.co`, `a@${'b'.repeat(64)}.co`, 'ä@b.co', 'a@b.co\n']) {
        assert.ok(!isEmail(bad), JSON.stringify(bad));
      }
    });

    it('url (http and https by default, or the listed schemes)', () => {
      const v = new Validator({ site: { url: true }, repo: { url: { protocols: ['git', 'https'] } } });
      assert.deepEqual(v.validate({ site: 'https://example.com/a?b=c', repo: 'git://host/x' }), { site: 'https://example.com/a?b=c', repo: 'git://host/x' });
      for (const bad of ['example.com', 'javascript:alert(1)', 'http://', 'https://exa mple.com', 'https://a.com/\n', 'ftp://x.com', `https://a.com/${'x'.repeat(2048)}`]) {
        assert.deepEqual(errorsOf(() => v.validate({ site: bad })), { site: ['Must be a valid URL'] }, bad);
      }
      assert.ok(isUrl('mailto:a@b.co', ['mailto:']));
    });

    it('enum', () => {
      const v = new Validator({ role: { enum: ['admin', 'user', 1, null] } });
      assert.deepEqual(v.validate({ role: 'user' }), { role: 'user' });
      assert.deepEqual(errorsOf(() => v.validate({ role: 'root' })), { role: ['Must be one of: "admin", "user", 1, null'] });
    });

    it('nested objects and arrays, with dotted paths in errors', () => {
      const v = new Validator({
        address: { required: true, fields: { city: { required: true, type: 'string' }, zip: { pattern: /^\d{5}$/ } } },
        tags: { items: { type: 'string', maxLength: 5 }, maxLength: 3 },
        people: { type: 'array', items: { fields: { name: { required: true } } } },
      });
      assert.deepEqual(v.validate({ address: { city: 'Oslo', extra: 1 }, tags: ['a'], people: [{ name: 'x', age: 1 }] }), {
        address: { city: 'Oslo' },
        tags: ['a'],
        people: [{ name: 'x' }],
      });
      assert.deepEqual(errorsOf(() => v.validate({ address: { zip: '1' }, tags: ['ok', 'toolong', 3], people: [{}, { name: 'y' }, 5] })), {
        'address.city': ['This field is required'],
        'address.zip': ['Does not match the required pattern'],
        'tags.1': ['Must be at most 5 characters'],
        'tags.2': ['Must be a string'],
        'people.0.name': ['This field is required'],
        'people.2': ['Must be an object'],
      });
    });

    it('custom functions: a message, false, or fine; they see the sibling fields', () => {
      const v = new Validator({
        password: { required: true, minLength: 3 },
        confirm: { required: true, custom: (value, data) => value === data.password || 'Passwords do not match' },
        even: { type: 'integer', custom: [(n) => (n as number) % 2 === 0, () => undefined] },
      });
      assert.deepEqual(v.validate({ password: 'abc', confirm: 'abc', even: 2 }), { password: 'abc', confirm: 'abc', even: 2 });
      assert.deepEqual(errorsOf(() => v.validate({ password: 'abc', confirm: 'abd', even: 3 })), {
        confirm: ['Passwords do not match'],
        even: ['Is invalid'],
      });
    });

    it('coerce: no conversion unless asked (per validator or per field)', () => {
      const rules = { n: { type: 'integer' }, f: { type: 'number' }, b: { type: 'boolean' }, s: { type: 'string' } } as const;
      assert.deepEqual(errorsOf(() => new Validator(rules).validate({ n: '1' })), { n: ['Must be an integer'] });
      const v = new Validator(rules, { coerce: true });
      assert.deepEqual(v.validate({ n: '-12', f: '1.5e3', b: 'on', s: 5 }), { n: -12, f: 1500, b: true, s: '5' });
      assert.deepEqual(v.validate({ b: 'FALSE' }), { b: false });
      for (const [field, value] of [
        ['n', '1.5'],
        ['n', '0x10'],
        ['n', ' 1'],
        ['n', '1'.repeat(20)],
        ['f', 'Infinity'],
        ['f', '1_000'],
        ['f', ''],
        ['b', 'maybe'],
      ] as const) {
        assert.equal(Object.keys(errorsOf(() => v.validate({ [field]: value })))[0], field, `${field}=${value}`);
      }
      assert.deepEqual(new Validator({ n: { type: 'integer', coerce: true } }).validate({ n: '7' }), { n: 7 });
    });

    it('coerce per call: validate(data, { coerce }) and check(data, { coerce }) override the validator, not a field\'s own rule', () => {
      const validator = new Validator({
        name: { required: true, maxLength: 100 },
        email: { required: true, email: true },
        age: { type: 'integer', min: 0, max: 150 },
        nested: { fields: { n: { type: 'integer' } } },
        raw: { type: 'integer', coerce: false },
      });
      const data = { name: 'Ann', email: 'ann@example.com', age: '42', nested: { n: '7' } };
      const uncoerced = { age: ['Must be an integer'], 'nested.n': ['Must be an integer'] };
      assert.deepEqual(errorsOf(() => validator.validate(data)), uncoerced);
      assert.deepEqual(validator.validate(data, { coerce: true }), { name: 'Ann', email: 'ann@example.com', age: 42, nested: { n: 7 } });
      assert.deepEqual(validator.check(data, { coerce: true }), { value: { name: 'Ann', email: 'ann@example.com', age: 42, nested: { n: 7 } } });
      assert.deepEqual(validator.check(data), { errors: uncoerced });
      assert.deepEqual(errorsOf(() => validator.validate({ ...data, age: '200' }, { coerce: true })), { age: ['Must be at most 150'] });
      assert.deepEqual(errorsOf(() => validator.validate({ ...data, raw: '1' }, { coerce: true })), { raw: ['Must be an integer'] });
      // The call's setting does not stick, and can turn the validator's off.
      assert.deepEqual(errorsOf(() => validator.validate(data)), uncoerced);
      const coercing = new Validator({ age: { type: 'integer' } }, { coerce: true });
      assert.deepEqual(coercing.validate({ age: '5' }), { age: 5 });
      assert.deepEqual(errorsOf(() => coercing.validate({ age: '5' }, { coerce: false })), { age: ['Must be an integer'] });
      // strict per call too.
      assert.deepEqual(errorsOf(() => coercing.validate({ age: 5, extra: 1 }, { strict: true })), { extra: ['Unknown field'] });
      assert.deepEqual(coercing.validate({ age: 5, extra: 1 }), { age: 5 });
      assert.deepEqual(new InputValidator().validate({ n: '3' }, { n: { type: 'integer' } }, { coerce: true }), { n: 3 });
    });

    it('strict: unknown fields are errors', () => {
      const v = new Validator({ a: { type: 'string' }, o: { fields: { b: {} } } }, { strict: true });
      assert.deepEqual(errorsOf(() => v.validate({ a: 'x', z: 1, o: { b: 1, c: 2 } })), { 'o.c': ['Unknown field'], z: ['Unknown field'] });
    });

    it('refuses malformed rules when constructed, naming the field', () => {
      assert.throws(() => new Validator({ name: { max_length: 5 } as FieldRule }), { code: 'ERR_VALIDATOR_RULES', message: /"name".*unknown rule "max_length" \(did you mean "maxLength"\?\)/ });
      assert.throws(() => new Validator({ a: { type: 'str' as 'string' } }), { code: 'ERR_VALIDATOR_RULES', message: /unknown type "str"/ });
      assert.throws(() => new Validator({ a: { pattern: '(' } }), { code: 'ERR_VALIDATOR_RULES', message: /invalid pattern/ });
      assert.throws(() => new Validator({ a: { fields: { ['__proto__']: {} } } }), { code: 'ERR_VALIDATOR_RULES', message: /"a.__proto__"/ });
      assert.throws(() => new Validator({ a: { min: '1' as unknown as number } }), { code: 'ERR_VALIDATOR_RULES' });
      assert.throws(() => new Validator({ a: null as unknown as FieldRule }), { code: 'ERR_VALIDATOR_RULES' });
      assert.throws(() => new Validator({ a: { custom: 'x' as never } }), { code: 'ERR_VALIDATOR_RULES' });
    });

    it('ignores __proto__ in the data and never pollutes prototypes', () => {
      const v = new Validator({ a: { type: 'object' }, b: { fields: { c: {} } } });
      const out = v.validate(JSON.parse('{"__proto__": {"polluted": true}, "b": {"__proto__": {"polluted": true}, "c": 1}}'));
      assert.deepEqual(out, { b: { c: 1 } });
      assert.equal(({} as Record<string, unknown>).polluted, undefined);
    });
  });

  describe('bounded on hostile input', () => {
    it('reports fields named like Object.prototype members (constructor, toString, __proto__) as any other', async () => {
      const strict = new Validator({ name: { required: true, maxLength: 100 } }, { strict: true });
      const input = JSON.parse('{"name":"a","constructor":1,"toString":"x","__proto__":{"admin":true}}') as Record<string, unknown>;
      const errors = errorsOf(() => strict.validate(input));
      assert.deepEqual(Object.keys(errors), ['constructor', 'toString', '__proto__']);
      assert.deepEqual(errors.constructor, ['Unknown field']);
      assert.deepEqual(Object.getOwnPropertyDescriptor(errors, '__proto__')?.value, ['Unknown field']);
      assert.equal(Object.getPrototypeOf(errors), Object.prototype);
      assert.deepEqual(strict.check({ name: 'a', valueOf: 1 }).errors, { valueOf: ['Unknown field'] });
      // A declared field with such a name, missing.
      assert.deepEqual(errorsOf(() => new Validator({ constructor: { required: true } }).validate({})), { constructor: ['This field is required'] });
      const app = new CovetApp();
      app.post('/users', { body: strict }, () => ({ ok: true }));
      await using client = new TestClient(app);
      const res = await client.post('/users', { content: '{"name":"a","constructor":1}', headers: { 'content-type': 'application/json' } });
      assert.equal(res.status, 400);
      assert.deepEqual(res.json(), { errors: { constructor: ['Unknown field'] } });
    });

    it('stops at maxDepth on deeply nested data under recursive rules (no stack overflow)', () => {
      const tree: { fields: Record<string, FieldRule> } = { fields: {} };
      tree.fields.child = tree;
      const v = new Validator({ root: tree });
      let data: Record<string, unknown> = {};
      for (let i = 0; i < 100_000; i++) data = { child: data };
      const errors = within(2000, () => errorsOf(() => v.validate({ root: data })));
      const [path, messages] = Object.entries(errors)[0] ?? [];
      assert.deepEqual(messages, ['Is nested too deeply']);
      assert.equal(path?.split('.').length, 33);
      let shallow: Record<string, unknown> = {};
      for (let i = 0; i < 10; i++) shallow = { child: shallow };
      assert.deepEqual(v.validate({ root: shallow }), { root: shallow });
    });

    it('stops after maxErrors on huge inputs', () => {
      const v = new Validator({ list: { items: { type: 'integer' } } }, { maxErrors: 50 });
      const list = Array.from({ length: 1_000_000 }, () => 'x');
      const errors = within(2000, () => errorsOf(() => v.validate({ list })));
      assert.equal(Object.keys(errors).length, 50);
      const ok = within(3000, () => new Validator({ list: { items: { type: 'integer' } } }).validate({ list: Array.from({ length: 1_000_000 }, (_, i) => i) }));
      assert.equal(ok.list?.length, 1_000_000);
    });

    it('built-in formats and coercion stay linear on adversarial strings (no ReDoS)', () => {
      const v = new Validator({ e: { email: true }, u: { url: true }, n: { type: 'number' }, i: { type: 'integer' } }, { coerce: true, maxErrors: 1000 });
      const big = 50_000;
      const attacks = [
        'a'.repeat(big),
        `${'a'.repeat(big)}@`,
        `${'@'.repeat(big)}`,
        `a@${'a.'.repeat(big)}`,
        `a@${'a-'.repeat(big)}`,
        `${'a.'.repeat(big)}@x.co`,
        `${'-'.repeat(62)}@${'a'.repeat(62)}-.co`,
        `a@${'a'.repeat(62)}-`,
        `http://${'a'.repeat(big)}`,
        `https://x.com/${'%'.repeat(big)}`,
        '1'.repeat(big),
        `${'1'.repeat(big)}x`,
        `${'1e'.repeat(big)}`,
        `${'.1'.repeat(big)}`,
      ];
      within(2000, () => {
        for (const s of attacks) v.check({ e: s, u: s, n: s, i: s });
        for (const s of attacks) for (let k = 0; k < 64; k++) isEmail(s.slice(0, 250 + k));
      });
    });
  });

  describe('as a route schema (Standard Schema v1)', () => {
    it('validates route bodies: 400 {"errors"} with dotted fields, typed output in the handler', async () => {
      const app = new CovetApp();
      const body = new Validator({ name: { required: true, maxLength: 10 }, address: { fields: { city: { required: true } } } });
      app.post('/users', { body }, async (req) => {
        const user = await req.json();
        return [{ created: user.name, city: user.address?.city ?? null }, 201];
      });
      await using client = new TestClient(app);
      const ok = await client.post('/users', { json: { name: 'Ann', address: { city: 'Oslo' }, admin: true } });
      assert.equal(ok.status, 201);
      assert.deepEqual(ok.json(), { created: 'Ann', city: 'Oslo' });
      const bad = await client.post('/users', { json: { address: {} } });
      assert.equal(bad.status, 400);
      assert.deepEqual(bad.json(), { errors: { name: ['This field is required'], 'address.city': ['This field is required'] } });
      const notObject = await client.post('/users', { json: [1] });
      assert.deepEqual(notObject.json(), { errors: { body: ['Must be an object'] } });
      assert.equal(body['~standard'].version, 1);
      assert.equal(body['~standard'].vendor, 'covet');
    });

    it('validates and coerces the query with Validator.schema(rules, { coerce: true })', async () => {
      const app = new CovetApp();
      app.get('/search', { query: Validator.schema({ q: { required: true, type: 'string' }, limit: { type: 'integer', min: 1, max: 100, default: 10 } }, { coerce: true }) }, (req) => ({
        q: req.query.q,
        limit: req.query.limit,
      }));
      await using client = new TestClient(app);
      assert.deepEqual((await client.get('/search?q=covet&limit=5&x=1')).json(), { q: 'covet', limit: 5 });
      assert.deepEqual((await client.get('/search?q=covet')).json(), { q: 'covet', limit: 10 });
      const bad = await client.get('/search?limit=500');
      assert.equal(bad.status, 400);
      assert.deepEqual(bad.json(), { errors: { q: ['This field is required'], limit: ['Must be at most 100'] } });
    });

    it('check() returns { value } or { errors } without throwing', () => {
      const v = new Validator({ a: { required: true } });
      assert.deepEqual(v.check({ a: 1 }), { value: { a: 1 } });
      assert.deepEqual(v.check({}), { errors: { a: ['This field is required'] } });
    });
  });
});

describe('InputValidator', () => {
  it('validates data against rules given per call (seed: Security Best Practices)', () => {
    const validator = new InputValidator();
    const rules = {
      name: { required: true, maxLength: 100, pattern: '^[a-zA-Z\\s]+$' },
      email: { required: true, email: true },
      description: { maxLength: 1000 },
    } as const;
    assert.deepEqual(validator.validate({ name: 'Ann Lee', email: 'ann@example.com', extra: 1 }, rules), { name: 'Ann Lee', email: 'ann@example.com' });
    assert.deepEqual(errorsOf(() => validator.validate({ name: 'Ann1', email: 'ann@example.com', description: 'x'.repeat(1001) }, rules)), {
      name: ['Does not match the required pattern'],
      description: ['Must be at most 1000 characters'],
    });
    assert.deepEqual(new InputValidator({ coerce: true }).validate({ n: '3' }, { n: { type: 'integer' } }), { n: 3 });
  });
});
