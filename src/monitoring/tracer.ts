import { type ContextStore, contextStorage, currentContext } from '../internal/request-context.js';
import { spanChannel } from './diagnostics-channels.js';
import { OtelBackedSpan, openTelemetryGlobal, startOtelSpan } from './otel-bridge.js';
import type { OTLPTraceExporter } from './otlp-exporter.js';
import { type ActiveSpan, type Attributes, type HttpServerFields, HttpServerSpan, Span, type SpanData, type SpanKind, UnsampledSpan, httpAttributes } from './span.js';
import { type SpanContext, newSampledTraceparent, newSpanId, newTraceId } from './trace-context.js';

/** Options of `tracer.startSpan`. */
export interface StartSpanOptions {
  /** Default `internal`. */
  readonly kind?: SpanKind;
  readonly attributes?: Attributes;
  /** The parent: a span, a remote context (from `traceparent`), `null` for a new trace. Default: the current span. */
  readonly parent?: ActiveSpan | SpanContext | null;
}

/** Options of `Tracer`. */
export interface TracerOptions {
  /** Where finished sampled spans go (`null`: nowhere, only propagation). */
  readonly exporter: OTLPTraceExporter | null;
  /** Share of new traces recorded, 0–1; children follow their parent. Default 1. */
  readonly sampleRate?: number;
  /** Create spans through a registered OpenTelemetry SDK when there is one. Default `true`. */
  readonly useOpenTelemetry?: boolean;
  /** Instrumentation scope. */
  readonly scope: { readonly name: string; readonly version: string };
  /** Also called with every finished span (tests, custom exporters). */
  readonly onEnd?: (span: SpanData) => void;
}

/** @internal The name and request fields of an HTTP server span. */
export interface HttpServerDescription {
  readonly name: string;
  readonly http: HttpServerFields;
}

interface Current {
  readonly span: ActiveSpan;
  readonly tracer: Tracer;
  /** The request whose server span this is (set by `TracingMiddleware`). */
  readonly request?: object;
}

let defaultTracer: Tracer | null = null;

/** The span the calling code runs in (a request's span inside `TracingMiddleware`, or a `trace` span). */
export function currentSpan(): ActiveSpan | undefined {
  return currentContext()?.span as ActiveSpan | undefined;
}

/** @internal The current span and its tracer. */
export function currentTrace(): Current | undefined {
  const store = currentContext();
  return store?.span === undefined ? undefined : (store as Current);
}

/** @internal The tracer `trace()` uses outside any span: the last `TracingMiddleware` made. */
export function getDefaultTracer(): Tracer | null {
  return defaultTracer;
}

/** @internal */
export function setDefaultTracer(tracer: Tracer | null): void {
  defaultTracer = tracer;
}

/**
 * Makes spans: Covet's own (exported over OTLP) or, when an OpenTelemetry SDK is registered,
 * the SDK's; keeps the current span in `AsyncLocalStorage`.
 */
export class Tracer {
  readonly #exporter: OTLPTraceExporter | null;
  readonly #sampleRate: number;
  readonly #otel: boolean;
  readonly #scope: { readonly name: string; readonly version: string };
  readonly #onEnd: (span: Span) => void;

  constructor(options: TracerOptions) {
    this.#exporter = options.exporter;
    this.#sampleRate = options.sampleRate ?? 1;
    if (!(this.#sampleRate >= 0 && this.#sampleRate <= 1)) throw new RangeError('sampleRate must be between 0 and 1');
    this.#otel = options.useOpenTelemetry ?? true;
    this.#scope = options.scope;
    const exporter = this.#exporter;
    const extra = options.onEnd;
    this.#onEnd = (span) => {
      exporter?.enqueue(span);
      if (extra === undefined && !spanChannel.hasSubscribers) return;
      const data = span.toData();
      extra?.(data);
      if (spanChannel.hasSubscribers) spanChannel.publish(data);
    };
  }

  /** Starts a span (not yet current: run code in it with `withSpan`). */
  startSpan(name: string, options: StartSpanOptions = {}): ActiveSpan {
    const kind = options.kind ?? 'internal';
    const attributes = options.attributes ?? {};
    const parent = options.parent === undefined ? ((currentContext()?.span as ActiveSpan | undefined) ?? null) : options.parent;
    if (parent instanceof OtelBackedSpan) return startOtelSpan(openTelemetryGlobal() ?? {}, this.#scope, name, kind, attributes, parent);
    const isSpan = parent !== null && 'recording' in parent;
    if (this.#otel && !(isSpan && parent instanceof Span)) {
      const api = openTelemetryGlobal();
      if (api !== null) return startOtelSpan(api, this.#scope, name, kind, attributes, isSpan ? null : (parent as SpanContext | null));
    }
    const parentContext: SpanContext | null = parent === null ? null : isSpan ? (parent as ActiveSpan).context : (parent as SpanContext);
    return new Span(name, kind, this.#childContext(parentContext), parentContext?.spanId ?? null, attributes, this.#onEnd);
  }

  /**
   * @internal The server span of a request (`TracingMiddleware`): the request fields stay
   * fields, not an attribute object, unless the span goes through an OpenTelemetry SDK.
   * `describe(source)` gives the span's name and fields; an unsampled span never asks.
   */
  startHttpServerSpan<S>(parent: SpanContext | null, source: S, describe: (source: S) => HttpServerDescription): ActiveSpan {
    if (this.#otel) {
      const api = openTelemetryGlobal();
      if (api !== null) {
        const { name, http } = describe(source);
        return startOtelSpan(api, this.#scope, name, 'server', httpAttributes(http), parent);
      }
    }
    if (parent === null && Math.random() < this.#sampleRate) {
      // A new sampled trace: its ids are cut from the `traceparent` the response will carry.
      const traceparent = newSampledTraceparent();
      const context: SpanContext = { traceId: traceparent.slice(3, 35), spanId: traceparent.slice(36, 52), traceFlags: 1, traceState: '', isRemote: false };
      const { name, http } = describe(source);
      const span = new HttpServerSpan(name, context, null, http, this.#onEnd);
      span.traceparent = traceparent;
      return span;
    }
    const context = parent === null ? this.#unsampledRoot() : this.#childContext(parent);
    if ((context.traceFlags & 1) === 0) return new UnsampledSpan(context);
    const { name, http } = describe(source);
    return new HttpServerSpan(name, context, parent?.spanId ?? null, http, this.#onEnd);
  }

  /** The context of a new trace that was not sampled. */
  #unsampledRoot(): SpanContext {
    return { traceId: newTraceId(), spanId: newSpanId(), traceFlags: 0, traceState: '', isRemote: false };
  }

  /** A new span's context: a child of `parent`, or the root of a new trace (sampled at `sampleRate`). */
  #childContext(parent: SpanContext | null): SpanContext {
    return parent === null
      ? { traceId: newTraceId(), spanId: newSpanId(), traceFlags: Math.random() < this.#sampleRate ? 1 : 0, traceState: '', isRemote: false }
      : { traceId: parent.traceId, spanId: newSpanId(), traceFlags: parent.traceFlags & 1, traceState: parent.traceState, isRemote: false };
  }

  /** Runs `fn` with `span` as the current span (and current in the OpenTelemetry SDK too). */
  withSpan<T>(span: ActiveSpan, fn: () => T): T {
    const outer = currentContext();
    const store: ContextStore = { request: undefined, span, tracer: this, log: outer?.log };
    return span instanceof OtelBackedSpan ? span.run(() => contextStorage.run(store, fn)) : contextStorage.run(store, fn);
  }
}
