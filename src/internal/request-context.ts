import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * What Covet's observability keeps per async context — the current span and the fields of
 * log lines — in one store. One `AsyncLocalStorage` instead of one per feature: on Node 20
 * every storage costs every promise and callback the process creates while it is in use.
 *
 * The first of `TracingMiddleware` and `logger.middleware()` to see a request opens its
 * store (`request` set); the other one fills in its part of that same store instead of
 * opening another. Nested contexts (`trace()`, `logger.context()`) copy the store.
 */
export interface ContextStore {
  /** The request the store was opened for, if a request middleware opened it. */
  readonly request: object | undefined;
  /** The current span (a tracing `ActiveSpan`). */
  span: unknown;
  /** The tracer that made `span`. */
  tracer: unknown;
  /** Fields added to every log line. */
  log: Readonly<Record<string, unknown>> | undefined;
}

/** The store of the calling code's async context. */
export const contextStorage = new AsyncLocalStorage<ContextStore>();
