// Type-level tests (checked by `npm run typecheck`, not run): typed users, params and bodies.
import { expectTypeOf } from 'expect-type';
import { CovetApp } from '../../../src/index.js';
import { JWTAuth } from '../../../src/security/index.js';

const app = new CovetApp();
const jwtAuth = new JWTAuth<{ user: string }>({ secretKey: 'k' });
app.get('/users/{id:int}', jwtAuth.requireToken(async (req) => {
  expectTypeOf(req.params.id).toEqualTypeOf<number>();
  expectTypeOf(req.state.user.user).toEqualTypeOf<string>();
  expectTypeOf(req.state.user.exp).toEqualTypeOf<number | undefined>();
  return { id: req.params.id };
}));
app.get('/mw', { middleware: [jwtAuth.requireToken()] }, (req) => jwtAuth.user(req).user);

import { InputValidator, Validator } from '../../../src/security/index.js';
const userRules = new Validator({
  name: { required: true, maxLength: 100 },
  email: { required: true, email: true },
  age: { type: 'integer', min: 0, max: 150 },
  role: { enum: ['admin', 'user'], default: 'user' },
  address: { fields: { city: { type: 'string', required: true } } },
  tags: { items: { type: 'string' } },
  note: { type: 'string', nullable: true },
});
const validated = userRules.validate({});
expectTypeOf(validated).toEqualTypeOf<{
  name: string;
  email: string;
  role: 'admin' | 'user';
  age?: number;
  address?: { city: string };
  tags?: string[];
  note?: string | null;
}>();
app.post('/users', { body: userRules }, async (req) => {
  const body = await req.json();
  expectTypeOf(body.name).toEqualTypeOf<string>();
  return body;
});
app.get('/search', { query: Validator.schema({ q: { required: true, type: 'string' }, limit: { type: 'integer' } }, { coerce: true }) }, (req) => {
  expectTypeOf(req.query.q).toEqualTypeOf<string>();
  expectTypeOf(req.query.limit).toEqualTypeOf<number | undefined>();
  return req.query;
});
const iv = new InputValidator().validate({}, { n: { required: true, type: 'number' } });
expectTypeOf(iv).toEqualTypeOf<{ n: number }>();
// With body/query schemas, requireToken() as route middleware keeps the body type (the
// wrapper form cannot see the schema: TypeScript infers nested generic calls before it).
app.post('/both', { body: userRules, middleware: [jwtAuth.requireToken()] }, async (req) => {
  const body = await req.json();
  expectTypeOf(body.email).toEqualTypeOf<string>();
  expectTypeOf(jwtAuth.user(req).user).toEqualTypeOf<string>();
  return body;
});

import { RoleBasedAccessControl } from '../../../src/security/index.js';
const rbac = new RoleBasedAccessControl().addRole('admin', { permissions: ['delete'] });
app.delete('/items/{id:int}', jwtAuth.requireToken(rbac.requirePermission('delete', async (req) => {
  expectTypeOf(req.params.id).toEqualTypeOf<number>();
  expectTypeOf(req.state.user.user).toEqualTypeOf<string>();
  return { deleted: req.params.id };
})));
app.get('/admin', { middleware: [jwtAuth.requireToken(), rbac.requireRole('admin')] }, () => 'ok');

// Per-call validation options: typed, and the result type is the same.
expectTypeOf(userRules.validate({}, { coerce: true })).toEqualTypeOf(validated);
// @ts-expect-error coerce is a boolean
userRules.validate({}, { coerce: 'yes' });
expectTypeOf(new InputValidator().validate({}, { n: { type: 'integer' } }, { coerce: true })).toEqualTypeOf<{ n?: number }>();

// Route meta: covet/security declares `csrf`; other keys stay open for your own middleware.
app.post('/hooks/payments', { meta: { csrf: false, audit: 'payments' } }, (req) => {
  expectTypeOf(req.route?.meta.csrf).toEqualTypeOf<boolean | undefined>();
  return 'ok';
});
// @ts-expect-error csrf is a boolean
app.post('/hooks/bad', { meta: { csrf: 'off' } }, () => 'ok');
app.routeGroup('/partner', { meta: { csrf: false } }).post('/events', () => 'ok');
