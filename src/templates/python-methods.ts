// The Python methods Jinja templates call on strings, lists and dicts (`name.upper()`,
// `d.items()`, `xs.append(x)`), for values that are JavaScript strings, arrays and objects.
// Each is called with the value as `this`. Python's names win over JavaScript's on strings
// (`s.replace` replaces every occurrence, `s.split()` splits on whitespace); JavaScript's own
// methods stay reachable under their names (`s.toUpperCase()`).
import { formatSpec } from './format-spec.js';
import { isKwargs } from './kwargs.js';
import { checkListLength, checkStringLength } from './limits.js';
import { str } from './output-text.js';
import { pyRepr } from './python-repr.js';
import { TemplateError } from './template-error.js';
import { tupleEntries } from './tuple.js';

type Method = (this: never, ...args: never[]) => unknown;

const WS = ' \t\n\r\f\v';

function stripChars(s: string, chars: unknown, left: boolean, right: boolean): string {
  const set = typeof chars === 'string' ? chars : WS;
  let a = 0;
  let b = s.length;
  if (left) while (a < b && set.includes(s[a] as string)) a++;
  if (right) while (b > a && set.includes(s[b - 1] as string)) b--;
  return s.slice(a, b);
}

function prefixes(p: unknown): string[] {
  return Array.isArray(p) ? p.map(String) : [String(p)];
}

function formatError(message: string): TemplateError {
  return new TemplateError(message, { code: 'ERR_TEMPLATE_RUNTIME' });
}

/**
 * Python's `str.format`: `{}`, `{0}` and `{name}` fields with an optional conversion (`!r`,
 * `!s`, `!a`) and format spec (`{:>8.2f}`, `{n:,}`: see `formatSpec`). A missing argument
 * raises `KeyError`/`IndexError`, as in Python; attribute and index lookups in a field
 * (`{0.name}`, `{d[key]}`) are not supported and raise too, rather than print nothing.
 */
