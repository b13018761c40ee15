// Jinja's built-in filters (and Nunjucks' `dump` and `nl2br`), with Jinja's arguments and
// meanings. Filters that transform text keep `Markup` input safe, as Jinja's do.
import { charLength, charsOf, sliceChars } from '../internal/chars.js';
import { strftime, toDate } from './date-format.js';
import { htmlSafeJson } from './html-safe-json.js';
import { isKwargs } from './kwargs.js';
import { escapeHtml, Markup } from './markup.js';
import { percentFormat } from './percent-format.js';
import { capitalize, pyJoin, pyReplace, titleCase } from './python-methods.js';
import { pformat } from './python-pprint.js';
import { checkStringLength, MAX_STRING_LENGTH } from './limits.js';
import { attr, attrFilter, eq, esc, item, iter, str, truthy } from './runtime.js';
import { sandboxError } from './sandbox.js';
import { TemplateError } from './template-error.js';
import { tuple, tupleEntries } from './tuple.js';
import { urlencode } from './url-encode.js';

/** A filter: the value, then the arguments of `|f(a, b)` (or `|f:a`). Keyword arguments arrive as a trailing object unless `params` names them. */
export type FilterFunction = (value: never, ...args: never[]) => unknown;
/** A test of `x is t(args)`. */
export type TestFunction = (value: never, ...args: never[]) => unknown;

/** A registered filter. */
export interface FilterSpec {
  readonly fn: FilterFunction;
  /** Names of the arguments after the value, in order, so `|f(x, name=v)` can pass `v` by name. */
  readonly params?: readonly string[];
}

/** What the filters that take other filters or tests (`map`, `select`) need. */
export interface FilterEnvironment {
  filter(name: string): FilterSpec | undefined;
  test(name: string): TestFunction | undefined;
  readonly timezone: string;
}

function filterError(message: string): TemplateError {
  return new TemplateError(message, { code: 'ERR_TEMPLATE_RUNTIME' });
}

/**
 * A width argument (`wordwrap`, `center`, `indent`): a number of at least `min` — Jinja raises
 * for a wrap width under 1, where a loop would never end — and within the sandbox's padding limit.
 */
function widthOf(filter: string, value: unknown, min: number): number {
  const w = Math.trunc(Number(value));
  if (!Number.isFinite(w) || w < min) throw filterError(`${filter}: invalid width ${str(value)}`);
  if (w > MAX_STRING_LENGTH) throw sandboxError(`${filter}: widths are limited to ${MAX_STRING_LENGTH}`);
  return w;
}

/** The text of a value, remembering whether it was safe. */
function text(v: unknown): string {
  return v instanceof Markup ? v.value : str(v);
}

function keepSafe(input: unknown, output: string): unknown {
  return input instanceof Markup ? new Markup(output) : output;
}

function list(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [...iter(v, 1)];
}

/** `a.b.c` or `0` attribute paths of `sort(attribute=…)` and friends. */
function getter(attribute: unknown): (v: unknown) => unknown {
  if (attribute == null) return (v) => v;
  const parts = String(attribute)
    .split('.')
    .map((p) => (/^\d+$/.test(p) ? Number(p) : p));
  return (v) => {
    let cur = v;
    for (const p of parts)
      cur =
        typeof p === 'number'
          ? item(cur, p)
          : cur != null && typeof cur === 'object' && !(cur instanceof Markup) && !Array.isArray(cur)
            ? item(cur, p)
            : attr(cur, p);
    return cur;
  };
}

/**
 * `sort(attribute="a,b")`: the values of several comma-separated attributes, compared in turn
 * (Jinja's `make_multi_attrgetter`; the names are not trimmed, as in Jinja).
 */
function multiGetter(attribute: unknown): ((v: unknown) => unknown[]) | null {
  if (typeof attribute !== 'string' || !attribute.includes(',')) return null;
  const getters = attribute.split(',').map(getter);
  return (v) => getters.map((get) => get(v));
}

function sortKey(caseSensitive: boolean): (v: unknown) => unknown {
  return (v) =>
    typeof v === 'string' && !caseSensitive ? v.toLowerCase() : v instanceof Markup && !caseSensitive ? v.value.toLowerCase() : v;
}

