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
  /passw|pwd|secret|token|auth|apikey|accesskey|privatekey|credential|session|cookie|csrf|xsrf|signature|creditcard|cardnumber|cvv|ssn/;

/** Whether a field or header name names a secret. */
export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key.toLowerCase().replace(/[-_\s.]/g, ''));
}

/**
 * Request headers without secrets: `Authorization`, `Cookie`, tokens and the like become
 * `[Filtered]`, and a JWT in any other header (`X-Goog-Iap-Jwt-Assertion`, say) is cut out.
 */
export function scrubHeaders(headers: Iterable<[string, string]>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of headers) {
    const key = name.toLowerCase();
    setOwn(out, key, SECRET_HEADERS.has(key) || isSecretKey(key) ? FILTERED : redactJwts(value, FILTERED));
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
      return eq !== -1 && isSecretKey(key) ? `${rawKey}=${encodeURIComponent(FILTERED)}` : pair;
    })
    .join('&');
}

/** A copy of `value` with secret-named fields replaced, recursively (cycles and depth bounded). */
export function scrubData(value: unknown, depth = 0, seen: WeakSet<object> = new WeakSet()): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'function' || typeof value === 'symbol') return undefined;
  if (typeof value !== 'object' || value === null) return value;
  if (seen.has(value)) return '[Circular]';
  if (depth > 8) return '[Truncated]';
  seen.add(value);
  if (Array.isArray(value)) return value.map((v) => scrubData(v, depth + 1, seen) ?? null);
  if (value instanceof Error) return { name: value.name, message: value.message };
  if (value instanceof Map) return scrubData(Object.fromEntries(value), depth, seen);
  if (value instanceof Set) return scrubData([...value], depth, seen);
  if (value instanceof Uint8Array) return `[${value.byteLength} bytes]`;
  // What JSON.stringify would write for it (a Date, a URL, a Decimal), then scrubbed.
  const json = toJsonForm(value);
  if (json !== value) return scrubData(json, depth + 1, seen);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const clean = isSecretKey(k) ? FILTERED : scrubData(v, depth + 1, seen);
    if (clean !== undefined) setOwn(out, k, clean);
  }
  return out;
}
