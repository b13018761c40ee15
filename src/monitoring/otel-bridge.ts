// A structural bridge to `@opentelemetry/api`, without importing it (Covet has no dependencies):
// the API keeps its registered providers on a global symbol, and context keys are
// `Symbol.for(description)`, so a Covet span can be created through the user's SDK and made
// current in the SDK's context manager.
import { exceptionAttributes } from './span.js';
import type { ActiveSpan, AttributeValue, Attributes, SpanKind, SpanStatusCode } from './span.js';
import type { SpanContext } from './trace-context.js';

interface OtelContext {
  getValue(key: symbol): unknown;
  setValue(key: symbol, value: unknown): OtelContext;
  deleteValue(key: symbol): OtelContext;
}

interface OtelSpanContext {
  readonly traceId: string;
  readonly spanId: string;
  readonly traceFlags: number;
  readonly isRemote?: boolean;
  readonly traceState?: { serialize(): string };
}

interface OtelSpan {
  spanContext(): OtelSpanContext;
  setAttribute(key: string, value: AttributeValue): unknown;
  addEvent(name: string, attributes?: Attributes): unknown;
  setStatus(status: { code: number; message?: string }): unknown;
  updateName(name: string): unknown;
  end(): void;
  isRecording(): boolean;
}

interface OtelTracer {
  startSpan(name: string, options: { kind?: number; attributes?: Attributes }, context?: OtelContext): OtelSpan;
}

interface OtelGlobal {
  readonly trace?: { getTracer(name: string, version?: string): OtelTracer };
  readonly context?: { active(): OtelContext; with<T>(context: OtelContext, fn: () => T): T };
}

const API_KEY = Symbol.for('opentelemetry.js.api.1');
const SPAN_KEY = Symbol.for('OpenTelemetry Context Key SPAN');
const KIND: Readonly<Record<SpanKind, number>> = { internal: 0, server: 1, client: 2, producer: 3, consumer: 4 };
const STATUS: Readonly<Record<SpanStatusCode, number>> = { unset: 0, ok: 1, error: 2 };

/** An immutable context, for when the SDK registered a tracer provider but no context manager. */
class MinimalContext implements OtelContext {
  readonly #values: ReadonlyMap<symbol, unknown>;
  constructor(values: ReadonlyMap<symbol, unknown> = new Map()) {
    this.#values = values;
  }
  getValue(key: symbol): unknown {
    return this.#values.get(key);
  }
  setValue(key: symbol, value: unknown): OtelContext {
    return new MinimalContext(new Map(this.#values).set(key, value));
  }
  deleteValue(key: symbol): OtelContext {
    const next = new Map(this.#values);
    next.delete(key);
    return new MinimalContext(next);
  }
}

/** The registered OpenTelemetry API globals when an SDK registered a tracer provider, else `null`. */
export function openTelemetryGlobal(): OtelGlobal | null {
  const api = (globalThis as Record<symbol, unknown>)[API_KEY] as OtelGlobal | undefined;
  return api?.trace === undefined ? null : api;
}

/** A Covet `ActiveSpan` over an OpenTelemetry SDK span. */
export class OtelBackedSpan implements ActiveSpan {
  readonly #span: OtelSpan;
  readonly #api: OtelGlobal;
  readonly #context: OtelContext;
  #errored = false;

  constructor(api: OtelGlobal, span: OtelSpan, parentContext: OtelContext) {
    this.#api = api;
    this.#span = span;
    this.#context = parentContext.setValue(SPAN_KEY, span);
  }

  get context(): SpanContext {
    const c = this.#span.spanContext();
    return { traceId: c.traceId, spanId: c.spanId, traceFlags: c.traceFlags, traceState: c.traceState?.serialize() ?? '', isRemote: false };
  }

  get recording(): boolean {
    return this.#span.isRecording();
  }

  setAttribute(key: string, value: AttributeValue): this {
    this.#span.setAttribute(key, value);
    return this;
  }

  setAttributes(attributes: Attributes): this {
    for (const [k, v] of Object.entries(attributes)) this.#span.setAttribute(k, v);
    return this;
  }

  addEvent(name: string, attributes?: Attributes): this {
    this.#span.addEvent(name, attributes);
    return this;
  }

  recordException(error: unknown): this {
    this.#span.addEvent('exception', exceptionAttributes(error));
    return this.setStatus('error', error instanceof Error ? error.message : String(error));
  }

  setStatus(code: SpanStatusCode, message?: string): this {
    // Keep the message of an earlier error (the request span gets a bare error for a 5xx).
    if (code === 'error' && message === undefined && this.#errored) return this;
    if (code === 'error') this.#errored = true;
    this.#span.setStatus(message === undefined ? { code: STATUS[code] } : { code: STATUS[code], message });
    return this;
  }

  updateName(name: string): this {
    this.#span.updateName(name);
    return this;
  }

  end(): void {
    this.#span.end();
  }

  /** Runs `fn` with this span current in the SDK's context manager. */
  run<T>(fn: () => T): T {
    const manager = this.#api.context;
    return manager === undefined ? fn() : manager.with(this.#context, fn);
  }

  /** @internal The SDK context holding this span, to parent children. */
  get otelContext(): OtelContext {
    return this.#context;
  }
}

/** A remote parent (from `traceparent`) in the shape the SDK reads from a context. */
function remoteParent(ctx: SpanContext): unknown {
  const spanContext = {
    traceId: ctx.traceId,
    spanId: ctx.spanId,
    traceFlags: ctx.traceFlags,
    isRemote: true,
    ...(ctx.traceState === ''
      ? {}
      : {
          traceState: {
            serialize: () => ctx.traceState,
            get: () => undefined,
            set() {
              return this;
            },
            unset() {
              return this;
            },
          },
        }),
  };
  return { spanContext: () => spanContext, isRecording: () => false };
}

/**
 * Starts a span through the registered SDK: a child of `parent` (a Covet span made here, or a
 * remote context), or of the SDK's active span, or a root.
 */
export function startOtelSpan(
  api: OtelGlobal,
  scope: { readonly name: string; readonly version: string },
  name: string,
  kind: SpanKind,
  attributes: Attributes,
  parent: OtelBackedSpan | SpanContext | null,
): OtelBackedSpan {
  const tracer = (api.trace as NonNullable<OtelGlobal['trace']>).getTracer(scope.name, scope.version);
  let base: OtelContext = api.context?.active() ?? new MinimalContext();
  if (parent instanceof OtelBackedSpan) base = parent.otelContext;
  else if (parent !== null) base = base.setValue(SPAN_KEY, remoteParent(parent));
  const span = tracer.startSpan(name, { kind: KIND[kind], attributes }, base);
  return new OtelBackedSpan(api, span, base);
}
