import { CovetError } from '../errors.js';
import type { CookieSigner } from './signed-cookie.js';

/** Options of `response.setCookie`. `maxAge` is in seconds. */
export interface CookieOptions {
  readonly maxAge?: number;
  readonly expires?: Date;
  /** Default `/`. */
  readonly path?: string;
  readonly domain?: string;
  readonly secure?: boolean;
  /** Default `true`: scripts cannot read the cookie unless you say so. */
  readonly httpOnly?: boolean;
  /** Default `Lax`. */
  readonly sameSite?: 'Strict' | 'Lax' | 'None' | 'strict' | 'lax' | 'none';
  readonly partitioned?: boolean;
  /**
   * Sign the value with this `CookieSigner` (HMAC-SHA256, bound to the cookie's name); read it
   * back with `req.getSignedCookie(name, signer)`. Default: not signed.
   */
  readonly signed?: CookieSigner;
}

/**
 * The largest `name=value` (after signing and encoding) Covet writes: browsers ignore larger
 * cookies silently (RFC 6265 §6.1 asks for at least 4096 bytes; Chromium and Firefox stop there).
 */
export const MAX_COOKIE_SIZE = 4096;

// RFC 6265 token characters for names; values are percent-encoded when they need it.
const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// `%` is left out: `parseCookies` percent-decodes, so a literal `%` must be encoded to survive.
const SAFE_VALUE = /^[!#$&'()*+\-./0-9:<=>?@A-Z[\]^_`a-z{|}~]*$/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it refuses
const ATTRIBUTE_VALUE = /^[^\u0000-\u001f\u007f;]*$/;

/**
 * A cookie value as it goes on the wire: unchanged when it is all cookie-octets, otherwise
 * percent-encoded (what `parseCookies` decodes).
 */
export function encodeCookieValue(value: string): string {
  return SAFE_VALUE.test(value) ? value : encodeURIComponent(value);
}

/**
 * Builds one `Set-Cookie` header value.
 *
 * @example
 * serializeCookie('sid', 'abc', { maxAge: 3600, secure: true }) // 'sid=abc; Max-Age=3600; Path=/; HttpOnly; Secure; SameSite=Lax'
 */
export function serializeCookie(name: string, value: string, options: CookieOptions = {}): string {
  if (!COOKIE_NAME.test(name)) throw new TypeError(`Invalid cookie name: ${JSON.stringify(name)}`);
  if (typeof value !== 'string') throw new TypeError(`Cookie ${name}: the value must be a string, got ${typeof value}`);
  const signed = options.signed === undefined ? value : options.signed.sign(name, value);
  // Anything outside cookie-octet (CR, LF, `;`, `,`, spaces, controls, non-ASCII) is
  // percent-encoded, so a value can never end the header or add another one.
  const encoded = encodeCookieValue(signed);
  let out = `${name}=${encoded}`;
  if (out.length > MAX_COOKIE_SIZE) {
    throw new CovetError(
      `Cookie ${name} is ${out.length} bytes (name=value, encoded${options.signed === undefined ? '' : ' and signed'}); browsers ignore cookies over ${MAX_COOKIE_SIZE} bytes`,
      { code: 'ERR_COOKIE_TOO_LARGE' },
    );
  }
  if (options.maxAge !== undefined) {
    if (!Number.isFinite(options.maxAge)) throw new TypeError('Cookie maxAge must be a finite number of seconds');
    out += `; Max-Age=${Math.floor(options.maxAge)}`;
  }
  if (options.expires !== undefined) {
    if (!(options.expires instanceof Date) || Number.isNaN(options.expires.getTime())) throw new TypeError('Cookie expires must be a valid Date');
    out += `; Expires=${options.expires.toUTCString()}`;
  }
  const path = options.path ?? '/';
  for (const [attr, v] of [
    ['Path', path],
    ['Domain', options.domain],
  ] as const) {
    if (v === undefined) continue;
    if (!ATTRIBUTE_VALUE.test(v)) throw new TypeError(`Invalid cookie ${attr}: ${JSON.stringify(v)}`);
    out += `; ${attr}=${v}`;
  }
  if (options.httpOnly ?? true) out += '; HttpOnly';
  const sameSite = typeof options.sameSite === 'string' ? options.sameSite.toLowerCase() : (options.sameSite ?? 'lax');
  // An unknown value would go out as is (`SameSite=undefined`), which browsers ignore.
  if (sameSite !== 'lax' && sameSite !== 'strict' && sameSite !== 'none') {
    throw new TypeError(`Cookie sameSite must be 'Strict', 'Lax' or 'None', got ${JSON.stringify(options.sameSite)}`);
  }
  // Browsers drop SameSite=None and Partitioned cookies that are not Secure, so both imply it.
  if (options.secure || sameSite === 'none' || options.partitioned) out += '; Secure';
  out += `; SameSite=${sameSite[0]?.toUpperCase()}${sameSite.slice(1)}`;
  if (options.partitioned) out += '; Partitioned';
  return out;
}

/**
 * Parses a `Cookie` request header into a null-prototype record. The first occurrence of a
 * name wins; values are percent-decoded when that is valid; malformed pairs are skipped.
 *
 * @example
 * parseCookies('a=1; b=hello%20world') // { a: '1', b: 'hello world' }
 */
export function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = Object.create(null);
  if (!header) return out;
  for (const pair of header.split(';')) {
    const eq = pair.indexOf('=');
    if (eq === -1) continue;
    const name = pair.slice(0, eq).trim();
    if (!name || name in out) continue;
    let value = pair.slice(eq + 1).trim();
    if (value.length > 1 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    if (value.includes('%')) {
      try {
        value = decodeURIComponent(value);
      } catch {
        // keep the raw value: a cookie set by someone else need not be percent-encoded
      }
    }
    out[name] = value;
  }
  return out;
}
