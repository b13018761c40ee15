import type { RequestHeaders } from './headers.js';

/**
 * The weak entity tag of a file version, from its size and modification time (both hex), the
 * format `send`/`@fastify/static` use. Weak because equal metadata does not prove equal bytes.
 *
 * @example
 * weakEtag(1024, 1767225600000) // 'W/"400-19b76daa800"'
 */
export function weakEtag(size: number, mtimeMs: number): string {
  return `W/"${size.toString(16)}-${Math.floor(mtimeMs).toString(16)}"`;
}

/** The opaque part of an entity tag, quotes included: `W/"x"` → `"x"`. */
function opaque(tag: string): string {
  return tag.startsWith('W/') ? tag.slice(2) : tag;
}

/**
 * Whether an `If-None-Match`/`If-Match` list (`"a", W/"b"` or `*`) holds `etag`. `weak` picks
 * the comparison of RFC 9110 §8.8.3.2: weak (`If-None-Match`) ignores the `W/` prefixes,
 * strong (`If-Match`) needs both tags strong and equal.
 *
 * @example
 * etagListMatches('"x", W/"y"', 'W/"y"', true) // true
 */
export function etagListMatches(header: string, etag: string, weak: boolean): boolean {
  if (header.trim() === '*') return true;
  const want = opaque(etag);
  const wantWeak = etag.startsWith('W/');
  const end = header.length;
  let i = 0;
  while (i < end) {
    const c = header.charCodeAt(i);
    // Skips list separators and whitespace (empty list elements are allowed).
    if (c === 0x2c || c === 0x20 || c === 0x09) {
      i++;
      continue;
    }
    let isWeak = false;
    if (c === 0x57 && header.charCodeAt(i + 1) === 0x2f) {
      isWeak = true;
      i += 2;
    }
    let tag: string;
    if (header.charCodeAt(i) === 0x22) {
      // A quoted tag may hold commas, so it ends at the closing quote, not at a comma.
      const close = header.indexOf('"', i + 1);
      if (close === -1) return false;
      tag = header.slice(i, close + 1);
      i = close + 1;
    } else {
      // Tolerates clients that forget the quotes.
      let comma = header.indexOf(',', i);
      if (comma === -1) comma = end;
      tag = `"${header.slice(i, comma).trim()}"`;
      i = comma;
    }
    if (tag === want && (weak || (!isWeak && !wantWeak))) return true;
  }
  return false;
}

/**
 * An HTTP-date in ms, or `null` when absent or unparseable (which means "ignore the header").
 *
 * @example
 * parseHttpDate('Thu, 01 Jan 2026 00:00:00 GMT') // 1767225600000
 */
export function parseHttpDate(value: string | null): number | null {
  if (value === null) return null;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : ms;
}

/**
 * A modification time at the one-second precision of HTTP dates.
 *
 * @example
 * httpSeconds(1767225600750) // 1767225600000
 */
export function httpSeconds(mtimeMs: number): number {
  return Math.floor(mtimeMs / 1000) * 1000;
}

/** What the preconditions of a `GET`/`HEAD` say: send the file, answer 304, or 412. */
export type Precondition = 'pass' | 'not-modified' | 'failed';

/**
 * Evaluates `If-Match`, `If-Unmodified-Since`, `If-None-Match` and `If-Modified-Since` in the
 * order of RFC 9110 §13.2.2 against the current validators (`null` when not sent). A date
 * header is ignored when malformed, and `If-Modified-Since` when `If-None-Match` is present.
 *
 * @example
 * evaluatePreconditions(req.headers, 'W/"400-19b76daa800"', stats.mtimeMs) // 'not-modified' on a revalidation hit
 */
export function evaluatePreconditions(headers: RequestHeaders, etag: string | null, mtimeMs: number | null): Precondition {
  const ifMatch = headers.get('if-match');
  if (ifMatch !== null) {
    if (etag === null ? ifMatch.trim() !== '*' : !etagListMatches(ifMatch, etag, false)) return 'failed';
  } else if (mtimeMs !== null) {
    const since = parseHttpDate(headers.get('if-unmodified-since'));
    if (since !== null && httpSeconds(mtimeMs) > since) return 'failed';
  }
  const ifNoneMatch = headers.get('if-none-match');
  if (ifNoneMatch !== null) {
    if (etag === null ? ifNoneMatch.trim() === '*' : etagListMatches(ifNoneMatch, etag, true)) return 'not-modified';
    return 'pass';
  }
  if (mtimeMs !== null) {
    const since = parseHttpDate(headers.get('if-modified-since'));
    if (since !== null && httpSeconds(mtimeMs) <= since) return 'not-modified';
  }
  return 'pass';
}
