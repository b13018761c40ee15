// Python's `repr()` of the values templates print, so `{{ d }}` shows `{'a': 1, 'b': 'x'}` and
// `{{ xs }}` shows `[1, 'a', True, None]`, as Jinja prints them. JavaScript numbers have no
// int/float distinction: an integral number prints as an int (`2.0` shows `2`).
import { checkStringLength } from './limits.js';
import { Markup } from './markup.js';
import { Namespace } from './namespace.js';
import { isUnsafeObject } from './sandbox.js';
import { isTuple } from './tuple.js';

/** Whether a value is a plain object (a dict in template terms). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * The name of a value's Python type, for errors worded as Python's: `int`, `float`, `str`,
 * `bool`, `list`, `tuple`, `dict`, `NoneType` (none and undefined); other objects by JavaScript type.
 *
 * @example
 * pyTypeName([1]) // 'list'
 */
export function pyTypeName(v: unknown): string {
  if (v === null || v === undefined) return 'NoneType';
  if (typeof v === 'string' || v instanceof Markup) return 'str';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  if (typeof v === 'boolean') return 'bool';
  if (Array.isArray(v)) return isTuple(v) ? 'tuple' : 'list';
  if (isPlainObject(v) || v instanceof Map) return 'dict';
  if (v instanceof Set) return 'set';
  if (v instanceof Namespace) return 'Namespace';
  return typeof v;
}

/** Whether a value prints as a Python container: a list, tuple, dict, set or `namespace()`. */
export function isContainer(value: unknown): boolean {
  return Array.isArray(value) || isPlainObject(value) || value instanceof Map || value instanceof Set || value instanceof Namespace;
}

/** Python's `repr()` of a number: `nan`, `inf`, ints as digits, floats as `0.1` or `1e-05`. */
export function pyNumber(n: number): string {
  if (Number.isNaN(n)) return 'nan';
  if (n === Infinity) return 'inf';
  if (n === -Infinity) return '-inf';
  if (Number.isInteger(n)) return Math.abs(n) < 1e21 ? String(n) : BigInt(n).toString();
  // Python writes exponents from 1e16 up and below 1e-4; non-integers are all below 2**53.
  if (Math.abs(n) >= 1e-4) return String(n);
  const [mantissa, exponent] = n.toExponential().split('e') as [string, string];
  const sign = exponent.startsWith('-') ? '-' : '+';
  return `${mantissa}e${sign}${exponent.replace(/^[-+]/, '').padStart(2, '0')}`;
}

// Characters `str.isprintable()` refuses: controls, format characters, surrogates, private use,
// unassigned code points, and separators other than the space.
const NON_PRINTABLE = /[\p{C}\p{Z}]/u;

function hex(c: number, width: number): string {
  return c.toString(16).padStart(width, '0');
}

/** Python's `repr()` of a string: single quotes unless it holds `'` and no `"`. */
export function pyStringRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const c = ch.codePointAt(0) as number;
    if (ch === quote || ch === '\\') out += `\\${ch}`;
    else if (ch === '\t') out += '\\t';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (c < 0x20 || c === 0x7f) out += `\\x${hex(c, 2)}`;
    else if (c < 0x7f || (c !== 0x20 && !NON_PRINTABLE.test(ch))) out += ch;
    else if (c <= 0xff) out += `\\x${hex(c, 2)}`;
    else if (c <= 0xffff) out += `\\u${hex(c, 4)}`;
    else out += `\\U${hex(c, 8)}`;
  }
  return out + quote;
}

/** The text of a value that is no Python container: functions and class instances as JavaScript prints them. */
export function plainString(v: unknown): string {
  if (typeof v === 'function') return `[function ${v.name}]`;
  if (typeof v === 'symbol') return v.toString();
  try {
    return String(v);
  } catch {
    // Null-prototype objects have no toString.
    return Object.prototype.toString.call(v);
  }
}

/** How `pyRepr` orders a dict's keys: as they are, or sorted (as `pprint` and `tojson` do). */
export interface ReprOptions {
  readonly sortKeys?: boolean;
}

/** Python's ordering of dict keys and set items of one type; mixed types go by type name. */
export function compareKeys(a: unknown, b: unknown): number {
  const ta = typeof a;
  const tb = typeof b;
  if (ta !== tb) return ta < tb ? -1 : 1;
  if (ta === 'number' || ta === 'string' || ta === 'bigint' || ta === 'boolean') {
    return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0;
  }
  return 0;
}

