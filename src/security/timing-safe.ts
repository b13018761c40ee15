import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

// A per-process key: comparing HMACs of both sides makes the comparison constant-time in the
// *contents* and hides the lengths too (the digests always have the same length).
const COMPARE_KEY = randomBytes(32);

/**
 * Compares two secrets (strings or bytes) in time that does not depend on where they differ
 * or on how long the expected one is. Used for every token, signature and secret comparison
 * in `covet/security`.
 *
 * @example
 * if (!safeEqual(req.headers.get('x-api-key') ?? '', process.env.API_KEY ?? '')) throw new HTTPException(401)
 */
export function safeEqual(a: string | Uint8Array, b: string | Uint8Array): boolean {
  const da = createHmac('sha256', COMPARE_KEY).update(a).digest();
  const db = createHmac('sha256', COMPARE_KEY).update(b).digest();
  return timingSafeEqual(da, db);
}

/** Constant-time equality of two byte strings of possibly different length (lengths are public). */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && timingSafeEqual(a, b);
}
