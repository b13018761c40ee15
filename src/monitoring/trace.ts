import type { ActiveSpan, Attributes, SpanKind } from './span.js';
import { formatTraceparent } from './trace-context.js';
import { currentSpan, currentTrace, getDefaultTracer } from './tracer.js';

/** Options of `trace` and `withSpan`. */
export interface TraceOptions {
  readonly attributes?: Attributes;
  /** Default `internal`. */
  readonly kind?: SpanKind;
}

// `this: never` accepts functions with any declared `this` type (this parameters are contravariant).
type AnyFunction = (this: never, ...args: never[]) => unknown;

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

/**
 * Runs `fn` now in a new child span of the current one (a root span of the last
 * `TracingMiddleware`'s tracer outside requests); the span ends when `fn` returns or its
 * promise settles, and records a thrown error. Without a tracer `fn` just runs.
 *
 * @example
 * const rows = await withSpan('load_users', async (span) => { span?.setAttribute('db.system', 'sqlite'); return db.fetchAll('SELECT * FROM users'); });
 */
export function withSpan<T>(name: string, fn: (span: ActiveSpan | undefined) => T, options: TraceOptions = {}): T {
  const current = currentTrace();
  const tracer = current?.tracer ?? getDefaultTracer();
  if (tracer === null) return fn(undefined);
  const span = tracer.startSpan(name, {
    kind: options.kind ?? 'internal',
    attributes: options.attributes ?? {},
    parent: current?.span ?? null,
  });
  return tracer.withSpan(span, () => {
    let result: T;
    try {
      result = fn(span);
    } catch (err) {
      span.recordException(err);
      span.end();
      throw err;
    }
    if (isPromiseLike(result)) {
      return Promise.resolve(result).then(
        (value) => {
          span.end();
          return value;
        },
        (err: unknown) => {
          span.recordException(err);
          span.end();
          throw err;
        },
      ) as T;
    }
    span.end();
    return result;
  });
}

/**
 * Wraps a function so that every call runs in a child span named `name` (the seed's
 * `@trace("business_operation")`). `trace(name)` alone returns the wrapper, which also works
 * as a TypeScript method decorator.
 *
 * @example
 * const complexBusinessLogic = trace('business_operation', async (orderId: number) => { ... });
 * await complexBusinessLogic(42);
 */
export function trace<F extends AnyFunction>(name: string, fn: F, options?: TraceOptions): F;
export function trace(name: string, options?: TraceOptions): <F extends AnyFunction>(fn: F, context?: unknown) => F;
export function trace<F extends AnyFunction>(
  name: string,
  fnOrOptions?: F | TraceOptions,
  options: TraceOptions = {},
): F | (<G extends AnyFunction>(fn: G, context?: unknown) => G) {
  if (typeof fnOrOptions !== 'function') {
    const opts = fnOrOptions ?? {};
    return <G extends AnyFunction>(fn: G) => trace(name, fn, opts);
  }
  const fn = fnOrOptions;
  const wrapped = {
    [fn.name || name](this: unknown, ...args: never[]): unknown {
      return withSpan(name, () => fn.apply(this as never, args), options);
    },
  };
  return wrapped[fn.name || name] as F;
}

/**
 * Headers that carry the current trace to another service (`traceparent`, and `tracestate`
 * when there is one); empty outside a span.
 *
 * @example
 * await fetch(url, { headers: { ...propagationHeaders() } })
 */
export function propagationHeaders(): Record<string, string> {
  const span = currentSpan();
  if (span === undefined) return {};
  const ctx = span.context;
  const out: Record<string, string> = { traceparent: formatTraceparent(ctx) };
  if (ctx.traceState !== '') out.tracestate = ctx.traceState;
  return out;
}
