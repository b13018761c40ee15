// Type tests for covet/security: checked by `tsc --noEmit` (npm run typecheck), never executed.
// Each `@ts-expect-error` line must fail to compile.
import { expectTypeOf } from 'expect-type';
import { CovetApp, type Request } from '../../src/index.js';
import {
  CORSMiddleware,
  CSRFProtection,
  JWTAuth,
  OAuth2Server,
  RateLimiter,
  RoleBasedAccessControl,
  ValidationError,
  Validator,
} from '../../src/security/index.js';

const app = new CovetApp();
const handler = async (req: Request) => ({ path: req.path });

const jwtAuth = new JWTAuth({ secretKey: 'k'.repeat(32), algorithm: 'HS256', expirationTime: 3600 });
expectTypeOf(jwtAuth.createToken({ user: 'alice' })).resolves.toBeString();
app.route('/protected', jwtAuth.requireToken(async (req) => ({ message: `Hello, ${String(req.state.user.user)}!` })));
const typed = new JWTAuth<{ user: string; roles: string[] }>({ secretKey: 'k'.repeat(32) });
app.get('/me', typed.requireToken((req) => {
  expectTypeOf(req.state.user.user).toEqualTypeOf<string>();
  return null;
}));
app.websocket('/ws/authenticated', jwtAuth.requireWebsocketToken(async (ws) => ws.sendJson({ user: ws.state.user })));
// @ts-expect-error -- `secretKey`, not `secretkey`
new JWTAuth({ secretkey: 'x' });
// @ts-expect-error -- not an algorithm
new JWTAuth({ secretKey: 'x', algorithm: 'HS257' });

const oauth2 = new OAuth2Server({
  authorizationEndpoint: '/oauth/authorize',
  tokenEndpoint: '/oauth/token',
  clients: { client_id: { secret: 's', redirectUris: ['https://app.example.com/cb'] } },
  authenticateUser: async () => ({ id: 'u1' }),
});
app.includeOAuth2(oauth2);
// @ts-expect-error -- `tokenEndpoint`
new OAuth2Server({ clients: {}, tokenEndPoint: '/t' });

const rbac = new RoleBasedAccessControl();
rbac.addRole('admin', { permissions: ['read', 'write', 'delete'] });
app.route('/admin/users', rbac.requirePermission('delete', handler));
app.route('/admin/roles', rbac.requireRole('admin', handler));

app.addMiddleware(new CORSMiddleware({ allowOrigins: ['https://myapp.com'], allowMethods: ['GET'], allowHeaders: ['x-a'], allowCredentials: true, maxAge: 86400 }));
// @ts-expect-error -- `allowOrigins`
new CORSMiddleware({ allowOrigin: ['https://myapp.com'] });
app.addMiddleware(new CSRFProtection({ secretKey: 'k'.repeat(32), safeMethods: ['GET', 'HEAD', 'OPTIONS'], exemptPaths: ['/api/webhook'] }));
// @ts-expect-error -- `exemptPaths`
new CSRFProtection({ secretKey: 'k'.repeat(32), exemptPath: ['/api/webhook'] });

const rateLimiter = new RateLimiter({ defaultLimits: '100/hour', storage: 'memory' });
// The Redis URL usually comes from the environment or a config as a plain `string`.
declare const redisUrlFromConfig: string;
new RateLimiter({ defaultRate: '100/hour', burstRate: '10/minute', storage: redisUrlFromConfig });
new RateLimiter({ defaultLimits: '100/hour', storage: process.env.REDIS_URL ?? 'memory' });
app.route('/api/data', rateLimiter.limit('10/minute', handler));
app.addMiddleware(rateLimiter);
// keyFunc takes the request as a user annotates it (`Request`), or inferred.
new RateLimiter({ storage: 'memory', keyFunc: (req: Request) => req.headers.get('x-api-key') ?? req.client.host });
new RateLimiter({ storage: 'memory', keyFunc: async (req) => req.headers.get('x-api-key') });

const validator = new Validator({ name: { required: true, maxLength: 100 }, email: { required: true, email: true }, age: { type: 'integer', min: 0, max: 150 } });
expectTypeOf(validator.validate({})).toEqualTypeOf<{ name: string; email: string; age?: number }>();
try {
  validator.validate({});
} catch (e) {
  if (e instanceof ValidationError) expectTypeOf(e.errors).toEqualTypeOf<Record<string, string[]>>();
}
// @ts-expect-error -- `required`
new Validator({ name: { requird: true } });
// @ts-expect-error -- 'integer', not 'int'
new Validator({ age: { type: 'int' } });
