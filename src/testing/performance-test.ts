import { Agent, request } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { CovetApp } from '../app.js';

(Symbol as { asyncDispose?: symbol }).asyncDispose ??= Symbol.for('Symbol.asyncDispose');

/** Options of `PerformanceTest.loadTest` (the seed's `concurrent_users`, `requests_per_user`). */
export interface LoadTestOptions {
  /** Simulated users, each with its own keep-alive connection. Default 10. */
  readonly concurrentUsers?: number;
  /** Requests each user sends one after another. Default 10. */
  readonly requestsPerUser?: number;
  readonly method?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  /** Statuses at or above this count as errors. Default 400. */
  readonly errorStatus?: number;
}

/** What a load test measured; times in milliseconds. */
export interface LoadTestResult {
  readonly totalRequests: number;
  readonly successfulRequests: number;
  readonly failedRequests: number;
  /** Failed requests / all requests, 0-1. */
  readonly errorRate: number;
  readonly durationMs: number;
  readonly requestsPerSecond: number;
  /** Mean time per request, in seconds (the seed's `avg_response_time < 0.1` is 100 ms). */
  readonly avgResponseTime: number;
  /** Fastest request, in seconds. */
  readonly minResponseTime: number;
  /** Slowest request, in seconds. */
  readonly maxResponseTime: number;
  /** Response-time percentiles (nearest rank), in seconds. */
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  /** Count of responses per status code (`0`: connection error). */
  readonly statusCodes: Readonly<Record<string, number>>;
}

/** Options of `runLoad`: a fixed number of requests per user, or a duration. */
export interface RunLoadOptions {
  readonly url: string;
  readonly concurrency: number;
  readonly requestsPerUser?: number;
  readonly durationMs?: number;
  readonly method?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  readonly errorStatus?: number;
  /** Called about ten times a second with the fraction done (0-1) and requests so far. */
  readonly onProgress?: (fraction: number, requests: number) => void;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] ?? 0;
}

const round = (n: number): number => Math.round(n * 1000) / 1000;
/** Milliseconds as seconds, to the microsecond. */
const seconds = (ms: number): number => Math.round(ms * 1000) / 1_000_000;

function once(agent: Agent, url: URL, options: RunLoadOptions): Promise<number> {
  return new Promise((resolve) => {
    const req = (url.protocol === 'https:' ? httpsRequest : request)(
      url,
      { agent, method: options.method ?? 'GET', headers: { ...options.headers, ...(options.body === undefined ? {} : { 'content-length': Buffer.byteLength(options.body) }) } },
      (res) => {
        res.on('data', () => {});
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', () => resolve(0));
      },
    );
    req.on('error', () => resolve(0));
    req.end(options.body);
  });
}

/** Sends requests from `concurrency` keep-alive connections and measures them (used by `covet performance-test`). */
export async function runLoad(options: RunLoadOptions): Promise<LoadTestResult> {
  const url = new URL(options.url);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError(`cannot load test ${url.protocol} URLs: use http: or https:`);
  // HTTPS verifies the server's certificate as fetch does (NODE_EXTRA_CA_CERTS for a private CA).
  const agent = new (url.protocol === 'https:' ? HttpsAgent : Agent)({ keepAlive: true, maxSockets: options.concurrency });
  const times: number[] = [];
  const statusCodes: Record<string, number> = {};
  let failed = 0;
  const errorStatus = options.errorStatus ?? 400;
  const started = performance.now();
  const deadline = options.durationMs === undefined ? Number.POSITIVE_INFINITY : started + options.durationMs;
  const perUser = options.requestsPerUser ?? (options.durationMs === undefined ? 10 : Number.POSITIVE_INFINITY);
  const total = perUser * options.concurrency;
  const progress = options.onProgress
    ? setInterval(() => {
        const byTime = options.durationMs === undefined ? 0 : (performance.now() - started) / options.durationMs;
        const byCount = Number.isFinite(total) ? times.length / total : 0;
        options.onProgress?.(Math.min(1, Math.max(byTime, byCount)), times.length);
      }, 100)
    : undefined;
  const user = async (): Promise<void> => {
    for (let i = 0; i < perUser && performance.now() < deadline; i++) {
      const t0 = performance.now();
      const status = await once(agent, url, options);
      times.push(performance.now() - t0);
      statusCodes[status] = (statusCodes[status] ?? 0) + 1;
      if (status === 0 || status >= errorStatus) failed++;
    }
  };
  try {
    await Promise.all(Array.from({ length: options.concurrency }, user));
  } finally {
    if (progress) clearInterval(progress);
    agent.destroy();
  }
  const durationMs = performance.now() - started;
  options.onProgress?.(1, times.length);
  const sorted = [...times].sort((a, b) => a - b);
  const n = sorted.length;
  return {
    totalRequests: n,
    successfulRequests: n - failed,
    failedRequests: failed,
    errorRate: n === 0 ? 0 : failed / n,
    durationMs: round(durationMs),
    requestsPerSecond: round(n / (durationMs / 1000)),
    avgResponseTime: seconds(n === 0 ? 0 : sorted.reduce((a, b) => a + b, 0) / n),
    minResponseTime: seconds(sorted[0] ?? 0),
    maxResponseTime: seconds(sorted[n - 1] ?? 0),
    p50: seconds(percentile(sorted, 50)),
    p90: seconds(percentile(sorted, 90)),
    p99: seconds(percentile(sorted, 99)),
    statusCodes,
  };
}

