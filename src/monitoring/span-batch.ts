import type { HttpServerSpan } from './span.js';
import { FIXED_SPAN_BYTES, writeHttpServerSpan } from './span-bytes.js';

/**
 * Encoded spans waiting for export, as UTF-8 bytes separated by commas. A span's JSON text is
 * copied in as soon as the span ends, so neither the span nor its text outlives the request:
 * the bytes sit outside the JavaScript heap, which the garbage collector never scans or copies,
 * and the export body needs no joining or second encoding pass.
 */
export class SpanBatch {
  #buf: Buffer;
  #length: number;
  #count = 0;

  /**
   * `head` is the start of the request body, before the first span. `reuse` is the buffer of
   * an earlier batch that was sent: fresh large buffers cost page faults on every batch.
   */
  constructor(head: Buffer, initialBytes = 64 * 1024, reuse: Buffer | null = null) {
    const size = Math.max(initialBytes, head.length * 2);
    this.#buf = reuse !== null && reuse.length >= size ? reuse : Buffer.allocUnsafe(size);
    this.#length = head.copy(this.#buf, 0);
  }

  /** The whole buffer, to hand to the next batch once this one's body was sent. */
  get buffer(): Buffer {
    return this.#buf;
  }

  /** Spans in the batch. */
  get count(): number {
    return this.#count;
  }

  /** Bytes of the request body so far (its head and the spans). */
  get bytes(): number {
    return this.#length;
  }

  /** Appends one span's JSON text. */
  add(json: string): void {
    // UTF-8 takes at most 3 bytes per UTF-16 code unit.
    this.#reserve(1 + json.length * 3);
    if (this.#count > 0) this.#buf[this.#length++] = 0x2c; // ','
    this.#length += this.#buf.write(json, this.#length, 'utf8');
    this.#count++;
  }

  /**
   * Appends a plain server span written straight as bytes (see `writeHttpServerSpan`); false,
   * with nothing added, when it needs the text encoder.
   */
  addServerSpan(span: HttpServerSpan, head: Buffer): boolean {
    this.#reserve(1 + head.length + span.http.path.length + FIXED_SPAN_BYTES);
    const at = this.#count > 0 ? this.#length + 1 : this.#length;
    const end = writeHttpServerSpan(this.#buf, at, span, head);
    if (end === -1) return false;
    if (this.#count > 0) this.#buf[this.#length] = 0x2c; // ','
    this.#length = end;
    this.#count++;
    return true;
  }

  /** The whole request body: the head, the spans, then `tail` (call once). */
  body(tail: Buffer): Buffer {
    this.#reserve(tail.length);
    this.#length += tail.copy(this.#buf, this.#length);
    return this.#buf.subarray(0, this.#length);
  }

  #reserve(bytes: number): void {
    const need = this.#length + bytes;
    if (need <= this.#buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.#buf.length * 2, need));
    this.#buf.copy(bigger, 0, 0, this.#length);
    this.#buf = bigger;
  }
}
