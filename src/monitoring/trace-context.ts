import { randomHex, randomTraceparent } from '../internal/random-hex.js';

/** A W3C trace context: the ids that tie a span to its trace and parent. */
export interface SpanContext {
  /** 32 lowercase hex digits, not all zero. */
  readonly traceId: string;
  /** 16 lowercase hex digits, not all zero. */
  readonly spanId: string;
  /** Bit 0 is "sampled". */
  readonly traceFlags: number;
  /** The vendor `tracestate` header, passed along unchanged (empty when none). */
  readonly traceState: string;
  /** Whether it came from another process (a `traceparent` header). */
  readonly isRemote: boolean;
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);
// tracestate list members: key=value, keys lowercase (optionally tenant@system), at most 32.
const TRACESTATE_MEMBER =
  /^(?:[a-z][_0-9a-z\-*/]{0,255}|[a-z0-9][_0-9a-z\-*/]{0,240}@[a-z][_0-9a-z\-*/]{0,13})=[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e]$/;

/**
 * Reads a `traceparent` header (W3C Trace Context): `null` when it is malformed, uses the
 * invalid version `ff` or all-zero ids. Later versions are read by their first four fields,
 * as the spec asks.
 *
 * @example
 * parseTraceparent('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01')
 */
export function parseTraceparent(header: string | null | undefined, tracestate: string | null = null): SpanContext | null {
  if (typeof header !== 'string') return null;
  const m = TRACEPARENT.exec(header.trim());
  if (m === null) return null;
  const [, version, traceId = '', spanId = '', flags = '00', rest] = m;
  if (version === 'ff' || traceId === ZERO_TRACE || spanId === ZERO_SPAN) return null;
  if (version === '00' && rest !== undefined) return null;
  return { traceId, spanId, traceFlags: Number.parseInt(flags, 16), traceState: parseTracestate(tracestate), isRemote: true };
}

/**
 * Keeps the valid members of a `tracestate` header (at most 32), in order; an invalid header
 * as a whole is dropped, as the spec allows.
 */
export function parseTracestate(header: string | null | undefined): string {
  if (typeof header !== 'string' || header.trim() === '') return '';
  const members = header
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (members.length > 32 || !members.every((m) => TRACESTATE_MEMBER.test(m))) return '';
  return members.join(',');
}

/** The `traceparent` header of a span context (version 00). */
export function formatTraceparent(ctx: Pick<SpanContext, 'traceId' | 'spanId' | 'traceFlags'>): string {
  const flags = ctx.traceFlags & 0xff;
  return `00-${ctx.traceId}-${ctx.spanId}-${flags === 1 ? '01' : flags === 0 ? '00' : flags.toString(16).padStart(2, '0')}`;
}

/** A random 16-byte trace id as hex (never all zero). */
export function newTraceId(): string {
  for (;;) {
    const id = randomHex(16);
    if (id !== ZERO_TRACE) return id;
  }
}

/**
 * The `traceparent` of a new sampled root span (random trace and span ids, never all zero):
 * its trace id is `slice(3, 35)`, its span id `slice(36, 52)`. One flat string that goes out
 * as the response header as is.
 */
export function newSampledTraceparent(): string {
  for (;;) {
    const traceparent = randomTraceparent();
    if (!traceparent.startsWith(ZERO_TRACE, 3) && !traceparent.startsWith(ZERO_SPAN, 36)) return traceparent;
  }
}

/** A random 8-byte span id as hex (never all zero). */
export function newSpanId(): string {
  for (;;) {
    const id = randomHex(8);
    if (id !== ZERO_SPAN) return id;
  }
}
