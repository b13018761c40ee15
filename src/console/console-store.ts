// The module's `performance`: the global one is a lazy getter, slower on the hot path.
import { performance } from 'node:perf_hooks';
import type { Response } from '../response.js';
import type { ResolvedConsoleOptions } from './console-options.js';
import { RequestRecord, type RequestDetail, type RequestSummary } from './request-record.js';
import { RingBuffer } from './ring-buffer.js';
import { type SeriesPoint, TimeSeries } from './time-series.js';
import { TraceBuffer, type TraceView } from './trace-buffer.js';

/** The last result of one health check. */
export interface HealthView {
  readonly status: string;
  readonly latencyMs: number;
  readonly error?: string;
  /** Unix time in ms of the check. */
  readonly at: number;
}

/** Hit and miss counts of one cache (by backend and namespace). */
export interface CacheView {
  readonly name: string;
  readonly hits: number;
  readonly misses: number;
  /** Hits / reads, 0 to 1 (0 before the first read). */
  readonly hitRate: number;
}

/** What the page polls: everything the console shows, with requests newer than `since`. */
export interface ConsoleSnapshot {
  readonly now: number;
  readonly startedAt: number;
  readonly totals: { readonly requests: number; readonly errors: number; readonly queries: number; readonly nPlusOne: number };
  readonly series: readonly SeriesPoint[];
  readonly requests: readonly RequestSummary[];
  readonly traces: readonly TraceView[];
  readonly health: Readonly<Record<string, HealthView>>;
  readonly caches: readonly CacheView[];
  readonly capacity: { readonly requests: number; readonly traces: number };
}

// Caches and health checks are keyed by name; the maps are capped so that a name built from
// user input cannot grow them without bound.
const MAX_NAMES = 64;

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/**
 * Everything the console has recorded, all of it bounded: the last `maxRequests` requests,
 * per-second series, the last traces, the last result of each health check and the hit
 * counts of each cache.
 *
 * @example
 * const store = new ConsoleStore(resolveConsoleOptions({}));
 */
export class ConsoleStore {
  readonly options: ResolvedConsoleOptions;
  readonly startedAt = Date.now();
  readonly series: TimeSeries;
  readonly #requests: RingBuffer<RequestRecord>;
  readonly #details: RingBuffer<RequestRecord> | null;
  readonly #traces: TraceBuffer;
  readonly #keepDetails: boolean;
  readonly #timeOrigin = performance.timeOrigin;
  readonly #health = new Map<string, HealthView>();
  readonly #caches = new Map<string, { hits: number; misses: number }>();
  #nextId = 1;
  #inFlight = 0;
  #latest: RequestRecord | null = null;
  #total = 0;
  #errors = 0;
  #queries = 0;
  #nPlusOne = 0;

  constructor(options: ResolvedConsoleOptions, loopLag?: () => number) {
    this.options = options;
    this.series = new TimeSeries(loopLag === undefined ? { seconds: options.seconds } : { seconds: options.seconds, loopLag });
    this.#requests = new RingBuffer(options.maxRequests);
    this.#details = options.maxDetails > 0 && options.maxDetails < options.maxRequests ? new RingBuffer(options.maxDetails) : null;
    this.#traces = new TraceBuffer(options.maxTraces, 256);
    this.#keepDetails = options.maxDetails > 0;
  }

