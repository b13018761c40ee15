// Type tests: checked by `tsc --noEmit` (npm run typecheck), never executed. Each
// `@ts-expect-error` line must fail to compile, or tsc reports the directive as unused.
import { expectTypeOf } from 'expect-type';
import { z } from 'zod';
import { CovetApp, Depends, type MethodName, type PathParams, type Request, type ResolvedDeps, type RouteMeta } from '../../src/index.js';
import { CacheManager } from '../../src/cache/index.js';
import { JWTAuth, RateLimiter, RoleBasedAccessControl, Validator } from '../../src/security/index.js';

// Path parameters are typed from the path literal.
expectTypeOf<PathParams<'/users/{user_id:int}'>>().toEqualTypeOf<{ user_id: number }>();
expectTypeOf<PathParams<'/a/{x}/b/{y:float}/c/{z:uuid}/{rest:path}'>>().toEqualTypeOf<{ x: string; y: number; z: string; rest: string }>();
expectTypeOf<PathParams<'/static/only'>>().toEqualTypeOf<{}>();
expectTypeOf<PathParams<string>>().toEqualTypeOf<Record<string, unknown>>();

const app = new CovetApp();

app.route('/users/{user_id:int}', async (req) => {
  expectTypeOf(req.params.user_id).toEqualTypeOf<number>();
  // @ts-expect-error -- no such parameter in the path
  req.params.other;
  return { id: req.params.user_id };
});

app.get('/posts/{slug}/comments/{n:int}', (req) => {
  expectTypeOf(req.params).toEqualTypeOf<{ slug: string; n: number }>();
  return null;
});

// Dependencies: the handler's second argument is typed from the functions' return types,
// generators provide their yielded value, nested deps are typed too.
class Db {
  query(): string[] {
    return [];
  }
}
async function getDb() {
  return new Db();
}
async function* getTx() {
  yield { commit: () => true };
}
const db = Depends(getDb);
const repo = Depends((_req, { db }) => ({ rows: db.query() }), { deps: { db } });

app.get('/users', { deps: { db, tx: Depends(getTx), repo } }, async (req, deps) => {
  expectTypeOf(deps.db).toEqualTypeOf<Db>();
  expectTypeOf(deps.tx).toEqualTypeOf<{ commit: () => boolean }>();
  expectTypeOf(deps.repo).toEqualTypeOf<{ rows: string[] }>();
  expectTypeOf(req).toMatchTypeOf<Request>();
  // @ts-expect-error -- not declared in deps
  deps.cache;
  return deps.repo.rows;
});

expectTypeOf<ResolvedDeps<{ db: typeof db }>>().toEqualTypeOf<{ readonly db: Db }>();

// Query parameter conversions are typed.
app.get('/search', (req) => {
  expectTypeOf(req.queryParams.get('q')).toEqualTypeOf<string | null>();
  expectTypeOf(req.queryParams.get('q', '')).toEqualTypeOf<string>();
  expectTypeOf(req.queryParams.get('limit', 10, 'int')).toEqualTypeOf<number>();
  expectTypeOf(req.queryParams.get('on', false, 'bool')).toEqualTypeOf<boolean>();
  expectTypeOf(req.queryParams.get('d', null, (raw) => new Date(raw))).toEqualTypeOf<Date | null>();
  return null;
});

// Options are checked.
// @ts-expect-error -- bodyLimit is a number
app.post('/x', { bodyLimit: '1mb' }, () => null);
// @ts-expect-error -- a handler is required
app.get('/y', {});
// @ts-expect-error -- deps must be made with Depends()
app.get('/z', { deps: { db: getDb } }, () => null);

// Handlers written on their own, with the plain `Request` type, fit any route.
async function listUsers(req: Request) {
  return { path: req.path };
}
app.route('/users', listUsers);
app.route('/users/{id:int}', listUsers);

// Group dependencies reach the handlers of the group, typed.
const api = app.routeGroup('/api', { deps: { db } });
api.get('/things/{n:int}', (req, { db }) => {
  expectTypeOf(db).toEqualTypeOf<Db>();
  expectTypeOf(req.params.n).toEqualTypeOf<number>();
  return null;
});

// A group's prefix may hold placeholders: its routes' `req.params` include them, as they do at run time.
const org = app.routeGroup('/orgs/{org_id:int}');
org.route('/users/{user_id:int}', (req) => {
  expectTypeOf(req.params).toEqualTypeOf<{ org_id: number; user_id: number }>();
  return null;
});
org.get('/', { deps: { db } }, (req, { db }) => {
  expectTypeOf(req.params).toEqualTypeOf<{ org_id: number }>();
  expectTypeOf(db).toEqualTypeOf<Db>();
  return null;
});
org.routeGroup('/teams/{team}').post('/members', new JWTAuth({ secretKey: 'k'.repeat(40) }).requireToken((req) => {
  expectTypeOf(req.params).toEqualTypeOf<{ org_id: number; team: string }>();
  return null;
}));

