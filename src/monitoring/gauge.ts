import { type Labels, Metric, type MetricHost, type MetricInit, type SeriesSnapshot, labelsAndValue } from './metric.js';
import { MetricsError } from './metrics-error.js';

interface GaugeSeries {
  readonly labels: readonly string[];
  value: number;
}

/**
 * A value that goes up and down (in-flight requests, queue length, temperature).
 *
 * @example
 * const inFlight = metrics.gauge('jobs_in_flight', ['queue']);
 * inFlight.inc({ queue: 'mail' }); inFlight.dec({ queue: 'mail' });
 * metrics.gauge('temperature_celsius').set(21.5);
 */
export class Gauge<L extends string = string> extends Metric<GaugeSeries> {
  readonly type = 'gauge' as const;

  constructor(init: MetricInit, host: MetricHost | null = null, collect?: (gauge: Gauge<L>) => void | Promise<void>) {
    super(init, [], host, collect);
  }

  /** Sets the value of a label set. */
  set(value: number): void;
  set(labels: Labels<L>, value: number): void;
  set(a: Labels | number, b?: number): void {
    const [labels, v] = labelsAndValue(a, b, undefined);
    this.#check(v);
    const series = this.seriesFor(labels);
    if (series !== null) series.value = v;
  }

  /** Adds `n` (default 1). */
  inc(n?: number): void;
  inc(labels: Labels<L>, n?: number): void;
  inc(a?: Labels | number, b?: number): void {
    const labels = typeof a === 'number' ? undefined : a;
    const n = typeof a === 'number' ? a : (b ?? 1);
    this.#check(n);
    const series = this.seriesFor(labels);
    if (series !== null) series.value += n;
  }

  /** Subtracts `n` (default 1). */
  dec(n?: number): void;
  dec(labels: Labels<L>, n?: number): void;
  dec(a?: Labels | number, b?: number): void {
    const labels = typeof a === 'number' ? undefined : a;
    const n = typeof a === 'number' ? a : (b ?? 1);
    this.#check(n);
    const series = this.seriesFor(labels);
    if (series !== null) series.value -= n;
  }

  /** Sets the value to the current Unix time in seconds. */
  setToCurrentTime(labels?: Labels<L>): void {
    const series = this.seriesFor(labels);
    if (series !== null) series.value = Date.now() / 1000;
  }

  /** Starts a timer; calling the returned function sets the elapsed seconds and returns them. */
  startTimer(labels?: Labels<L>): () => number {
    const start = performance.now();
    return () => {
      const seconds = (performance.now() - start) / 1000;
      const series = this.seriesFor(labels);
      if (series !== null) series.value = seconds;
      return seconds;
    };
  }

  /** The current value of a label set (0 when never set). */
  get(labels?: Labels<L>): number {
    return this.seriesFor(labels)?.value ?? 0;
  }

  #check(v: number): void {
    if (typeof v !== 'number') throw new MetricsError(`Gauge ${this.name}: value must be a number`, 'ERR_METRIC_VALUE');
  }

  protected createSeries(labels: readonly string[]): GaugeSeries {
    return { labels, value: 0 };
  }

  protected snapshotSeries(s: GaugeSeries): SeriesSnapshot {
    return { labels: s.labels, value: s.value };
  }
}
