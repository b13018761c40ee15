import type { Request } from '../request.js';
import { Response } from '../response.js';
import { ClusterWorkerBridge } from './cluster-metrics.js';
import { Counter } from './counter.js';
import { type ExpositionFormat, negotiateFormat } from './exposition.js';
import { Gauge } from './gauge.js';
import { DEFAULT_BUCKETS, Histogram } from './histogram.js';
import { HTTPMetricsMiddleware, type HTTPMetricsOptions } from './http-metrics-middleware.js';
import type { MetricInit, MetricOptions, MetricSnapshot } from './metric.js';
import { assertMetricName } from './metric-names.js';
import { type AnyMetric, PrometheusBackend } from './prometheus-backend.js';
import { type RuntimeMetricsOptions, collectRuntimeMetrics } from './runtime-metrics.js';
import { Summary, type SummaryWindow } from './summary.js';

/** Options of `metrics.histogram`. */
export interface HistogramOptions<L extends string = string> extends MetricOptions<Histogram<L>> {
  /** Upper bounds, ascending (`+Inf` is implied). Default: 5 ms … 10 s (Prometheus' defaults). */
  readonly buckets?: readonly number[];
}

/** Options of `metrics.summary`. */
export interface SummaryOptions<L extends string = string> extends MetricOptions<Summary<L>>, SummaryWindow {}

/** Options of `MetricsManager`. */
export interface MetricsManagerOptions {
  /** Prepended to every metric name declared through this manager. Default `''`. */
  readonly prefix?: string;
  /**
   * In a `node:cluster` worker, make `metrics.handler` answer with the metrics of every worker
   * added up (the primary must run `new ClusterMetricsAggregator().attach()`). Default `false`:
   * each worker answers with its own. Workers always answer the primary's collection requests.
   */
  readonly aggregateCluster?: boolean;
  /** How long a worker waits for the primary's aggregate before answering with its own metrics. Default 2000 ms. */
  readonly clusterTimeout?: number;
}

type LabelArg<O, L extends string = string> = readonly L[] | O | undefined;

function splitArgs<O extends object>(a: LabelArg<O>, b: O | undefined): [readonly string[], O] {
  if (Array.isArray(a)) return [a as readonly string[], b ?? ({} as O)];
  if (a !== undefined && typeof a === 'object' && !Array.isArray(a)) {
    const opts = a as O & { labelNames?: readonly string[] };
    return [opts.labelNames ?? [], { ...b, ...opts } as O];
  }
  return [[], b ?? ({} as O)];
}

/**
 * The metrics facade (the seed's `MetricsManager`): declares counters, gauges, histograms and
 * summaries into a backend, serves them (`metrics.handler`), and offers a ready HTTP
 * middleware and process/runtime metrics.
 *
 * @example
 * const metrics = new MetricsManager(new PrometheusBackend());
 * const requests = metrics.counter('http_requests_total', ['method', 'endpoint']);
 * requests.inc({ method: 'GET', endpoint: '/' });
 * metrics.histogram('http_request_duration_seconds').observe(0.012);
 * app.route('/metrics', metrics.handler);
 */
export class MetricsManager {
  readonly backend: PrometheusBackend;
  readonly prefix: string;
  readonly #stops: (() => void)[] = [];
  readonly #bridge: ClusterWorkerBridge | null;
  #runtime = false;

  constructor(backend: PrometheusBackend = new PrometheusBackend(), options: MetricsManagerOptions = {}) {
    this.backend = backend;
    this.prefix = options.prefix ?? '';
    if (this.prefix !== '') assertMetricName(this.prefix);
    this.#bridge = ClusterWorkerBridge.forWorker(
      backend,
      () => this.backend.collect(),
      options.aggregateCluster ?? false,
      options.clusterTimeout ?? 2000,
    );
    if (this.#bridge !== null) this.#stops.push(() => this.#bridge?.close());
  }

