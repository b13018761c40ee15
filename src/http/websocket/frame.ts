import { randomFillSync } from 'node:crypto';

/** Frame opcodes (RFC 6455 §5.2). */
export const OPCODES = {
  CONTINUATION: 0x0,
  TEXT: 0x1,
  BINARY: 0x2,
  CLOSE: 0x8,
  PING: 0x9,
  PONG: 0xa,
} as const;

export type Opcode = (typeof OPCODES)[keyof typeof OPCODES];

/** Payloads up to this size are copied behind their header into one buffer (one write). */
const MERGE_LIMIT = 16 * 1024;

// Client frames need a fresh random mask each; drawing them from a pool keeps that cheap.
const MASK_POOL_SIZE = 8 * 1024;
let maskPool = Buffer.alloc(0);
let maskOffset = MASK_POOL_SIZE;

function nextMask(): Buffer {
  if (maskOffset + 4 > maskPool.length) {
    maskPool = randomFillSync(Buffer.allocUnsafe(MASK_POOL_SIZE));
    maskOffset = 0;
  }
  const mask = maskPool.subarray(maskOffset, maskOffset + 4);
  maskOffset += 4;
  return mask;
}

/**
 * XORs `length` bytes of `source` (from `sourceStart`) with the 4-byte `mask` into `target`
 * (from `targetStart`); source and target may be the same buffer. Four bytes at a time where
 * the buffers allow it.
 *
 * @example
 * applyMask(payload, mask, payload, 0, 0, payload.length) // unmasks in place
 */
export function applyMask(
  source: Uint8Array,
  mask: Uint8Array,
  target: Uint8Array,
  sourceStart: number,
  targetStart: number,
  length: number,
): void {
  let i = 0;
  const s = source.byteOffset + sourceStart;
  const t = target.byteOffset + targetStart;
  // Below a few hundred bytes the typed-array views cost more than they save.
  if (length >= 256 && (s - t) % 4 === 0) {
    // Bytes until both sides are 4-byte aligned, then whole words with the mask rotated to
    // match; the word is assembled in the platform's byte order, so endianness does not matter.
    const head = (4 - (s % 4)) % 4;
    for (; i < head; i++) target[targetStart + i] = (source[sourceStart + i] as number) ^ (mask[i & 3] as number);
    const rotated = new Uint8Array([
      mask[head & 3] as number,
      mask[(head + 1) & 3] as number,
      mask[(head + 2) & 3] as number,
      mask[(head + 3) & 3] as number,
    ]);
    const word = new Uint32Array(rotated.buffer)[0] as number;
    const words = (length - head) >>> 2;
    const src = new Uint32Array(source.buffer, s + head, words);
    const dst = new Uint32Array(target.buffer, t + head, words);
    for (let w = 0; w < words; w++) dst[w] = (src[w] as number) ^ word;
    i = head + (words << 2);
  }
  for (; i < length; i++) target[targetStart + i] = (source[sourceStart + i] as number) ^ (mask[i & 3] as number);
}

/**
 * Encodes one frame. Server frames are unmasked; client frames (`mask`) get a random mask and a
 * masked copy of the payload, so the caller's buffer is never changed. Returns one buffer for
 * small payloads and `[header, payload]` for large ones (written together with `cork`).
 *
 * @example
 * socket.write(encodeFrame(OPCODES.TEXT, Buffer.from('hi'), true, false, false) as Buffer)
 */
export function encodeFrame(opcode: number, payload: Uint8Array, fin: boolean, rsv1: boolean, mask: boolean): Buffer | [Buffer, Buffer] {
  const length = payload.length;
  const lengthBytes = length < 126 ? 0 : length < 65536 ? 2 : 8;
  const headerLength = 2 + lengthBytes + (mask ? 4 : 0);
  const merge = mask || length <= MERGE_LIMIT;
  const out = Buffer.allocUnsafe(merge ? headerLength + length : headerLength);
  out[0] = (fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) | opcode;
  const maskBit = mask ? 0x80 : 0;
  if (lengthBytes === 0) out[1] = maskBit | length;
  else if (lengthBytes === 2) {
    out[1] = maskBit | 126;
    out.writeUInt16BE(length, 2);
  } else {
    out[1] = maskBit | 127;
    out.writeUInt32BE(Math.floor(length / 0x100000000), 2);
    out.writeUInt32BE(length >>> 0, 6);
  }
  if (mask) {
    const key = nextMask();
    const at = 2 + lengthBytes;
    out[at] = key[0] as number;
    out[at + 1] = key[1] as number;
    out[at + 2] = key[2] as number;
    out[at + 3] = key[3] as number;
    applyMask(payload, key, out, 0, headerLength, length);
    return out;
  }
  if (merge) {
    out.set(payload, headerLength);
    return out;
  }
  return [out, Buffer.isBuffer(payload) ? payload : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength)];
}

/**
 * Encodes a short text message as one unmasked frame, writing the string straight behind the
 * header (no intermediate buffer); `null` when the text is too long for that fast path.
 *
 * @example
 * encodeTextFrame('hi') // <Buffer 81 02 68 69>
 */
export function encodeTextFrame(text: string): Buffer | null {
  // UTF-8 takes at most 3 bytes per UTF-16 unit: a cheap bound before measuring exactly.
  if (text.length * 3 > MERGE_LIMIT) return null;
  const length = Buffer.byteLength(text, 'utf8');
  const headerLength = length < 126 ? 2 : 4;
  const out = Buffer.allocUnsafe(headerLength + length);
  out[0] = 0x80 | OPCODES.TEXT;
  if (headerLength === 2) out[1] = length;
  else {
    out[1] = 126;
    out.writeUInt16BE(length, 2);
  }
  out.write(text, headerLength, 'utf8');
  return out;
}

/** The payload of a close frame: the code (big-endian) and the UTF-8 reason. */
export function closePayload(code: number | undefined, reason: string): Buffer {
  if (code === undefined) return Buffer.alloc(0);
  const buf = Buffer.allocUnsafe(2 + Buffer.byteLength(reason));
  buf.writeUInt16BE(code, 0);
  buf.write(reason, 2, 'utf8');
  return buf;
}
