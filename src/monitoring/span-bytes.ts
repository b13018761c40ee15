/**
 * Writes the common HTTP server span straight into an export buffer as OTLP JSON bytes: the
 * same text `encodeSpan` makes, without building it as a string first. A string of a few
 * hundred characters joined from pieces has to be flattened and then encoded to UTF-8 again;
 * here the fixed parts are copied from bytes made once and the rest (ids, times, the path,
 * the status) are ASCII written one byte each.
 */

import { writeAscii, writeBytes, writeLatin1, writeNumber, writePlainJsonText } from '../internal/ascii-bytes.js';
import type { HttpServerSpan } from './span.js';

const ascii = (text: string): Buffer => Buffer.from(text, 'latin1');

const TRACE_ID = ascii('{"traceId":"');
const SPAN_ID = ascii('","spanId":"');
const PARENT_ID = ascii('","parentSpanId":"');
const START = ascii('","startTimeUnixNano":"');
const END = ascii('","endTimeUnixNano":"');
const STATUS = ascii('}},{"key":"http.response.status_code","value":{"intValue":"');
const PLAIN_TAIL = ascii('"}}],"events":[],"status":{"code":0},"flags":1}');

/** Room `writeHttpServerSpan` needs besides its head and path: ids, times, status and the fixed parts. */
export const FIXED_SPAN_BYTES = 512;

let lastSecond = -1;
let lastSecondText = '';

/**
 * `String(second)` for whole seconds since the epoch: formatting a 10-digit number is slow,
 * so it is done once per second however many spans end in it.
 */
export function secondsText(second: number): string {
  if (second !== lastSecond) {
    lastSecond = second;
    lastSecondText = String(second);
  }
  return lastSecondText;
}

// The digits of the last second `writeNanos` wrote, as bytes.
let bytesSecond = -1;
const secondDigits = new Uint8Array(24);
let secondLength = 0;

/**
 * Microseconds since the epoch as OTLP's decimal nanoseconds, written as ASCII digits: the
 * seconds copied from the digits kept for the current second, the fraction (below 10^6, a
 * small integer) in integer arithmetic.
 */
function writeNanos(buf: Buffer, at: number, micros: number): number {
  const second = Math.floor(micros / 1_000_000);
  if (second !== bytesSecond) {
    bytesSecond = second;
    const text = secondsText(second);
    secondLength = text.length;
    for (let i = 0; i < secondLength; i++) secondDigits[i] = text.charCodeAt(i);
  }
  for (let i = 0; i < secondLength; i++) buf[at + i] = secondDigits[i] as number;
  at += secondLength;
  let fraction = (micros - second * 1_000_000) | 0;
  for (let i = 5; i >= 0; i--) {
    const rest = (fraction / 10) | 0;
    buf[at + i] = 0x30 + fraction - rest * 10;
    fraction = rest;
  }
  buf[at + 6] = 0x30;
  buf[at + 7] = 0x30;
  buf[at + 8] = 0x30;
  return at + 9;
}

/**
 * Writes the ended server span `s` at `at` in `buf`, which must have `head.length +
 * s.http.path.length + FIXED_SPAN_BYTES` bytes free. `head` is the span's JSON between its end
 * time and its path's value (name, kind and the other request attributes) as UTF-8. The span
 * must be plain: sampled (flags 1), no trace state, no attributes, events or status set by
 * hand, its status code known. Returns the end, or -1 when the path needs escaping (the caller
 * writes the span as text instead).
 */
export function writeHttpServerSpan(buf: Buffer, at: number, s: HttpServerSpan, head: Buffer): number {
  let o = writeBytes(buf, at, TRACE_ID);
  o = writeLatin1(buf, o, s.context.traceId);
  o = writeAscii(buf, writeBytes(buf, o, SPAN_ID), s.context.spanId);
  if (s.parentSpanId !== null) o = writeAscii(buf, writeBytes(buf, o, PARENT_ID), s.parentSpanId);
  o = writeNanos(buf, writeBytes(buf, o, START), s.startMicros);
  o = writeNanos(buf, writeBytes(buf, o, END), s.endMicros);
  buf[o++] = 0x22; // '"'
  o = writeBytes(buf, o, head);
  buf[o++] = 0x22;
  o = writePlainJsonText(buf, o, s.http.path);
  if (o === -1) return -1;
  buf[o++] = 0x22;
  o = writeNumber(buf, writeBytes(buf, o, STATUS), s.statusCode);
  return writeBytes(buf, o, PLAIN_TAIL);
}
