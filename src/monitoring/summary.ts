import {
  type Labels,
  Metric,
  type MetricHost,
  type MetricInit,
  type MetricSnapshot,
  type SeriesSnapshot,
  labelsAndValue,
} from './metric.js';
import { MetricsError } from './metrics-error.js';

/** Options of a summary's sliding window. */
export interface SummaryWindow {
  /** Quantiles to report, each in [0, 1]. Default `[0.5, 0.9, 0.99]`. */
  readonly quantiles?: readonly number[];
  /** Observations older than this leave the window. Default 600 s. */
  readonly maxAgeSeconds?: number;
  /** The window rotates in this many steps. Default 5. */
  readonly ageBuckets?: number;
  /** Most observations kept per series (a uniform sample beyond it). Default 1000. */
  readonly maxSamples?: number;
}

const SUMMARY_DEFAULTS = { quantiles: [0.5, 0.9, 0.99], maxAgeSeconds: 600, ageBuckets: 5, maxSamples: 1000 } as const;

/** The quantile `q` of ascending `sorted` values, interpolated between the closest ranks. */
export function quantileOf(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = sorted[lo] as number;
  const b = sorted[hi] as number;
  return a + (b - a) * (pos - lo);
}

interface SummarySeries {
  readonly labels: readonly string[];
  /** One sample array per age bucket; `head` is the one being filled. */
  readonly windows: number[][];
  /** Observations offered to each age bucket (for reservoir sampling). */
  readonly offered: number[];
  head: number;
  rotatedAt: number;
  sum: number;
  count: number;
}

/**
 * Quantiles over a sliding time window, computed in the process (unlike a histogram they
 * cannot be aggregated by Prometheus; across `node:cluster` workers Covet merges the samples).
 *
 * @example
 * const size = metrics.summary('response_size_bytes', [], { quantiles: [0.5, 0.99] });
 * size.observe(512);
 */
export class Summary<L extends string = string> extends Metric<SummarySeries> {
  readonly type = 'summary' as const;
  readonly quantiles: readonly number[];
  readonly #ageMs: number;
  readonly #ageBuckets: number;
  readonly #perBucket: number;

  constructor(
    init: MetricInit,
    window: SummaryWindow = {},
    host: MetricHost | null = null,
    collect?: (s: Summary<L>) => void | Promise<void>,
  ) {
    super(init, ['quantile'], host, collect);
    const opts = { ...SUMMARY_DEFAULTS, ...window };
    for (const q of opts.quantiles) {
      if (typeof q !== 'number' || !(q >= 0 && q <= 1))
        throw new MetricsError(`Summary ${init.name}: quantile ${q} is not in [0, 1]`, 'ERR_METRIC_OPTIONS');
    }
    if (
      !(opts.maxAgeSeconds > 0) ||
      !Number.isInteger(opts.ageBuckets) ||
      opts.ageBuckets < 1 ||
      !Number.isInteger(opts.maxSamples) ||
      opts.maxSamples < 1
    ) {
      throw new MetricsError(`Summary ${init.name}: maxAgeSeconds, ageBuckets and maxSamples must be positive`, 'ERR_METRIC_OPTIONS');
    }
    this.quantiles = Object.freeze([...new Set(opts.quantiles)].sort((a, b) => a - b));
    this.#ageMs = (opts.maxAgeSeconds * 1000) / opts.ageBuckets;
    this.#ageBuckets = opts.ageBuckets;
    this.#perBucket = Math.max(1, Math.ceil(opts.maxSamples / opts.ageBuckets));
  }

  /** Records one observation. */
  observe(value: number): void;
  observe(labels: Labels<L>, value: number): void;
  observe(a: Labels | number, b?: number): void {
    const [labels, v] = labelsAndValue(a, b, undefined);
    if (typeof v !== 'number' || Number.isNaN(v))
      throw new MetricsError(`Summary ${this.name}: observation must be a number`, 'ERR_METRIC_VALUE');
    const s = this.seriesFor(labels);
    if (s === null) return;
    this.#rotate(s, Date.now());
    const window = s.windows[s.head] as number[];
    const seen = (s.offered[s.head] = (s.offered[s.head] ?? 0) + 1);
    if (window.length < this.#perBucket) window.push(v);
    else {
      // Reservoir sampling keeps a uniform sample of the bucket's observations.
      const j = Math.floor(Math.random() * seen);
      if (j < this.#perBucket) window[j] = v;
    }
    s.sum += v;
    s.count++;
  }

  /** Starts a timer; the returned function observes the elapsed seconds. */
  startTimer(labels?: Labels<L>): () => number {
    const start = performance.now();
    return () => {
      const seconds = (performance.now() - start) / 1000;
      if (labels === undefined) this.observe(seconds);
      else this.observe(labels, seconds);
      return seconds;
    };
  }

  #rotate(s: SummarySeries, now: number): void {
    let steps = Math.floor((now - s.rotatedAt) / this.#ageMs);
    if (steps <= 0) return;
    s.rotatedAt += steps * this.#ageMs;
    if (steps > this.#ageBuckets) steps = this.#ageBuckets;
    for (let i = 0; i < steps; i++) {
      s.head = (s.head + 1) % this.#ageBuckets;
      s.windows[s.head] = [];
      s.offered[s.head] = 0;
    }
  }

  protected createSeries(labels: readonly string[]): SummarySeries {
    return {
      labels,
      windows: Array.from({ length: this.#ageBuckets }, () => []),
      offered: new Array<number>(this.#ageBuckets).fill(0),
      head: 0,
      rotatedAt: Date.now(),
      sum: 0,
      count: 0,
    };
  }

  protected snapshotSeries(s: SummarySeries): SeriesSnapshot {
    this.#rotate(s, Date.now());
    return { labels: s.labels, samples: s.windows.flat(), sum: s.sum, count: s.count };
  }

  protected override snapshotExtras(): Partial<MetricSnapshot> {
    return { quantiles: this.quantiles };
  }
}