export function pyFormat(
  fmt: string,
  args: readonly unknown[],
  kwargs: Readonly<Record<string, unknown>>,
  toStr: (v: unknown) => string,
): string {
  let auto = 0;
  let manual = false;
  // The result's length so far, checked field by field: the fields may repeat a long argument.
  let length = fmt.length;
  const field = (v: unknown, m: string, conversion: string | undefined, spec: string): string => {
    let value = v;
    if (conversion === 'r' || conversion === 'a') value = pyRepr(v);
    else if (conversion === 's') value = str(v);
    // Formatted first, then escaped (for a safe format string), as MarkupSafe does.
    const s = spec === '' ? toStr(value) : toStr(formatSpec(value, spec, str));
    length += s.length - m.length;
    checkStringLength(length, 'format result');
    return s;
  };
  /** The argument a field names: `''` (the next one), a position or a keyword. */
  const argument = (key: string): unknown => {
    if (/[.[]/.test(key)) throw formatError(`str.format: attribute and index lookups ({${key}}) are not supported in templates`);
    if ((key === '' && manual) || (/^\d+$/.test(key) && auto > 0))
      throw formatError('ValueError: cannot switch between automatic field numbering and manual field specification');
    if (key === '') {
      const i = auto++;
      if (i >= args.length) throw formatError(`IndexError: Replacement index ${i} out of range for positional args tuple`);
      return args[i];
    }
    if (/^\d+$/.test(key)) {
      manual = true;
      if (Number(key) >= args.length) throw formatError(`IndexError: Replacement index ${key} out of range for positional args tuple`);
      return args[Number(key)];
    }
    if (!Object.hasOwn(kwargs, key)) throw formatError(`KeyError: '${key}'`);
    return kwargs[key];
  };
  // A field's spec may hold fields of its own, one level deep, as in Python: '{:{width}.{p}f}'.
  return fmt.replace(/\{\{|\}\}|\{((?:[^{}]|\{[^{}]*\})*)\}/g, (m, inner: string | undefined) => {
    if (m === '{{') return '{';
    if (m === '}}') return '}';
    const text = inner ?? '';
    const colon = text.indexOf(':');
    const rawSpec = colon === -1 ? '' : text.slice(colon + 1);
    const head = colon === -1 ? text : text.slice(0, colon);
    if (head.includes('{')) throw formatError("ValueError: unexpected '{' in field name");
    const bang = head.indexOf('!');
    const key = bang === -1 ? head : head.slice(0, bang);
    const conversion = bang === -1 ? undefined : head.slice(bang + 1);
    if (conversion !== undefined && conversion !== 'r' && conversion !== 's' && conversion !== 'a')
      throw formatError(`Unknown conversion specifier ${conversion}`);
    // The field's own argument first, then those of its spec (Python numbers '{:{}}' so).
    const value = argument(key);
    const spec = rawSpec.includes('{') ? rawSpec.replace(/\{([^{}]*)\}/g, (_, nested: string) => str(argument(nested))) : rawSpec;
    return field(value, m, conversion, spec);
  });
}

/**
 * Python's `str.replace`: every occurrence of `old` (or the first `count`, when `count` is a
 * number of at least 0); an empty `old` matches before every character and at the end. The
 * result's length is checked before it is built.
 */
export function pyReplace(s: string, old: string, replacement: string, count?: unknown): string {
  const max = typeof count === 'number' && count >= 0 ? Math.trunc(count) : Infinity;
  if (old === '') {
    // Python counts code points, not UTF-16 units: a surrogate pair is one character.
    const chars = Array.from(s);
    const n = Math.min(max, chars.length + 1);
    checkStringLength(s.length + n * replacement.length, 'replace result');
    let out = '';
    for (let i = 0; i < n; i++) out += replacement + (chars[i] ?? '');
    return out + chars.slice(n).join('');
  }
  const at: number[] = [];
  for (let i = s.indexOf(old); i !== -1 && at.length < max; i = s.indexOf(old, i + old.length)) at.push(i);
  if (at.length === 0) return s;
  checkStringLength(s.length + at.length * (replacement.length - old.length), 'replace result');
  let out = '';
  let last = 0;
  for (const i of at) {
    out += s.slice(last, i) + replacement;
    last = i + old.length;
  }
  return out + s.slice(last);
}

/** Python's `sep.join(items)`, its length checked before it is built. */
export function pyJoin(sep: string, items: readonly string[], what = 'join result'): string {
  let length = Math.max(0, items.length - 1) * sep.length;
  for (const item of items) length += item.length;
  checkStringLength(length, what);
  return items.join(sep);
}

/** Whether a character code ends a word for `title`: whitespace, `-`, or an opening bracket. */
function isWordBreak(c: number, ch: string): boolean {
  if (c === 32 || c === 45 || c === 40 || c === 91 || c === 123 || c === 60 || (c >= 9 && c <= 13)) return true;
  return c > 127 && /\s/.test(ch);
}

/** Jinja's `title`: each word's first letter upper case, the rest lower case. */
export function titleCase(s: string): string {
  // A loop rather than a regex with a callback: `title` runs on every row of a table.
  const lower = s.toLowerCase();
  let out = '';
  let last = 0;
  let atStart = true;
  for (let i = 0; i < lower.length; i++) {
    const ch = lower[i] as string;
    if (isWordBreak(lower.charCodeAt(i), ch)) {
      atStart = true;
      continue;
    }
    if (atStart) {
      atStart = false;
      const up = ch.toUpperCase();
      if (up !== ch) {
        out += lower.slice(last, i) + up;
        last = i + 1;
      }
    }
  }
  return last === 0 ? lower : out + lower.slice(last);
}

/** Python's `str.title`: a letter after a letter is lower case, any other letter upper case (`"3x c_d"` → `"3X C_D"`). */
function pyTitle(s: string): string {
  let out = '';
  let prevCased = false;
  for (const ch of s) {
    const lower = ch.toLowerCase();
    const upper = ch.toUpperCase();
    if (lower === upper) {
      out += ch;
      prevCased = false;
    } else {
      out += prevCased ? lower : upper;
      prevCased = true;
    }
  }
  return out;
}

export function capitalize(s: string): string {
  return s === '' ? s : (s[0] as string).toUpperCase() + s.slice(1).toLowerCase();
}

function pySplit(s: string, sep: unknown, maxsplit: unknown): string[] {
  const max = typeof maxsplit === 'number' && maxsplit >= 0 ? maxsplit : -1;
  if (sep == null) {
    const parts = s.trim() === '' ? [] : s.trim().split(/\s+/);
    if (max < 0 || parts.length <= max + 1) return parts;
    // Re-split keeping the remainder intact.
    const out: string[] = [];
    let rest = s.replace(/^\s+/, '');
    for (let i = 0; i < max; i++) {
      const m = /\s+/.exec(rest);
      if (m === null) break;
      out.push(rest.slice(0, m.index));
      rest = rest.slice(m.index + m[0].length);
    }
    out.push(rest);
    return out;
  }
  const sepStr = String(sep);
  const parts = s.split(sepStr);
  if (max < 0 || parts.length <= max + 1) return parts;
  return [...parts.slice(0, max), parts.slice(max).join(sepStr)];
}

export const STRING_METHODS: Readonly<Record<string, Method>> = {
  upper(this: string) {
    return this.toUpperCase();
  },
  lower(this: string) {
    return this.toLowerCase();
  },
  strip(this: string, chars?: unknown) {
    return stripChars(this, chars, true, true);
  },
  lstrip(this: string, chars?: unknown) {
    return stripChars(this, chars, true, false);
  },
  rstrip(this: string, chars?: unknown) {
    return stripChars(this, chars, false, true);
  },
  startswith(this: string, prefix: unknown) {
    return prefixes(prefix).some((p) => this.startsWith(p));
  },
  endswith(this: string, suffix: unknown) {
    return prefixes(suffix).some((p) => this.endsWith(p));
  },
  split(this: string, sep?: unknown, maxsplit?: unknown) {
    return pySplit(this, sep, maxsplit);
  },
  replace(this: string, old: unknown, replacement: unknown, count?: unknown) {
    return pyReplace(this, String(old), String(replacement), count);
  },
  title(this: string) {
    // The method is Python's str.title; the `title` filter is Jinja's (words start after spaces and `-` only).
    return pyTitle(this);
  },
  capitalize(this: string) {
    return capitalize(this);
  },
  count(this: string, sub: unknown) {
    const s = String(sub);
    return s === '' ? this.length + 1 : this.split(s).length - 1;
  },
  find(this: string, sub: unknown) {
    return this.indexOf(String(sub));
  },
  join(this: string, items: unknown) {
    return Array.isArray(items) ? pyJoin(this, items.map(String)) : '';
  },
  format(this: string, ...args: unknown[]) {
    const kw = isKwargs(args[args.length - 1]) ? (args.pop() as Record<string, unknown>) : {};
    return pyFormat(this, args, kw, str);
  },
  isdigit(this: string) {
    return /^\d+$/.test(this);
  },
  isalpha(this: string) {
    return /^\p{L}+$/u.test(this);
  },
  isupper(this: string) {
    return this.toUpperCase() === this && this.toLowerCase() !== this;
  },
  islower(this: string) {
    return this.toLowerCase() === this && this.toUpperCase() !== this;
  },
};

export const LIST_METHODS: Readonly<Record<string, Method>> = {
  append(this: unknown[], x: unknown) {
    this.push(x);
    return undefined;
  },
  extend(this: unknown[], xs: unknown) {
    if (!Array.isArray(xs)) return undefined;
    checkListLength(this.length + xs.length, 'extended list');
    // A loop, not push(...xs): a long spread overflows the call stack.
    const n = xs.length;
    for (let i = 0; i < n; i++) this.push(xs[i]);
    return undefined;
  },
  index(this: unknown[], x: unknown) {
    return this.indexOf(x);
  },
  count(this: unknown[], x: unknown) {
    return this.filter((v) => v === x).length;
  },
};

export const DICT_METHODS: Readonly<Record<string, Method>> = {
  items(this: object) {
    return tupleEntries(this);
  },
  keys(this: object) {
    return this instanceof Map ? [...this.keys()] : Object.keys(this);
  },
  values(this: object) {
    return this instanceof Map ? [...this.values()] : Object.values(this);
  },
  get(this: object, key: unknown, fallback: unknown = null) {
    if (this instanceof Map) return this.has(key) ? this.get(key) : fallback;
    const k = String(key);
    return Object.hasOwn(this, k) ? (this as Record<string, unknown>)[k] : fallback;
  },
};
