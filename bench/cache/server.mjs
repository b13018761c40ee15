// The server of bench/cache/run.mjs: the same JSON handler plain and behind cachePage (every
// request after the first is a cache hit), plus a CacheManager-backed cached() route.
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const ROOT = resolve(process.env.COVET_DIR ?? '.');
const { CovetApp } = await import(pathToFileURL(join(ROOT, 'dist', 'index.js')).href);
const { CacheManager, cachePage } = await import(pathToFileURL(join(ROOT, 'dist', 'cache', 'index.js')).href);

const handler = () => ({ message: 'Hello, World!', items: [1, 2, 3], ok: true });
const cache = new CacheManager({ backend: 'memory' });
const app = new CovetApp({ logger: { info() {}, error: console.error } });
app.get('/plain', handler);
app.get('/page', cachePage({ ttl: 3600 }, handler));
app.get('/cached', cache.cached({ ttl: 3600 }, handler));
app.get('/page-quiet', cachePage({ ttl: 3600, cacheHeader: false }, handler));
await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT) });
console.log('READY');
process.on('SIGTERM', () => app.close().then(() => process.exit(0)));