function compare(a: unknown, b: unknown): number {
  if (Array.isArray(a) && Array.isArray(b)) {
    // Lists compare item by item, then by length, as Python's do.
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      const c = compare(a[i], b[i]);
      if (c !== 0) return c;
    }
    return a.length - b.length;
  }
  if (a == null) return b == null ? 0 : -1;
  if (b == null) return 1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const x = a instanceof Markup ? a.value : a;
  const y = b instanceof Markup ? b.value : b;
  return (x as number) < (y as number) ? -1 : (x as number) > (y as number) ? 1 : 0;
}

/** Jinja's `truncate`: cuts to `length` characters including `end`, at a word boundary unless `killwords`; strings up to `length + leeway` are left alone. */
function truncate(s: unknown, length: unknown = 255, killwords: unknown = false, end: unknown = '...', leeway: unknown = 5): unknown {
  const input = text(s);
  const chars = charsOf(input);
  const len = Number(length);
  const endStr = str(end);
  if (chars.length <= len + Number(leeway)) return s instanceof Markup ? s : input;
  let out: string;
  const keep = Math.max(0, len - charLength(endStr));
  if (truthy(killwords)) out = sliceChars(chars, 0, keep) + endStr;
  else {
    const cut = sliceChars(chars, 0, keep);
    const sp = cut.lastIndexOf(' ');
    out = (sp === -1 ? cut : cut.slice(0, sp)) + endStr;
  }
  return keepSafe(s, out);
}

/** Rounds half away from zero (`2.5` → 3, `-2.5` → -3), or always up or down. */
function round(value: unknown, precision: unknown = 0, method: unknown = 'common'): number {
  const n = Number(value);
  const factor = 10 ** Number(precision);
  switch (method) {
    case 'common':
      return (n < 0 ? -Math.round(-n * factor) : Math.round(n * factor)) / factor;
    case 'ceil':
      return Math.ceil(n * factor) / factor;
    case 'floor':
      return Math.floor(n * factor) / factor;
    default:
      throw filterError("round: method must be 'common', 'ceil' or 'floor'");
  }
}

function toInt(value: unknown, dflt: unknown = 0, base: unknown = 10): unknown {
  if (typeof value === 'number') return Number.isFinite(value) ? Math.trunc(value) : dflt;
  if (typeof value === 'boolean') return value ? 1 : 0;
  const s = text(value).trim();
  const n = pyInt(s, Math.trunc(Number(base)));
  if (n !== undefined) return n;
  // Jinja falls back to float() then int(): "4.7" → 4.
  const f = s.replace(/(\d)_(?=\d)/g, '$1');
  if (/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(f)) return Math.trunc(Number(f));
  return dflt;
}

const PREFIX_BASES: Readonly<Record<string, number>> = { x: 16, o: 8, b: 2 };

/**
 * Python's `int(s, base)`: an optional sign, a `0x`/`0o`/`0b` prefix matching the base (base 0
 * takes it from the prefix, else decimal without leading zeros), digits of the base with single
 * underscores between them; `undefined` where Python raises ValueError.
 */
function pyInt(s: string, base: number): number | undefined {
  const m = /^([-+]?)(?:0([xob])_?)?([0-9a-z]+(?:_[0-9a-z]+)*)$/i.exec(s);
  if (m === null || !(base === 0 || (base >= 2 && base <= 36))) return undefined;
  const prefix = m[2]?.toLowerCase();
  let b = base;
  if (prefix !== undefined) {
    const p = PREFIX_BASES[prefix] as number;
    if (base !== 0 && base !== p) {
      // Another base's prefix may be digits of this one: "0b11" in base 16 is 0xb11.
      return digitsInt(m[1] ?? '', `0${m[2]}${m[3]}`, base);
    }
    b = p;
  } else if (base === 0) {
    // Base 0 without a prefix is decimal, and refuses leading zeros ("010").
    if (/^0+[1-9]/.test((m[3] as string).replace(/_/g, ''))) return undefined;
    b = 10;
  }
  return digitsInt(m[1] ?? '', m[3] as string, b);
}

function digitsInt(sign: string, digits: string, base: number): number | undefined {
  const d = digits.replace(/_/g, '');
  for (const ch of d) if (Number.parseInt(ch, 36) >= base) return undefined;
  const n = Number.parseInt(d, base);
  return Number.isNaN(n) ? undefined : sign === '-' ? -n : n;
}

