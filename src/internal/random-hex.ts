import { randomFillSync } from 'node:crypto';

// Random ids (trace and span ids, correlation ids) are cut from a pool of random hex text:
// 8 KiB from one `randomFillSync`, turned into hex by one native call, then sliced. Per id that
// is a slice instead of a string built byte by byte, which profiles showed as a tenth of a
// traced request's CPU time.
const POOL_BYTES = 8192;
let pool = '';
let offset = 0;

/**
 * `bytes` random bytes as lowercase hex (cryptographically random, from the pool).
 *
 * @example
 * randomHex(8) // 'a3f29c0d17be4e55'
 */
export function randomHex(bytes: number): string {
  const length = bytes * 2;
  if (offset + length > pool.length) {
    pool = randomFillSync(Buffer.allocUnsafe(POOL_BYTES)).toString('hex');
    offset = 0;
  }
  const out = pool.slice(offset, offset + length);
  offset += length;
  return out;
}

// Byte → its two lowercase hex digits, as character codes.
const HEX_HIGH = new Uint8Array(256);
const HEX_LOW = new Uint8Array(256);
for (let b = 0; b < 256; b++) {
  HEX_HIGH[b] = '0123456789abcdef'.charCodeAt(b >> 4);
  HEX_LOW[b] = '0123456789abcdef'.charCodeAt(b & 15);
}

/** Writes `random[from]` … `random[from + count - 1]` as hex into `text` at `at`. */
function writeHex(text: Uint8Array, at: number, random: Uint8Array, from: number, count: number): void {
  for (let i = 0; i < count; i++) {
    const b = random[from + i] as number;
    text[at + 2 * i] = HEX_HIGH[b] as number;
    text[at + 2 * i + 1] = HEX_LOW[b] as number;
  }
}

/**
 * A pool of ready-made ids of one layout, cut as slices of one flat string: Node's header check
 * and the log writer read a slice as is, where an id joined from pieces is a rope that has to
 * be flattened (copied) first — 0.2 µs per request for a UUID, as much for a `traceparent`.
 * One `randomFillSync` per refill: each call costs microseconds whatever its size.
 */
class IdPool {
  readonly #width: number;
  readonly #random: Buffer;
  readonly #text: Buffer;
  readonly #fill: (text: Uint8Array, at: number, random: Uint8Array, from: number) => void;
  readonly #randomBytes: number;
  #pool = '';
  #offset = 0;

  constructor(
    count: number,
    width: number,
    randomBytes: number,
    fill: (text: Uint8Array, at: number, random: Uint8Array, from: number) => void,
  ) {
    this.#width = width;
    this.#randomBytes = randomBytes;
    this.#random = Buffer.allocUnsafeSlow(randomBytes * count);
    this.#text = Buffer.allocUnsafeSlow(width * count);
    this.#fill = fill;
  }

  next(): string {
    if (this.#offset === this.#pool.length) this.#refill();
    const out = this.#pool.slice(this.#offset, this.#offset + this.#width);
    this.#offset += this.#width;
    return out;
  }

  #refill(): void {
    const random = randomFillSync(this.#random);
    const text = this.#text;
    const count = text.length / this.#width;
    for (let n = 0; n < count; n++) this.#fill(text, n * this.#width, random, n * this.#randomBytes);
    this.#pool = text.toString('latin1');
    this.#offset = 0;
  }
}

const DASH = 0x2d;

const uuids = new IdPool(256, 36, 16, (text, at, random, from) => {
  random[from + 6] = ((random[from + 6] as number) & 0x0f) | 0x40;
  random[from + 8] = ((random[from + 8] as number) & 0x3f) | 0x80;
  writeHex(text, at, random, from, 4);
  text[at + 8] = DASH;
  writeHex(text, at + 9, random, from + 4, 2);
  text[at + 13] = DASH;
  writeHex(text, at + 14, random, from + 6, 2);
  text[at + 18] = DASH;
  writeHex(text, at + 19, random, from + 8, 2);
  text[at + 23] = DASH;
  writeHex(text, at + 24, random, from + 10, 6);
});

/**
 * A random RFC 9562 version 4 UUID (`crypto.randomUUID()`'s format), from a pool.
 *
 * @example
 * randomUuid() // '1b4e28ba-2fa1-4d2e-883f-0016d3cca427'
 */
export function randomUuid(): string {
  return uuids.next();
}

// '00-' + 16 bytes + '-' + 8 bytes + '-01'
const traceparents = new IdPool(256, 55, 24, (text, at, random, from) => {
  text[at] = 0x30;
  text[at + 1] = 0x30;
  text[at + 2] = DASH;
  writeHex(text, at + 3, random, from, 16);
  text[at + 35] = DASH;
  writeHex(text, at + 36, random, from + 16, 8);
  text[at + 52] = DASH;
  text[at + 53] = 0x30;
  text[at + 54] = 0x31;
});

/**
 * A sampled W3C `traceparent` (version 00, flags 01) with a random trace id and span id, from
 * a pool: the trace id is `slice(3, 35)`, the span id `slice(36, 52)`. Either may be all zeros
 * (which the spec forbids) once in 2^64: callers check.
 *
 * @example
 * randomTraceparent() // '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'
 */
export function randomTraceparent(): string {
  return traceparents.next();
}
