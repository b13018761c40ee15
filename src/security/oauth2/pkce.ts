import { createHash } from 'node:crypto';
import { safeEqual } from '../timing-safe.js';

/** RFC 7636 §4.1: 43 to 128 characters of `[A-Z] / [a-z] / [0-9] / "-" / "." / "_" / "~"`. */
const VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/;

/** Whether a `code_verifier` (or a `plain` challenge) has the RFC 7636 form. */
export function isValidVerifier(value: string): boolean {
  return VERIFIER.test(value);
}

/** Whether a `code_challenge` has the form its method needs (S256: 43 base64url characters). */
export function isValidChallenge(challenge: string, method: 'S256' | 'plain'): boolean {
  return method === 'S256' ? /^[A-Za-z0-9_-]{43}$/.test(challenge) : VERIFIER.test(challenge);
}

/** The S256 challenge of a verifier: `BASE64URL(SHA256(ASCII(verifier)))`. */
export function s256Challenge(verifier: string): string {
  return createHash('sha256').update(verifier, 'ascii').digest('base64url');
}

/**
 * Checks a `code_verifier` against the challenge stored with the code, in constant time.
 *
 * @example
 * verifyPkce(verifier, record.codeChallenge, 'S256') // true or false
 */
export function verifyPkce(verifier: string, challenge: string, method: 'S256' | 'plain'): boolean {
  if (!isValidVerifier(verifier)) return false;
  return safeEqual(method === 'S256' ? s256Challenge(verifier) : verifier, challenge);
}
