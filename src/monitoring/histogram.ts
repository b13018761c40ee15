import { type Labels, Metric, type MetricHost, type MetricInit, type MetricSnapshot, type SeriesSnapshot } from './metric.js';
import { MetricsError } from './metrics-error.js';

/** Prometheus' default buckets, in seconds: 5 ms to 10 s. */
export const DEFAULT_BUCKETS: readonly number[] = Object.freeze([0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]);

/** `count` buckets from `start`, each `width` apart. */
export function linearBuckets(start: number, width: number, count: number): number[] {
  if (!(width > 0) || !(count >= 1)) throw new MetricsError('linearBuckets needs width > 0 and count >= 1', 'ERR_METRIC_OPTIONS');
  return Array.from({ length: count }, (_, i) => start + i * width);
}

/** `count` buckets from `start`, each `factor` times the previous. */
export function exponentialBuckets(start: number, factor: number, count: number): number[] {
  if (!(start > 0) || !(factor > 1) || !(count >= 1))
    throw new MetricsError('exponentialBuckets needs start > 0, factor > 1 and count >= 1', 'ERR_METRIC_OPTIONS');
  return Array.from({ length: count }, (_, i) => start * factor ** i);
}

/** Checks and normalizes bucket bounds: finite, strictly ascending; a trailing `+Inf` is implied. */
export function checkBuckets(name: string, buckets: readonly number[]): readonly number[] {
  const out = buckets.filter((b) => b !== Number.POSITIVE_INFINITY);
  if (out.length === 0) throw new MetricsError(`Histogram ${name}: needs at least one finite bucket`, 'ERR_METRIC_OPTIONS');
  for (let i = 0; i < out.length; i++) {
    const b = out[i] as number;
    if (typeof b !== 'number' || !Number.isFinite(b))
      throw new MetricsError(`Histogram ${name}: bucket ${b} is not a finite number`, 'ERR_METRIC_OPTIONS');
    if (i > 0 && b <= (out[i - 1] as number))
      throw new MetricsError(`Histogram ${name}: buckets must be strictly ascending`, 'ERR_METRIC_OPTIONS');
  }
  return Object.freeze(out);
}

interface HistogramSeries {
  readonly labels: readonly string[];
  /** Per-bucket (not cumulative) counts; the last slot is `+Inf`. */
  readonly counts: Float64Array;
  sum: number;
  count: number;
}

/** A histogram bound to one label set (`histogram.labels({...})`), for hot paths. */
export interface BoundHistogram {
  observe(value: number): void;
}

/**
 * Counts observations into buckets (request durations, response sizes); Prometheus computes
 * quantiles from the buckets with `histogram_quantile`.
 *
 * @example
 * const latency = metrics.histogram('http_request_duration_seconds', ['route'], { buckets: [0.01, 0.1, 1] });
 * latency.observe({ route: '/users/{id}' }, 0.042);
 * metrics.histogram('job_seconds').observe(1.5);
 */
export class Histogram<L extends string = string> extends Metric<HistogramSeries> {
  readonly type = 'histogram' as const;
  /** Upper bounds, ascending, without `+Inf`. */
  readonly buckets: readonly number[];

  constructor(
    init: MetricInit,
    buckets: readonly number[] = DEFAULT_BUCKETS,
    host: MetricHost | null = null,
    collect?: (h: Histogram<L>) => void | Promise<void>,
  ) {
    super(init, ['le'], host, collect);
    this.buckets = checkBuckets(init.name, buckets);
  }

  /** Records one observation. */
  observe(value: number): void;
  observe(labels: Labels<L>, value: number): void;
  observe(a: Labels | number, b?: number): void {
    const series = this.seriesFor(typeof a === 'number' ? undefined : a);
    if (series !== null) this.#record(series, typeof a === 'number' ? a : (b as number));
  }

  /** The series of one label set, resolved once (and again after `reset` or `remove`). */
  labels(labels: Labels<L>): BoundHistogram {
    const seriesOf = this.boundSeries(labels);
    return {
      observe: (v) => {
        const series = seriesOf();
        if (series !== null) this.#record(series, v);
      },
    };
  }

  /** Starts a timer; the returned function observes the elapsed seconds (and returns them). */
  startTimer(labels?: Labels<L>): () => number {
    const start = performance.now();
    return () => {
      const seconds = (performance.now() - start) / 1000;
      if (labels === undefined) this.observe(seconds);
      else this.observe(labels, seconds);
      return seconds;
    };
  }

  #record(series: HistogramSeries, v: number): void {
    if (typeof v !== 'number' || Number.isNaN(v))
      throw new MetricsError(`Histogram ${this.name}: observation must be a number`, 'ERR_METRIC_VALUE');
    const bounds = this.buckets;
    let i = 0;
    while (i < bounds.length && v > (bounds[i] as number)) i++;
    series.counts[i] = (series.counts[i] ?? 0) + 1;
    series.sum += v;
    series.count++;
  }

  protected createSeries(labels: readonly string[]): HistogramSeries {
    return { labels, counts: new Float64Array(this.buckets.length + 1), sum: 0, count: 0 };
  }

  protected snapshotSeries(s: HistogramSeries): SeriesSnapshot {
    const cumulative: number[] = [];
    let total = 0;
    for (const c of s.counts) cumulative.push((total += c));
    return { labels: s.labels, buckets: cumulative, sum: s.sum, count: s.count };
  }

  protected override snapshotExtras(): Partial<MetricSnapshot> {
    return { buckets: this.buckets };
  }
}
