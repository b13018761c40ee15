import { performance } from 'node:perf_hooks';
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
  return BigInt(nowMicros()) * 1000n;
}

// Read once: `performance.timeOrigin` is a native call on every read.
const TIME_ORIGIN = performance.timeOrigin;

/** The current time in microseconds since the Unix epoch (an integer, exact as a double). */
export function nowMicros(): number {
  return Math.round((TIME_ORIGIN + performance.now()) * 1000);
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
// Every span starts with this status (shared; a status is replaced, never changed).
const UNSET: { readonly code: SpanStatusCode } = Object.freeze({ code: 'unset' });

/** Covet's own span: records in memory, hands itself to `onEnd` when it ends (if sampled). */
export class Span implements ActiveSpan {
  readonly context: SpanContext;
  readonly recording: boolean;
  readonly kind: SpanKind;
  readonly parentSpanId: string | null;
  /** @internal Start and end, in microseconds since the Unix epoch (end `-1` while open). */
  readonly startMicros: number;
  endMicros = -1;
  #name: string;
  /** @internal Attributes set on this span (for an HTTP server span, beyond its request fields). */
  protected attrs: Record<string, AttributeValue> | null = null;
  #events: SpanEvent[] | null = null;
  #status: { readonly code: SpanStatusCode; readonly message?: string } = UNSET;
  readonly #onEnd: (span: Span) => void;

  constructor(
    name: string,
    kind: SpanKind,
    context: SpanContext,
    parentSpanId: string | null,
    attributes: Attributes | null,
    onEnd: (span: Span) => void,
  ) {
    this.#name = name;
    this.kind = kind;
    this.context = context;
    this.parentSpanId = parentSpanId;
    this.recording = (context.traceFlags & 1) === 1;
    this.startMicros = nowMicros();
    this.#onEnd = onEnd;
    if (this.recording && attributes !== null) {
      for (const key in attributes) {
        const value = attributes[key];
        if (value !== undefined) (this.attrs ??= {})[key] = value;
      }
    }
  }

  get name(): string {
    return this.#name;
  }

  get ended(): boolean {
    return this.endMicros !== -1;
  }

  get startTimeUnixNano(): bigint {
    return BigInt(this.startMicros) * 1000n;
  }

  get endTimeUnixNano(): bigint {
    return BigInt(this.endMicros) * 1000n;
  }

  /** Every attribute of the span (a new object). */
  get attributes(): Attributes {
    return { ...this.attrs };
  }

  /** @internal Attributes set with `setAttribute` (none: `null`), for the exporter. */
  get ownAttributes(): Readonly<Record<string, AttributeValue>> | null {
    return this.attrs;
  }

  get events(): readonly SpanEvent[] {
    return this.#events ?? NO_EVENTS;
  }

  get status(): { readonly code: SpanStatusCode; readonly message?: string } {
    return this.#status;
  }

  setAttribute(key: string, value: AttributeValue): this {
    if (this.recording && this.endMicros === -1 && value !== undefined) (this.attrs ??= {})[key] = value;
    return this;
  }

  setAttributes(attributes: Attributes): this {
    for (const [k, v] of Object.entries(attributes)) this.setAttribute(k, v);
    return this;
  }

  addEvent(name: string, attributes: Attributes = {}): this {
    if (this.recording && this.endMicros === -1) (this.#events ??= []).push({ name, timeUnixNano: nowNanos(), attributes });
    return this;
  }

  recordException(error: unknown): this {
    this.addEvent('exception', exceptionAttributes(error));
    const message = error instanceof Error ? error.message : String(error);
    return this.setStatus('error', message);
  }

  setStatus(code: SpanStatusCode, message?: string): this {
    if (this.endMicros !== -1) return this;
    // An error stays an error; `ok` is final (OpenTelemetry's rules).
    if (this.#status.code === 'ok') return this;
    if (code === 'unset') return this;
    if (code === 'error' && message === undefined && this.#status.code === 'error') return this;
    this.#status = code === 'error' && message !== undefined ? { code, message } : { code };
    return this;
  }

  updateName(name: string): this {
    if (this.endMicros === -1) this.#name = name;
    return this;
  }

  end(): void {
    if (this.endMicros !== -1) return;
    this.endMicros = nowMicros();
    // An ended span never changes again, so it is handed over as it is.
    if (this.recording) this.#onEnd(this);
  }

  /** The finished span as plain data (what `onSpanEnd` and `covet:trace:span` receive). */
  toData(): SpanData {
    return {
      name: this.#name,
      kind: this.kind,
      context: this.context,
      parentSpanId: this.parentSpanId,
      startTimeUnixNano: this.startTimeUnixNano,
      endTimeUnixNano: this.endTimeUnixNano,
      attributes: this.attributes,
      events: this.events,
      status: this.#status,
    };
  }
}

/** The request fields of an HTTP server span, kept as fields rather than attributes. */
export interface HttpServerFields {
  /** `http.request.method`. */
  readonly method: string;
  /** `url.path`. */
  readonly path: string;
  /** `url.scheme`. */
  readonly scheme: string;
  /** `http.route`, when a route matched. */
  readonly route: string | undefined;
  /** `user_agent.original`, when sent. */
  readonly userAgent: string | undefined;
}

/**
 * The span `TracingMiddleware` makes per request. Its standard attributes are plain fields —
 * no attribute object per request — and the exporter writes them from a text template per
 * route, method, scheme and user agent.
 */
export class HttpServerSpan extends Span {
  readonly http: HttpServerFields;
  /** `http.response.status_code` (0 until known). */
  statusCode = 0;
  /** The span's `traceparent` as made with its ids, for the response (`null`: format it). */
  traceparent: string | null = null;

  constructor(name: string, context: SpanContext, parentSpanId: string | null, http: HttpServerFields, onEnd: (span: Span) => void) {
    super(name, 'server', context, parentSpanId, null, onEnd);
    this.http = http;
  }

  override get attributes(): Attributes {
    const out = httpAttributes(this.http);
    if (this.statusCode !== 0) out['http.response.status_code'] = this.statusCode;
    return Object.assign(out, this.attrs);
  }
}

/** An HTTP server span's request fields as OpenTelemetry attributes. */
export function httpAttributes(http: HttpServerFields): Record<string, AttributeValue> {
  const out: Record<string, AttributeValue> = { 'http.request.method': http.method, 'url.path': http.path, 'url.scheme': http.scheme };
  if (http.route !== undefined) out['http.route'] = http.route;
  if (http.userAgent !== undefined) out['user_agent.original'] = http.userAgent;
  return out;
}

/**
 * The span of a request whose trace is not sampled: it carries the ids that propagation needs
 * (`traceparent` out, children's parent) and records nothing, so it keeps no request fields,
 * times or attributes.
 */
export class UnsampledSpan implements ActiveSpan {
  readonly context: SpanContext;
  readonly recording = false;

  constructor(context: SpanContext) {
    this.context = context;
  }

  setAttribute(): this {
    return this;
  }

  setAttributes(): this {
    return this;
  }

  addEvent(): this {
    return this;
  }

  recordException(): this {
    return this;
  }

  setStatus(): this {
    return this;
  }

  updateName(): this {
    return this;
  }

  end(): void {}
}