/**
 * Load tests an app over a real socket on 127.0.0.1 (the seed's `PerformanceTest`). The app is
 * started on a free port for each `loadTest` and closed afterwards, unless it is already listening.
 *
 * @example
 * const result = await new PerformanceTest(app).loadTest('/api/users', { concurrentUsers: 10, requestsPerUser: 10 });
 * assert.ok(result.errorRate < 0.01);
 */
export class PerformanceTest {
  readonly app: CovetApp;
  readonly #running = new Set<Promise<unknown>>();
  /** The port of the server this tester started, shared by the load tests running at once. */
  #started: Promise<number> | null = null;
  #users = 0;
  #closing: Promise<void> | null = null;

  constructor(app: CovetApp) {
    this.app = app;
  }

  /** Waits for load tests still running (each closes the server it started). */
  async close(): Promise<void> {
    await Promise.allSettled([...this.#running]);
  }

  /** `await using perf = new PerformanceTest(app)`: the seed's `with PerformanceTest(app) as perf`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** Sends `concurrentUsers × requestsPerUser` requests to `path` and measures them. */
  loadTest(path: string, options: LoadTestOptions = {}): Promise<LoadTestResult> {
    const run = this.#loadTest(path, options);
    this.#running.add(run);
    void run.then(
      () => this.#running.delete(run),
      () => this.#running.delete(run),
    );
    return run;
  }

  async #loadTest(path: string, options: LoadTestOptions): Promise<LoadTestResult> {
    const concurrency = options.concurrentUsers ?? 10;
    const requestsPerUser = options.requestsPerUser ?? 10;
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError('concurrentUsers must be a positive integer');
    if (!Number.isInteger(requestsPerUser) || requestsPerUser < 1) throw new RangeError('requestsPerUser must be a positive integer');
    // A server this tester is still closing is gone before the next one starts.
    if (this.#started === null && this.#closing !== null) await this.#closing;
    const running = this.#started === null ? this.app.server?.address() : null;
    if (running !== null && running !== undefined && typeof running !== 'string') return this.#run(running.port, path, options, concurrency, requestsPerUser);
    // Load tests running at once share one server, closed when the last of them ends.
    this.#started ??= this.app.listen({ host: '127.0.0.1', port: 0 }).then((info) => info.port);
    const started = this.#started;
    this.#users++;
    try {
      return await this.#run(await started, path, options, concurrency, requestsPerUser);
    } finally {
      if (--this.#users === 0) {
        this.#started = null;
        // A server that failed to start has nothing to close.
        const closing = started.then(
          () => this.app.close(),
          () => {},
        );
        this.#closing = closing;
        await closing.finally(() => {
          if (this.#closing === closing) this.#closing = null;
        });
      }
    }
  }

  #run(port: number, path: string, options: LoadTestOptions, concurrency: number, requestsPerUser: number): Promise<LoadTestResult> {
    return runLoad({
      url: new URL(path, `http://127.0.0.1:${port}`).href,
      concurrency,
      requestsPerUser,
      ...(options.method === undefined ? {} : { method: options.method }),
      ...(options.headers === undefined ? {} : { headers: options.headers }),
      ...(options.body === undefined ? {} : { body: options.body }),
      ...(options.errorStatus === undefined ? {} : { errorStatus: options.errorStatus }),
    });
  }
}
