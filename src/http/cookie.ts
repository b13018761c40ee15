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
}

// RFC 6265 token characters for names; values are percent-encoded when they need it.
const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// `%` is left out: `parseCookies` percent-decodes, so a literal `%` must be encoded to survive.
const SAFE_VALUE = /^[!#$&'()*+\-./0-9:<=>?@A-Z[\]^_`a-z{|}~]*$/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it refuses
const ATTRIBUTE_VALUE = /^[^\u0000-\u001f\u007f;]*$/;

/**
 * Builds one `Set-Cookie` header value.
 *
 * @example
 * serializeCookie('sid', 'abc', { maxAge: 3600, secure: true }) // 'sid=abc; Max-Age=3600; Path=/; HttpOnly; Secure; SameSite=Lax'
 */
export function serializeCookie(name: string, value: string, options: CookieOptions = {}): string {
  if (!COOKIE_NAME.test(name)) throw new TypeError(`Invalid cookie name: ${JSON.stringify(name)}`);
  const encoded = SAFE_VALUE.test(value) ? value : encodeURIComponent(value);
  let out = `${name}=${encoded}`;
  if (options.maxAge !== undefined) {
    if (!Number.isFinite(options.maxAge)) throw new TypeError('Cookie maxAge must be a finite number of seconds');
    out += `; Max-Age=${Math.floor(options.maxAge)}`;
  }
  if (options.expires !== undefined) {
    if (Number.isNaN(options.expires.getTime())) throw new TypeError('Cookie expires must be a valid Date');
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
  const sameSite = (options.sameSite ?? 'Lax').toLowerCase();
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
