// The server of bench/security/run.mjs: the same JSON route, open and behind requireToken.
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const ROOT = resolve(process.env.COVET_DIR ?? '.');
const { CovetApp } = await import(pathToFileURL(join(ROOT, 'dist', 'index.js')).href);
const { JWTAuth } = await import(pathToFileURL(join(ROOT, 'dist', 'security', 'index.js')).href);

const jwtAuth = new JWTAuth({ secretKey: 'bench-secret-0123456789abcdef0123456789abcdef', expirationTime: 3600 });
const app = new CovetApp({ logger: { info() {}, error: console.error } });
app.get('/open', () => ({ user: 'alice' }));
app.get('/protected', jwtAuth.requireToken((req) => ({ user: req.state.user.user })));
// The same secret without the verified-token cache: every request pays the full verification.
const uncached = new JWTAuth({ secretKey: 'bench-secret-0123456789abcdef0123456789abcdef', cacheSize: 0 });
app.get('/protected-nocache', uncached.requireToken((req) => ({ user: req.state.user.user })));
await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT) });
console.log(`READY ${await jwtAuth.createToken({ user: 'alice' })}`);
process.on('SIGTERM', () => app.close().then(() => process.exit(0)));
