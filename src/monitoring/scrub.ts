import { setOwn } from '../internal/own-field.js';
import { toJsonForm } from '../internal/to-json.js';
import { redactJwts } from '../logging/redact.js';

/** The replacement for scrubbed values, as Sentry writes it. */
export const FILTERED = '[Filtered]';

/**
 * Header names never sent as they are: credentials, and the headers proxies put the client's IP
 * address in (the IP is personal data, which Sentry's own SDKs leave out by default too).
 */
const SECRET_HEADERS = new Set([
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'x-api-key',
  'x-auth-token',
  'x-csrf-token',
  'x-xsrf-token',
  'forwarded',
  'x-forwarded-for',
  'x-real-ip',
  'x-client-ip',
  'x-cluster-client-ip',
  'true-client-ip',
  'cf-connecting-ip',
  'fastly-client-ip',
]);

/** Keys whose values are secrets (normalized: lower case, no `-`/`_`). */
const SECRET_KEY =
  /passw|passphrase|pwd|secret|token|auth|apikey|accesskey|privatekey|credential|session|cookie|csrf|xsrf|signature|creditcard|cardnumber|cvv|ssn/;

/** Short names that are secrets when they are the whole name (as fragments they would match `footprint`). */
const SECRET_NAMES = new Set(['pass', 'pin', 'otp', 'jwt', 'cvc']);

/** Whether a field or header name names a secret. */
export function isSecretKey(key: string): boolean {
  const n = key.toLowerCase().replace(/[-_\s.]/g, '');
  return SECRET_KEY.test(n) || SECRET_NAMES.has(n);
}

/** `Bearer …`, `Basic …` credentials written into some other header. */
const CREDENTIAL = /\b(Bearer|Basic|Digest|Token)\s+[A-Za-z0-9._~+/=-]{6,}/gi;

/** A header value without the secrets it may carry: JWTs, credentials, a URL's secret query parameters. */
function scrubHeaderValue(value: string): string {
  let out = redactJwts(value, FILTERED).replace(CREDENTIAL, `$1 ${FILTERED}`);
  const q = out.indexOf('?');
  if (q !== -1 && /^[a-z][a-z0-9+.-]*:\/\//i.test(out)) {
    const hash = out.indexOf('#', q);
    const query = hash === -1 ? out.slice(q + 1) : out.slice(q + 1, hash);
    out = `${out.slice(0, q + 1)}${scrubQuery(query)}${hash === -1 ? '' : out.slice(hash)}`;
  }
  return out;
}

/**
 * Request headers without secrets: `Authorization`, `Cookie`, tokens and the like become
 * `[Filtered]`; in any other header a JWT or a `Bearer …` credential is cut out, and so are the
 * secret query parameters of a URL (a `Referer` carrying a reset link's `?token=`).
 */
export function scrubHeaders(headers: Iterable<[string, string]>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of headers) {
    const key = name.toLowerCase();
    setOwn(out, key, SECRET_HEADERS.has(key) || isSecretKey(key) ? FILTERED : scrubHeaderValue(value));
  }
  return out;
}

/** A query string with the values of secret-named parameters replaced. */
export function scrubQuery(query: string): string {
  if (query === '') return '';
  return query
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const rawKey = eq === -1 ? pair : pair.slice(0, eq);
      let key = rawKey;
      try {
        key = decodeURIComponent(rawKey.replace(/\+/g, ' '));
      } catch {}
      if (eq === -1) return pair;
      if (isSecretKey(key)) return `${rawKey}=${encodeURIComponent(FILTERED)}`;
      // A JWT passed under some other name (`?jwt=`, `?id_token_hint=` is caught above).
      const value = pair.slice(eq + 1);
      const clean = redactJwts(value, encodeURIComponent(FILTERED));
      return clean === value ? pair : `${rawKey}=${clean}`;
    })
    .join('&');
}

/**
 * Items of an array and properties of an object kept in a copy (Sentry's `normalizeMaxBreadth`):
 * past it one `'[MaxProperties ~]'` marks the cut, so a huge `extra` costs bounded time.
 */
export const MAX_BREADTH = 1000;
const MAX_PROPERTIES = '[MaxProperties ~]';

/** A copy of `value` with secret-named fields replaced, recursively (cycles, depth and breadth bounded). */
export function scrubData(value: unknown, depth = 0, seen: WeakSet<object> = new WeakSet()): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'function' || typeof value === 'symbol') return undefined;
  if (typeof value !== 'object' || value === null) return value;
  if (seen.has(value)) return '[Circular]';
  if (depth > 8) return '[Truncated]';
  seen.add(value);
  try {
    return scrubObject(value, depth, seen);
  } catch {
    // A getter or a proxy trap that throws: a capture must never throw for what it was given.
    return '[Unserializable]';
  } finally {
    // Only the path from the root counts: the same object twice, side by side, is no cycle.
    seen.delete(value);
  }
}

function scrubObject(value: object, depth: number, seen: WeakSet<object>): unknown {
  if (Array.isArray(value)) {
    const items = value.slice(0, MAX_BREADTH).map((v) => scrubData(v, depth + 1, seen) ?? null);
    if (value.length > MAX_BREADTH) items.push(MAX_PROPERTIES);
    return items;
  }
  if (value instanceof Error) return { name: value.name, message: value.message };
  if (value instanceof Map) return scrubData(Object.fromEntries(value), depth, seen);
  if (value instanceof Set) return scrubData([...value], depth, seen);
  if (value instanceof Uint8Array) return `[${value.byteLength} bytes]`;
  // What JSON.stringify would write for it (a Date, a URL, a Decimal), then scrubbed.
  const json = toJsonForm(value);
  if (json !== value) return scrubData(json, depth + 1, seen);
  const out: Record<string, unknown> = {};
  const keys = Object.keys(value);
  const kept = Math.min(keys.length, MAX_BREADTH);
  for (let i = 0; i < kept; i++) {
    const k = keys[i] as string;
    const clean = isSecretKey(k) ? FILTERED : scrubData((value as Record<string, unknown>)[k], depth + 1, seen);
    if (clean !== undefined) setOwn(out, k, clean);
  }
  if (keys.length > MAX_BREADTH) setOwn(out, '...', MAX_PROPERTIES);
  return out;
}