/** The entries of a dict-like value (a plain object, a Map, a namespace), keys sorted if asked. */
export function dictEntries(value: object, sortKeys: boolean): Array<[unknown, unknown]> {
  const entries: Array<[unknown, unknown]> = value instanceof Map ? [...value.entries()] : Object.entries(value);
  if (sortKeys) entries.sort((a, b) => compareKeys(a[0], b[0]));
  return entries;
}

/** A set's items, sorted if asked. */
export function setItems(value: Set<unknown>, sortKeys: boolean): unknown[] {
  const items = [...value];
  if (sortKeys) items.sort(compareKeys);
  return items;
}

/** What one `pyRepr` call tracks: the containers being written (for cycles) and the length written so far. */
interface ReprState {
  readonly seen: Set<unknown>;
  length: number;
}

/**
 * A string's repr, counted against the size limit: a list may hold the same long string many
 * times (`[s] * 1000`), and each item's repr is a new string.
 */
function stringRepr(s: string, state: ReprState): string {
  state.length += s.length;
  checkStringLength(state.length, 'repr');
  return pyStringRepr(s);
}

/** Python's repr of an aware datetime in UTC: `datetime.datetime(2026, 11, 28, 1, 52, tzinfo=datetime.timezone.utc)`. */
function dateRepr(d: Date): string {
  if (Number.isNaN(d.getTime()) || d.getUTCFullYear() < 1 || d.getUTCFullYear() > 9999) return plainString(d);
  const fields = [d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes()];
  const micro = d.getUTCMilliseconds() * 1000;
  if (d.getUTCSeconds() !== 0 || micro !== 0) fields.push(d.getUTCSeconds());
  if (micro !== 0) fields.push(micro);
  return `datetime.datetime(${fields.join(', ')}, tzinfo=datetime.timezone.utc)`;
}

function reprIn(v: unknown, opts: ReprOptions, state: ReprState): string {
  switch (typeof v) {
    case 'string':
      return stringRepr(v, state);
    case 'number':
      return pyNumber(v);
    case 'boolean':
      return v ? 'True' : 'False';
    case 'bigint':
      return v.toString();
    case 'undefined':
      return 'Undefined';
    case 'object':
      break;
    default:
      return plainString(v);
  }
  if (v === null) return 'None';
  if (v instanceof Markup) return `Markup(${stringRepr(v.value, state)})`;
  if (v instanceof Date) return dateRepr(v);
  if (!isContainer(v) || isUnsafeObject(v)) return plainString(v);
  const sortKeys = opts.sortKeys === true;
  const seen = state.seen;
  if (seen.has(v)) return Array.isArray(v) ? (isTuple(v) ? '(...)' : '[...]') : '{...}';
  // Two characters at least per item (the separator): a long list of short items is refused too.
  state.length += 2 * (Array.isArray(v) ? v.length : v instanceof Map || v instanceof Set ? v.size : 0);
  checkStringLength(state.length, 'repr');
  seen.add(v);
  try {
    const item = (x: unknown) => reprIn(x, opts, state);
    if (Array.isArray(v)) {
      const parts = v.map(item);
      if (!isTuple(v)) return `[${parts.join(', ')}]`;
      return parts.length === 1 ? `(${parts[0]},)` : `(${parts.join(', ')})`;
    }
    if (v instanceof Set) return v.size === 0 ? 'set()' : `{${setItems(v, sortKeys).map(item).join(', ')}}`;
    const dict = `{${dictEntries(v as object, sortKeys)
      .map(([k, x]) => `${item(k)}: ${item(x)}`)
      .join(', ')}}`;
    return v instanceof Namespace ? `<Namespace ${dict}>` : dict;
  } finally {
    seen.delete(v);
  }
}

/**
 * Python's `repr()` of a template value: strings quoted, `True`/`False`/`None`, lists, tuples,
 * dicts (plain objects and Maps) and sets as Python writes them; a value seen again inside
 * itself prints as `[...]` or `{...}`.
 *
 * @example
 * pyRepr({ a: 1, b: ['x', true, null] }) // "{'a': 1, 'b': ['x', True, None]}"
 */
export function pyRepr(value: unknown, options: ReprOptions = {}): string {
  return reprIn(value, options, { seen: new Set(), length: 0 });
}
