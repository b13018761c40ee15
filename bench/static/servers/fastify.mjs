// Fastify + @fastify/static serving STATIC_ROOT under /static/ with its defaults (ETag,
// Last-Modified, Cache-Control, ranges; preCompressed off, which matters only with Accept-Encoding).
import fastifyStatic from '@fastify/static';
import Fastify from 'fastify';

const app = Fastify({ logger: false });
await app.register(fastifyStatic, { root: process.env.STATIC_ROOT, prefix: '/static/' });
await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT) });
process.on('SIGTERM', () => void app.close().finally(() => process.exit(0)));
