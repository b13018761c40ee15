import { isSecretName, REDACTED, redactUrl } from './redact.js';

/** A finished span as the console shows it; times in ms. */
export interface SpanView {
  readonly spanId: string;
  readonly parentSpanId: string | null;
  readonly name: string;
  readonly kind: string;
  /** Unix time in ms. */
  readonly start: number;
  readonly durationMs: number;
  readonly status: string;
  readonly attributes: Readonly<Record<string, unknown>>;
}

/** A trace: its spans in the order they finished. */
export interface TraceView {
  readonly traceId: string;
  /** Unix time in ms of the earliest span. */
  readonly start: number;
  readonly durationMs: number;
  /** The root span's name (or the earliest span's when the root is not in). */
  readonly name: string;
  readonly spans: readonly SpanView[];
  /** Spans left out past the per-trace cap. */
  readonly dropped: number;
}

/** What the console reads from a `covet:trace:span` message (the tracing module's `SpanData`). */
interface SpanMessage {
  readonly name: string;
  readonly kind?: string;
  readonly context: { readonly traceId: string; readonly spanId: string };
  readonly parentSpanId?: string | null;
  readonly startTimeUnixNano: bigint;
  readonly endTimeUnixNano: bigint;
  readonly attributes?: Readonly<Record<string, unknown>>;
  readonly status?: { readonly code?: string };
}

function isSpanMessage(m: unknown): m is SpanMessage {
  if (typeof m !== 'object' || m === null) return false;
  const s = m as Partial<SpanMessage>;
  return (
    typeof s.name === 'string' &&
    typeof s.context?.traceId === 'string' &&
    typeof s.context.spanId === 'string' &&
    typeof s.startTimeUnixNano === 'bigint' &&
    typeof s.endTimeUnixNano === 'bigint'
  );
}

const MAX_ATTRIBUTES = 32;

function attributesOf(attributes: Readonly<Record<string, unknown>> | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (attributes === undefined) return out;
  let n = 0;
  for (const [key, value] of Object.entries(attributes)) {
    if (n++ >= MAX_ATTRIBUTES) break;
    let shown = value;
    if (isSecretName(key)) shown = REDACTED;
    else if (typeof value === 'string' && /(^|\.)(url|target|query)$/.test(key)) shown = redactUrl(value);
    else if (typeof value === 'string' && value.length > 512) shown = `${value.slice(0, 512)}…`;
    Object.defineProperty(out, key, { value: shown, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

interface MutableTrace {
  readonly traceId: string;
  readonly spans: SpanView[];
  dropped: number;
}

/**
 * The last `maxTraces` traces (spans grouped by trace id), at most `maxSpans` spans each: when a
 * new trace arrives in a full buffer, the trace that started longest ago goes.
 *
 * @example
 * const traces = new TraceBuffer(50, 256);
 * traces.add(spanData); // a SpanData from the tracing module
 * traces.list();
 */
export class TraceBuffer {
  readonly #traces = new Map<string, MutableTrace>();
  readonly #maxTraces: number;
  readonly #maxSpans: number;

  constructor(maxTraces: number, maxSpans: number) {
    this.#maxTraces = maxTraces;
    this.#maxSpans = maxSpans;
  }

  /** Adds a finished span; returns its trace id, or `null` for a message that is not a span. */
  add(message: unknown): string | null {
    if (!isSpanMessage(message)) return null;
    const traceId = message.context.traceId;
    let trace = this.#traces.get(traceId);
    if (trace === undefined) {
      trace = { traceId, spans: [], dropped: 0 };
      this.#traces.set(traceId, trace);
      if (this.#traces.size > this.#maxTraces) {
        const oldest = this.#traces.keys().next().value as string;
        this.#traces.delete(oldest);
      }
    }
    if (trace.spans.length >= this.#maxSpans) {
      trace.dropped++;
      return traceId;
    }
    const startNs = message.startTimeUnixNano;
    trace.spans.push({
      spanId: message.context.spanId,
      parentSpanId: message.parentSpanId ?? null,
      name: message.name,
      kind: message.kind ?? 'internal',
      start: Number(startNs / 1000n) / 1000,
      durationMs: Number(message.endTimeUnixNano - startNs) / 1e6,
      status: message.status?.code ?? 'unset',
      attributes: attributesOf(message.attributes),
    });
    return traceId;
  }

  /** Every trace held, most recent first. */
  list(): TraceView[] {
    const out: TraceView[] = [];
    for (const trace of this.#traces.values()) {
      let start = Number.POSITIVE_INFINITY;
      let end = 0;
      for (const s of trace.spans) {
        start = Math.min(start, s.start);
        end = Math.max(end, s.start + s.durationMs);
      }
      const ids = new Set(trace.spans.map((s) => s.spanId));
      const root = trace.spans.find((s) => s.parentSpanId === null || !ids.has(s.parentSpanId)) ?? trace.spans[0];
      out.push({
        traceId: trace.traceId,
        start,
        durationMs: Math.round((end - start) * 1000) / 1000,
        name: root?.name ?? '',
        spans: trace.spans,
        dropped: trace.dropped,
      });
    }
    return out.reverse();
  }
}
