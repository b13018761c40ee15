import { performance } from 'node:perf_hooks';
import type { Request } from '../request.js';
import type { Response } from '../response.js';
import type { CallNext } from '../types.js';
import { trustMiddleware } from '../internal/trusted-middleware.js';
import type { BoundCounter, Counter } from './counter.js';
import type { Gauge } from './gauge.js';
import { type BoundHistogram, DEFAULT_BUCKETS, type Histogram } from './histogram.js';

/** What the middleware needs from a `MetricsManager`. */
interface MetricsFactory {
  counter(name: string, labelNames: readonly string[], options: { help: string }): Counter;
  gauge(name: string, labelNames: readonly string[], options: { help: string; aggregator: 'sum' }): Gauge;
  histogram(name: string, labelNames: readonly string[], options: { help: string; buckets: readonly number[] }): Histogram;
}

/** Options of the HTTP metrics middleware. */
export interface HTTPMetricsOptions {
  /** Counter name. Default `http_requests_total`. */
  readonly requestsTotal?: string;
  /** Histogram name. Default `http_request_duration_seconds`. */
  readonly duration?: string;
  /** Gauge of requests being handled, or `false` for none. Default `http_requests_in_flight`. */
  readonly inFlight?: string | false;
  /** Duration buckets in seconds. Default 5 ms … 10 s. */
  readonly buckets?: readonly number[];
  /**
   * The `route` label of requests no route matched (404, 405): never the raw path, which would
   * make one series per URL anyone tries. Default `<unmatched>`.
   */
  readonly unmatchedRoute?: string;
  /** Route templates not to count (e.g. `['/metrics']`). Default none. */
  readonly exclude?: readonly string[];
}

const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'CONNECT', 'TRACE']);

/** The two series one route, method and status count into. */
interface RequestSeries {
  readonly requests: BoundCounter;
  readonly duration: BoundHistogram;
}

/**
 * Counts requests and times them, labelled by `method`, `route` (the route *template*, e.g.
 * `/users/{id:int}`, so the number of series stays bounded) and `status`. Unknown methods are
 * counted as `OTHER`. The duration runs until the response object is ready (a streamed body
 * may take longer to send).
 *
 * @example
 * app.addMiddleware(new HTTPMetricsMiddleware(metrics));   // or metrics.middleware()
 */
export class HTTPMetricsMiddleware {
  readonly #requests: Counter;
  readonly #duration: Histogram;
  readonly #inFlight: Gauge | null;
  readonly #unmatched: string;
  readonly #exclude: ReadonlySet<string>;
  // Route template → method → status → its series, resolved once: the labels object, the
  // status text and two label-tree walks per request were a third of the middleware's cost.
  // Bounded by the routes, the known methods (others are `OTHER`) and the status codes.
  readonly #series = new Map<string, Map<string, Map<number, RequestSeries>>>();

  constructor(metrics: MetricsFactory, options: HTTPMetricsOptions = {}) {
    const labels = ['method', 'route', 'status'];
    this.#requests = metrics.counter(options.requestsTotal ?? 'http_requests_total', labels, { help: 'HTTP requests handled.' });
    this.#duration = metrics.histogram(options.duration ?? 'http_request_duration_seconds', labels, {
      help: 'Time to produce an HTTP response, in seconds.',
      buckets: options.buckets ?? DEFAULT_BUCKETS,
    });
    const inFlight = options.inFlight ?? 'http_requests_in_flight';
    this.#inFlight = inFlight === false ? null : metrics.gauge(inFlight, [], { help: 'HTTP requests being handled.', aggregator: 'sum' });
    this.#unmatched = options.unmatchedRoute ?? '<unmatched>';
    this.#exclude = new Set(options.exclude ?? []);
  }

  handle(req: Request, callNext: CallNext): Response | Promise<Response> {
    const route = req.route === null ? this.#unmatched : req.route.path;
    if (this.#exclude.has(route)) return callNext(req);
    const start = performance.now();
    this.#inFlight?.inc();
    // No closures on the way in or, for a synchronous answer, on the way out.
    let out: Response | Promise<Response>;
    try {
      out = callNext(req);
    } catch (err) {
      this.#record(req.method, route, 500, start);
      throw err;
    }
    if (out instanceof Promise)
      return out.then(
        (res) => this.#done(req.method, route, res, start),
        (err: unknown) => {
          this.#record(req.method, route, 500, start);
          throw err;
        },
      );
    return this.#done(req.method, route, out, start);
  }

  #done(method: string, route: string, res: Response, start: number): Response {
    this.#record(method, route, res.status, start);
    return res;
  }

  #record(method: string, route: string, status: number, start: number): void {
    this.#inFlight?.dec();
    const series = this.#seriesOf(method, route, status);
    series.requests.inc();
    series.duration.observe((performance.now() - start) / 1000);
  }

  #seriesOf(method: string, route: string, status: number): RequestSeries {
    let byMethod = this.#series.get(route);
    if (byMethod === undefined) {
      byMethod = new Map();
      this.#series.set(route, byMethod);
    }
    const name = KNOWN_METHODS.has(method) ? method : 'OTHER';
    let byStatus = byMethod.get(name);
    if (byStatus === undefined) {
      byStatus = new Map();
      byMethod.set(name, byStatus);
    }
    let series = byStatus.get(status);
    if (series === undefined) {
      const labels = { method: name, route, status: String(status) };
      series = { requests: this.#requests.labels(labels), duration: this.#duration.labels(labels) };
      byStatus.set(status, series);
    }
    return series;
  }
}

// Resolves to the `Response` from `callNext`: `compose` need not check it.
trustMiddleware(HTTPMetricsMiddleware.prototype.handle);
