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

const VARIANT = '89ab';
const HEX_DIGITS = '0123456789abcdef';

/**
 * A random RFC 9562 version 4 UUID, from the same pool (`crypto.randomUUID()`'s format).
 *
 * @example
 * randomUuid() // '1b4e28ba-2fa1-4d2e-883f-0016d3cca427'
 */
export function randomUuid(): string {
  const h = randomHex(16);
  const variant = VARIANT[HEX_DIGITS.indexOf(h[16] as string) & 3] as string;
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20)}`;
}
