// Jinja's `urlencode` filter.
import { Markup } from './markup.js';
import { str } from './output-text.js';
import { TemplateError } from './template-error.js';

// encodeURIComponent keeps these; Python's quote() keeps only letters, digits and `_.-~`.
const KEPT_BY_JS = /[!'()*]/g;

/** Python's `urllib.parse.quote` of UTF-8 text, keeping the characters of `safe` too. */
function quote(s: string, safe: string): string {
  let out = encodeURIComponent(s).replace(KEPT_BY_JS, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  for (const ch of safe) out = out.split(encodeURIComponent(ch)).join(ch);
  return out;
}

/** A key or value of a query string: nothing kept, spaces as `+`. */
function quoteQuery(v: unknown): string {
  return quote(str(v), '').replace(/%20/g, '+');
}

function pairOf(entry: unknown): readonly [unknown, unknown] {
  if (Array.isArray(entry) && entry.length === 2) return entry as [unknown, unknown];
  throw new TemplateError('urlencode: a list must hold (key, value) pairs', { code: 'ERR_TEMPLATE_RUNTIME' });
}

/**
 * Jinja's `urlencode`: a string (or a number) is percent-encoded as UTF-8 keeping `/`; a dict
 * or a list of `(key, value)` pairs becomes a query string, `&`-separated, spaces as `+`.
 *
 * @example
 * urlencode({ q: 'a b', page: 2 }) // 'q=a+b&page=2'
 * urlencode('a b/c') // 'a%20b/c'
 */
export function urlencode(value: unknown): string {
  if (value === null || typeof value !== 'object' || value instanceof Markup) return quote(str(value), '/');
  const pairs =
    value instanceof Map
      ? [...value.entries()]
      : Array.isArray(value) || value instanceof Set
        ? [...value].map(pairOf)
        : Object.entries(value);
  return pairs.map(([k, v]) => `${quoteQuery(k)}=${quoteQuery(v)}`).join('&');
}
