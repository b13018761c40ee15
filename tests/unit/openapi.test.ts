import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Validator as OpenAPISchemaValidator } from '@seriousme/openapi-schema-validator';
import { toStandardJsonSchema } from '@valibot/to-json-schema';
import * as v from 'valibot';
import { z } from 'zod';
import { CovetApp, type OpenAPIDocument, type OpenAPIOperation, RouteGroup } from '../../src/index.js';
import { JWTAuth, RateLimiter, RoleBasedAccessControl, Validator } from '../../src/security/index.js';
import { TestClient } from '../../src/testing/index.js';

async function assertValid(doc: OpenAPIDocument): Promise<void> {
  const validator = new OpenAPISchemaValidator();
  const result = await validator.validate(structuredClone(doc) as unknown as Record<string, unknown>);
  assert.equal(result.valid, true, JSON.stringify(result.errors, null, 2));
}

function op(doc: OpenAPIDocument, path: string, method: string): OpenAPIOperation {
  const operation = doc.paths[path]?.[method as 'get'];
  assert.ok(operation, `no ${method} ${path} in ${Object.keys(doc.paths).join(', ')}`);
  return operation;
}

const Category: z.ZodType<{ name: string; children: { name: string; children: unknown[] }[] }> = z.object({
  name: z.string(),
  get children() {
    return z.array(Category);
  },
}) as never;

/** An app using every feature the document describes. */
function richApp(): CovetApp {
  const app = new CovetApp();
  const jwt = new JWTAuth({ secretKey: 'k'.repeat(32) });
  const rbac = new RoleBasedAccessControl();
  rbac.addRole('admin', { permissions: ['delete'] });
  const limiter = new RateLimiter({ defaultLimits: '100/hour', storage: 'memory' });

  const ZodUser = z.object({ id: z.number().int(), name: z.string().max(100), email: z.email(), createdAt: z.date().optional() });
  const ValibotItem = toStandardJsonSchema(v.object({ sku: v.string(), qty: v.pipe(v.number(), v.integer(), v.minValue(1)) }));
  const NewUser = new Validator({ name: { required: true, maxLength: 100 }, email: { required: true, email: true }, age: { type: 'integer', min: 0, max: 150 } });
  const Search = Validator.schema({ q: { required: true }, limit: { type: 'integer', max: 100 } }, { coerce: true });

  app.get('/', { summary: 'Root', description: 'Says hello' }, () => ({ message: 'Hello, World!' }));
  app.get('/users/{user_id:int}', { name: 'getUser', tags: ['users'], response: ZodUser }, (req) => ({ id: req.params.user_id, name: 'a', email: 'a@b.co' }));
  app.get('/prices/{amount:float}', () => 1);
  app.get('/orders/{order_id:uuid}', () => 1);
  app.get('/files/{rest:path}', () => 1);
  app.get('/pages/{slug}', () => 1);
  app.get('/tags/{name:str}', () => 1);
  app.post('/users', { body: NewUser, response: { 201: ZodUser, 409: { type: 'object', properties: { error: { type: 'string' } } } } }, () => [{ id: 1, name: 'a', email: 'a@b.co' }, 201]);
  app.get('/search', { query: Search, response: z.array(ZodUser) }, () => []);
  app.put('/items/{sku}', { body: ValibotItem, response: ValibotItem }, async (req) => req.json());
  app.patch('/items/{sku}', { body: z.object({ qty: z.number().int().min(1) }) }, () => null);
  app.delete('/items/{sku}', jwt.requireToken(rbac.requirePermission('delete', () => null)));
  app.options('/items', () => null);
  app.head('/items', () => null);
  app.route('/multi', { methods: ['GET', 'POST'], name: 'multi' }, () => 1);
  app.route('/custom', { methods: ['PROPFIND'] }, () => 1);
  app.get('/me', jwt.requireToken(() => ({ ok: true })));
  app.get('/limited', limiter.limit('10/minute', jwt.requireToken(() => ({ ok: true }))));
  app.get('/tree', { response: Category }, () => ({ name: 'root', children: [] }));
  app.get('/guarded', { middleware: [jwt.requireToken(), rbac.requireRole('admin'), limiter.limit('5/minute')] }, () => ({}));

  const api = app.routeGroup('/api/v1', { tags: ['api'], middleware: [jwt.requireToken()] });
  api.get('/things/{id:int}', { tags: ['things'] }, () => ({}));
  const nested = api.routeGroup('/admin', { tags: ['admin'] });
  nested.post('/reset', () => null);

  const health = new RouteGroup();
  health.get('/live', () => 'ok');
  app.includeRouter(health, { prefix: '/health', tags: ['health'] });

  const sub = new CovetApp();
  sub.get('/stats', { summary: 'Admin stats' }, () => ({}));
  app.mount('/admin', sub);

  app.includeOAuth2({
    install(target: CovetApp) {
      target.post('/oauth/token', () => ({}));
    },
    securityScheme: () => ({ type: 'oauth2', flows: { clientCredentials: { tokenUrl: '/oauth/token', scopes: { read: 'Read' } } } }),
  });
  app.docs('/docs');
  return app;
}

