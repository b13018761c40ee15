import { Markup } from './markup.js';
import { isContainer, plainString, pyRepr } from './python-repr.js';

/**
 * A `Date` as Python's `str()` of an aware datetime in UTC, as Jinja prints one:
 * `2026-11-28 01:52:15.123000+00:00` (no fraction on a whole second). Use the `date` filter for
 * another format or time zone.
 *
 * @example
 * dateString(new Date(Date.UTC(2026, 10, 28, 1, 52, 15))) // '2026-11-28 01:52:15+00:00'
 */
export function dateString(d: Date): string {
  const t = d.getTime();
  const year = d.getUTCFullYear();
  if (Number.isNaN(t) || year < 1 || year > 9999) return String(d);
  const iso = d.toISOString();
  const ms = d.getUTCMilliseconds();
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${ms === 0 ? '' : `.${String(ms).padStart(3, '0')}000`}+00:00`;
}

/**
 * A value as template output, without escaping: `none`/undefined render empty, numbers and
 * booleans as JavaScript prints them, dates as Python's `str()` (UTC), lists, tuples and dicts
 * as Python's `repr()` (as Jinja prints them).
 *
 * @example
 * str(['a', 1]) // "['a', 1]"
 */
export function str(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v == null) return '';
  switch (typeof v) {
    case 'number':
    case 'boolean':
    case 'bigint':
      return String(v);
    case 'object':
      if (v instanceof Markup) return v.value;
      if (v instanceof Date) return dateString(v);
      return isContainer(v) ? pyRepr(v) : plainString(v);
    default:
      return plainString(v);
  }
}
