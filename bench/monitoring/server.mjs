// The Covet server of bench/monitoring/run.mjs: GET /x/{id:int} (a small JSON object), GET
// /items (a page of 20 records, bench/lib/items.mjs) and GET /users/{id:int} (one row of an
// in-memory SQLite table through covet/database, bench/lib/users-table.mjs), with the observability chosen by the F
// environment variable (any of these letters; none: all off):
//   m  Covet's HTTP metrics middleware (counter + histogram by method, route and status)
//   t  TracingMiddleware: every request sampled, spans exported over OTLP/HTTP JSON to
//      OTLP_ENDPOINT (the runner's loopback collector)
//   n  with t: no exporter (spans are only propagated)
//   s  with t: sampleRate 0 (every request's span unsampled, nothing exported)
//   l  request logging: StructuredLogger JSON lines (one per request) to /dev/null
//   p  the same metrics work done with prom-client, in a middleware (instead of m)
//   o  a no-op middleware (what any middleware costs the core)
//   a  a middleware that only runs the rest in `AsyncLocalStorage.run` (what the async hooks
//      cost that tracing and logging need for their context)
//   z  the hand-written minimum of bench/monitoring/minimal.mjs (digits after it choose its parts)
// A fresh process per configuration: tracing and logging turn on Node's async hooks for the
// whole process, which an "all off" route in the same process would pay too.
import { createWriteStream } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import client from 'prom-client';
import { itemsPage } from '../lib/items.mjs';
import { minimalObservability } from './minimal.mjs';
import { CREATE_USERS, INSERT_USER, SELECT_USER, userRows } from '../lib/users-table.mjs';

const ROOT = resolve(process.env.COVET_DIR ?? '.');
const F = process.env.F ?? '';
const load = (p) => import(pathToFileURL(join(ROOT, 'dist', p)).href);
const { CovetApp } = await load('index.js');
const { MetricsManager, TracingMiddleware } = await load('monitoring/index.js');
const { StructuredLogger } = await load('logging/index.js');
const { DatabaseManager } = await load('database/index.js');

const app = new CovetApp({ logger: { info() {}, error: console.error } });
const middleware = [];
if (F.includes('o')) middleware.push(async function noop(req, callNext) {
  return callNext(req);
});
if (F.includes('a')) {
  const { AsyncLocalStorage } = await import('node:async_hooks');
  const storage = new AsyncLocalStorage();
  middleware.push(function contextOnly(req, callNext) {
    return storage.run({ req }, callNext);
  });
}
if (F.includes('m')) middleware.push(new MetricsManager().middleware());
if (F.includes('p')) {
  const labelNames = ['method', 'route', 'status'];
  const requests = new client.Counter({ name: 'http_requests_total', help: 'HTTP requests handled.', labelNames });
  const duration = new client.Histogram({ name: 'http_request_duration_seconds', help: 'Time to produce an HTTP response, in seconds.', labelNames });
  middleware.push(async function promMetrics(req, callNext) {
    const start = performance.now();
    const res = await callNext(req);
    const labels = { method: req.method, route: req.route?.path ?? '<unmatched>', status: String(res.status) };
    requests.inc(labels);
    duration.observe(labels, (performance.now() - start) / 1000);
    return res;
  });
}
let tracing = null;
if (F.includes('t')) {
  tracing = new TracingMiddleware({
    serviceName: 'bench',
    ...(F.includes('n') ? {} : { otlpEndpoint: process.env.OTLP_ENDPOINT }),
    sampleRate: F.includes('s') ? 0 : 1,
    logger: { error: console.error },
  });
  middleware.push(tracing);
}
let logger = null;
if (F.includes('l')) {
  const devnull = createWriteStream('/dev/null');
  await new Promise((r) => devnull.once('open', r));
  logger = new StructuredLogger({ level: 'INFO', format: 'json', destination: devnull });
  middleware.push(logger.middleware());
}
if (F.includes('z')) middleware.push(await minimalObservability({ parts: F, otlpEndpoint: process.env.OTLP_ENDPOINT, root: ROOT }));
app.get('/x/{id:int}', { middleware }, (req) => ({ user: 'alice', id: req.params.id }));
app.get('/items', { middleware }, () => itemsPage());
const db = new DatabaseManager('sqlite:///:memory:');
await db.execute(CREATE_USERS);
for (const row of userRows()) await db.execute(INSERT_USER, ...row);
app.get('/users/{id:int}', { middleware }, async (req) => await db.fetchOne(SELECT_USER, req.params.id));

await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT) });
console.log('READY');
process.on('SIGTERM', async () => {
  await tracing?.flush();
  console.log(`SPANS ${JSON.stringify(tracing?.stats ?? null)} DROPPED_LOG_LINES ${logger?.droppedLines ?? 0}`);
  await app.close();
  process.exit(0);
});