// Body and query schemas type req.json() and req.query.
app.post('/typed', { body: z.object({ name: z.string(), age: z.number() }), query: z.object({ dry: z.string().optional() }) }, async (req) => {
  const body = await req.json();
  expectTypeOf(body).toEqualTypeOf<{ name: string; age: number }>();
  expectTypeOf(req.query).toEqualTypeOf<{ dry?: string | undefined }>();
  return body.name;
});
// A Validator rule dict types them too.
app.post(
  '/rules',
  { body: { name: { required: true, maxLength: 100 }, age: { type: 'integer' } }, query: { limit: { type: 'integer', default: 10 } } },
  async (req) => {
    const body = await req.json();
    expectTypeOf(body).toEqualTypeOf<{ name: string; age?: number }>();
    expectTypeOf(req.query).toEqualTypeOf<{ limit: number }>();
    return body.name;
  },
);
// A query field the schema leaves untyped can only be a string.
app.get('/untyped-rule', { query: Validator.schema({ q: { required: true }, limit: { type: 'integer', max: 100 } }, { coerce: true }) }, (req) => {
  expectTypeOf(req.query).toEqualTypeOf<{ q: string; limit?: number }>();
  return req.query.q.toLowerCase();
});
app.get('/unknown-zod', { query: z.object({ raw: z.unknown(), n: z.coerce.number() }) }, (req) => {
  expectTypeOf(req.query.raw).toEqualTypeOf<string>();
  expectTypeOf(req.query.n).toEqualTypeOf<number>();
  return null;
});
// @ts-expect-error a rule dict's field rule is checked
app.post('/bad-rules', { body: { name: { type: 'text' } } }, () => null);
app.get('/untyped', (req) => {
  expectTypeOf(req.query).toEqualTypeOf<Record<string, string>>();
  return null;
});

// Route meta: open for any key, typed where a module (or the app) declares one.
declare module '../../src/index.js' {
  interface RouteMeta {
    readonly auditLevel?: 'none' | 'full';
  }
}
{
  const metaApp = new CovetApp();
  metaApp.get('/audited', { meta: { auditLevel: 'full', anything: 1 } }, (req) => {
    expectTypeOf(req.route?.meta.auditLevel).toEqualTypeOf<'none' | 'full' | undefined>();
    expectTypeOf(req.route?.meta.anything).toEqualTypeOf<unknown>();
    return 'ok';
  });
  // @ts-expect-error auditLevel is 'none' | 'full'
  metaApp.get('/bad', { meta: { auditLevel: 'some' } }, () => 'ok');
  metaApp.routeGroup('/g', { meta: { auditLevel: 'none' } });
  expectTypeOf<RouteMeta>().toHaveProperty('auditLevel');
}

// A wrapped handler (requireToken, cached, requirePermission, limit) learns the route's typed
// `req` with route options too, as long as they type nothing themselves (the seed's
// `app.route('/users/{user_id:int}', { methods: ['PUT'] }, auth.requireToken(...))`).
{
  const wrapped = new CovetApp();
  const auth = new JWTAuth({ secretKey: 'k'.repeat(40) });
  const rbac = new RoleBasedAccessControl();
  const limiter = new RateLimiter({ defaultLimits: '100/hour', storage: 'memory' });
  const cache = new CacheManager({ backend: 'memory' });
  wrapped.route('/c/{user_id:int}', { methods: ['PUT'] }, auth.requireToken(async (req) => {
    expectTypeOf(req.params).toEqualTypeOf<{ user_id: number }>();
    return { id: req.params.user_id };
  }));
  wrapped.put('/b/{user_id:int}', { name: 'b', tags: ['users'] }, auth.requireToken(async (req) => ({ id: req.params.user_id satisfies number })));
  wrapped.route('/w1/{id:int}', { methods: ['GET'] }, cache.cached({ ttl: 300 }, async (req) => ({ id: req.params.id satisfies number })));
  wrapped.route('/w2/{id:int}', { methods: ['DELETE'] }, rbac.requirePermission('delete', async (req) => ({ id: req.params.id satisfies number })));
  wrapped.route('/w3/{id:int}', { methods: ['GET'] }, limiter.limit('10/minute', async (req) => ({ id: req.params.id satisfies number })));
  wrapped.routeGroup('/g').get('/{id:int}', { name: 'g' }, auth.requireToken((req) => ({ id: req.params.id satisfies number })));
}

// `methods` suggests the known methods and still takes any token (upper-cased at run time).
{
  const methodsApp = new CovetApp();
  methodsApp.route('/m', { methods: ['GET', 'post'] }, () => null);
  methodsApp.route('/dav', { methods: ['PROPFIND'] }, () => null);
  expectTypeOf<'GET' | 'get' | 'PROPFIND'>().toMatchTypeOf<MethodName>();
  // @ts-expect-error -- methods are strings
  methodsApp.route('/n', { methods: [1] }, () => null);
}

// `ValidationError.errors` is `{ field: string[] }`: a plain record of message arrays.
declare const validationError: import('../../src/security/index.js').ValidationError;
const fieldErrors: Record<string, string[]> = validationError.errors;
expectTypeOf(fieldErrors).toEqualTypeOf<Record<string, string[]>>();
