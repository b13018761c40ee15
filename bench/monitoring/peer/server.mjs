// The peer of bench/monitoring: the same three routes on Fastify (the SQLite one through
// better-sqlite3 directly, as a Fastify user would), with what a Fastify user would
// add for the same three features (chosen by the F environment variable: any of m, t, l):
//   m  prom-client counter + histogram by method, route and status (onResponse hook)
//   t  an OpenTelemetry SDK span per request (W3C traceparent in, route, status, traceparent
//      out), current through AsyncLocalStorage as @opentelemetry/instrumentation-http makes it,
//      batched and exported over OTLP/HTTP JSON to OTLP_ENDPOINT
//   l  pino request logging, one line per request with a correlation id echoed in
//      x-request-id, written to /dev/null through pino's asynchronous destination
import { createServer } from 'node:http';
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import Fastify from 'fastify';
import pino from 'pino';
import client from 'prom-client';
import Database from 'better-sqlite3';
import { itemsPage } from '../../lib/items.mjs';
import { CREATE_USERS, INSERT_USER, SELECT_USER, userRows } from '../../lib/users-table.mjs';

const F = process.env.F ?? '';
let serverFactory;
if (F.includes('t')) {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'bench' }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: `${process.env.OTLP_ENDPOINT}/v1/traces` }))],
  });
  trace.setGlobalTracerProvider(provider);
  const tracer = trace.getTracer('bench');
  const getter = { keys: (h) => Object.keys(h), get: (h, k) => h[k] };
  const setter = { set: (h, k, v) => h.setHeader(k, v) };
  serverFactory = (handler) =>
    createServer((req, res) => {
      const parent = propagation.extract(context.active(), req.headers, getter);
      const span = tracer.startSpan(
        `${req.method}`,
        {
          kind: 1,
          attributes: { 'http.request.method': req.method, 'url.path': req.url, 'url.scheme': 'http', 'user_agent.original': req.headers['user-agent'] },
        },
        parent,
      );
      const ctx = trace.setSpan(parent, span);
      propagation.inject(ctx, res, setter);
      res.once('finish', () => {
        const route = req.routeOptions?.url;
        if (route !== undefined) span.updateName(`${req.method} ${route}`);
        span.setAttribute('http.response.status_code', res.statusCode);
        span.end();
      });
      context.with(ctx, () => handler(req, res));
    });
}

const app = Fastify({
  ...(serverFactory === undefined ? {} : { serverFactory }),
  logger: F.includes('l') ? { level: 'info', stream: pino.destination({ dest: '/dev/null', minLength: 4096, sync: false }) } : false,
  disableRequestLogging: true,
  requestIdHeader: 'x-request-id',
  genReqId: () => crypto.randomUUID(),
});

if (F.includes('l')) {
  app.addHook('onRequest', (req, reply, done) => {
    reply.header('x-request-id', req.id);
    done();
  });
  app.addHook('onResponse', (req, reply, done) => {
    req.log.info(
      { method: req.method, path: req.url, route: req.routeOptions.url, status: reply.statusCode, durationMs: reply.elapsedTime, userAgent: req.headers['user-agent'] },
      'Request completed',
    );
    done();
  });
}

if (F.includes('m')) {
  const labelNames = ['method', 'route', 'status'];
  const requests = new client.Counter({ name: 'http_requests_total', help: 'HTTP requests handled.', labelNames });
  const duration = new client.Histogram({ name: 'http_request_duration_seconds', help: 'Time to produce an HTTP response, in seconds.', labelNames });
  app.addHook('onResponse', (req, reply, done) => {
    const labels = { method: req.method, route: req.routeOptions.url ?? '<unmatched>', status: String(reply.statusCode) };
    requests.inc(labels);
    duration.observe(labels, reply.elapsedTime / 1000);
    done();
  });
}

app.get('/x/:id', (req) => ({ user: 'alice', id: Number(req.params.id) }));
app.get('/items', () => itemsPage());
const db = new Database(':memory:');
db.exec(CREATE_USERS);
const insert = db.prepare(INSERT_USER);
for (const row of userRows()) insert.run(...row);
const selectUser = db.prepare(SELECT_USER);
app.get('/users/:id', async (req) => selectUser.get(Number(req.params.id)) ?? null);
await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT) });
console.log('READY');
process.on('SIGTERM', async () => {
  await app.close();
  process.exit(0);
});
