import { withDeadline } from '../internal/with-deadline.js';
import { type ExpositionFormat, OPENMETRICS_CONTENT_TYPE, PROMETHEUS_CONTENT_TYPE, renderExposition } from './exposition.js';
import { Counter } from './counter.js';
import type { Gauge } from './gauge.js';
import type { Histogram } from './histogram.js';
import type { MetricHost, MetricSnapshot } from './metric.js';
import { assertMetricName, checkLabelNames, labelValue } from './metric-names.js';
import { MetricsError } from './metrics-error.js';
import { type MonitoringLogger, warn } from './metrics-logger.js';
import type { Summary } from './summary.js';

/** Any metric a backend holds. */
export type AnyMetric = Counter | Gauge | Histogram | Summary;

/** Options of `PrometheusBackend`. */
export interface PrometheusBackendOptions {
  /** Labels added to every sample (`{ service: 'api' }`); must not clash with declared names. Default none. */
  readonly defaultLabels?: Readonly<Record<string, string>>;
  /** Most label sets per metric before new ones are dropped with a warning. Default 2000. */
  readonly maxSeriesPerMetric?: number;
  /** Where the warning about dropped series goes. Default `console`. */
  readonly logger?: MonitoringLogger;
  /**
   * Longest wait, in milliseconds, for the metrics' `collect` callbacks of one scrape; one still
   * running then is logged and its metric written with the value it has, so a callback that
   * hangs (a query to a database that is down) never hangs `/metrics`. Default 5000 (half of
   * Prometheus' default scrape timeout).
   */
  readonly collectTimeout?: number;
}

const BACKEND_DEFAULTS: { defaultLabels: Readonly<Record<string, string>>; maxSeriesPerMetric: number; collectTimeout: number } = {
  defaultLabels: {},
  maxSeriesPerMetric: 2000,
  collectTimeout: 5000,
};

/**
 * The sample names a metric writes, in either format, or that OpenMetrics parsers read as its
 * own (`_created` of counters, histograms and summaries): two metrics must not share one.
 */
function sampleNames(m: AnyMetric): string[] {
  const n = m.name;
  switch (m.type) {
    case 'counter': {
      const family = n.endsWith('_total') ? n.slice(0, -6) : n;
      return [n, family, `${family}_total`, `${family}_created`];
    }
    case 'gauge':
      return [n];
    case 'histogram':
      return [n, `${n}_bucket`, `${n}_sum`, `${n}_count`, `${n}_created`];
    case 'summary':
      return [n, `${n}_sum`, `${n}_count`, `${n}_created`];
  }
}

/**
 * The Prometheus registry: holds metrics, collects them (running their `collect` callbacks),
 * and writes the text format 0.0.4 or OpenMetrics. `MetricsManager` declares metrics into it.
 *
 * @example
 * const metrics = new MetricsManager(new PrometheusBackend({ defaultLabels: { service: 'api' } }));
 */
export class PrometheusBackend implements MetricHost {
  readonly maxSeriesPerMetric: number;
  readonly collectTimeout: number;
  readonly defaultLabels: Readonly<Record<string, string>>;
  readonly #logger: MonitoringLogger;
  readonly #metrics = new Map<string, AnyMetric>();
  readonly #samples = new Map<string, string>();
  readonly #warned = new Set<string>();
  #dropped: Counter | null = null;

  constructor(options: PrometheusBackendOptions = {}) {
    const opts = { ...BACKEND_DEFAULTS, ...options };
    if (!Number.isInteger(opts.maxSeriesPerMetric) || opts.maxSeriesPerMetric < 1) {
      throw new MetricsError('maxSeriesPerMetric must be a positive integer', 'ERR_METRIC_OPTIONS');
    }
    this.maxSeriesPerMetric = opts.maxSeriesPerMetric;
    if (!(opts.collectTimeout > 0)) throw new MetricsError('collectTimeout must be a positive number of ms', 'ERR_METRIC_OPTIONS');
    this.collectTimeout = opts.collectTimeout;
    const names = checkLabelNames('(default labels)', Object.keys(opts.defaultLabels), ['le', 'quantile']);
    const labels: Record<string, string> = {};
    for (const name of names) labels[name] = labelValue('(default labels)', name, opts.defaultLabels[name]);
    this.defaultLabels = Object.freeze(labels);
    this.#logger = options.logger ?? console;
  }

