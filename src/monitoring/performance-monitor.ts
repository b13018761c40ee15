import type { CovetApp } from '../app.js';
import type { Counter } from './counter.js';
import type { Gauge } from './gauge.js';
import type { Histogram } from './histogram.js';
import type { MetricOptions } from './metric.js';
import { type HistogramOptions, MetricsManager } from './metrics-manager.js';
import { trace, type TraceOptions } from './trace.js';
import { TracingMiddleware, type TracingOptions } from './tracing-middleware.js';

/** Options of `PerformanceMonitor`. */
export interface PerformanceMonitorOptions {
  /** Where `install(app)` serves the metrics. Default `/metrics`. */
  readonly prometheusEndpoint?: string;
  /** OTLP collector base URL for traces (see `TracingMiddleware`). Default none. */
  readonly otlpEndpoint?: string;
  /** The seed's Jaeger collector URL, read as OTLP on port 4318 of that host. Default none. */
  readonly jaegerEndpoint?: string;
  /** `service.name` of the spans. Default: `OTEL_SERVICE_NAME`, else `covet-app`. */
  readonly serviceName?: string;
  /** The metrics to add to. Default: a new `MetricsManager`. */
  readonly metrics?: MetricsManager;
  /** More tracing options. */
  readonly tracing?: Omit<TracingOptions, 'serviceName' | 'otlpEndpoint' | 'jaegerEndpoint'>;
}

/** A running timer: `stop()` (or leaving a `using` block) records the elapsed seconds. */
export interface Timer extends Disposable, AsyncDisposable {
  /** Records and returns the elapsed seconds (once). */
  stop(): number;
}

function metricName(name: string): string {
  const clean = name.replace(/[^a-zA-Z0-9_:]/g, '_');
  return /^[a-zA-Z_:]/.test(clean) ? clean : `_${clean}`;
}

/**
 * The seed's `PerformanceMonitor`: one object for timers, counters, histograms and traced
 * operations, over `MetricsManager` and `TracingMiddleware`. `install(app)` adds the metrics
 * route, the HTTP metrics middleware and (with an endpoint) tracing.
 *
 * @example
 * const monitor = new PerformanceMonitor({ prometheusEndpoint: '/metrics', jaegerEndpoint: 'http://jaeger:14268/api/traces' });
 * const complexDatabaseOperation = monitor.trace('database_operation', async () => {
 *   let result;
 *   { using _t = monitor.timer('query_execution'); result = await db.fetchAll('SELECT * FROM complex_view'); }
 *   monitor.counter('database_queries').inc();
 *   monitor.histogram('result_size').observe(result.length);
 *   return result;
 * });
 */
export class PerformanceMonitor {
  readonly metrics: MetricsManager;
  readonly tracing: TracingMiddleware | null;
  readonly prometheusEndpoint: string;

  constructor(options: PerformanceMonitorOptions = {}) {
    this.metrics = options.metrics ?? new MetricsManager();
    this.prometheusEndpoint = options.prometheusEndpoint ?? '/metrics';
    this.tracing =
      options.otlpEndpoint === undefined && options.jaegerEndpoint === undefined
        ? null
        : new TracingMiddleware({
            ...options.tracing,
            ...(options.serviceName === undefined ? {} : { serviceName: options.serviceName }),
            ...(options.otlpEndpoint === undefined ? {} : { otlpEndpoint: options.otlpEndpoint }),
            ...(options.jaegerEndpoint === undefined ? {} : { jaegerEndpoint: options.jaegerEndpoint }),
          });
  }

  /** A counter (declared on first use, the same one after). */
  counter<const L extends string = string>(name: string, labelNames: readonly L[] = [], options: MetricOptions<Counter<L>> = {}): Counter<L> {
    return this.metrics.counter<L>(name, labelNames, options);
  }

  /** A gauge. */
  gauge<const L extends string = string>(name: string, labelNames: readonly L[] = [], options: MetricOptions<Gauge<L>> = {}): Gauge<L> {
    return this.metrics.gauge<L>(name, labelNames, options);
  }

  /** A histogram (default buckets suit seconds; pass `buckets` for sizes). */
  histogram<const L extends string = string>(name: string, labelNames: readonly L[] = [], options: HistogramOptions<L> = {}): Histogram<L> {
    return this.metrics.histogram<L>(name, labelNames, options);
  }

  /**
   * Starts a timer recorded in the histogram `<name>_duration_seconds` (the seed's
   * `async with monitor.timer(name)` is `using _t = monitor.timer(name)`).
   */
  timer(name: string): Timer {
    const end = this.histogram(`${metricName(name)}_duration_seconds`, [], { help: `Duration of ${name}, in seconds.` }).startTimer();
    let seconds: number | null = null;
    const stop = (): number => (seconds ??= end());
    return {
      stop,
      [Symbol.dispose]: () => void stop(),
      [Symbol.asyncDispose]: async () => void stop(),
    };
  }

  /** Runs `fn` and records its duration like `timer(name)`. */
  async time<T>(name: string, fn: () => T | Promise<T>): Promise<T> {
    const t = this.timer(name);
    try {
      return await fn();
    } finally {
      t.stop();
    }
  }

  /**
   * Wraps `fn` in a span named `name` (see `trace`), and times it in `<name>_duration_seconds`.
   * Without `fn`, a decorator: the seed's `@monitor.trace("database_operation")` on a method.
   */
  trace<F extends (...args: never[]) => unknown>(name: string, fn: F, options?: TraceOptions): F;
  trace(name: string, options?: TraceOptions): <F extends (...args: never[]) => unknown>(fn: F, context?: unknown) => F;
  trace<F extends (...args: never[]) => unknown>(
    name: string,
    fnOrOptions?: F | TraceOptions,
    options?: TraceOptions,
  ): F | (<G extends (...args: never[]) => unknown>(fn: G, context?: unknown) => G) {
    if (typeof fnOrOptions !== 'function') {
      const opts = fnOrOptions;
      return <G extends (...args: never[]) => unknown>(fn: G): G => this.#traced(name, fn, opts);
    }
    return this.#traced(name, fnOrOptions, options);
  }

  #traced<F extends (...args: never[]) => unknown>(name: string, fn: F, options: TraceOptions | undefined): F {
    const monitor = this;
    const timed = {
      [fn.name || name](this: unknown, ...args: never[]): unknown {
        const t = monitor.timer(name);
        let out: unknown;
        try {
          out = fn.apply(this as never, args);
        } catch (err) {
          t.stop();
          throw err;
        }
        if (out instanceof Promise) return out.finally(() => t.stop());
        t.stop();
        return out;
      },
    }[fn.name || name] as F;
    return trace(name, timed, options);
  }

  /** Adds the metrics route, HTTP metrics middleware and tracing (when configured) to an app. */
  install(app: CovetApp): this {
    if (this.tracing !== null) app.addMiddleware(this.tracing);
    app.addMiddleware(this.metrics.middleware());
    app.route(this.prometheusEndpoint, this.metrics.handler);
    return this;
  }
}
