/**
 * Where the cache reports degraded operation (Redis down, a corrupt entry, a failed background
 * refresh). `warn` is used when present, else `error`; the app's `logger` and `console` fit.
 */
export interface CacheLogger {
  warn?(message: string, meta?: Record<string, unknown>): void;
  info?(message: string, meta?: Record<string, unknown>): void;
  error(message: string, meta?: Record<string, unknown>): void;
}