  #init(name: string, labelNames: readonly string[], options: MetricOptions<never>): MetricInit {
    const full = this.prefix + name;
    assertMetricName(full);
    return {
      name: full,
      labelNames,
      help: options.help ?? '',
      maxSeries: options.maxSeries ?? this.backend.maxSeriesPerMetric,
      aggregator: options.aggregator ?? 'sum',
    };
  }

  /**
   * A counter. Label names are declared here, once; every `inc` must give exactly those.
   *
   * @example
   * metrics.counter('jobs_total', ['queue'], { help: 'Jobs run.' }).inc({ queue: 'mail' })
   */
  counter<const L extends string = string>(
    name: string,
    labelNames?: LabelArg<MetricOptions<Counter<L>>, L>,
    options?: MetricOptions<Counter<L>>,
  ): Counter<L> {
    const [labels, opts] = splitArgs<MetricOptions<Counter<L>>>(labelNames, options);
    return this.backend.register(new Counter<L>(this.#init(name, labels, opts), this.backend, opts.collect));
  }

  /** A gauge. */
  gauge<const L extends string = string>(
    name: string,
    labelNames?: LabelArg<MetricOptions<Gauge<L>>, L>,
    options?: MetricOptions<Gauge<L>>,
  ): Gauge<L> {
    const [labels, opts] = splitArgs<MetricOptions<Gauge<L>>>(labelNames, options);
    return this.backend.register(new Gauge<L>(this.#init(name, labels, opts), this.backend, opts.collect));
  }

  /**
   * A histogram, with `buckets` (default 5 ms … 10 s).
   *
   * @example
   * metrics.histogram('db_query_seconds', ['table'], { buckets: [0.001, 0.01, 0.1, 1] })
   */
  histogram<const L extends string = string>(
    name: string,
    labelNames?: LabelArg<HistogramOptions<L>, L>,
    options?: HistogramOptions<L>,
  ): Histogram<L> {
    const [labels, opts] = splitArgs<HistogramOptions<L>>(labelNames, options);
    const metric = this.backend.register(
      new Histogram<L>(this.#init(name, labels, opts), opts.buckets ?? DEFAULT_BUCKETS, this.backend, opts.collect),
    );
    return metric;
  }

  /** A summary (quantiles over a sliding window). */
  summary<const L extends string = string>(
    name: string,
    labelNames?: LabelArg<SummaryOptions<L>, L>,
    options?: SummaryOptions<L>,
  ): Summary<L> {
    const [labels, opts] = splitArgs<SummaryOptions<L>>(labelNames, options);
    return this.backend.register(new Summary<L>(this.#init(name, labels, opts), opts, this.backend, opts.collect));
  }

  /** A declared metric by name (with the prefix). */
  getMetric(name: string): AnyMetric | undefined {
    return this.backend.get(name);
  }

  /** Collects every metric as plain data. */
  collect(): Promise<MetricSnapshot[]> {
    return this.backend.collect();
  }

  /** The exposition text (0.0.4 by default). */
  async metrics(format: ExpositionFormat = 'prometheus'): Promise<string> {
    if (this.#bridge?.aggregate) {
      const all = await this.#bridge.requestAggregate();
      if (all !== null) return this.backend.render(all, format);
    }
    return this.backend.exposition(format);
  }

  /**
   * The `/metrics` route handler, bound: OpenMetrics when `Accept` asks for it, else the text
   * format 0.0.4 (`Vary: Accept`, `Cache-Control: no-store`).
   *
   * @example
   * app.route('/metrics', metrics.handler)
   */
  readonly handler = async (req: Request): Promise<Response> => {
    const format = negotiateFormat(req.headers.get('accept'));
    const body = await this.metrics(format);
    return new Response(body, { status: 200, headers: { 'content-type': this.backend.contentType(format), 'cache-control': 'no-store', vary: 'Accept' } });
  };

  /**
   * The ready HTTP middleware: `http_requests_total` and `http_request_duration_seconds` by
   * method, route template and status, plus `http_requests_in_flight`.
   *
   * @example
   * app.addMiddleware(metrics.middleware())
   */
  middleware(options: HTTPMetricsOptions = {}): HTTPMetricsMiddleware {
    return new HTTPMetricsMiddleware(this, options);
  }

  /**
   * Process and runtime metrics: CPU, memory, heap, event-loop lag, GC pauses, open handles
   * and file descriptors (names as prom-client's defaults). Stopped by `close()`.
   *
   * @example
   * metrics.collectDefaultMetrics()
   */
  collectDefaultMetrics(options: RuntimeMetricsOptions = {}): this {
    if (this.#runtime) return this;
    this.#runtime = true;
    this.#stops.push(collectRuntimeMetrics(this, options));
    this.#stops.push(() => {
      this.#runtime = false;
    });
    return this;
  }

  /** Stops runtime collectors and the cluster listener. */
  close(): void {
    for (const stop of this.#stops.splice(0)) stop();
  }
}
