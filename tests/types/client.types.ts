// Type tests for `covet/client`: checked by `tsc --noEmit`, never executed. Each
// `@ts-expect-error` line must fail to compile, or tsc reports the directive as unused.
import { expectTypeOf } from 'expect-type';
import { z } from 'zod';
import { type Client, type ClientResponse, createClient, type JsonOf, type ResponseData } from '../../src/client/index.js';
import { CovetApp, RouteGroup, Response } from '../../src/index.js';
import { Validator } from '../../src/security/index.js';

const CreateUser = z.object({ name: z.string(), email: z.string(), age: z.number().optional() });
const ListQuery = z.object({ page: z.string().optional(), q: z.string().optional() });
const SearchQuery = z.object({ q: z.string() });

// Chained registrations accumulate the route types in `typeof app`.
const app = new CovetApp()
  .get('/health', () => 'ok')
  .get('/users', { query: ListQuery }, async () => [{ id: 1, name: 'Ada', createdAt: new Date() }])
  .get('/users/{id:int}', async (req) => ({ id: req.params.id, name: 'Ada', tags: ['a'] as string[] }))
  .post('/users', { body: CreateUser }, async (req) => {
    const user = await req.json();
    const id: number = 1;
    return [{ id, ...user }, 201] as const;
  })
  .put('/users/{id:int}', { body: CreateUser.partial() }, async (req) => ({ id: req.params.id }))
  .delete('/users/{id:int}', () => null)
  .get('/search', { query: SearchQuery }, (req) => ({ q: req.query.q }))
  .get('/files/{rest:path}', (req) => new Response(req.params.rest))
  .get('/ratio/{x:float}/{label}', (req) => ({ x: req.params.x, label: req.params.label }))
  .get('/tuple', () => [{ made: true }, 201])
  .get('/me', { response: z.object({ id: z.number(), name: z.string() }) }, () => ({ id: 1, name: 'A', passwordHash: 'x' }))
  .get('/status-map', { response: { 200: z.object({ ok: z.boolean() }), 404: z.object({ error: z.string() }) } }, () => ({ ok: true }))
  .get('/json-schema', { response: { type: 'object' } }, () => ({ plain: 1 }))
  .get('/transformed', { response: z.object({ name: z.string().transform((n) => n.length), size: z.number().default(5) }) }, () => ({ name: 'abc' }))
  .route('/multi', { methods: ['post', 'PATCH'] }, () => ({ multi: true }));

const api = createClient<typeof app>('http://127.0.0.1:3000');
expectTypeOf(api).toEqualTypeOf<Client<typeof app>>();

async function calls(): Promise<void> {
  // Responses: the handler's awaited return type, as JSON.
  const health = await api.get('/health');
  expectTypeOf(health.data).toEqualTypeOf<string>();
  expectTypeOf(health).toMatchTypeOf<ClientResponse<string>>();

  const list = await api.get('/users', { query: { page: '2' } });
  expectTypeOf(list.data).toEqualTypeOf<{ id: number; name: string; createdAt: string }[]>();
  await api.get('/users'); // every query field optional → the init is optional

  const one = await api.get('/users/{id:int}', { params: { id: 7 } });
  expectTypeOf(one.data).toEqualTypeOf<{ id: number; name: string; tags: string[] }>();

  const created = await api.post('/users', { body: { name: 'Ada', email: 'a@example.com' } });
  expectTypeOf(created.data).toEqualTypeOf<{ id: number; name: string; email: string; age?: number }>();

  const updated = await api.put('/users/{id:int}', { params: { id: 1 }, body: { name: 'B' } });
  expectTypeOf(updated.data).toEqualTypeOf<{ id: number }>();

  const removed = await api.delete('/users/{id:int}', { params: { id: 1 } });
  expectTypeOf(removed.data).toEqualTypeOf<null>();

  const file = await api.get('/files/{rest:path}', { params: { rest: 'a/b.txt' } });
  expectTypeOf(file.data).toEqualTypeOf<unknown>();

  const ratio = await api.get('/ratio/{x:float}/{label}', { params: { x: 1.5, label: 'l' }, headers: { 'x-trace': '1' } });
  expectTypeOf(ratio.data).toEqualTypeOf<{ x: number; label: string }>();

  expectTypeOf((await api.post('/multi')).data).toEqualTypeOf<{ multi: boolean }>();
  expectTypeOf((await api.patch('/multi')).data).toEqualTypeOf<{ multi: boolean }>();

  const t = await api.get('/tuple');
  expectTypeOf(t.data).toEqualTypeOf<{ made: boolean }>();
  // A `response` schema decides `data` (the undeclared `passwordHash` is filtered out).
  expectTypeOf((await api.get('/me')).data).toEqualTypeOf<{ id: number; name: string }>();
  expectTypeOf((await api.get('/status-map')).data).toEqualTypeOf<{ ok: boolean }>();
  // The server filters by the schema without running transforms or defaults: the input side arrives.
  expectTypeOf((await api.get('/transformed')).data).toEqualTypeOf<{ name: string; size?: number }>();
  expectTypeOf((await api.get('/json-schema')).data).toEqualTypeOf<{ plain: number }>();
  const search = await api.get('/search', { query: { q: 'x' } });
  expectTypeOf(search.data).toEqualTypeOf<{ q: string }>();

  // The untyped escape hatch.
  expectTypeOf((await api.request('HEAD', '/anything')).data).toEqualTypeOf<unknown>();

  // @ts-expect-error -- wrong param type: {id:int} is a number
  await api.get('/users/{id:int}', { params: { id: '7' } });
  // @ts-expect-error -- missing params
  await api.get('/users/{id:int}');
  // @ts-expect-error -- unknown param name
  await api.get('/users/{id:int}', { params: { id: 1, other: 2 } });
  // @ts-expect-error -- unknown path
  await api.get('/nope');
  // @ts-expect-error -- wrong method: /users/{id:int} has no PATCH route
  await api.patch('/users/{id:int}', { params: { id: 1 } });
  // @ts-expect-error -- wrong method: /multi answers POST and PATCH, not GET
  await api.get('/multi');
  // @ts-expect-error -- missing body field `email`
  await api.post('/users', { body: { name: 'Ada' } });
  // @ts-expect-error -- missing body
  await api.post('/users');
  // @ts-expect-error -- wrong body field type
  await api.post('/users', { body: { name: 'Ada', email: 'e', age: '3' } });
  // @ts-expect-error -- required query field `q` missing
  await api.get('/search');
  // @ts-expect-error -- GET calls take no body
  await api.get('/health', { body: {} });
}
void calls;

