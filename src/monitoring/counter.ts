import { type Labels, Metric, type MetricHost, type MetricInit, type SeriesSnapshot } from './metric.js';
import { MetricsError } from './metrics-error.js';

interface CounterSeries {
  readonly labels: readonly string[];
  value: number;
}

/** A counter bound to one label set (`counter.labels({...})`), for hot paths. */
export interface BoundCounter {
  inc(n?: number): void;
}

/**
 * A value that only goes up (requests served, errors, bytes sent). Exposed as
 * `name` in the 0.0.4 text format and as `name_total` under the family `name` (without
 * `_total`) in OpenMetrics.
 *
 * @example
 * const requests = metrics.counter('http_requests_total', ['method', 'endpoint']);
 * requests.inc({ method: 'GET', endpoint: '/' });
 * requests.inc({ method: 'GET', endpoint: '/' }, 3);
 */
export class Counter<L extends string = string> extends Metric<CounterSeries> {
  readonly type = 'counter' as const;

  constructor(init: MetricInit, host: MetricHost | null = null, collect?: (counter: Counter<L>) => void | Promise<void>) {
    super(init, [], host, collect);
  }

  /** Adds `n` (default 1, never negative) to the series of `labels`. */
  inc(n?: number): void;
  inc(labels: Labels<L>, n?: number): void;
  inc(a?: Labels | number, b?: number): void {
    // No tuple from labelsAndValue here: this runs on every request of the HTTP middleware.
    const labels = typeof a === 'number' ? undefined : a;
    const n = typeof a === 'number' ? a : (b ?? 1);
    this.#checkIncrement(n);
    const series = this.seriesFor(labels);
    if (series !== null) series.value += n;
  }

  /** The series of one label set, resolved once (and again after `reset` or `remove`). */
  labels(labels: Labels<L>): BoundCounter {
    const seriesOf = this.boundSeries(labels);
    return {
      inc: (n = 1) => {
        this.#checkIncrement(n);
        const series = seriesOf();
        if (series !== null) series.value += n;
      },
    };
  }

  #checkIncrement(n: number): void {
    if (!(n >= 0) || n === Number.POSITIVE_INFINITY)
      throw new MetricsError(`Counter ${this.name}: increment must be a finite number >= 0, got ${n}`, 'ERR_METRIC_VALUE');
  }

  /** The current value of a label set (0 when never incremented). */
  get(labels?: Labels<L>): number {
    return this.seriesFor(labels)?.value ?? 0;
  }

  protected createSeries(labels: readonly string[]): CounterSeries {
    return { labels, value: 0 };
  }

  protected snapshotSeries(s: CounterSeries): SeriesSnapshot {
    return { labels: s.labels, value: s.value };
  }
}