  /** Starts recording a request. */
  begin(method: string, url: string, route: string | null): RequestRecord {
    const record = new RequestRecord(this.#nextId++, method, url, route, performance.now());
    this.#inFlight++;
    this.#latest = record;
    return record;
  }

  /**
   * The request a channel message belongs to when it came from outside the console's
   * `AsyncLocalStorage`: before `attributing` turned on, the only request in flight, if there is
   * exactly one (the usual case while developing: one request at a time).
   */
  soleRequest(): RequestRecord | undefined {
    const latest = this.#latest;
    return this.#inFlight === 1 && latest !== null && !latest.bound && latest.status === 0 ? latest : undefined;
  }

  /**
   * Whether requests run inside the console's `AsyncLocalStorage`. It turns on with the first
   * query, cache read or span (or at startup for apps with a database), so that apps that have
   * none never pay for async context tracking.
   */
  attributing = false;

  /** Files a request that ended with `response`. */
  finish(record: RequestRecord, response: Response): void {
    if (this.#keepDetails) record.keepResponse(response);
    this.finishWith(record, response.status);
  }

  /** Files a finished request with its status (500 for one whose chain rejected). */
  finishWith(record: RequestRecord, status: number): void {
    const end = performance.now();
    this.#inFlight--;
    record.finish(status, end);
    const error = status >= 500;
    this.#total++;
    if (error) this.#errors++;
    if (record.nPlusOne.length > 0) this.#nPlusOne++;
    this.series.record(record.durationMs, error, this.#timeOrigin + end);
    this.#requests.push(record);
    if (this.#details !== null) this.#details.push(record)?.dropDetails();
    else if (!this.#keepDetails) record.dropDetails();
  }

  /** A `covet:db:query` message, with the request it ran in (if any). */
  onQuery(message: unknown, record: RequestRecord | undefined): void {
    this.#queries++;
    this.attributing = true;
    if (record === undefined || typeof message !== 'object' || message === null) return;
    const m = message as Record<string, unknown>;
    const sql = str(m.sql);
    if (sql === undefined) return;
    const error = str(m.error);
    const { nPlusOneThreshold, maxQueriesPerRequest } = this.options;
    record.addQuery(
      {
        sql: sql.length > 4096 ? `${sql.slice(0, 4096)}…` : sql,
        paramCount: typeof m.paramCount === 'number' ? m.paramCount : 0,
        durationMs: typeof m.durationMs === 'number' ? Math.round(m.durationMs * 1000) / 1000 : 0,
        dialect: str(m.dialect) ?? '',
        ...(error === undefined ? {} : { error }),
      },
      nPlusOneThreshold,
      maxQueriesPerRequest,
    );
  }

  /** A `covet:cache:access` message. */
  onCache(message: unknown, record: RequestRecord | undefined): void {
    this.attributing = true;
    if (typeof message !== 'object' || message === null) return;
    const m = message as Record<string, unknown>;
    const hit = m.hit === true;
    const name = `${str(m.backend) ?? 'cache'}${str(m.namespace) ? `:${str(m.namespace)}` : ''}`;
    let stats = this.#caches.get(name);
    if (stats === undefined && this.#caches.size < MAX_NAMES) this.#caches.set(name, (stats = { hits: 0, misses: 0 }));
    if (stats !== undefined) {
      if (hit) stats.hits++;
      else stats.misses++;
    }
    if (record !== undefined) {
      if (hit) record.cacheHits++;
      else record.cacheMisses++;
    }
  }

  /** A `covet:trace:span` message. */
  onSpan(message: unknown, record: RequestRecord | undefined): void {
    this.attributing = true;
    const traceId = this.#traces.add(message);
    if (traceId !== null && record !== undefined) record.traceId ??= traceId;
  }

  /** A `covet:health:check` message. */
  onHealth(message: unknown): void {
    if (typeof message !== 'object' || message === null) return;
    const m = message as Record<string, unknown>;
    const name = str(m.name);
    if (name === undefined || (!this.#health.has(name) && this.#health.size >= MAX_NAMES)) return;
    const error = str(m.error);
    this.#health.set(name, {
      status: str(m.status) ?? 'unknown',
      latencyMs: typeof m.latencyMs === 'number' ? m.latencyMs : 0,
      ...(error === undefined ? {} : { error }),
      at: Date.now(),
    });
  }

  /** The full record of a request still in the buffer. */
  request(id: number): RequestDetail | null {
    for (const r of this.#requests.toArray()) if (r.id === id) return r.detail(this.options.bodyLimit);
    return null;
  }

  /** Everything the page shows; requests only those with an id above `since`. */
  snapshot(since: number): ConsoleSnapshot {
    const requests: RequestSummary[] = [];
    for (const r of this.#requests.toArray()) if (r.id > since) requests.push(r.summary());
    const caches: CacheView[] = [];
    for (const [name, { hits, misses }] of this.#caches) {
      caches.push({ name, hits, misses, hitRate: hits + misses === 0 ? 0 : hits / (hits + misses) });
    }
    return {
      now: Date.now(),
      startedAt: this.startedAt,
      totals: { requests: this.#total, errors: this.#errors, queries: this.#queries, nPlusOne: this.#nPlusOne },
      series: this.series.points(),
      requests,
      traces: this.#traces.list(),
      health: Object.fromEntries(this.#health),
      caches,
      capacity: { requests: this.options.maxRequests, traces: this.options.maxTraces },
    };
  }
}
