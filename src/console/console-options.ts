/** Something the console can ask for health results: a `HealthChecker` (`covet/monitoring`) fits. */
export interface HealthSource {
  run(): Promise<unknown>;
}

/** Options of `app.console(path, options)`. */
export interface ConsoleOptions {
  /**
   * The access token (at least 16 characters). Required outside debug mode: without one the
   * console stays off. When given, it is required in debug mode too. Sent as
   * `Authorization: Bearer <token>`, or once as `?token=<token>`, which sets an HttpOnly,
   * SameSite=Strict cookie for the console's path.
   */
  readonly token?: string;
  /** Recent requests kept. Default 200. */
  readonly maxRequests?: number;
  /**
   * Of those, how many of the most recent keep their headers, response and bodies (older ones
   * keep the summary and the SQL). Default 25. Bounds the memory the console holds.
   */
  readonly maxDetails?: number;
  /** Recent traces kept. Default 20 (256 spans each). */
  readonly maxTraces?: number;
  /** SQL statements kept per request (all are counted). Default 100. */
  readonly maxQueriesPerRequest?: number;
  /** A statement shape run this many times in one request is flagged as N+1. Default 5. */
  readonly nPlusOneThreshold?: number;
  /** Characters of a request or response body shown (after redaction). Default 2048. */
  readonly bodyLimit?: number;
  /** Seconds of per-second charts kept. Default 120. */
  readonly seconds?: number;
  /**
   * Health checks to run while the page is open (every 5 s at most). Without it the console
   * shows the results of checks that ran anyway (`/health` requests).
   */
  readonly health?: HealthSource;
}

/** `ConsoleOptions` with defaults applied and checked. */
export interface ResolvedConsoleOptions {
  readonly token: string | null;
  readonly maxRequests: number;
  readonly maxDetails: number;
  readonly maxTraces: number;
  readonly maxQueriesPerRequest: number;
  readonly nPlusOneThreshold: number;
  readonly bodyLimit: number;
  readonly seconds: number;
  readonly health: HealthSource | null;
}

function count(name: string, value: number | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min || value > max)
    throw new RangeError(`console(): ${name} must be an integer from ${min} to ${max}`);
  return value;
}

/**
 * Applies defaults and rejects bad options (a short token, a zero buffer) when `app.console()`
 * is called, not on the first request.
 *
 * @example
 * resolveConsoleOptions({ token: process.env.CONSOLE_TOKEN, maxRequests: 500 })
 */
export function resolveConsoleOptions(options: ConsoleOptions): ResolvedConsoleOptions {
  const token = options.token ?? null;
  if (token !== null && (typeof token !== 'string' || token.length < 16)) {
    throw new TypeError('console(): the token must be a string of at least 16 characters');
  }
  // An `Authorization` header's value loses its surrounding whitespace on the way, so such a
  // token (often a newline read from a file) would lock everyone out without saying why.
  if (token !== null && token.trim() !== token) {
    throw new TypeError('console(): the token starts or ends with whitespace (a newline read from a file?); trim it');
  }
  const health = options.health ?? null;
  if (health !== null && typeof health.run !== 'function')
    throw new TypeError('console(): health must have a run() method (a HealthChecker)');
  return {
    token,
    maxRequests: count('maxRequests', options.maxRequests, 200, 1, 100_000),
    maxDetails: count('maxDetails', options.maxDetails, 25, 0, 100_000),
    maxTraces: count('maxTraces', options.maxTraces, 20, 1, 1_000),
    maxQueriesPerRequest: count('maxQueriesPerRequest', options.maxQueriesPerRequest, 100, 0, 100_000),
    nPlusOneThreshold: count('nPlusOneThreshold', options.nPlusOneThreshold, 5, 2, 1_000_000),
    bodyLimit: count('bodyLimit', options.bodyLimit, 2048, 0, 1_048_576),
    seconds: count('seconds', options.seconds, 120, 10, 86_400),
    health,
  };
}
