// Fastify behind node:cluster with N workers (argv: port workers), the same routes as app.mjs.
import cluster from 'node:cluster';
import Fastify from 'fastify';
import { itemsPage } from '../lib/items.mjs';

const port = Number(process.argv[2] ?? 3000);
const workers = Number(process.argv[3] ?? 2);
if (cluster.isPrimary) {
  let up = 0;
  for (let i = 0; i < workers; i++) {
    cluster.fork().on('message', (m) => {
      if (m === 'ready' && ++up === workers) console.log(`Fastify listening on http://127.0.0.1:${port} (${workers} workers)`);
    });
  }
  process.on('SIGTERM', () => {
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGTERM');
    process.exit(0);
  });
} else {
  const app = Fastify({ logger: false });
  app.get('/', async () => ({ hello: 'world' }));
  app.get('/items', async () => itemsPage());
  await app.listen({ port, host: '127.0.0.1' });
  process.send?.('ready');
}
