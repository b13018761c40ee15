import { RingBuffer } from './ring-buffer.js';

/** One second of traffic. */
export interface SeriesPoint {
  /** The second, in Unix time (seconds). */
  readonly t: number;
  readonly requests: number;
  /** Responses with a 5xx status. */
  readonly errors: number;
  /** Latency percentiles in ms (0 in a second without requests). */
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  /** Event-loop delay in ms (p99 over the second), when a sampler is given. */
  readonly loopLagMs: number;
}

/** Options of `TimeSeries`. */
export interface TimeSeriesOptions {
  /** Seconds kept. Default 120. */
  readonly seconds?: number;
  /** Latency samples kept per second for the percentiles (reservoir-sampled past it). Default 1024. */
  readonly samplesPerSecond?: number;
  /** Reads and resets the event-loop delay (ms), once per finished second. */
  readonly loopLag?: () => number;
  /** Clock in ms. Default `Date.now`. */
  readonly now?: () => number;
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0;
  const i = Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1);
  return Math.round((sorted[Math.max(0, i)] as number) * 1000) / 1000;
}

/**
 * Per-second request counts, error counts, latency percentiles and event-loop lag for the last
 * `seconds` seconds, in fixed memory: a ring of finished seconds plus a fixed sample array for
 * the current one. Seconds are closed lazily, on the next record or read.
 *
 * @example
 * const series = new TimeSeries({ seconds: 60 });
 * series.record(12.5, false);
 * series.points(); // finished seconds, oldest first
 */
export class TimeSeries {
  readonly #ring: RingBuffer<SeriesPoint>;
  readonly #samples: Float64Array;
  readonly #loopLag: (() => number) | undefined;
  readonly #now: () => number;
  #second: number;
  #requests = 0;
  #errors = 0;

  constructor(options: TimeSeriesOptions = {}) {
    this.#ring = new RingBuffer(options.seconds ?? 120);
    this.#samples = new Float64Array(options.samplesPerSecond ?? 1024);
    this.#loopLag = options.loopLag;
    this.#now = options.now ?? Date.now;
    this.#second = Math.floor(this.#now() / 1000);
  }

  /** Counts one request of `durationMs`, ended at `at` (Unix ms, default now); `error` for a 5xx. */
  record(durationMs: number, error: boolean, at: number = this.#now()): void {
    const second = Math.floor(at / 1000);
    if (second !== this.#second) this.#advance(second);
    const n = this.#requests++;
    if (error) this.#errors++;
    const cap = this.#samples.length;
    if (n < cap) this.#samples[n] = durationMs;
    else {
      // Reservoir sampling: every request of the second has the same chance to be kept.
      const j = Math.floor(Math.random() * (n + 1));
      if (j < cap) this.#samples[j] = durationMs;
    }
  }

  /** The finished seconds, oldest first (seconds without traffic included, as zeros). */
  points(): SeriesPoint[] {
    const second = Math.floor(this.#now() / 1000);
    if (second !== this.#second) this.#advance(second);
    return this.#ring.toArray();
  }

  #advance(second: number): void {
    const kept = Math.min(this.#requests, this.#samples.length);
    const sorted = this.#samples.slice(0, kept).sort();
    const lag = this.#loopLag?.() ?? 0;
    this.#ring.push({
      t: this.#second,
      requests: this.#requests,
      errors: this.#errors,
      p50: percentile(sorted, 0.5),
      p90: percentile(sorted, 0.9),
      p99: percentile(sorted, 0.99),
      loopLagMs: lag,
    });
    // Idle seconds in between are zeros (at most a ring's worth).
    const gap = Math.min(second - this.#second - 1, this.#ring.capacity);
    for (let i = gap; i > 0; i--) this.#ring.push({ t: second - i, requests: 0, errors: 0, p50: 0, p90: 0, p99: 0, loopLagMs: lag });
    this.#second = second;
    this.#requests = 0;
    this.#errors = 0;
  }
}