function toFloat(value: unknown, dflt: unknown = 0): unknown {
  if (typeof value === 'number') return value;
  if (typeof value === 'boolean') return value ? 1 : 0;
  const s = text(value).trim();
  if (/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s) || /^[-+]?(inf|infinity|nan)$/i.test(s)) {
    if (/nan/i.test(s)) return Number.NaN;
    if (/inf/i.test(s)) return s.startsWith('-') ? -Infinity : Infinity;
    return Number(s);
  }
  return dflt;
}

const ENTITIES: Readonly<Record<string, string>> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: '\u00a0',
  '#39': "'",
  '#34': '"',
};
function unescapeEntities(s: string): string {
  return s.replace(/&(#\d+|#x[0-9a-fA-F]+|[a-zA-Z]+);/g, (m, e: string) => {
    if (e.startsWith('#x') || e.startsWith('#X')) return String.fromCodePoint(Number.parseInt(e.slice(2), 16));
    if (e.startsWith('#')) return String.fromCodePoint(Number(e.slice(1)));
    return ENTITIES[e] ?? m;
  });
}

/** Jinja's `striptags`: tags and comments removed, whitespace collapsed, entities decoded. */
function striptags(value: unknown): string {
  const s = text(value)
    .replace(/<!--[\s\S]*?(-->|$)/g, '')
    .replace(/<\/?[a-zA-Z!?][^>]*>/g, '');
  return unescapeEntities(s.split(/\s+/).filter(Boolean).join(' '));
}

