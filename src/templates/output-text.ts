import { Markup } from './markup.js';
import { isContainer, plainString, pyRepr } from './python-repr.js';

/**
 * A value as template output, without escaping: `none`/undefined render empty, numbers and
 * booleans as JavaScript prints them, lists, tuples and dicts as Python's `repr()` (as Jinja
 * prints them).
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
      return isContainer(v) ? pyRepr(v) : plainString(v);
    default:
      return plainString(v);
  }
}
