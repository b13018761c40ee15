import { getHeapSpaceStatistics, writeHeapSnapshot } from 'node:v8';
import { CovetError } from '../errors.js';
import type { Request } from '../request.js';
import type { Response } from '../response.js';
import type { CallNext } from '../types.js';

/** Memory figures in bytes. */
export interface MemorySnapshot {
  readonly rss: number;
  readonly heapTotal: number;
  readonly heapUsed: number;
  readonly external: number;
  readonly arrayBuffers: number;
  /** Used bytes per V8 heap space (`new_space`, `old_space`, …). */
  readonly heapSpaces: Readonly<Record<string, number>>;
}

/** Where warnings go: `warning` or `warn` when the logger has one, else `error`. */
export interface MemoryLogger {
  warning?(message: string, fields?: Record<string, unknown>): void;
  warn?(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** Options of `MemoryMonitor`. */
export interface MemoryMonitorOptions {
  /** What `getMemoryUsage()` measures. Default `heapUsed`. */
  readonly measure?: 'heapUsed' | 'rss';
  /** Per-request growth that triggers a warning. Default 10 MiB. */
  readonly thresholdBytes?: number;
  /** Default `console`. */
  readonly logger?: MemoryLogger;
  /** Also called when a request crosses the threshold. */
  readonly onThreshold?: (info: MemoryWarning) => void;
}

/** What a threshold warning reports. */
export interface MemoryWarning {
  readonly method: string;
  readonly endpoint: string;
  readonly route: string | null;
  readonly memoryIncrease: number;
  readonly memoryAfter: number;
}

/** The result of `detectLeak`. */
export interface LeakReport {
  /** Growth in bytes per second over the samples (least squares). */
  readonly bytesPerSecond: number;
  /** True when the heap grew in (almost) every interval and over `minGrowthBytes` overall. */
  readonly suspected: boolean;
  readonly samples: readonly number[];
}

function optionError(message: string): CovetError {
  return new CovetError(`MemoryMonitor ${message}`, { code: 'ERR_MEMORY_MONITOR_OPTIONS' });
}

/** A byte count given as an option: a finite number ≥ 0 (`'10MB'` would compare as NaN and never warn). */
function checkedBytes(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw optionError(`${name} must be a number of bytes ≥ 0`);
  return value;
}

/**
 * Memory monitoring (the seed's `MemoryMonitor`): current usage, snapshots, a per-request
 * heap-growth middleware that warns above a threshold, heap snapshots for DevTools, and a
 * simple leak detector. Heap growth of one request is approximate: the heap is shared with
 * concurrent requests and the garbage collector runs when it likes.
 *
 * @example
 * const memoryMonitor = new MemoryMonitor();
 * app.middleware('memory', memoryMonitor.middleware({ thresholdBytes: 10 * 1024 * 1024 }));
 */
export class MemoryMonitor {
  readonly #measure: 'heapUsed' | 'rss';
  readonly #threshold: number;
  readonly #logger: MemoryLogger;
  readonly #onThreshold: ((info: MemoryWarning) => void) | undefined;

  constructor(options: MemoryMonitorOptions = {}) {
    this.#measure = options.measure ?? 'heapUsed';
    if (this.#measure !== 'heapUsed' && this.#measure !== 'rss') throw optionError(`measure must be "heapUsed" or "rss", got ${JSON.stringify(this.#measure)}`);
    this.#threshold = checkedBytes('thresholdBytes', options.thresholdBytes ?? 10 * 1024 * 1024);
    this.#logger = options.logger ?? console;
    this.#onThreshold = options.onThreshold;
  }

  /** Bytes in use now (`heapUsed` by default, or `rss`). */
  getMemoryUsage(): number {
    return this.#measure === 'rss' ? process.memoryUsage.rss() : process.memoryUsage().heapUsed;
  }

  /** Every figure at once. */
  snapshot(): MemorySnapshot {
    const m = process.memoryUsage();
    const heapSpaces: Record<string, number> = {};
    for (const s of getHeapSpaceStatistics()) heapSpaces[s.space_name] = s.space_used_size;
    return { rss: m.rss, heapTotal: m.heapTotal, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers, heapSpaces };
  }

  /** Writes a `.heapsnapshot` (open it in Chrome DevTools → Memory) and returns its path. Blocks while writing. */
  writeHeapSnapshot(path?: string): string {
    return path === undefined ? writeHeapSnapshot() : writeHeapSnapshot(path);
  }

  /**
   * Samples memory `samples` times, `intervalMs` apart (collecting garbage first when Node runs
   * with `--expose-gc`), and says whether it keeps growing.
   */
  async detectLeak(
    options: { readonly samples?: number; readonly intervalMs?: number; readonly minGrowthBytes?: number } = {},
  ): Promise<LeakReport> {
    const samples = options.samples ?? 10;
    if (!Number.isInteger(samples) || samples < 1) throw optionError('detectLeak samples must be a positive integer');
    const count = Math.max(3, samples);
    const interval = options.intervalMs ?? 1000;
    if (typeof interval !== 'number' || !(interval > 0) || !Number.isFinite(interval)) throw optionError('detectLeak intervalMs must be a positive number of milliseconds');
    const minGrowth = checkedBytes('detectLeak minGrowthBytes', options.minGrowthBytes ?? 1024 * 1024);
    const gc = (globalThis as { gc?: () => void }).gc;
    const values: number[] = [];
    for (let i = 0; i < count; i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, interval));
      gc?.();
      values.push(this.getMemoryUsage());
    }
    const xs = values.map((_, i) => (i * interval) / 1000);
    const mx = xs.reduce((a, b) => a + b, 0) / count;
    const my = values.reduce((a, b) => a + b, 0) / count;
    let num = 0;
    let den = 0;
    for (let i = 0; i < count; i++) {
      num += ((xs[i] as number) - mx) * ((values[i] as number) - my);
      den += ((xs[i] as number) - mx) ** 2;
    }
    const slope = den === 0 ? 0 : num / den;
    let rises = 0;
    for (let i = 1; i < count; i++) if ((values[i] as number) > (values[i - 1] as number)) rises++;
    const growth = (values[count - 1] as number) - (values[0] as number);
    return { bytesPerSecond: Math.round(slope), suspected: rises >= (count - 1) * 0.8 && growth >= minGrowth, samples: values };
  }

  /**
   * Middleware that measures memory before and after each request and warns
   * (`High memory usage detected`, with endpoint and `memoryIncrease`) above the threshold;
   * the growth is also in `req.state.memoryIncrease`. `thresholdBytes` and `onThreshold` default
   * to the monitor's own.
   */
  middleware(
    options: { readonly thresholdBytes?: number; readonly onThreshold?: (info: MemoryWarning) => void } = {},
  ): (req: Request, callNext: CallNext) => Promise<Response> {
    const threshold = options.thresholdBytes === undefined ? this.#threshold : checkedBytes('thresholdBytes', options.thresholdBytes);
    if (options.onThreshold !== undefined && typeof options.onThreshold !== 'function') throw new TypeError('MemoryMonitor: onThreshold must be a function');
    const onThreshold = options.onThreshold ?? this.#onThreshold;
    const monitor = this;
    return async function memoryMonitor(req: Request, callNext: CallNext): Promise<Response> {
      const before = monitor.getMemoryUsage();
      const response = await callNext(req);
      const after = monitor.getMemoryUsage();
      const increase = after - before;
      req.state.memoryIncrease = increase;
      if (increase > threshold) {
        const info: MemoryWarning = {
          method: req.method,
          endpoint: req.path,
          route: req.route?.path ?? null,
          memoryIncrease: increase,
          memoryAfter: after,
        };
        // A warning that fails (a logger or callback throwing) must not turn the response into a 500.
        try {
          monitor.#warn('High memory usage detected', { ...info });
          onThreshold?.(info);
        } catch (err) {
          try {
            monitor.#logger.error('MemoryMonitor warning failed', { error: err });
          } catch {
            // nothing left to report it to
          }
        }
      }
      return response;
    };
  }

  #warn(message: string, fields: Record<string, unknown>): void {
    const l = this.#logger;
    if (typeof l.warning === 'function') l.warning(message, fields);
    else if (typeof l.warn === 'function') l.warn(message, fields);
    else l.error(message, fields);
  }
}