// Statement style: each registration's result is typed; groups chain under their prefix.
const server = new CovetApp();
const v1 = server
  .routeGroup('/api/v1')
  .get('/items/{sku}', (req) => ({ sku: req.params.sku }))
  .post('/items', { body: z.object({ sku: z.string() }) }, async (req) => req.json());
const status = server.get('/status', () => ({ up: true }));
const admin = new RouteGroup().get('/stats', () => ({ count: 1 }));
const withAdmin = server.includeRouter(admin, { prefix: '/admin' });
const mounted = new CovetApp().mount('/sub', new CovetApp().get('/', () => ({ root: true })));

const api2 = createClient<typeof v1 | typeof status | typeof withAdmin | typeof mounted>('');
async function statementCalls(): Promise<void> {
  expectTypeOf((await api2.get('/api/v1/items/{sku}', { params: { sku: 'x' } })).data).toEqualTypeOf<{ sku: string }>();
  expectTypeOf((await api2.post('/api/v1/items', { body: { sku: 'x' } })).data).toEqualTypeOf<{ sku: string }>();
  expectTypeOf((await api2.get('/status')).data).toEqualTypeOf<{ up: boolean }>();
  expectTypeOf((await api2.get('/admin/stats')).data).toEqualTypeOf<{ count: number }>();
  expectTypeOf((await api2.get('/sub')).data).toEqualTypeOf<{ root: boolean }>();
  // @ts-expect-error -- the group's paths carry its prefix
  await api2.get('/items/{sku}', { params: { sku: 'x' } });
}
void statementCalls;

// An app without chained routes has no typed paths (only `request`).
const plain = new CovetApp();
plain.get('/x', () => 1);
// @ts-expect-error -- statement-style registrations do not change `plain`'s type
await createClient<typeof plain>('').get('/x');

// Prefixes join like `joinPath` does at runtime: a trailing slash is dropped, `/` is the prefix.
const joined = new CovetApp()
  .routeGroup('/api/')
  .get('/', () => ({ root: true }))
  .get('/x', () => ({ x: true }));
const api3 = createClient<typeof joined>('');
async function joinedCalls(): Promise<void> {
  expectTypeOf((await api3.get('/api')).data).toEqualTypeOf<{ root: boolean }>();
  expectTypeOf((await api3.get('/api/x')).data).toEqualTypeOf<{ x: boolean }>();
  // @ts-expect-error -- no double slash
  await api3.get('/api//x');
}
void joinedCalls;

// A chained app is still a `CovetApp` (and keeps its methods); any app is assignable to `CovetApp`.
const acceptsApp = (a: CovetApp): CovetApp => a;
acceptsApp(app);
expectTypeOf(app.listen).toEqualTypeOf<CovetApp['listen']>();

// JSON forms: dates become strings, functions and undefined members are not data.
expectTypeOf<JsonOf<{ at: Date; n?: number; list: (Date | undefined)[] }>>().toEqualTypeOf<{ at: string; n?: number; list: (string | null)[] }>();
// Functions and symbols vanish; a member that may be undefined (or a function) may be absent.
expectTypeOf<JsonOf<{ a: number; u: string | undefined; f: () => void; g?: () => void; s: symbol; m: number | (() => void); nested: { x: undefined; y: bigint | 1 } }>>().toEqualTypeOf<{
  a: number;
  u?: string;
  m?: number;
  nested: { y: 1 };
}>();
expectTypeOf<ResponseData<Uint8Array>>().toEqualTypeOf<Blob>();
expectTypeOf<ResponseData<undefined>>().toEqualTypeOf<null>();
expectTypeOf<ResponseData<readonly [{ a: 1 }, 201, { 'x-id': string }]>>().toEqualTypeOf<{ a: 1 }>();

// A Validator (the seed's rule dicts) types the client like any Standard Schema: what the rules
// declare is what to send, and what a `response` Validator lets through is what arrives.
const NewNote = new Validator({ title: { required: true, maxLength: 50 }, stars: { type: 'integer', min: 0 } });
const validated = new CovetApp()
  .post('/notes', { body: NewNote }, async (req) => ({ id: 1, ...(await req.json()) }))
  .get('/notes/1', { response: NewNote }, () => ({ title: 'a', stars: 2, secret: 'x' }));
const api4 = createClient<typeof validated>('');
async function validatorCalls(): Promise<void> {
  await api4.post('/notes', { body: { title: 'x', stars: 3 } });
  // @ts-expect-error -- the body is required
  await api4.post('/notes');
  // @ts-expect-error -- stars is a number
  await api4.post('/notes', { body: { title: 'x', stars: 'many' } });
  expectTypeOf((await api4.get('/notes/1')).data).toEqualTypeOf<{ title: string; stars?: number }>();
}
void validatorCalls;