describe('app.openapi()', () => {
  it('builds an OpenAPI 3.1.0 document that validates against the 3.1 schema', async () => {
    const doc = richApp().openapi({ title: 'Shop', version: '2.0.0', description: 'A shop', servers: [{ url: 'https://api.example.com' }] });
    assert.equal(doc.openapi, '3.1.0');
    assert.deepEqual(doc.info, { title: 'Shop', version: '2.0.0', description: 'A shop' });
    assert.deepEqual(doc.servers, [{ url: 'https://api.example.com' }]);
    await assertValid(doc);
  });

  it('documents a 204 (or 205, 304) of a status map without content: such a response has no body', async () => {
    const app = new CovetApp();
    app.delete('/items/{id:int}', { response: { 204: z.null(), 404: z.object({ error: z.string() }) } }, () => null);
    const doc = app.openapi();
    const responses = op(doc, '/items/{id}', 'delete').responses;
    assert.deepEqual(responses['204'], { description: 'No Content' });
    assert.deepEqual(Object.keys(responses['404']?.content ?? {}), ['application/json']);
    await assertValid(doc);
  });

  it('marks deprecated routes and leaves out includeInSchema: false ones, which still answer', async () => {
    const app = new CovetApp();
    app.get('/v1/users', { deprecated: true, summary: 'Old list' }, () => []);
    const internal = app.routeGroup('/internal');
    internal.get('/stats', { includeInSchema: false }, () => ({ ok: true }));
    app.get('/v2/users', { deprecated: false }, () => []);
    const doc = app.openapi();
    assert.equal(op(doc, '/v1/users', 'get').deprecated, true);
    assert.equal('deprecated' in op(doc, '/v2/users', 'get'), false);
    assert.deepEqual(Object.keys(doc.paths), ['/v1/users', '/v2/users']);
    await assertValid(doc);
    await using client = new TestClient(app);
    assert.deepEqual((await client.get('/internal/stats')).json(), { ok: true });
  });

  it('has defaults for title and version and returns a fresh object each call', () => {
    const app = new CovetApp();
    app.get('/', () => 1);
    const a = app.openapi();
    assert.deepEqual(a.info, { title: 'Covet API', version: '1.0.0' });
    a.info.title = 'changed';
    assert.equal(app.openapi().info.title, 'Covet API');
  });

  it('types path parameters from their converters', () => {
    const doc = richApp().openapi();
    const param = (path: string) => op(doc, path, 'get').parameters?.[0];
    assert.deepEqual(param('/users/{user_id}'), { name: 'user_id', in: 'path', required: true, schema: { type: 'integer', minimum: 0 } });
    assert.deepEqual(param('/prices/{amount}')?.schema, { type: 'number', minimum: 0 });
    assert.deepEqual(param('/orders/{order_id}')?.schema, { type: 'string', format: 'uuid' });
    assert.deepEqual(param('/files/{rest}')?.schema, { type: 'string' });
    assert.deepEqual(param('/pages/{slug}')?.schema, { type: 'string', pattern: '^[^/]+$' });
    assert.deepEqual(param('/tags/{name}')?.schema, { type: 'string', pattern: '^[^/]+$' });
  });

  it('covers every method, groups, included routers and mounted apps with their prefixes', () => {
    const doc = richApp().openapi();
    assert.ok(op(doc, '/items/{sku}', 'put'));
    assert.ok(op(doc, '/items/{sku}', 'patch'));
    assert.ok(op(doc, '/items/{sku}', 'delete'));
    assert.ok(op(doc, '/items', 'options'));
    assert.ok(op(doc, '/items', 'head'));
    assert.ok(op(doc, '/api/v1/things/{id}', 'get'));
    assert.ok(op(doc, '/api/v1/admin/reset', 'post'));
    assert.ok(op(doc, '/health/live', 'get'));
    assert.equal(op(doc, '/admin/stats', 'get').summary, 'Admin stats');
    assert.equal(doc.paths['/custom'], undefined, 'a method OpenAPI cannot express is left out');
    assert.equal(doc.paths['/docs'], undefined, 'the docs page is not an operation');
    assert.equal(doc.paths['/openapi.json'], undefined);
  });

  it('takes operationId from the route name, else from method and path, always unique', () => {
    const doc = richApp().openapi();
    assert.equal(op(doc, '/users/{user_id}', 'get').operationId, 'getUser');
    assert.equal(op(doc, '/multi', 'get').operationId, 'multi');
    assert.equal(op(doc, '/multi', 'post').operationId, 'multi_post');
    assert.equal(op(doc, '/api/v1/things/{id}', 'get').operationId, 'getApiV1ThingsById');
    assert.equal(op(doc, '/', 'get').operationId, 'getRoot');
    const ids = Object.values(doc.paths).flatMap((item) => Object.values(item).map((o) => o.operationId));
    assert.equal(new Set(ids).size, ids.length);
  });

  it('documents summary, description and tags from routes and groups', () => {
    const doc = richApp().openapi({ tags: [{ name: 'users', description: 'People' }] });
    assert.equal(op(doc, '/', 'get').summary, 'Root');
    assert.equal(op(doc, '/', 'get').description, 'Says hello');
    assert.deepEqual(op(doc, '/users/{user_id}', 'get').tags, ['users']);
    assert.deepEqual(op(doc, '/api/v1/things/{id}', 'get').tags, ['api', 'things']);
    assert.deepEqual(op(doc, '/api/v1/admin/reset', 'post').tags, ['api', 'admin']);
    assert.deepEqual(op(doc, '/health/live', 'get').tags, ['health']);
    assert.equal(op(doc, '/', 'get').tags, undefined);
    assert.deepEqual(doc.tags?.[0], { name: 'users', description: 'People' });
    assert.deepEqual(
      doc.tags?.map((t) => t.name),
      ['users', 'api', 'things', 'admin', 'health'],
    );
  });

  it('describes request bodies from Validator, Zod and Valibot schemas', () => {
    const doc = richApp().openapi();
    assert.deepEqual(op(doc, '/users', 'post').requestBody, {
      required: true,
      content: {
        'application/json': {
          schema: {
            type: 'object',
            properties: { name: { type: 'string', maxLength: 100 }, email: { type: 'string', format: 'email' }, age: { type: 'integer', minimum: 0, maximum: 150 } },
            required: ['name', 'email'],
          },
        },
      },
    });
    assert.deepEqual(op(doc, '/items/{sku}', 'put').requestBody?.content['application/json']?.schema, {
      type: 'object',
      properties: { sku: { type: 'string' }, qty: { type: 'integer', minimum: 1 } },
      required: ['sku', 'qty'],
    });
    const zod = op(doc, '/items/{sku}', 'patch').requestBody?.content['application/json']?.schema as { properties: { qty: { type: string } } };
    assert.equal(zod.properties.qty.type, 'integer');
  });

  it('turns a query schema into query parameters with their required flags', () => {
    const doc = richApp().openapi();
    assert.deepEqual(op(doc, '/search', 'get').parameters, [
      { name: 'q', in: 'query', required: true, schema: {} },
      { name: 'limit', in: 'query', required: false, schema: { type: 'integer', maximum: 100 } },
    ]);
  });

  it('describes responses: one schema as 200, a status map per status, 400 for validated input', () => {
    const doc = richApp().openapi();
    const get = op(doc, '/users/{user_id}', 'get');
    const user = get.responses['200']?.content?.['application/json']?.schema as { properties: Record<string, unknown>; required: string[] };
    assert.deepEqual(Object.keys(user.properties), ['id', 'name', 'email', 'createdAt']);
    assert.deepEqual(user.required, ['id', 'name', 'email']);
    const post = op(doc, '/users', 'post');
    assert.deepEqual(Object.keys(post.responses).sort(), ['201', '400', '409']);
    assert.equal(post.responses['201']?.description, 'Created');
    // A 400 is either a validation failure or a body that is not JSON at all: both are documented.
    assert.deepEqual(post.responses['400']?.content?.['application/json']?.schema, {
      anyOf: [
        {
          type: 'object',
          properties: { errors: { type: 'object', additionalProperties: { type: 'array', items: { type: 'string' } } } },
          required: ['errors'],
        },
        { type: 'object', properties: { error: { type: 'string' } }, required: ['error'] },
      ],
    });
    assert.deepEqual(op(doc, '/', 'get').responses, { '200': { description: 'Successful response' } });
    const list = op(doc, '/search', 'get').responses['200']?.content?.['application/json']?.schema as { type: string };
    assert.equal(list.type, 'array');
  });

  it('moves recursive schemas into components and points $refs there', async () => {
    const doc = richApp().openapi();
    const schema = op(doc, '/tree', 'get').responses['200']?.content?.['application/json']?.schema as { $ref?: string };
    assert.match(schema.$ref ?? '', /^#\/components\/schemas\//);
    const name = (schema.$ref as string).split('/').pop() as string;
    const target = doc.components?.schemas?.[name] as { properties: { children: { items: { $ref: string } } } };
    assert.equal(target.properties.children.items.$ref, schema.$ref);
    await assertValid(doc);
  });

  it('adds bearerAuth for requireToken handlers and middleware, through RBAC and rate-limit wrappers', () => {
    const doc = richApp().openapi();
    assert.deepEqual(doc.components?.securitySchemes?.bearerAuth, { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
    assert.deepEqual(op(doc, '/me', 'get').security, [{ bearerAuth: [] }]);
    assert.ok(op(doc, '/me', 'get').responses['401']);
    const del = op(doc, '/items/{sku}', 'delete');
    assert.deepEqual(del.security, [{ bearerAuth: [] }]);
    assert.deepEqual(Object.keys(del.responses).sort(), ['200', '401', '403']);
    const limited = op(doc, '/limited', 'get');
    assert.deepEqual(limited.security, [{ bearerAuth: [] }]);
    assert.ok(limited.responses['429']);
    assert.deepEqual(op(doc, '/api/v1/things/{id}', 'get').security, [{ bearerAuth: [] }]);
    assert.equal(op(doc, '/', 'get').security, undefined);
    const guarded = op(doc, '/guarded', 'get');
    assert.deepEqual(guarded.security, [{ bearerAuth: [] }]);
    assert.deepEqual(Object.keys(guarded.responses).sort(), ['200', '401', '403', '429']);
  });

  it("documents limit()'s 429 as it is sent: body fields and headers", async () => {
    const app = new CovetApp();
    const limiter = new RateLimiter({ storage: 'memory' });
    app.get('/once', limiter.limit('1/hour', () => 'ok'));
    const documented = op(app.openapi(), '/once', 'get').responses['429'];
    const schema = documented?.content?.['application/json']?.schema as { properties: Record<string, { type: string }>; required: string[] };
    assert.deepEqual(schema.required, ['error', 'limit', 'retryAfter']);
    assert.deepEqual(Object.keys(documented?.headers ?? {}), ['Retry-After', 'RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset']);
    const client = new TestClient(app);
    assert.equal((await client.get('/once')).status, 200);
    const refused = await client.get('/once');
    assert.equal(refused.status, 429);
    const body = refused.json() as Record<string, unknown>;
    assert.deepEqual(Object.keys(body).sort(), Object.keys(schema.properties).sort());
    for (const [name, { type }] of Object.entries(schema.properties)) {
      assert.equal(type === 'integer' ? Number.isInteger(body[name]) : typeof body[name] === type, true, name);
    }
    for (const name of Object.keys(documented?.headers ?? {})) assert.match(refused.headers.get(name) ?? '', /^\d+$/, name);
    await assertValid(app.openapi());
  });

  it('adds the oauth2 scheme of included authorization servers, and options.securitySchemes', () => {
    const doc = richApp().openapi({ securitySchemes: { apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' } }, security: [{ apiKey: [] }] });
    assert.equal(doc.components?.securitySchemes?.oauth2?.type, 'oauth2');
    assert.deepEqual(doc.components?.securitySchemes?.apiKey, { type: 'apiKey', in: 'header', name: 'X-API-Key' });
    assert.deepEqual(doc.security, [{ apiKey: [] }]);
    assert.ok(op(doc, '/oauth/token', 'post'));
  });

  it('accepts plain JSON Schema objects and describes a schema that cannot convert as any value', () => {
    const app = new CovetApp();
    const opaque = { '~standard': { version: 1 as const, vendor: 'x', validate: (value: unknown) => ({ value }) } };
    const throwing = { '~standard': { version: 1 as const, vendor: 'y', validate: (value: unknown) => ({ value }), jsonSchema: { input: () => { throw new Error('no'); }, output: () => ({}) } } };
    app.post('/a', { body: opaque, response: { type: 'object', properties: { id: { type: 'integer' } }, $schema: 'https://json-schema.org/draft/2020-12/schema' } }, () => ({ id: 1 }));
    app.post('/b', { body: throwing }, () => 1);
    const doc = app.openapi();
    assert.deepEqual(op(doc, '/a', 'post').requestBody?.content['application/json']?.schema, {});
    assert.deepEqual(op(doc, '/a', 'post').responses['200']?.content?.['application/json']?.schema, { type: 'object', properties: { id: { type: 'integer' } } });
    assert.deepEqual(op(doc, '/b', 'post').requestBody?.content['application/json']?.schema, {});
  });

  it('rejects a response option that is neither a schema nor a status map', () => {
    const app = new CovetApp();
    app.get('/x', { response: 42 as never }, () => 1);
    assert.throws(() => app.openapi(), /response must be a schema or a map of status codes/);
  });

  it('rejects a status map with a range or default key instead of taking it for one JSON Schema', async () => {
    const Err = z.object({ error: z.string() });
    for (const key of ['4XX', '5xx', 'default']) {
      const app = new CovetApp({ logger: { info() {}, error() {} } });
      app.get('/x', { response: { 200: z.object({ id: z.number() }), [key]: Err } }, () => ({ id: 1 }));
      const message = `response map keys must be status codes such as 200 or 404, got "${key}" (ranges and "default" are not supported)`;
      assert.throws(() => app.openapi(), (err: Error) => err instanceof TypeError && err.message === message);
    }
    // `default` stays a JSON Schema keyword in a plain schema.
    const plain = new CovetApp();
    plain.get('/y', { response: { type: 'string', default: 'x' } }, () => 'x');
    assert.deepEqual(op(plain.openapi(), '/y', 'get').responses['200']?.content?.['application/json']?.schema, { type: 'string', default: 'x' });
  });

  it('rejects a map of only a range, default or out-of-range key instead of sending the body unfiltered', async () => {
    const User = z.object({ id: z.number() });
    for (const key of ['default', '4XX', '99', '600', '200.5']) {
      const app = new CovetApp({ logger: { info() {}, error() {} } });
      app.get('/x', { response: { [key]: User } as never }, () => ({ id: 1, passwordHash: 'x' }));
      const message = `response map keys must be status codes such as 200 or 404, got "${key}" (ranges and "default" are not supported)`;
      assert.throws(() => app.openapi(), (err: Error) => err instanceof TypeError && err.message === message, key);
      await using client = new TestClient(app);
      await assert.rejects(client.get('/x'), (err: Error) => err instanceof TypeError && err.message === message, key);
    }
  });

  it('documents the status route option as the success response, without content for a 204', async () => {
    const User = z.object({ id: z.number(), name: z.string() });
    const NotFound = z.object({ error: z.string() });
    const app = new CovetApp();
    app.post('/plain', { status: 201 }, () => ({ id: 1 }));
    app.post('/schema', { status: 201, response: User }, () => ({ id: 1, name: 'a' }));
    app.post('/map', { status: 201, response: { 201: User, 404: NotFound } }, () => ({ id: 1, name: 'a' }));
    app.post('/map-without', { status: 202, response: { 404: NotFound } }, () => ({ queued: true }));
    app.delete('/gone', { status: 204 }, () => null);
    app.delete('/gone-schema', { status: 204, response: User }, () => null);
    const doc = app.openapi();
    await assertValid(doc);
    const userSchema = { type: 'object', properties: { id: { type: 'number' }, name: { type: 'string' } }, required: ['id', 'name'] };
    assert.deepEqual(op(doc, '/plain', 'post').responses, { '201': { description: 'Successful response' } });
    assert.deepEqual(op(doc, '/schema', 'post').responses, { '201': { description: 'Successful response', content: { 'application/json': { schema: userSchema } } } });
    assert.deepEqual(Object.keys(op(doc, '/map', 'post').responses), ['201', '404']);
    assert.deepEqual(op(doc, '/map', 'post').responses['201']?.content?.['application/json']?.schema, userSchema);
    assert.deepEqual(Object.keys(op(doc, '/map-without', 'post').responses), ['202', '404']);
    assert.deepEqual(op(doc, '/map-without', 'post').responses['202'], { description: 'Successful response' });
    assert.deepEqual(op(doc, '/gone', 'delete').responses, { '204': { description: 'Successful response' } });
    assert.deepEqual(op(doc, '/gone-schema', 'delete').responses, { '204': { description: 'Successful response' } });
  });

  it('gives routes with the multipart option a multipart/form-data request body', async () => {
    const app = new CovetApp();
    app.post('/upload', { multipart: { maxFiles: 1 } }, async (req) => (await req.form()).size);
    app.post('/defaults', { multipart: {} }, () => 1);
    app.post('/json', { multipart: {}, body: z.object({ a: z.string() }) }, () => 1);
    app.post('/plain', () => 1);
    const doc = app.openapi();
    await assertValid(doc);
    const multipart = { required: true, content: { 'multipart/form-data': { schema: { type: 'object' } } } };
    assert.deepEqual(op(doc, '/upload', 'post').requestBody, multipart);
    assert.deepEqual(op(doc, '/defaults', 'post').requestBody, multipart);
    // A body schema makes the body JSON (a multipart request is refused with a 415).
    assert.deepEqual(Object.keys(op(doc, '/json', 'post').requestBody?.content ?? {}), ['application/json']);
    assert.equal(op(doc, '/plain', 'post').requestBody, undefined);
  });

  it('turns a union query schema into the members\' parameters, required only when every member requires them', async () => {
    const app = new CovetApp();
    const ByName = z.object({ name: z.string(), page: z.coerce.number().int().optional(), sort: z.enum(['asc', 'desc']) });
    const ById = z.object({ id: z.coerce.number().int(), page: z.coerce.number().int().optional(), sort: z.enum(['asc', 'desc']) });
    app.get('/union', { query: z.union([ByName, ById]) }, (req) => req.query);
    app.get('/tagged', { query: z.discriminatedUnion('by', [z.object({ by: z.literal('name'), name: z.string() }), z.object({ by: z.literal('id'), id: z.string() })]) }, () => 1);
    // A member that is no object (`null`) requires nothing.
    app.get('/nullable', { query: z.union([z.object({ a: z.string() }), z.null()]) }, () => 1);
    app.get('/intersection', { query: z.intersection(z.object({ a: z.string() }), z.union([z.object({ b: z.string() }), z.object({ c: z.string() })])) }, () => 1);
    const doc = app.openapi();
    await assertValid(doc);
    assert.deepEqual(
      op(doc, '/union', 'get').parameters?.map((p) => [p.name, p.required, p.schema]),
      [
        ['name', false, { type: 'string' }],
        ['page', false, { type: 'integer', minimum: -9007199254740991, maximum: 9007199254740991 }],
        ['sort', true, { type: 'string', enum: ['asc', 'desc'] }],
        ['id', false, { type: 'integer', minimum: -9007199254740991, maximum: 9007199254740991 }],
      ],
    );
    // Both members name `by`, each with its own constant: the parameter takes either.
    assert.deepEqual(
      op(doc, '/tagged', 'get').parameters?.map((p) => [p.name, p.required, p.schema]),
      [
        ['by', true, { anyOf: [{ type: 'string', const: 'name' }, { type: 'string', const: 'id' }] }],
        ['name', false, { type: 'string' }],
        ['id', false, { type: 'string' }],
      ],
    );
    assert.deepEqual(op(doc, '/nullable', 'get').parameters, [{ name: 'a', in: 'query', required: false, schema: { type: 'string' } }]);
    assert.deepEqual(
      op(doc, '/intersection', 'get').parameters?.map((p) => [p.name, p.required]),
      [
        ['a', true],
        ['b', false],
        ['c', false],
      ],
    );
    await using client = new TestClient(app);
    assert.deepEqual((await client.get('/union?id=7&sort=asc')).json(), { id: 7, sort: 'asc' });
  });

  it('keeps both operations of routes that share an OpenAPI path (/a/{id:int}, /a/{id}); for one method, the first added', async () => {
    const app = new CovetApp();
    app.get('/items/{id:int}', { name: 'itemById' }, (req) => ({ id: req.params.id }));
    app.delete('/items/{id}', { name: 'deleteItem' }, () => null);
    app.get('/items/{id}', { name: 'itemByName' }, (req) => ({ name: req.params.id }));
    // Another parameter name is the same OpenAPI path: it takes the first route's names.
    app.put('/items/{slug}', { name: 'putItem' }, () => null);
    app.patch('/items/{sku}/parts/{n:int}', () => null);
    app.get('/items/{slug}/parts/{part}', { summary: 'Read a part' }, () => null);
    const doc = app.openapi();
    await assertValid(doc);
    assert.deepEqual(Object.keys(doc.paths), ['/items/{id}', '/items/{sku}/parts/{n}']);
    const item = doc.paths['/items/{id}'] ?? {};
    assert.deepEqual(Object.keys(item), ['get', 'delete', 'put']);
    assert.equal(item.get?.operationId, 'itemById');
    assert.deepEqual(item.get?.parameters, [{ name: 'id', in: 'path', required: true, schema: { type: 'integer', minimum: 0 } }]);
    assert.equal(item.delete?.operationId, 'deleteItem');
    assert.deepEqual(item.delete?.parameters, [{ name: 'id', in: 'path', required: true, schema: { type: 'string', pattern: '^[^/]+$' } }]);
    assert.equal(item.put?.operationId, 'putItem');
    assert.deepEqual(item.put?.parameters, [{ name: 'id', in: 'path', required: true, schema: { type: 'string', pattern: '^[^/]+$' } }]);
    const parts = doc.paths['/items/{sku}/parts/{n}'] ?? {};
    assert.deepEqual(Object.keys(parts), ['patch', 'get']);
    assert.equal(parts.get?.summary, 'Read a part');
    assert.deepEqual(
      parts.get?.parameters?.map((p) => [p.name, p.schema]),
      [
        ['sku', { type: 'string', pattern: '^[^/]+$' }],
        ['n', { type: 'string', pattern: '^[^/]+$' }],
      ],
    );
    // The left-out route still answers, and takes no operationId from the others.
    const ids = Object.values(doc.paths).flatMap((path) => Object.values(path ?? {}).map((o) => (o as OpenAPIOperation).operationId));
    assert.deepEqual(ids, ['itemById', 'deleteItem', 'putItem', 'patchItemsBySkuPartsByN', 'getItemsBySkuPartsByN']);
    await using client = new TestClient(app);
    assert.deepEqual((await client.get('/items/ab')).json(), { name: 'ab' });
  });

  it('reflects routes added after a first call', () => {
    const app = new CovetApp();
    app.get('/a', () => 1);
    assert.deepEqual(Object.keys(app.openapi().paths), ['/a']);
    app.get('/b', () => 1);
    assert.deepEqual(Object.keys(app.openapi().paths), ['/a', '/b']);
  });
});

describe('Validator.toJSONSchema()', () => {
  it('maps rules to JSON Schema keywords', () => {
    const rules = new Validator(
      {
        name: { required: true, minLength: 1, maxLength: 10, pattern: /^[a-z]+$/ },
        site: { url: true, nullable: true },
        role: { enum: ['a', 'b'], default: 'a' },
        score: { type: 'float', min: 0 },
        tags: { items: { type: 'string' }, maxLength: 3 },
        address: { fields: { city: { required: true } }, nullable: true },
        ok: { type: 'boolean' },
        any: {},
      },
      { strict: true },
    );
    assert.deepEqual(rules.toJSONSchema(), {
      type: 'object',
      properties: {
        name: { type: 'string', minLength: 1, maxLength: 10, pattern: '^[a-z]+$' },
        site: { type: ['string', 'null'], format: 'uri' },
        role: { enum: ['a', 'b'], default: 'a' },
        score: { type: 'number', minimum: 0 },
        tags: { type: 'array', items: { type: 'string' }, maxItems: 3 },
        address: { type: ['object', 'null'], properties: { city: {} }, required: ['city'], additionalProperties: false },
        ok: { type: 'boolean' },
        any: {},
      },
      required: ['name'],
      additionalProperties: false,
    });
    assert.deepEqual(rules['~standard'].jsonSchema.input({ target: 'draft-2020-12' }), rules.toJSONSchema());
  });

  it('describes a recursive rule as any value below its first level', () => {
    const node: { fields: Record<string, unknown> } = { fields: {} };
    node.fields.child = node;
    const schema = new Validator({ root: node as never }).toJSONSchema() as { properties: { root: { properties: { child: unknown } } } };
    assert.deepEqual(schema.properties.root.properties.child, {});
  });
});

describe('relativeUrl (how the docs page finds its document)', () => {
  it('resolves against the page directory', async () => {
    const { relativeUrl } = await import('../../src/openapi/docs-page.js');
    assert.equal(relativeUrl('/docs', '/openapi.json'), './openapi.json');
    assert.equal(relativeUrl('/api/docs', '/openapi.json'), '../openapi.json');
    assert.equal(relativeUrl('/api/docs', '/api/spec.json'), './spec.json');
    assert.equal(relativeUrl('/a/b/docs', '/a/x/s.json'), '../x/s.json');
    assert.equal(relativeUrl('/docs/', '/docs/openapi.json'), './openapi.json');
  });
});
