import { httpSeconds, parseHttpDate } from './etag.js';

/**
 * What a `Range` header asks of a representation of `size` bytes:
 * - `none`: absent, malformed, another unit, or several ranges — send the whole body (200);
 * - `unsatisfiable`: no range overlaps the body — 416, with a `Content-Range` naming the size;
 * - `range`: one byte range, `start`–`end` inclusive — 206.
 */
export type RangeRequest =
  | { readonly kind: 'none' }
  | { readonly kind: 'unsatisfiable' }
  | { readonly kind: 'range'; readonly start: number; readonly end: number };

const NONE: RangeRequest = Object.freeze({ kind: 'none' });
const UNSATISFIABLE: RangeRequest = Object.freeze({ kind: 'unsatisfiable' });
const RANGE_SPEC = /^(\d*)[ \t]*-[ \t]*(\d*)$/;

/**
 * Parses `Range: bytes=a-b`, `bytes=a-` and `bytes=-n` (RFC 9110 §14.1.2) against a body of
 * `size` bytes. Any malformed range spec makes the whole header ignored, as §14.2 allows.
 * Several satisfiable ranges also give `none`: Covet answers them with the whole body
 * (200) instead of `multipart/byteranges`, which also defeats overlapping-range amplification.
 * Ranges that do not overlap the body are dropped; when none is left the answer is 416.
 *
 * @example
 * parseRange('bytes=0-99', 1000)  // { kind: 'range', start: 0, end: 99 }
 * parseRange('bytes=-100', 1000)  // { kind: 'range', start: 900, end: 999 }
 * parseRange('bytes=2000-', 1000) // { kind: 'unsatisfiable' }
 */
export function parseRange(header: string, size: number): RangeRequest {
  const eq = header.indexOf('=');
  if (eq === -1 || header.slice(0, eq).trim().toLowerCase() !== 'bytes') return NONE;
  let found: { start: number; end: number } | null = null;
  let specs = 0;
  let count = 0;
  for (const part of header.slice(eq + 1).split(',')) {
    const spec = part.trim();
    if (spec === '') continue; // an empty list element is allowed
    const m = RANGE_SPEC.exec(spec);
    if (m === null) return NONE;
    const first = m[1] as string;
    const last = m[2] as string;
    specs++;
    let start: number;
    let end: number;
    if (first === '') {
      if (last === '') return NONE;
      // A suffix range: the last n bytes. `-0` and any suffix of an empty body select nothing.
      const n = Number(last);
      if (n === 0 || size === 0) continue;
      start = Math.max(0, size - n);
      end = size - 1;
    } else {
      start = Number(first);
      end = last === '' ? Number.POSITIVE_INFINITY : Number(last);
      if (end < start) return NONE;
      if (start >= size) continue;
      end = Math.min(end, size - 1);
    }
    count++;
    found = { start, end };
  }
  // `bytes=` with no range at all is malformed, not unsatisfiable.
  if (count === 0) return specs === 0 ? NONE : UNSATISFIABLE;
  return count === 1 && found !== null ? { kind: 'range', start: found.start, end: found.end } : NONE;
}

/**
 * Whether an `If-Range` value still describes the current representation, so the `Range`
 * applies: an entity tag must equal the current one exactly (Covet's tags are weak by
 * RFC 9110's rules, yet change with every size or mtime change, so an exact match is taken as
 * good enough, as `send` and nginx do); a date must equal `Last-Modified` to the second.
 *
 * @example
 * ifRangeMatches('W/"400-19b76daa800"', 'W/"400-19b76daa800"', mtimeMs) // true
 */
export function ifRangeMatches(value: string, etag: string | null, mtimeMs: number | null): boolean {
  const v = value.trim();
  if (v.startsWith('"') || v.startsWith('W/"')) return etag !== null && v === etag;
  const date = parseHttpDate(v);
  return date !== null && mtimeMs !== null && httpSeconds(mtimeMs) === date;
}
