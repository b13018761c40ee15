// Python's `%` string formatting, for the `%` operator and the `format` filter:
// `%[(key)][flags][width][.precision]type` with the flags `#0- +`, `*` widths, and the types
// `s r a d i u o x X e E f F g G c %`. A tuple supplies the arguments in order; a dict (or a
// Map) supplies them by key (`'%(name)s' % {'name': 'x'}`); any other value is one argument.
import { exponentDigits, fixedDigits, generalDigits } from './float-format.js';
import { checkStringLength } from './limits.js';
import { isPlainObject, pyRepr, pyTypeName } from './python-repr.js';
import { TemplateError } from './template-error.js';
import { isTuple } from './tuple.js';

/** How the values are written: `text` for `%s` (escaping, for a `Markup` format), `escape` for `%r`'s repr. */
export interface PercentWriters {
  readonly text: (value: unknown) => string;
  readonly escape?: (text: string) => string;
}

function formatError(message: string): TemplateError {
  return new TemplateError(message, { code: 'ERR_TEMPLATE_RUNTIME' });
}

/** Python's `ascii()`: the repr with every non-ASCII character escaped. */
function asciiRepr(v: unknown): string {
  return pyRepr(v).replace(/[\u0080-\u{10ffff}]/gu, (ch) => {
    const c = ch.codePointAt(0) as number;
    if (c <= 0xff) return `\\x${c.toString(16).padStart(2, '0')}`;
    if (c <= 0xffff) return `\\u${c.toString(16).padStart(4, '0')}`;
    return `\\U${c.toString(16).padStart(8, '0')}`;
  });
}

/** A number for the numeric conversions: booleans count as 0 and 1, anything else is an error. */
function numberArg(v: unknown, conv: string): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'bigint') return Number(v);
  const what = conv === 'x' || conv === 'X' || conv === 'o' ? 'an integer is required' : 'a real number is required';
  throw formatError(`%${conv} format: ${what}, not ${pyTypeName(v)}`);
}

function integerDigits(n: number, conv: string): string {
  if (Number.isNaN(n)) throw formatError('cannot convert float NaN to integer');
  if (!Number.isFinite(n)) throw formatError('cannot convert float infinity to integer');
  const abs = BigInt(Math.trunc(Math.abs(n)));
  return abs.toString(conv === 'o' ? 8 : conv === 'x' || conv === 'X' ? 16 : 10);
}

interface Spec {
  readonly flags: string;
  readonly width: number;
  readonly precision: number | undefined;
  readonly conv: string;
}

/** A number written per the spec: sign, `#` prefix, digits, and zero or space padding. */
function formatNumber(v: unknown, spec: Spec): string {
  const { flags, precision, conv } = spec;
  const n = numberArg(v, conv);
  const alt = flags.includes('#');
  const upper = conv === conv.toUpperCase();
  let digits: string;
  let prefix = '';
  switch (conv) {
    case 'd':
    case 'i':
    case 'u':
    case 'o':
    case 'x':
    case 'X':
      if ((conv === 'x' || conv === 'X' || conv === 'o') && !Number.isInteger(n))
        throw formatError(`%${conv} format: an integer is required, not float`);
      digits = integerDigits(n, conv);
      if (precision !== undefined) digits = digits.padStart(precision, '0');
      if (conv === 'X') digits = digits.toUpperCase();
      if (alt && conv !== 'd' && conv !== 'i' && conv !== 'u') prefix = conv === 'o' ? '0o' : conv === 'x' ? '0x' : '0X';
      break;
    case 'e':
    case 'E':
      digits = exponentDigits(n, precision ?? 6, upper, alt);
      break;
    case 'f':
    case 'F':
      digits = fixedDigits(n, precision ?? 6, alt);
      if (upper) digits = digits.toUpperCase();
      break;
    default:
      digits = generalDigits(n, precision ?? 6, upper, alt);
  }
  // Integer conversions truncate first (`-0.4` is `0`); float ones keep the sign of `-0.0`.
  const negative = 'diuoxX'.includes(conv) ? Math.trunc(n) < 0 : n < 0 || Object.is(n, -0);
  const sign = negative ? '-' : flags.includes('+') ? '+' : flags.includes(' ') ? ' ' : '';
  const body = prefix + digits;
  const pad = spec.width - sign.length - body.length;
  if (pad <= 0) return sign + body;
  if (flags.includes('-')) return sign + body + ' '.repeat(pad);
  if (flags.includes('0')) return sign + prefix + '0'.repeat(pad) + digits;
  return ' '.repeat(pad) + sign + body;
}