function filesizeformat(value: unknown, binary: unknown = false): string {
  const bytes = Number(value);
  const base = truthy(binary) ? 1024 : 1000;
  const units = truthy(binary)
    ? ['KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB', 'ZiB', 'YiB']
    : ['kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];
  if (bytes === 1) return '1 Byte';
  if (bytes < base) return `${bytes} Bytes`;
  let unit = base;
  for (let i = 0; i < units.length; i++) {
    unit = base ** (i + 2);
    if (bytes < unit || i === units.length - 1) return `${((base * bytes) / unit).toFixed(1)} ${units[i]}`;
  }
  return `${bytes} Bytes`;
}

function wordwrap(value: unknown, width: unknown = 79, breakLong: unknown = true, wrapstring: unknown = '\n'): unknown {
  const w = widthOf('wordwrap', width, 1);
  const lines: string[] = [];
  for (const para of text(value).split('\n')) {
    let line = '';
    for (let word of para.split(/\s+/).filter(Boolean)) {
      while (truthy(breakLong) && charLength(word) > w) {
        if (line !== '') {
          lines.push(line);
          line = '';
        }
        const chars = charsOf(word);
        lines.push(sliceChars(chars, 0, w));
        word = sliceChars(chars, w);
      }
      if (line === '') line = word;
      else if (charLength(line) + 1 + charLength(word) <= w) line += ` ${word}`;
      else {
        lines.push(line);
        line = word;
      }
    }
    lines.push(line);
  }
  return keepSafe(value, pyJoin(str(wrapstring), lines, 'wordwrap result'));
}

function indent(value: unknown, width: unknown = 4, first: unknown = false, blank: unknown = false): unknown {
  const pad = typeof width === 'string' ? width : ' '.repeat(widthOf('indent', width, 0));
  const s = text(value);
  const lines = s.split('\n');
  const padded = (line: string, i: number) => !((i === 0 && !truthy(first)) || (line === '' && !truthy(blank)));
  let n = 0;
  for (let i = 0; i < lines.length; i++) if (padded(lines[i] as string, i)) n++;
  checkStringLength(s.length + n * pad.length, 'indent result');
  const out = lines.map((line, i) => (padded(line, i) ? pad + line : line));
  return keepSafe(value, out.join('\n'));
}

/** Jinja's `groupby` items: a `(grouper, list)` tuple that also has `grouper` and `list`. */
function group(grouper: unknown, items: unknown[]): unknown[] {
  return Object.assign(tuple([grouper, items]), { grouper, list: items });
}

/** The filters whose output, fed back to them, grows again: escaping and quoting. */
const COMPOUNDING_FILTERS = [
  'escape',
  'forceescape',
  'tojson',
  'urlencode',
  'nl2br',
  'pprint',
  'dump',
  'string',
  'urlize',
  'xmlattr',
] as const;

/** The built-in filters, bound to an engine for those that look up other filters and tests. */
export function builtinFilters(env: FilterEnvironment): Record<string, FilterSpec> {
  const testOrFail = (name: unknown): TestFunction => {
    const t = env.test(str(name));
    if (t === undefined) throw filterError(`no test named '${str(name)}'`);
    return t;
  };
  const selectOrReject = (value: unknown, args: unknown[], keep: boolean, byAttr: boolean): unknown[] => {
    const get = byAttr ? getter(args.shift()) : (v: unknown) => v;
    const name = args.shift();
    const test: (v: unknown, ...a: unknown[]) => unknown =
      name === undefined ? truthy : (testOrFail(name) as (v: unknown, ...a: unknown[]) => unknown);
    return list(value).filter((v) => truthy(test(get(v), ...args)) === keep);
  };
  const minmax = (value: unknown, sign: number, caseSensitive: unknown, attribute: unknown) => {
    const get = getter(attribute);
    const key = sortKey(truthy(caseSensitive));
    let best: unknown;
    let first = true;
    for (const v of list(value)) {
      if (first || sign * compare(key(get(v)), key(get(best))) > 0) best = v;
      first = false;
    }
    return best;
  };

  type Builtin = { readonly fn: (value: unknown, ...args: never[]) => unknown; readonly params?: readonly string[] };
  const filters: Record<string, Builtin> = {
    abs: { fn: (v) => Math.abs(Number(v)) },
    attr: { fn: (v, name: unknown) => attrFilter(v, str(name)), params: ['name'] },
    batch: {
      fn: (v, linecount: unknown, fillWith: unknown = undefined) => {
        const n = Math.max(1, Math.trunc(Number(linecount)));
        const xs = list(v);
        const out: unknown[][] = [];
        for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n));
        const lastRow = out[out.length - 1];
        if (fillWith !== undefined && lastRow !== undefined) while (lastRow.length < n) lastRow.push(fillWith);
        return out;
      },
      params: ['linecount', 'fill_with'],
    },
    capitalize: { fn: (v) => keepSafe(v, capitalize(text(v))) },
    center: {
      fn: (v, width: unknown = 80) => {
        const s = text(v);
        const w = widthOf('center', width, 0);
        const n = charLength(s);
        if (n >= w) return v;
        // Python's str.center: an odd margin's extra space goes left when the width is odd.
        const margin = w - n;
        const left = Math.floor(margin / 2) + (margin & w & 1);
        return keepSafe(v, ' '.repeat(left) + s + ' '.repeat(w - n - left));
      },
      params: ['width'],
    },
    date: {
      fn: (v, format: unknown = '%Y-%m-%d', timezone: unknown = undefined) => {
        if (v == null) return '';
        const d = toDate(v);
        if (d === null) throw filterError(`date: ${JSON.stringify(str(v))} is not a date`);
        return strftime(d, str(format), timezone == null ? env.timezone : str(timezone));
      },
      params: ['format', 'timezone'],
    },
    default: {
      fn: (v, dflt: unknown = '', boolean: unknown = false) => (truthy(boolean) ? (truthy(v) ? v : dflt) : v === undefined ? dflt : v),
      params: ['default_value', 'boolean'],
    },
    dictsort: {
      fn: (v, caseSensitive: unknown = false, by: unknown = 'key', reverse: unknown = false) => {
        if (by !== 'key' && by !== 'value') throw filterError('dictsort: you can only sort by either "key" or "value"');
        const entries = tupleEntries((v ?? {}) as object);
        const idx = by === 'value' ? 1 : 0;
        const key = sortKey(truthy(caseSensitive));
        // Descending keeps equal items in their order, as Python's sorted(reverse=True) does.
        const sign = truthy(reverse) ? -1 : 1;
        return entries.sort((a, b) => sign * compare(key(a[idx]), key(b[idx])));
      },
      params: ['case_sensitive', 'by', 'reverse'],
    },
    dump: { fn: (v, spaces: unknown = undefined) => JSON.stringify(v, null, spaces == null ? undefined : (spaces as number)) ?? '' },
    escape: { fn: (v) => (v instanceof Markup ? v : new Markup(esc(v))) },
    filesizeformat: { fn: filesizeformat, params: ['binary'] },
    first: {
      fn: (v) => {
        if (typeof v === 'string') return charsOf(v)[0];
        return list(v)[0];
      },
    },
    float: { fn: toFloat, params: ['default'] },
    forceescape: { fn: (v) => new Markup(escapeHtml(text(v))) },
    format: {
      // Jinja: `value % (kwargs or args)`; both at once is an error.
      fn: (v, ...args: unknown[]) => {
        const kw = isKwargs(args[args.length - 1]) ? args.pop() : undefined;
        if (kw !== undefined && args.length > 0)
          throw filterError("format: can't handle positional and keyword arguments at the same time");
        const values = kw ?? tuple(args);
        if (v instanceof Markup) return new Markup(percentFormat(v.value, values, { text: esc, escape: escapeHtml }));
        return percentFormat(str(v), values, { text: str });
      },
    },
    groupby: {
      fn: (v, attribute: unknown, dflt: unknown = undefined, caseSensitive: unknown = false) => {
        const get = getter(attribute);
        const key = sortKey(truthy(caseSensitive));
        const keyed = list(v).map((x) => {
          const g = get(x);
          return [g === undefined ? dflt : g, x] as const;
        });
        keyed.sort((a, b) => compare(key(a[0]), key(b[0])));
        const out: unknown[] = [];
        let cur: unknown[] | null = null;
        let curKey: unknown;
        for (const [g, x] of keyed) {
          if (cur === null || !eq(key(g), key(curKey))) {
            cur = [];
            curKey = g;
            out.push(group(g, cur));
          }
          cur.push(x);
        }
        return out;
      },
      params: ['attribute', 'default', 'case_sensitive'],
    },
    indent: { fn: indent, params: ['width', 'first', 'blank'] },
    int: { fn: toInt, params: ['default', 'base'] },
    items: { fn: (v) => (v == null ? [] : tupleEntries(v as object)) },
    join: {
      fn: (v, d: unknown = '', attribute: unknown = undefined) => {
        const get = getter(attribute);
        const xs = list(v).map(get);
        // With safe parts (or a safe separator) the result is safe and the other parts escaped.
        if (d instanceof Markup || xs.some((x) => x instanceof Markup)) return new Markup(pyJoin(esc(d), xs.map(esc)));
        return pyJoin(str(d), xs.map(str));
      },
      params: ['d', 'attribute'],
    },
    last: {
      fn: (v) => {
        if (typeof v === 'string') {
          const cs = charsOf(v);
          return cs[cs.length - 1];
        }
        const xs = list(v);
        return xs[xs.length - 1];
      },
    },
    length: {
      fn: (v) => {
        if (v == null) return 0;
        if (Array.isArray(v)) return v.length;
        if (typeof v === 'string') return charLength(v);
        if (v instanceof Markup) return charLength(v.value);
        if (v instanceof Map || v instanceof Set) return v.size;
        if (typeof v === 'object') return Symbol.iterator in v ? list(v).length : Object.keys(v).length;
        return 0;
      },
    },
    list: { fn: (v) => (typeof v === 'string' ? Array.from(v) : [...list(v)]) },
    lower: { fn: (v) => keepSafe(v, text(v).toLowerCase()) },
    map: {
      fn: (v, ...args: unknown[]) => {
        const xs = list(v);
        const kw = isKwargs(args[args.length - 1]) ? (args.pop() as Record<string, unknown>) : null;
        if (kw !== null && 'attribute' in kw) {
          const get = getter(kw.attribute);
          return xs.map((x) => {
            const r = get(x);
            return r === undefined && 'default' in kw ? kw.default : r;
          });
        }
        const name = str(args.shift());
        const f = env.filter(name);
        if (f === undefined) throw filterError(`map: no filter named '${name}'`);
        const fn = f.fn as (value: unknown, ...a: unknown[]) => unknown;
        return xs.map((x) => fn(x, ...args));
      },
    },
    max: {
      fn: (v, caseSensitive: unknown = false, attribute: unknown = undefined) => minmax(v, 1, caseSensitive, attribute),
      params: ['case_sensitive', 'attribute'],
    },
    min: {
      fn: (v, caseSensitive: unknown = false, attribute: unknown = undefined) => minmax(v, -1, caseSensitive, attribute),
      params: ['case_sensitive', 'attribute'],
    },
    nl2br: { fn: (v) => new Markup((v instanceof Markup ? v.value : escapeHtml(str(v))).replace(/\r\n|\n/g, '<br />\n')) },
    pprint: { fn: (v) => pformat(v) },
    random: {
      fn: (v) => {
        const xs = typeof v === 'string' ? Array.from(v) : list(v);
        return xs[Math.floor(Math.random() * xs.length)];
      },
    },
    reject: { fn: (v, ...args: unknown[]) => selectOrReject(v, args, false, false) },
    rejectattr: { fn: (v, ...args: unknown[]) => selectOrReject(v, args, false, true) },
    replace: {
      fn: (v, old: unknown, replacement: unknown, count: unknown = undefined) => {
        const safe = v instanceof Markup;
        const from = safe ? esc(old) : str(old);
        const to = safe ? esc(replacement) : str(replacement);
        const out = pyReplace(text(v), from, to, count == null ? undefined : Number(count));
        return safe ? new Markup(out) : out;
      },
      params: ['old', 'new', 'count'],
    },
    reverse: {
      fn: (v) => {
        if (typeof v === 'string') return Array.from(v).reverse().join('');
        if (v instanceof Markup) return new Markup(Array.from(v.value).reverse().join(''));
        return [...list(v)].reverse();
      },
    },
    round: { fn: round, params: ['precision', 'method'] },
    safe: { fn: (v) => (v instanceof Markup ? v : new Markup(str(v))) },
    select: { fn: (v, ...args: unknown[]) => selectOrReject(v, args, true, false) },
    selectattr: { fn: (v, ...args: unknown[]) => selectOrReject(v, args, true, true) },
    slice: {
      fn: (v, slices: unknown, fillWith: unknown = undefined) => {
        const xs = list(v);
        const n = Math.max(1, Math.trunc(Number(slices)));
        const per = Math.floor(xs.length / n);
        const extra = xs.length % n;
        const out: unknown[][] = [];
        let offset = 0;
        for (let i = 0; i < n; i++) {
          const size = per + (i < extra ? 1 : 0);
          const part = xs.slice(offset, offset + size);
          offset += size;
          if (fillWith !== undefined && i >= extra && extra > 0) part.push(fillWith);
          out.push(part);
        }
        return out;
      },
      params: ['slices', 'fill_with'],
    },
    sort: {
      fn: (v, reverse: unknown = false, caseSensitive: unknown = false, attribute: unknown = undefined) => {
        const key = sortKey(truthy(caseSensitive));
        const multi = multiGetter(attribute);
        const get = getter(attribute);
        const sortBy = multi === null ? (x: unknown) => key(get(x)) : (x: unknown) => multi(x).map(key);
        // Descending keeps equal items in their order, as Python's sorted(reverse=True) does.
        const sign = truthy(reverse) ? -1 : 1;
        return [...list(v)].sort((a, b) => sign * compare(sortBy(a), sortBy(b)));
      },
      params: ['reverse', 'case_sensitive', 'attribute'],
    },
    string: { fn: (v) => (v instanceof Markup ? v : str(v)) },
    striptags: { fn: striptags },
    strftime: {
      fn: (v, format: unknown = '%Y-%m-%d', timezone: unknown = undefined) => filters.date?.fn(v, format as never, timezone as never),
      params: ['format', 'timezone'],
    },
    sum: {
      fn: (v, attribute: unknown = undefined, start: unknown = 0) => {
        const get = getter(attribute);
        return list(v).reduce<number>((acc, x) => acc + Number(get(x)), Number(start));
      },
      params: ['attribute', 'start'],
    },
    title: { fn: (v) => keepSafe(v, titleCase(text(v))) },
    tojson: { fn: (v, indentArg: unknown = undefined) => new Markup(htmlSafeJson(v, indentArg)), params: ['indent'] },
    trim: {
      fn: (v, chars: unknown = undefined) => {
        const s = text(v);
        if (chars == null) return keepSafe(v, s.trim());
        const set = str(chars);
        let a = 0;
        let b = s.length;
        while (a < b && set.includes(s[a] as string)) a++;
        while (b > a && set.includes(s[b - 1] as string)) b--;
        return keepSafe(v, s.slice(a, b));
      },
      params: ['chars'],
    },
    truncate: { fn: truncate, params: ['length', 'killwords', 'end', 'leeway'] },
    unique: {
      fn: (v, caseSensitive: unknown = false, attribute: unknown = undefined) => {
        const get = getter(attribute);
        const key = sortKey(truthy(caseSensitive));
        const seen = new Set<unknown>();
        const out: unknown[] = [];
        for (const x of list(v)) {
          const k = key(get(x));
          if (!seen.has(k)) {
            seen.add(k);
            out.push(x);
          }
        }
        return out;
      },
      params: ['case_sensitive', 'attribute'],
    },
    upper: { fn: (v) => keepSafe(v, text(v).toUpperCase()) },
    urlencode: { fn: urlencode },
    urlize: {
      fn: (v, trimUrlLimit: unknown = undefined, nofollow: unknown = false, target: unknown = undefined) => {
        const s = text(v);
        const limit = trimUrlLimit == null ? Infinity : Number(trimUrlLimit);
        const rel = truthy(nofollow) ? ' rel="nofollow noopener"' : ' rel="noopener"';
        const tgt = target == null ? '' : ` target="${escapeHtml(str(target))}"`;
        const out = s.split(/(\s+)/).map((word) => {
          const m = /^([(<]*)((?:https?:\/\/|www\.)[^\s<>"']+?)([.,:;)>]*)$/.exec(word);
          if (m === null) return v instanceof Markup ? word : escapeHtml(word);
          const url = m[2] as string;
          const href = url.startsWith('www.') ? `http://${url}` : url;
          const label = url.length > limit ? `${url.slice(0, limit)}...` : url;
          return `${escapeHtml(m[1] ?? '')}<a href="${escapeHtml(href)}"${rel}${tgt}>${escapeHtml(label)}</a>${escapeHtml(m[3] ?? '')}`;
        });
        return new Markup(out.join(''));
      },
      params: ['trim_url_limit', 'nofollow', 'target'],
    },
    // Python's `\w`: letters and digits of any script.
    wordcount: { fn: (v) => (text(v).match(/[\p{L}\p{N}\p{M}_]+/gu) ?? []).length },
    wordwrap: { fn: wordwrap, params: ['width', 'break_long_words', 'wrapstring'] },
    xmlattr: {
      fn: (v, autospace: unknown = true) => {
        const parts: string[] = [];
        for (const [k, val] of Object.entries((v ?? {}) as object)) {
          if (val == null) continue;
          if (!/^[^\s/>"'=]+$/.test(k)) throw filterError(`xmlattr: invalid attribute name ${JSON.stringify(k)}`);
          parts.push(`${escapeHtml(k)}="${esc(val)}"`);
        }
        const s = parts.join(' ');
        return new Markup(s !== '' && truthy(autospace) ? ` ${s}` : s);
      },
      params: ['autospace'],
    },
  };
  // Filters that escape or quote grow a string by a bounded factor, and applied again and again
  // in a loop they would compound (`&` → `&amp;` → `&amp;amp;`…), so their results are held to
  // the size limit. The filters that can grow further check before building; the others
  // (`upper`, `title`, `truncate`…) cannot compound and stay unwrapped on the hot path.
  for (const name of COMPOUNDING_FILTERS) {
    const spec = filters[name] as Builtin;
    const fn = spec.fn as (value: unknown, ...args: unknown[]) => unknown;
    const checked = (v: unknown, ...args: unknown[]): unknown => {
      const r = fn(v, ...args);
      if (typeof r === 'string') checkStringLength(r.length, `${name} result`);
      else if (r instanceof Markup) checkStringLength(r.value.length, `${name} result`);
      return r;
    };
    filters[name] = spec.params === undefined ? { fn: checked } : { fn: checked, params: spec.params };
  }
  for (const [alias, name] of [
    ['count', 'length'],
    ['d', 'default'],
    ['e', 'escape'],
  ] as const) {
    const spec = filters[name];
    if (spec !== undefined) filters[alias] = spec;
  }
  return filters;
}
