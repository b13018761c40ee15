// The server of bench/monitoring/run.mjs: one JSON route served four ways —
//   /plain          no observability
//   /observed       Covet's metrics middleware + TracingMiddleware (every request sampled and
//                   exported to the runner's loopback OTLP collector) + request logging (JSON lines
//                   to /dev/null)
//   /noop, /tracing, /logging   a no-op middleware, tracing alone, request logging alone
//   /metrics-covet  Covet's HTTP metrics middleware alone
//   /metrics-prom   the same work done with prom-client (counter + histogram by method, route, status)
import { createWriteStream } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import client from 'prom-client';

const ROOT = resolve(process.env.COVET_DIR ?? '.');
const load = (p) => import(pathToFileURL(join(ROOT, 'dist', p)).href);
const { CovetApp } = await load('index.js');
const { MetricsManager, TracingMiddleware } = await load('monitoring/index.js');
const { StructuredLogger } = await load('logging/index.js');

const app = new CovetApp({ logger: { info() {}, error: console.error } });
const handler = (req) => ({ user: 'alice', id: req.params.id });

const metrics = new MetricsManager();
const tracing = new TracingMiddleware({ serviceName: 'bench', otlpEndpoint: process.env.OTLP_ENDPOINT, logger: { error: console.error } });
const devnull = createWriteStream('/dev/null');
await new Promise((r) => devnull.once('open', r));
const logger = new StructuredLogger({ level: 'INFO', format: 'json', destination: devnull });
app.get('/plain/{id:int}', handler);
app.get('/observed/{id:int}', { middleware: [metrics.middleware(), tracing, logger.middleware()] }, handler);
// The breakdown: what any middleware costs the core, and each part alone.
app.get('/noop/{id:int}', { middleware: [async function noop(req, callNext) { return callNext(req); }] }, handler);
app.get('/tracing/{id:int}', { middleware: [tracing] }, handler);
app.get('/logging/{id:int}', { middleware: [logger.middleware()] }, handler);

const covetOnly = new MetricsManager();
app.get('/metrics-covet/{id:int}', { middleware: [covetOnly.middleware({ inFlight: false })] }, handler);

const registry = new client.Registry();
const labelNames = ['method', 'route', 'status'];
const promRequests = new client.Counter({ name: 'http_requests_total', help: 'HTTP requests handled.', labelNames, registers: [registry] });
const promDuration = new client.Histogram({
  name: 'http_request_duration_seconds',
  help: 'Time to produce an HTTP response, in seconds.',
  labelNames,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [registry],
});
async function promMetrics(req, callNext) {
  const start = performance.now();
  const res = await callNext(req);
  const labels = { method: req.method, route: req.route?.path ?? '<unmatched>', status: String(res.status) };
  promRequests.inc(labels);
  promDuration.observe(labels, (performance.now() - start) / 1000);
  return res;
}
app.get('/metrics-prom/{id:int}', { middleware: [promMetrics] }, handler);

await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT) });
console.log('READY');
process.on('SIGTERM', async () => {
  await tracing.flush();
  console.log(`SPANS ${JSON.stringify(tracing.stats)} DROPPED_LOG_LINES ${logger.droppedLines}`);
  await app.close();
  process.exit(0);
});