  /**
   * Adds a metric. Declaring the same name again with the same type and label names returns
   * the metric already there; anything else that would clash in the output throws.
   */
  register<M extends AnyMetric>(metric: M): M {
    assertMetricName(metric.name);
    const existing = this.#metrics.get(metric.name);
    if (existing !== undefined) {
      if (existing.type === metric.type && existing.labelNames.join(',') === metric.labelNames.join(',')) return existing as M;
      throw new MetricsError(
        `Metric ${metric.name} is already declared as a ${existing.type} with labels [${existing.labelNames.join(', ')}]`,
        'ERR_METRIC_CONFLICT',
      );
    }
    for (const label of metric.labelNames) {
      if (Object.hasOwn(this.defaultLabels, label))
        throw new MetricsError(`Metric ${metric.name}: label "${label}" clashes with a default label`, 'ERR_METRIC_LABEL_NAME');
    }
    const names = sampleNames(metric);
    for (const sample of names) {
      const owner = this.#samples.get(sample);
      if (owner !== undefined)
        throw new MetricsError(`Metric ${metric.name} would write "${sample}", which metric ${owner} writes`, 'ERR_METRIC_CONFLICT');
    }
    for (const sample of names) this.#samples.set(sample, metric.name);
    this.#metrics.set(metric.name, metric);
    return metric;
  }

  /** The metric of that name, if declared. */
  get(name: string): AnyMetric | undefined {
    return this.#metrics.get(name);
  }

  /** Removes a metric (its name may then be declared again). */
  unregister(name: string): boolean {
    const metric = this.#metrics.get(name);
    if (metric === undefined) return false;
    for (const sample of sampleNames(metric)) this.#samples.delete(sample);
    return this.#metrics.delete(name);
  }

  /** Every metric, in declaration order. */
  get metrics(): readonly AnyMetric[] {
    return [...this.#metrics.values()];
  }

  /**
   * Runs `collect` callbacks, then snapshots every metric. A failing callback is logged, not
   * thrown; one still running after `collectTimeout` is logged and left behind.
   */
  async collect(): Promise<MetricSnapshot[]> {
    const metrics = [...this.#metrics.values()];
    const pending = new Set<AnyMetric>();
    const runs = Promise.all(
      metrics.map((m) => {
        pending.add(m);
        return m
          .runCollect()
          .catch((err: unknown) => {
            this.#logger.error(`collect() of metric ${m.name} failed`, { error: err });
          })
          .finally(() => pending.delete(m));
      }),
    );
    // `runs` never rejects (each failure is logged above): a rejection is the deadline.
    await withDeadline(runs, this.collectTimeout, () => null).catch(() => {
      for (const m of pending) {
        this.#logger.error(`collect() of metric ${m.name} did not finish within ${this.collectTimeout} ms; its current value is written`, {
          metric: m.name,
        });
      }
    });
    return metrics.map((m) => m.snapshot());
  }

  /** The exposition text of snapshots (this backend's default labels added). */
  render(snapshots: readonly MetricSnapshot[], format: ExpositionFormat = 'prometheus'): string {
    return renderExposition(snapshots, format, this.defaultLabels);
  }

  /** Collects and renders. */
  async exposition(format: ExpositionFormat = 'prometheus'): Promise<string> {
    return this.render(await this.collect(), format);
  }

  /** The `Content-Type` of a format. */
  contentType(format: ExpositionFormat): string {
    return format === 'openmetrics' ? OPENMETRICS_CONTENT_TYPE : PROMETHEUS_CONTENT_TYPE;
  }

  /** @internal Counts a label set dropped by the cardinality cap, warning once per metric. */
  seriesDropped(metric: string): void {
    if (this.#dropped === null) {
      this.#dropped = this.register(
        new Counter(
          {
            name: 'covet_metrics_series_dropped_total',
            labelNames: ['metric'],
            help: 'Label sets dropped because a metric reached its series limit.',
            maxSeries: Number.MAX_SAFE_INTEGER,
            aggregator: 'sum',
          },
          this,
        ),
      );
    }
    this.#dropped.inc({ metric });
    if (!this.#warned.has(metric)) {
      this.#warned.add(metric);
      warn(this.#logger, `Metric ${metric} reached its limit of label sets; new label sets are dropped (unbounded label values?)`, {
        metric,
        limit: this.maxSeriesPerMetric,
      });
    }
  }
}
