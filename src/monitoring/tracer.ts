import { AsyncLocalStorage } from 'node:async_hooks';
import { spanChannel } from './diagnostics-channels.js';
import { OtelBackedSpan, openTelemetryGlobal, startOtelSpan } from './otel-bridge.js';
import type { OTLPTraceExporter } from './otlp-exporter.js';
import { type ActiveSpan, type Attributes, Span, type SpanData, type SpanKind } from './span.js';
import { type SpanContext, newSpanId, newTraceId } from './trace-context.js';

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

interface Current {
  readonly span: ActiveSpan;
  readonly tracer: Tracer;
  /** The request whose server span this is (set by `TracingMiddleware`). */
  readonly request?: object;
}

const storage = new AsyncLocalStorage<Current>();
let defaultTracer: Tracer | null = null;

/** The span the calling code runs in (a request's span inside `TracingMiddleware`, or a `trace` span). */
export function currentSpan(): ActiveSpan | undefined {
  return storage.getStore()?.span;
}

/** @internal The current span and its tracer. */
export function currentTrace(): Current | undefined {
  return storage.getStore();
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
  readonly #onEnd: (span: SpanData) => void;

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
      extra?.(span);
      if (spanChannel.hasSubscribers) spanChannel.publish(span);
    };
  }

  /** Starts a span (not yet current: run code in it with `withSpan`). */
  startSpan(name: string, options: StartSpanOptions = {}): ActiveSpan {
    const kind = options.kind ?? 'internal';
    const attributes = options.attributes ?? {};
    const parent = options.parent === undefined ? (storage.getStore()?.span ?? null) : options.parent;
    if (parent instanceof OtelBackedSpan) return startOtelSpan(openTelemetryGlobal() ?? {}, this.#scope, name, kind, attributes, parent);
    const isSpan = parent !== null && 'recording' in parent;
    if (this.#otel && !(isSpan && parent instanceof Span)) {
      const api = openTelemetryGlobal();
      if (api !== null) return startOtelSpan(api, this.#scope, name, kind, attributes, isSpan ? null : (parent as SpanContext | null));
    }
    const parentContext: SpanContext | null = parent === null ? null : isSpan ? (parent as ActiveSpan).context : (parent as SpanContext);
    const context: SpanContext =
      parentContext === null
        ? {
            traceId: newTraceId(),
            spanId: newSpanId(),
            traceFlags: Math.random() < this.#sampleRate ? 1 : 0,
            traceState: '',
            isRemote: false,
          }
        : {
            traceId: parentContext.traceId,
            spanId: newSpanId(),
            traceFlags: parentContext.traceFlags & 1,
            traceState: parentContext.traceState,
            isRemote: false,
          };
    return new Span(name, kind, context, parentContext?.spanId ?? null, attributes, this.#onEnd);
  }

  /** Runs `fn` with `span` as the current span (and current in the OpenTelemetry SDK too). */
  withSpan<T>(span: ActiveSpan, fn: () => T, request?: object): T {
    const store: Current = request === undefined ? { span, tracer: this } : { span, tracer: this, request };
    if (!(span instanceof OtelBackedSpan)) return storage.run(store, fn);
    return span.run(() => storage.run(store, fn));
  }
}
