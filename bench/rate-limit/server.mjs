// The servers of bench/rate-limit/run.mjs, one process per (framework, storage):
//   FRAMEWORK=covet|fastify STORAGE=none|memory|redis PORT=… [REDIS_URL=…]
// Every variant serves GET /data → {"data":"response"}; the limit is high enough never to refuse,
// so each request pays the whole check (and, on Redis, one round trip).
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const ROOT = resolve(process.env.COVET_DIR ?? '.');
const { FRAMEWORK, STORAGE, PORT, REDIS_URL } = process.env;
const LIMIT = 1_000_000_000;
// Both frameworks use the project's ioredis (one client per process), so the storage is the same.
const Redis = createRequire(join(ROOT, 'package.json'))('ioredis');

if (FRAMEWORK === 'covet') {
  const { CovetApp } = await import(pathToFileURL(join(ROOT, 'dist', 'index.js')).href);
  const { RateLimiter, RedisRateLimitStore } = await import(pathToFileURL(join(ROOT, 'dist', 'security', 'index.js')).href);
  const app = new CovetApp({ logger: { info() {}, error: console.error } });
  const handler = () => ({ data: 'response' });
  if (STORAGE === 'none') app.get('/data', handler);
  else {
    // The URL form: the store makes its own ioredis client.
    const storage = STORAGE === 'redis' ? new RedisRateLimitStore(REDIS_URL, { prefix: `bench:covet:${process.pid}:` }) : 'memory';
    const limiter = new RateLimiter({ storage });
    app.get('/data', limiter.limit(`${LIMIT}/minute`, handler));
  }
  await app.listen({ host: '127.0.0.1', port: Number(PORT) });
  process.on('SIGTERM', () => app.close().then(() => process.exit(0)));
} else {
  const require = createRequire(import.meta.url);
  const Fastify = require('fastify');
  const app = Fastify({ logger: false });
  if (STORAGE !== 'none') {
    const options = { max: LIMIT, timeWindow: '1 minute' };
    if (STORAGE === 'redis') Object.assign(options, { redis: new Redis(REDIS_URL), nameSpace: `bench:fastify:${process.pid}:` });
    await app.register(require('@fastify/rate-limit'), options);
  }
  app.get('/data', async () => ({ data: 'response' }));
  await app.listen({ host: '127.0.0.1', port: Number(PORT) });
  process.on('SIGTERM', () => app.close().then(() => process.exit(0)));
}
console.log('READY');
