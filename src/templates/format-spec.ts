// Python's format-spec mini-language, for the fields of `str.format` (`'{:>8.2f}'.format(x)`):
// `[[fill]align][sign][z][#][0][width][grouping][.precision][type]` with the types
// `s b c d o x X n e E f F g G %`. Numbers are written as Python writes them (correctly
// rounded, by the helpers `%` formatting uses); a spec Python refuses raises, as it does,
// rather than being dropped.
import { exponentDigits, fixedDigits, generalDigits } from './float-format.js';
import { checkStringLength } from './limits.js';
import { pyTypeName } from './python-repr.js';
import { TemplateError } from './template-error.js';

const SPEC = /^(?:(.)?([<>=^]))?([-+ ])?(z)?(#)?(0)?(\d+)?([,_])?(?:\.(\d+))?([bcdeEfFgGnosxX%])?$/su;

function specError(message: string): TemplateError {
  return new TemplateError(message, { code: 'ERR_TEMPLATE_RUNTIME' });
}

/** `digits` (no sign) with `sep` every `every` digits of its integer part. */
function group(digits: string, sep: string, every: number): string {
  const point = digits.search(/[.eE%]/);
  const int = point === -1 ? digits : digits.slice(0, point);
  const rest = point === -1 ? '' : digits.slice(point);
  if (!/^[0-9a-fA-F]+$/.test(int)) return digits;
  let out = '';
  for (let i = int.length; i > 0; i -= every) out = int.slice(Math.max(0, i - every), i) + (out === '' ? '' : sep + out);
  return out + rest;
}

/**
 * `format(value, spec)` as Python computes it for strings, numbers (JavaScript numbers that are
 * integers count as Python ints unless the type is a float one), booleans and bigints.
 *
 * @example
 * formatSpec(3.14159, '>8.2f') // '    3.14'
 * formatSpec(1234567, ',')     // '1,234,567'
 */
export function formatSpec(value: unknown, spec: string, toText: (v: unknown) => string): string {
  const m = SPEC.exec(spec);
  if (m === null) throw specError(`Invalid format specifier '${spec}' for object of type '${pyTypeName(value)}'`);
  const [, fillChar, alignChar, signChar, , altFlag, zeroFlag, widthText, grouping, precisionText, typeChar] = m;
  const width = widthText === undefined ? 0 : Number(widthText);
  checkStringLength(width, 'format width');
  const precision = precisionText === undefined ? undefined : Number(precisionText);
  if (precision !== undefined) checkStringLength(precision, 'format precision');
  let type = typeChar ?? '';
  let align = alignChar;
  // The `0` flag pads with zeros unless a fill is given, whatever the alignment ('{:<05}' is
  // '42000'); without an alignment, numbers are then padded after their sign ('=').
  const zeroPad = zeroFlag !== undefined && fillChar === undefined;
  const fill = zeroPad ? '0' : (fillChar ?? ' ');

  const isNumber = typeof value === 'number' || typeof value === 'bigint' || (typeof value === 'boolean' && spec !== '');
  let sign = '';
  let prefix = '';
  let body: string;
  /** Digits per group when the spec asks for a separator (`,` or `_`). */
  let every = 3;
  if (!isNumber) {
    if (type !== '' && type !== 's') throw specError(`Unknown format code '${type}' for object of type '${pyTypeName(value)}'`);
    if (signChar !== undefined) throw specError('Sign not allowed in string format specifier');
    if (altFlag !== undefined) throw specError('Alternate form (#) not allowed in string format specifier');
    if (grouping !== undefined) throw specError(`Cannot specify '${grouping}' with 's'.`);
    if (align === '=') throw specError("'=' alignment not allowed in string format specifier");
    // (A string's default alignment stays left with the `0` flag: '{:05}' of 'ab' is 'ab000'.)
    body = toText(value);
    if (precision !== undefined) body = Array.from(body).slice(0, precision).join('');
    align ??= '<';
  } else {
    const n = typeof value === 'boolean' ? (value ? 1 : 0) : value;
    const integral = typeof n === 'bigint' || Number.isInteger(n);
    if (type === 's') throw specError(`Unknown format code 's' for object of type '${pyTypeName(value)}'`);
    if (type === 'n') type = integral && precision === undefined ? 'd' : 'g';
    // A JavaScript number that is an integer is an int, unless a float type or a precision asks
    // for a float (`'{:.2}'.format(3)` is an error in Python; here it writes `3.0`).
    if (type === '' && (!integral || precision !== undefined)) type = 'r';
    if (type === '') type = 'd';
    const negative = typeof n === 'bigint' ? n < 0n : n < 0 || Object.is(n, -0);
    if ('bcdoxX'.includes(type)) {
      if (!integral) throw specError(`Unknown format code '${type}' for object of type 'float'`);
      if (precision !== undefined) throw specError('Precision not allowed in integer format specifier');
      const big = typeof n === 'bigint' ? n : BigInt(n);
      const abs = big < 0n ? -big : big;
      if (type === 'c') {
        if (big < 0n || big > 0x10ffffn) throw specError('%c arg not in range(0x110000)');
        body = String.fromCodePoint(Number(big));
      } else {
        const radix = type === 'b' ? 2 : type === 'o' ? 8 : type === 'd' ? 10 : 16;
        body = abs.toString(radix);
        if (type === 'X') body = body.toUpperCase();
        if (altFlag !== undefined && type !== 'd') prefix = `0${type}`;
        sign = big < 0n ? '-' : '';
      }
      if (grouping !== undefined && (type === 'c' || (grouping === ',' && type !== 'd'))) throw specError(`Cannot specify '${grouping}' with '${type}'.`);
      if (type !== 'd') every = 4;
    } else {
      const x = Number(n);
      const alt = altFlag !== undefined;
      switch (type) {
        case 'e':
        case 'E':
          body = exponentDigits(x, precision ?? 6, type === 'E', alt);
          break;
        case 'f':
        case 'F':
          body = fixedDigits(x, precision ?? 6, alt);
          if (type === 'F') body = body.toUpperCase();
          break;
        case '%':
          body = `${fixedDigits(x * 100, precision ?? 6, alt)}%`;
          break;
        case 'g':
        case 'G':
          body = generalDigits(x, precision ?? 6, type === 'G', alt);
          break;
        default: {
          // No type: as `g`, but fixed notation keeps a digit after the point (`1.0`).
          body = precision === undefined ? toText(Math.abs(x)) : generalDigits(x, precision, false, alt);
          if (precision !== undefined && /^\d+$/.test(body)) body += '.0';
        }
      }
      sign = negative && !Number.isNaN(x) ? '-' : '';
    }
    if (sign === '' && signChar === '+') sign = '+';
    else if (sign === '' && signChar === ' ') sign = ' ';
    align ??= zeroPad ? '=' : '>';
    if (grouping !== undefined) {
      // Zero padding after the sign is grouped too, as Python does ('{:010,}' is '00,001,234'):
      // zeros are added until the grouped digits fill the width (never starting with a separator).
      const digitsWidth = fill === '0' && align === '=' ? width - sign.length - prefix.length : 0;
      const point = body.search(/[.eE%]/);
      let int = point === -1 ? body : body.slice(0, point);
      const rest = point === -1 ? '' : body.slice(point);
      if (/^[0-9a-fA-F]+$/.test(int)) {
        // n digits grouped take n + ⌊(n − 1) / every⌋ characters.
        let n = int.length;
        while (n + Math.floor((n - 1) / every) + rest.length < digitsWidth) n++;
        int = int.padStart(n, '0');
      }
      body = group(int + rest, grouping, every);
    }
  }

  const text = sign + prefix + body;
  const pad = width - Array.from(text).length;
  if (pad <= 0) return text;
  switch (align) {
    case '<':
      return text + fill.repeat(pad);
    case '^':
      return fill.repeat(Math.floor(pad / 2)) + text + fill.repeat(Math.ceil(pad / 2));
    case '=':
      return sign + prefix + fill.repeat(pad) + body;
    default:
      return fill.repeat(pad) + text;
  }
}
