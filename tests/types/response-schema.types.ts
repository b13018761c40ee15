// Type tests: checked by `tsc --noEmit` (npm run typecheck), never executed. Each
// `@ts-expect-error` line must fail to compile, or tsc reports the directive as unused.
import { toStandardJsonSchema } from '@valibot/to-json-schema';
import * as v from 'valibot';
import { z } from 'zod';
import { CovetApp, json, type ResponseResult, type RouteStatus } from '../../src/index.js';
import { JWTAuth, Validator } from '../../src/security/index.js';

const app = new CovetApp();
const User = z.object({ id: z.number(), name: z.string() });
const row = { id: 1, name: 'Ann', passwordHash: 'x' };

// The handler's value must fit the schema's input type; extra fields are fine (they are dropped).
app.get('/ok', { response: User }, () => row);
app.get('/async', { response: User }, async () => row);
app.get('/array', { response: z.array(User) }, () => [row, row]);
app.get('/tuple', { response: User }, () => [row, 201]);
app.get('/tuple-headers', { response: User }, () => [row, 201, { location: '/users/1' }]);
app.post('/map', { response: { 201: User, 404: z.object({ error: z.string() }) } }, () => [{ error: 'missing' }, 404]);
app.get('/response', { response: User }, () => json({ anything: true }));
app.get('/none', { response: User }, () => null);
app.get('/valibot', { response: toStandardJsonSchema(v.object({ id: v.number() })) }, () => ({ id: 1 }));
app.get('/validator', { response: new Validator({ id: { type: 'integer', required: true } }) }, () => ({ id: 1 }));
// A plain JSON Schema carries no TypeScript type: anything goes.
app.get('/json-schema', { response: { type: 'object', properties: { id: { type: 'integer' } } } }, () => ({ whatever: true }));
// Wrapped handlers (typed as returning unknown) are not checked.
const jwt = new JWTAuth({ secretKey: 'k'.repeat(32) });
app.get('/wrapped', { response: User }, jwt.requireToken(() => ({ id: 1, name: 'a' })));

// @ts-expect-error -- `name` is missing
app.get('/missing', { response: User }, () => ({ id: 1 }));
// @ts-expect-error -- `id` must be a number
app.get('/wrong-type', { response: User }, async () => ({ id: '1', name: 'a' }));
// @ts-expect-error -- the array holds users
app.get('/wrong-array', { response: z.array(User) }, () => [{ id: 1 }]);
// @ts-expect-error -- the tuple body must fit one of the map's schemas
app.post('/wrong-tuple', { response: { 201: User } }, () => [{ nope: true }, 201]);
// @ts-expect-error -- Valibot's input type is checked too
app.get('/wrong-valibot', { response: toStandardJsonSchema(v.object({ id: v.number() })) }, () => ({ id: 'x' }));
// @ts-expect-error -- Validator's output type (its input is unknown) is checked
app.get('/wrong-validator', { response: new Validator({ id: { type: 'integer', required: true } }) }, () => ({ id: 'x' }));

// What a route with a `response` option may return.
type R = ResponseResult<typeof User>;
const fits: R = { id: 1, name: 'a' };
// @ts-expect-error -- not a user
const misfit: R = { id: 1 };
void fits;
void misfit;

// The `status` route option: a number (editors suggest the 2xx codes), composing with `response`.
app.post('/status', { status: 201 }, () => ({ id: 1 }));
app.post('/status-schema', { status: 201, response: User }, () => row);
app.post('/status-map', { status: 201, response: { 201: User, 409: z.object({ error: z.string() }) } }, () => row);
app.delete('/status-none', { status: 204 }, () => null);
app.post('/status-other', { status: 299 }, () => 'ok');
const created: RouteStatus = 201;
void created;
// @ts-expect-error -- a status is a number, not a string
app.post('/status-string', { status: '201' }, () => ({ id: 1 }));
// @ts-expect-error -- nor anything else
app.post('/status-bool', { status: true }, () => ({ id: 1 }));
// @ts-expect-error -- the response schema is still checked
app.post('/status-missing', { status: 201, response: User }, () => ({ id: 1 }));
// @ts-expect-error -- not a number
const notStatus: RouteStatus = '201';
void notStatus;
