// Type tests for covet/monitoring, covet/logging and covet/debugging: checked by `tsc --noEmit`,
// never executed. Each `@ts-expect-error` line must fail to compile.
import { expectTypeOf } from 'expect-type';
import { CovetApp, type Integration, type Middleware, type Request, type Response } from '../../src/index.js';
import { MemoryMonitor, PerformanceProfiler, type ProfileReport } from '../../src/debugging/index.js';
import { StructuredLogger } from '../../src/logging/index.js';
import {
  type ActiveSpan,
  type HealthReport,
  HealthChecker,
  MetricsManager,
  PerformanceMonitor,
  PrometheusBackend,
  SentryIntegration,
  trace,
  TracingMiddleware,
} from '../../src/monitoring/index.js';

const app = new CovetApp();
const metrics = new MetricsManager(new PrometheusBackend());
const requests = metrics.counter('http_requests_total', ['method', 'endpoint']);
requests.inc({ method: 'GET', endpoint: '/' });
requests.inc({ method: 'GET', endpoint: '/' }, 2);
requests.inc();
requests.inc(3);
// @ts-expect-error -- the value comes after the labels
requests.inc(2, { method: 'GET' });
// @ts-expect-error -- label values are strings, numbers or booleans
requests.inc({ method: ['GET'] });
// @ts-expect-error -- a label the counter was not declared with
requests.inc({ method: 'GET', endpt: '/' });
// @ts-expect-error -- every declared label is given
requests.inc({ method: 'GET' });
// @ts-expect-error -- the same for a bound series
requests.labels({ method: 'GET' });
// @ts-expect-error -- and for histograms
metrics.histogram('route_seconds', ['route']).observe({ path: '/' }, 0.1);
const dynamicNames: string[] = ['anything'];
metrics.counter('dynamic_total', dynamicNames).inc({ whatever: 'x' }); // names unknown to the types: checked at run time
metrics.gauge('queue_depth', ['queue'], { collect: (g) => g.set({ queue: 'mail' }, 1) });
metrics.histogram('http_request_duration_seconds').observe(0.012);
metrics.histogram('h_seconds', ['route'], { buckets: [0.1, 1] }).observe({ route: '/' }, 0.2);
// @ts-expect-error -- observe needs a value
metrics.histogram('x_seconds').observe();
metrics.gauge('g').set({ a: 'b' }, 1);
metrics.gauge('g2').set(1);
expectTypeOf(metrics.handler).toEqualTypeOf<(req: Request) => Promise<Response>>();
app.route('/metrics', metrics.handler);
expectTypeOf(metrics.middleware()).toMatchTypeOf<Middleware>();

const health = new HealthChecker();
health.check('database', async () => ({ status: 'healthy' as const }));
health.check('redis', async () => {});
health.check('flag', () => true);
// @ts-expect-error -- a status is healthy or unhealthy
health.check('bad', async () => ({ status: 'ok' as const }));
app.includeRouter(health.router, { prefix: '/health' });
expectTypeOf(health.run()).resolves.toEqualTypeOf<HealthReport>();

const tracing = new TracingMiddleware({ serviceName: 'covet-app', otlpEndpoint: 'http://127.0.0.1:4318' });
app.addMiddleware(tracing);
expectTypeOf(tracing.flush()).resolves.toBeVoid();
const traced = trace('business_operation', async (id: number) => ({ id }));
expectTypeOf(traced).toEqualTypeOf<(id: number) => Promise<{ id: number }>>();
expectTypeOf<ActiveSpan['setAttribute']>().parameter(0).toBeString();

const sentry = new SentryIntegration({ dsn: 'https://k@o1.ingest.sentry.io/1', environment: 'production', tracesSampleRate: 0.1 });
app.addIntegration(sentry);
expectTypeOf(sentry).toMatchTypeOf<Integration>();
expectTypeOf(sentry.captureException(new Error('x'))).toEqualTypeOf<string | null>();

const logger = new StructuredLogger({ level: 'INFO', format: 'json', correlationId: true });
// @ts-expect-error -- not a level
new StructuredLogger({ level: 'LOUD' });
app.addMiddleware(logger.middleware());
expectTypeOf(logger.context({ correlationId: 'x' }, () => 42)).toEqualTypeOf<number>();
new CovetApp({ logger });

const monitor = new PerformanceMonitor({ prometheusEndpoint: '/metrics', jaegerEndpoint: 'http://jaeger:14268/api/traces' });
monitor.counter('database_queries').inc();
// @ts-expect-error -- PerformanceMonitor's metrics know their labels too
monitor.counter('queries_total', ['table']).inc({ tbl: 'users' });
{
  using _t = monitor.timer('query_execution');
}

const profiler = new PerformanceProfiler();
expectTypeOf(profiler.getReport()).toEqualTypeOf<ProfileReport>();
expectTypeOf(new MemoryMonitor().getMemoryUsage()).toBeNumber();
