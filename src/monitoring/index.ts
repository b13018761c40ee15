export { ClusterMetricsAggregator, type ClusterMetricsAggregatorOptions, aggregateSnapshots } from './cluster-metrics.js';
export { type BoundCounter, Counter } from './counter.js';
export {
  type ExpositionFormat,
  OPENMETRICS_CONTENT_TYPE,
  PROMETHEUS_CONTENT_TYPE,
  escapeHelp,
  escapeLabelValue,
  formatCanonicalFloat,
  formatValue,
  negotiateFormat,
  renderExposition,
} from './exposition.js';
export { Gauge } from './gauge.js';
export { type BoundHistogram, DEFAULT_BUCKETS, exponentialBuckets, Histogram, linearBuckets } from './histogram.js';
export { HTTPMetricsMiddleware, type HTTPMetricsOptions } from './http-metrics-middleware.js';
export type { Aggregator, Labels, MetricOptions, MetricSnapshot, MetricType, SeriesSnapshot } from './metric.js';
export { MetricsError, type MetricsErrorCode } from './metrics-error.js';
export type { MonitoringLogger } from './metrics-logger.js';
export { type HistogramOptions, MetricsManager, type MetricsManagerOptions, type SummaryOptions } from './metrics-manager.js';
export { type AnyMetric, PrometheusBackend, type PrometheusBackendOptions } from './prometheus-backend.js';
export type { RuntimeMetricsOptions } from './runtime-metrics.js';
export { Summary, type SummaryWindow } from './summary.js';
export {
  type CheckOptions,
  type CheckReport,
  HealthChecker,
  type HealthCheckerOptions,
  type HealthReport,
  type HealthStatus,
  type ReadinessState,
} from './health-checker.js';
export {
  databaseCheck,
  type ExecutableLike,
  type HealthCheckFunction,
  type HealthCheckResult,
  type PingableLike,
  type RedisPingLike,
  redisCheck,
} from './health-checks.js';
export {
  type BatchOptions,
  encodeOtlpJson,
  type ExporterStats,
  OTLPTraceExporter,
  type OTLPTraceExporterOptions,
  toOtlpJson,
} from './otlp-exporter.js';
export type { ActiveSpan, AttributeValue, Attributes, SpanData, SpanEvent, SpanKind, SpanStatusCode } from './span.js';
export { formatTraceparent, parseTraceparent, parseTracestate, type SpanContext } from './trace-context.js';
export { propagationHeaders, trace, type TraceOptions, withSpan } from './trace.js';
export { currentSpan, type StartSpanOptions, Tracer, type TracerOptions } from './tracer.js';
export { resolveTracesUrl, TracingMiddleware, type TracingOptions } from './tracing-middleware.js';
export { FILTERED, isSecretKey, scrubData, scrubHeaders, scrubQuery } from './scrub.js';
export { parseDsn, type SentryDsn } from './sentry-dsn.js';
export type { SentryEvent, SentryException, SentryFrame, SentryLevel, SentryRequest } from './sentry-event.js';
export { type CaptureContext, SentryIntegration, type SentryOptions } from './sentry-integration.js';
export { serializeEnvelope, type TransportStats } from './sentry-transport.js';
export { PerformanceMonitor, type PerformanceMonitorOptions, type Timer } from './performance-monitor.js';
export type { HealthCheckMessage } from './diagnostics-channels.js';
