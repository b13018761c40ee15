import type { SpanContext } from './trace-context.js';

/** What a span stands for (OpenTelemetry's span kinds). */
export type SpanKind = 'internal' | 'server' | 'client' | 'producer' | 'consumer';

/** An attribute value, as OpenTelemetry allows. */
export type AttributeValue = string | number | boolean | readonly string[] | readonly number[] | readonly boolean[];

/** Attributes by key (`http.route`, `db.system`, …). */
export type Attributes = Readonly<Record<string, AttributeValue>>;

/** A timestamped event on a span (an exception, a retry). */
export interface SpanEvent {
  readonly name: string;
  readonly timeUnixNano: bigint;
  readonly attributes: Attributes;
}

/** The outcome of a span. */
export type SpanStatusCode = 'unset' | 'ok' | 'error';

/** A finished span, as exporters receive it. */
export interface SpanData {
  readonly name: string;
  readonly kind: SpanKind;
  readonly context: SpanContext;
  readonly parentSpanId: string | null;
  readonly startTimeUnixNano: bigint;
  readonly endTimeUnixNano: bigint;
  readonly attributes: Attributes;
  readonly events: readonly SpanEvent[];
  readonly status: { readonly code: SpanStatusCode; readonly message?: string };
}

/**
 * The span a piece of code runs in (`currentSpan()`, the argument of `trace` callbacks): add
 * attributes and events, record exceptions, set the status. Spans of unsampled traces accept
 * all of this and record nothing.
 */
export interface ActiveSpan {
  /** Trace id, span id, flags and trace state, for propagation. */
  readonly context: SpanContext;
  /** False for spans of unsampled traces. */
  readonly recording: boolean;
  setAttribute(key: string, value: AttributeValue): this;
  setAttributes(attributes: Attributes): this;
  addEvent(name: string, attributes?: Attributes): this;
  /** Adds an `exception` event (type, message, stack) and marks the span as failed. */
  recordException(error: unknown): this;
  setStatus(code: SpanStatusCode, message?: string): this;
  updateName(name: string): this;
  /** Ends the span (once; later calls do nothing). */
  end(): void;
}

/** The current time in nanoseconds since the Unix epoch (microsecond resolution). */
export function nowNanos(): bigint {
  return BigInt(Math.round((performance.timeOrigin + performance.now()) * 1000)) * 1000n;
}

/** The attributes OpenTelemetry's semantic conventions give an exception event. */
export function exceptionAttributes(error: unknown): Record<string, string> {
  if (error instanceof Error) {
    const out: Record<string, string> = { 'exception.type': error.name, 'exception.message': error.message };
    if (error.stack !== undefined) out['exception.stacktrace'] = error.stack;
    return out;
  }
  return { 'exception.type': typeof error, 'exception.message': String(error) };
}

const NO_EVENTS: readonly SpanEvent[] = Object.freeze([]);

/** Covet's own span: records in memory, hands itself to `onEnd` when it ends (if sampled). */
export class Span implements ActiveSpan {
  readonly context: SpanContext;
  readonly recording: boolean;
  readonly kind: SpanKind;
  readonly parentSpanId: string | null;
  readonly startTimeUnixNano: bigint;
  #name: string;
  #end: bigint | null = null;
  readonly #attributes: Record<string, AttributeValue> = {};
  #events: SpanEvent[] | null = null;
  #status: { code: SpanStatusCode; message?: string } = { code: 'unset' };
  readonly #onEnd: (span: SpanData) => void;

  constructor(
    name: string,
    kind: SpanKind,
    context: SpanContext,
    parentSpanId: string | null,
    attributes: Attributes,
    onEnd: (span: SpanData) => void,
  ) {
    this.#name = name;
    this.kind = kind;
    this.context = context;
    this.parentSpanId = parentSpanId;
    this.recording = (context.traceFlags & 1) === 1;
    this.startTimeUnixNano = nowNanos();
    this.#onEnd = onEnd;
    if (this.recording) Object.assign(this.#attributes, attributes);
  }

  get name(): string {
    return this.#name;
  }

  get ended(): boolean {
    return this.#end !== null;
  }

  setAttribute(key: string, value: AttributeValue): this {
    if (this.recording && this.#end === null && value !== undefined) this.#attributes[key] = value;
    return this;
  }

  setAttributes(attributes: Attributes): this {
    for (const [k, v] of Object.entries(attributes)) this.setAttribute(k, v);
    return this;
  }

  addEvent(name: string, attributes: Attributes = {}): this {
    if (this.recording && this.#end === null) (this.#events ??= []).push({ name, timeUnixNano: nowNanos(), attributes });
    return this;
  }

  recordException(error: unknown): this {
    this.addEvent('exception', exceptionAttributes(error));
    const message = error instanceof Error ? error.message : String(error);
    return this.setStatus('error', message);
  }

  setStatus(code: SpanStatusCode, message?: string): this {
    if (this.#end !== null) return this;
    // An error stays an error; `ok` is final (OpenTelemetry's rules).
    if (this.#status.code === 'ok') return this;
    if (code === 'unset') return this;
    if (code === 'error' && message === undefined && this.#status.code === 'error') return this;
    this.#status = code === 'error' && message !== undefined ? { code, message } : { code };
    return this;
  }

  updateName(name: string): this {
    if (this.#end === null) this.#name = name;
    return this;
  }

  end(): void {
    if (this.#end !== null) return;
    this.#end = nowNanos();
    if (!this.recording) return;
    this.#onEnd({
      name: this.#name,
      kind: this.kind,
      context: this.context,
      parentSpanId: this.parentSpanId,
      startTimeUnixNano: this.startTimeUnixNano,
      endTimeUnixNano: this.#end,
      // An ended span never changes again, so its data is handed over without copies.
      attributes: this.#attributes,
      events: this.#events ?? NO_EVENTS,
      status: this.#status,
    });
  }
}
