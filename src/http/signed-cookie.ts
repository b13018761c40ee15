import { createHmac, timingSafeEqual } from 'node:crypto';

/** A signing key: a string (UTF-8) or raw bytes, at least 16 bytes long. */
export type CookieKey = string | Uint8Array;

/** What `CookieSigner.verify` returns for a good signature. */
export interface VerifiedCookie {
  /** The value without its signature. */
  readonly value: string;
  /** Which key verified it: `0` is the current key; more means an older one (re-sign soon). */
  readonly keyIndex: number;
}

/** The shortest key accepted, in bytes: shorter secrets are guessable offline. */
export const MIN_COOKIE_KEY_BYTES = 16;

// base64url of a 32-byte HMAC-SHA256, without padding.
const MAC_LENGTH = 43;
const MAC_CHARS = /^[A-Za-z0-9_-]{43}$/;

function toKey(key: CookieKey, index: number): Buffer {
  const bytes = typeof key === 'string' ? Buffer.from(key, 'utf8') : Buffer.from(key);
  if (bytes.length < MIN_COOKIE_KEY_BYTES) {
    throw new RangeError(
      `Cookie signing key #${index} is ${bytes.length} bytes; use at least ${MIN_COOKIE_KEY_BYTES} (e.g. crypto.randomBytes(32).toString('base64url'))`,
    );
  }
  return bytes;
}

/**
 * Signs and verifies cookie values with HMAC-SHA256 and a key-rotation list: the first key
 * signs, every key verifies, so a new key can be put first while cookies signed with the old
 * one stay valid until they are re-issued. The signature covers the cookie's name too, so a
 * value signed for one cookie is refused as another. Values stay readable by the client:
 * signing proves they were not changed, it does not hide them.
 *
 * A signed value is `value.signature` (43 base64url characters); comparison is constant-time.
 *
 * @example
 * const signer = new CookieSigner([env.string('COOKIE_KEY'), env.string('OLD_COOKIE_KEY')]);
 * app.post('/prefs', () => new Response(null, { status: 204 }).setCookie('theme', 'dark', { signed: signer }));
 * app.get('/prefs', (req) => ({ theme: req.getSignedCookie('theme', signer) })); // null when forged
 */
export class CookieSigner {
  readonly #keys: readonly Buffer[];

  constructor(keys: CookieKey | readonly CookieKey[]) {
    const list = typeof keys === 'string' || keys instanceof Uint8Array ? [keys] : keys;
    if (list.length === 0) throw new RangeError('CookieSigner needs at least one key');
    this.#keys = list.map(toKey);
  }

  /** How many keys verify (the first one also signs). */
  get size(): number {
    return this.#keys.length;
  }

  /** `value.signature`, signed with the first key for the cookie `name`. */
  sign(name: string, value: string): string {
    return `${value}.${mac(this.#keys[0] as Buffer, name, value)}`;
  }

  /**
   * The value and the index of the key that verified it, or `null` when the signature is
   * missing, malformed or made with none of the keys.
   */
  verify(name: string, signed: string): VerifiedCookie | null {
    const dot = signed.length - MAC_LENGTH - 1;
    if (dot < 0 || signed.charCodeAt(dot) !== 46 /* . */) return null;
    const given = signed.slice(dot + 1);
    if (!MAC_CHARS.test(given)) return null;
    const value = signed.slice(0, dot);
    const givenBytes = Buffer.from(given, 'latin1');
    for (let i = 0; i < this.#keys.length; i++) {
      const expected = Buffer.from(mac(this.#keys[i] as Buffer, name, value), 'latin1');
      if (timingSafeEqual(givenBytes, expected)) return { value, keyIndex: i };
    }
    return null;
  }

  /** The value when its signature verifies with any key, else `null`. */
  unsign(name: string, signed: string): string | null {
    return this.verify(name, signed)?.value ?? null;
  }
}

// Names are RFC 6265 tokens, which cannot hold `=`, so `name=value` is unambiguous.
function mac(key: Buffer, name: string, value: string): string {
  return createHmac('sha256', key).update(`${name}=${value}`, 'utf8').digest('base64url');
}
