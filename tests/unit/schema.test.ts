import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as v from 'valibot';
import { z } from 'zod';
import { CovetApp } from '../../src/index.js';
import { isStandardSchema, type StandardSchemaV1 } from '../../src/schema.js';
import { TestClient } from '../../src/testing/index.js';

const UserBody = z.object({ name: z.string().min(1).max(100), email: z.email(), age: z.number().int().min(0).optional() });

describe('route schemas (Standard Schema)', () => {
  it('validates the JSON body with Zod and hands the handler the parsed output', async () => {
    const app = new CovetApp();
    app.post('/users', { body: UserBody }, async (req) => {
      const user = await req.json();
      return [{ created: user.name, email: user.email }, 201];
    });
    await using client = new TestClient(app);
    const ok = await client.post('/users', { json: { name: 'Ann', email: 'ann@example.com', extra: 'dropped' } });
    assert.equal(ok.status, 201);
    assert.deepEqual(ok.json(), { created: 'Ann', email: 'ann@example.com' });
    const bad = await client.post('/users', { json: { name: '', email: 'nope', age: -1 } });
    assert.equal(bad.status, 400);
    const body = bad.json<{ errors: Record<string, string[]> }>();
    assert.deepEqual(Object.keys(body.errors).sort(), ['age', 'email', 'name']);
    assert.ok(body.errors.email?.[0]);
  });

  it('rejects before the handler runs, even if the handler never reads the body', async () => {
    let ran = false;
    const app = new CovetApp();
    app.post('/x', { body: UserBody }, () => {
      ran = true;
      return 'ran';
    });
    await using client = new TestClient(app);
    const res = await client.post('/x', { json: [] });
    assert.equal(res.status, 400);
    assert.deepEqual(Object.keys(res.json<{ errors: object }>().errors), ['body']);
    assert.equal(ran, false);
    assert.equal((await client.post('/x', { content: '{', headers: { 'content-type': 'application/json' } })).status, 400);
  });

  it('validates and converts the query with Valibot into req.query', async () => {
    const app = new CovetApp();
    const Search = v.object({ q: v.string(), limit: v.optional(v.pipe(v.string(), v.transform(Number), v.integer()), '10') });
    app.get('/search', { query: Search }, (req) => ({ q: req.query.q, limit: req.query.limit }));
    await using client = new TestClient(app);
    assert.deepEqual((await client.get('/search?q=covet&limit=5')).json(), { q: 'covet', limit: 5 });
    const missing = await client.get('/search');
    assert.equal(missing.status, 400);
    assert.deepEqual(Object.keys(missing.json<{ errors: object }>().errors), ['q']);
  });

  it('gives an array schema every value of a repeated query parameter (?tags=a&tags=b), as FastAPI List[str] does', async () => {
    const app = new CovetApp();
    const Filter = z.object({
      tags: z.array(z.enum(['a', 'b', 'c'])).default([]),
      page: z.coerce.number().int().min(1).default(1),
      sort: z.string().optional(),
    });
    app.get('/items', { query: Filter }, (req) => req.query);
    const ValibotIds = v.object({ id: v.array(v.string()) });
    app.get('/v', { query: ValibotIds }, (req) => req.query);
    await using client = new TestClient(app);
    assert.deepEqual((await client.get('/items?tags=a&tags=c&page=2')).json(), { tags: ['a', 'c'], page: 2 });
    assert.deepEqual((await client.get('/items?tags=b')).json(), { tags: ['b'], page: 1 }, 'one value is a list of one');
    assert.deepEqual((await client.get('/items')).json(), { tags: [], page: 1 });
    assert.deepEqual((await client.get('/items?sort=x&sort=y')).json(), { tags: [], page: 1, sort: 'x' }, 'a scalar takes the first value');
    assert.deepEqual((await client.get('/v?id=1&id=2')).json(), { id: ['1', '2'] });
    // A bad value in a list is reported at its index; a bad scalar next to a good list about itself only.
    const badTag = await client.get('/items?tags=a&tags=z');
    assert.equal(badTag.status, 400);
    assert.deepEqual(Object.keys(badTag.json<{ errors: object }>().errors), ['tags.1']);
    const badPage = await client.get('/items?tags=a&tags=b&page=zero');
    assert.equal(badPage.status, 400);
    const { errors } = badPage.json<{ errors: Record<string, string[]> }>();
    assert.deepEqual(Object.keys(errors), ['page']);
    assert.doesNotMatch(errors.page?.join(' ') ?? '', /array/i);
  });

  it('accepts any object implementing Standard Schema v1, sync or async', async () => {
    const even: StandardSchemaV1<unknown, number> = {
      '~standard': {
        version: 1,
        vendor: 'test',
        validate: async (value) =>
          typeof value === 'number' && value % 2 === 0 ? { value } : { issues: [{ message: 'must be even' }] },
      },
    };
    assert.equal(isStandardSchema(even), true);
    assert.equal(isStandardSchema({}), false);
    const app = new CovetApp();
    app.post('/even', { body: even }, async (req) => ({ half: (await req.json()) / 2 }));
    await using client = new TestClient(app);
    assert.deepEqual((await client.post('/even', { json: 8 })).json(), { half: 4 });
    const odd = await client.post('/even', { json: 3 });
    assert.equal(odd.status, 400);
    assert.deepEqual(odd.json(), { errors: { body: ['must be even'] } });
  });

  it('gives req.query as plain first values when there is no schema', async () => {
    const app = new CovetApp();
    app.get('/q', (req) => ({ ...req.query }));
    await using client = new TestClient(app);
    assert.deepEqual((await client.get('/q?a=1&a=2&b=x')).json(), { a: '1', b: 'x' });
  });

  it('takes a Validator rule dict for body and query: 400 with the exact errors, query values converted', async () => {
    const app = new CovetApp();
    app.post('/users', { body: { name: { required: true, maxLength: 5 }, age: { type: 'integer', min: 0 } } }, async (req) => ({ got: await req.json() }));
    app.get('/page', { query: { limit: { type: 'integer', min: 1, default: 10 } } }, (req) => ({ limit: req.query.limit }));
    await using client = new TestClient(app);
    const valid = await client.post('/users', { json: { name: 'ann', age: 3, extra: true } });
    assert.equal(valid.status, 200);
    assert.deepEqual(valid.json(), { got: { name: 'ann', age: 3 } });
    const invalid = await client.post('/users', { json: { name: 'toolong', age: -1 } });
    assert.equal(invalid.status, 400);
    assert.deepEqual(invalid.json(), { errors: { name: ['Must be at most 5 characters'], age: ['Must be at least 0'] } });
    const missing = await client.post('/users', { json: {} });
    assert.equal(missing.status, 400);
    assert.deepEqual(Object.keys((missing.json() as { errors: object }).errors), ['name']);
    assert.deepEqual((await client.get('/page?limit=3')).json(), { limit: 3 });
    assert.deepEqual((await client.get('/page')).json(), { limit: 10 });
    const zero = await client.get('/page?limit=0');
    assert.equal(zero.status, 400);
    assert.deepEqual(zero.json(), { errors: { limit: ['Must be at least 1'] } });
    const word = await client.get('/page?limit=ten');
    assert.equal(word.status, 400);
    assert.deepEqual(word.json(), { errors: { limit: ['Must be an integer'] } });
  });

  it('documents a rule-dict body in OpenAPI and refuses a body option that is neither', () => {
    const app = new CovetApp();
    app.post('/users', { body: { name: { required: true, maxLength: 5 } } }, () => null);
    const op = (app.openapi().paths['/users'] as Record<string, { requestBody?: { content: Record<string, { schema: unknown }> } }>).post;
    assert.deepEqual(op?.requestBody?.content['application/json']?.schema, { type: 'object', properties: { name: { type: 'string', maxLength: 5 } }, required: ['name'] });
    assert.throws(() => app.post('/bad', { body: 42 as never }, () => null), /body must be a Standard Schema .* or a Validator rule dict/);
  });
});