function formatChar(v: unknown): string {
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0x10ffff) return String.fromCodePoint(v);
  if (typeof v === 'string' && [...v].length === 1) return v;
  throw formatError('%c requires int or char');
}

function lookup(mapping: object, key: string): unknown {
  if (mapping instanceof Map) {
    if (mapping.has(key)) return mapping.get(key);
  } else if (!Array.isArray(mapping) && Object.hasOwn(mapping, key)) return (mapping as Record<string, unknown>)[key];
  throw formatError(`KeyError: ${pyRepr(key)}`);
}

/**
 * `fmt % values` as Python computes it.
 *
 * @example
 * percentFormat('%(a)s-%(b)03d', { a: 'x', b: 7 }, { text: String }) // 'x-007'
 */
export function percentFormat(fmt: string, values: unknown, writers: PercentWriters): string {
  const args: readonly unknown[] = isTuple(values) ? values : [values];
  // A dict supplies the `%(key)` arguments; Python counts any non-tuple sequence as a mapping too.
  const mapping = !isTuple(values) && (isPlainObject(values) || values instanceof Map || Array.isArray(values)) ? values : null;
  const escapeRepr = writers.escape ?? ((s: string) => s);
  let next = 0;
  const take = (): unknown => {
    if (next >= args.length) throw formatError('not enough arguments for format string');
    return args[next++];
  };
  let out = '';
  let i = 0;
  while (i < fmt.length) {
    const pct = fmt.indexOf('%', i);
    if (pct === -1) {
      out += fmt.slice(i);
      break;
    }
    out += fmt.slice(i, pct);
    i = pct + 1;
    let key: string | undefined;
    if (fmt[i] === '(') {
      // The key runs to the matching parenthesis, nested ones included.
      let depth = 1;
      const start = i + 1;
      while (depth > 0 && ++i < fmt.length) {
        if (fmt[i] === '(') depth++;
        else if (fmt[i] === ')') depth--;
      }
      if (depth > 0) throw formatError('incomplete format key');
      key = fmt.slice(start, i++);
    }
    let v: unknown;
    if (key !== undefined) {
      if (mapping === null) throw formatError('format requires a mapping');
      v = lookup(mapping, key);
      // As in Python, a conversion without a key after one with a key has no argument left.
      next = args.length;
    }
    let flags = '';
    while (i < fmt.length && '#0- +'.includes(fmt[i] as string)) flags += fmt[i++];
    const number = (): number | undefined => {
      if (fmt[i] === '*') {
        i++;
        const n = take();
        if (typeof n !== 'number' || !Number.isInteger(n)) throw formatError('* wants int');
        return n;
      }
      const m = /^\d+/.exec(fmt.slice(i));
      if (m === null) return undefined;
      i += m[0].length;
      return Number(m[0]);
    };
    let width = number() ?? 0;
    if (width < 0) {
      flags += '-';
      width = -width;
    }
    let precision: number | undefined;
    if (fmt[i] === '.') {
      i++;
      precision = Math.max(0, number() ?? 0);
    }
    // Widths and precisions pad: refused before any padding is built.
    checkStringLength(Math.max(width, precision ?? 0), 'format result');
    while (fmt[i] === 'h' || fmt[i] === 'l' || fmt[i] === 'L') i++;
    if (i >= fmt.length) throw formatError('incomplete format');
    const conv = fmt[i++] as string;
    if (conv === '%') {
      out += '%';
      continue;
    }
    if (key === undefined) v = take();
    let s: string;
    switch (conv) {
      case 's':
      case 'r':
      case 'a':
        s = conv === 's' ? writers.text(v) : escapeRepr(conv === 'r' ? pyRepr(v) : asciiRepr(v));
        if (precision !== undefined) s = [...s].slice(0, precision).join('');
        break;
      case 'c':
        s = formatChar(v);
        break;
      default:
        if (!'diuoxXeEfFgG'.includes(conv)) {
          const code = conv.codePointAt(0) as number;
          throw formatError(`unsupported format character ${pyRepr(conv)} (0x${code.toString(16)}) at index ${i - 1}`);
        }
        s = formatNumber(v, { flags, width, precision, conv });
        checkStringLength(out.length + s.length, 'format result');
        out += s;
        continue;
    }
    const pad = width - [...s].length;
    checkStringLength(out.length + s.length + Math.max(0, pad), 'format result');
    out += pad <= 0 ? s : flags.includes('-') ? s + ' '.repeat(pad) : ' '.repeat(pad) + s;
  }
  if (mapping === null && next < args.length) throw formatError('not all arguments converted during string formatting');
  return out;
}
