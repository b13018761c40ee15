/** What replaces a secret. */
export const REDACTED = '[REDACTED]';

// Headers that carry credentials, always hidden; plus any header whose name says it holds one.
const SECRET_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'x-api-key']);
// Compared against field names lower-cased with `-`, `_` and spaces removed, so `api_key`,
// `apiKey` and `API-Key` all match `apikey`.
const SECRET_PARTS = [
  'password',
  'passwd',
  'passphrase',
  'secret',
  'token',
  'apikey',
  'accesskey',
  'privatekey',
  'creditcard',
  'cardnumber',
  'cvv',
  'cvc',
  'ssn',
  'authorization',
  'cookie',
  'session',
] as const;

/**
 * Whether a header or field name looks like it holds a secret (case-insensitive, `_`/`-`
 * ignored): `password`, `client_secret`, `accessToken`, `apiKey`, `creditCard`…
 *
 * @example
 * isSecretName('refresh_token') // true
 */
export function isSecretName(name: string): boolean {
  const key = name.toLowerCase().replace(/[-_\s.]/g, '');
  for (const part of SECRET_PARTS) if (key.includes(part)) return true;
  return false;
}

/**
 * Request or response headers with credential values replaced by `[REDACTED]`.
 *
 * @example
 * redactHeaders({ authorization: 'Bearer abc', accept: '*' }) // { authorization: '[REDACTED]', accept: '*' }
 */
export function redactHeaders(headers: Readonly<Record<string, string | readonly string[] | number | undefined>>): Record<string, string> {
  const out: Record<string, string> = Object.create(null);
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    const lower = name.toLowerCase();
    out[lower] = SECRET_HEADERS.has(lower) || isSecretName(lower) ? REDACTED : Array.isArray(value) ? value.join(', ') : String(value);
  }
  return out;
}

/**
 * A deep copy of a JSON value with every field whose name looks secret replaced by
 * `[REDACTED]`, at any depth (arrays included). Deeper than `maxDepth` is cut off.
 *
 * @example
 * redactValue({ user: { name: 'ada', password: 'x' } }) // { user: { name: 'ada', password: '[REDACTED]' } }
 */
export function redactValue(value: unknown, maxDepth = 16): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (maxDepth <= 0) return '[…]';
  if (Array.isArray(value)) return value.map((v) => redactValue(v, maxDepth - 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const redacted = isSecretName(k) ? REDACTED : redactValue(v, maxDepth - 1);
    // Defined as own data properties: a `__proto__` key stays a plain field.
    Object.defineProperty(out, k, { value: redacted, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/**
 * The query string of a request target with secret-looking parameters redacted
 * (`/login?token=abc&next=/` → `/login?token=[REDACTED]&next=/`).
 *
 * @example
 * redactUrl('/cb?code=1&access_token=x') // '/cb?code=1&access_token=[REDACTED]'
 */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q === -1) return url;
  const parts = url
    .slice(q + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      if (eq === -1) return pair;
      let name = pair.slice(0, eq);
      try {
        name = decodeURIComponent(name.replace(/\+/g, ' '));
      } catch {
        // A malformed name is judged as written.
      }
      return isSecretName(name) ? `${pair.slice(0, eq)}=${REDACTED}` : pair;
    });
  return `${url.slice(0, q)}?${parts.join('&')}`;
}

// `"name": value` (a value cut short by a syntax error included), `name=value` (form and
// query-like text) and `name: value` at the start of a line (YAML-like text).
const JSON_PAIR = /"((?:[^"\\]|\\.)*)"(\s*:\s*)("(?:[^"\\]|\\.)*"?|[^,{}[\]\s"]*)/g;
const FORM_PAIR = /(^|[&?;\s])([^=&?;\s"]+)=([^&;\s]*)/g;
const LINE_PAIR = /^([ \t]*)([A-Za-z0-9_.-]+)([ \t]*:[ \t]*)(.*)$/gm;

/** A JSON string's text with its escapes resolved (`pass\u0077ord` is `password`), else as written. */
function jsonKey(raw: string): string {
  try {
    return JSON.parse(`"${raw}"`) as string;
  } catch {
    return raw;
  }
}

/**
 * Text that is not parsed (invalid JSON, plain text) with the values of secret-named fields
 * replaced, as far as they can be told apart: JSON pairs, `name=value` and `name: value` lines.
 *
 * @example
 * redactText('{"user":"ada","password":"hunter2",}') // '{"user":"ada","password":"[REDACTED]",}'
 */
export function redactText(text: string): string {
  return text
    .replace(JSON_PAIR, (whole, key: string, colon: string) => (isSecretName(jsonKey(key)) ? `"${key}"${colon}"${REDACTED}"` : whole))
    .replace(FORM_PAIR, (whole, lead: string, key: string) => {
      let name = key;
      try {
        name = decodeURIComponent(key.replace(/\+/g, ' '));
      } catch {
        // A malformed name is judged as written.
      }
      return isSecretName(name) ? `${lead}${key}=${REDACTED}` : whole;
    })
    .replace(LINE_PAIR, (whole, indent: string, key: string, colon: string) => (isSecretName(key) ? `${indent}${key}${colon}${REDACTED}` : whole));
}

function truncate(text: string, cap: number): string {
  return text.length <= cap ? text : `${text.slice(0, cap)}… [${text.length - cap} more characters]`;
}

/**
 * A body as the console shows it: JSON and form bodies with secret fields redacted, text
 * truncated to `cap` characters, anything else (binary, multipart) summarised by its size.
 *
 * @example
 * redactBody(Buffer.from('{"password":"x"}'), 'application/json', 2048) // '{"password":"[REDACTED]"}'
 */
export function redactBody(body: Uint8Array | string, contentType: string, cap: number): string {
  const size = typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
  if (size === 0) return '';
  const type = contentType.split(';', 1)[0]?.trim().toLowerCase() ?? '';
  const text = (): string =>
    typeof body === 'string' ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  // Parsing is bounded too: a huge JSON body is summarised, not parsed.
  const parseLimit = Math.max(cap * 32, 65536);
  if (type === 'application/json' || type.endsWith('+json') || type === '') {
    if (size > parseLimit) return `[${size} bytes of JSON, not shown]`;
    try {
      return truncate(JSON.stringify(redactValue(JSON.parse(text()))), cap);
    } catch {
      // Cut first: the redaction then never runs over more than `cap` characters.
      if (type !== '') return redactText(truncate(`[invalid JSON] ${text()}`, cap));
    }
  }
  if (type === 'application/x-www-form-urlencoded') {
    if (size > parseLimit) return `[${size} bytes of form data, not shown]`;
    return truncate(redactUrl(`?${text()}`).slice(1), cap);
  }
  if (type.startsWith('text/') || type === 'application/xml' || type === '') return redactText(truncate(text(), cap));
  return `[${size} bytes${type === '' ? '' : ` of ${type}`}]`;
}
