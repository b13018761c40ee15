// Python's fixed (`%f`), exponent (`%e`) and general (`%g`) number formatting, correctly
// rounded (half to even on exact ties, as Python does; `toFixed` rounds ties up and switches
// to exponents past 1e21). Exact arithmetic on the double's own bits, with BigInt.

const view = new DataView(new ArrayBuffer(8));

/** The double as `mantissa * 2 ** exponent` (both exact; the mantissa is non-negative). */
function decompose(x: number): [bigint, number] {
  view.setFloat64(0, Math.abs(x));
  const hi = view.getUint32(0);
  const lo = view.getUint32(4);
  const biased = hi >>> 20;
  const fraction = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  if (biased === 0) return [fraction, -1074];
  return [fraction | (1n << 52n), biased - 1075];
}

/** `round(|x| * 10 ** k)`, ties to even, exactly. */
function scaledRound(x: number, k: number): bigint {
  const [m, e] = decompose(x);
  let num = m;
  let den = 1n;
  if (e >= 0) num <<= BigInt(e);
  else den <<= BigInt(-e);
  if (k >= 0) num *= 10n ** BigInt(k);
  else den *= 10n ** BigInt(-k);
  const q = num / den;
  const twice = (num % den) * 2n;
  if (twice > den || (twice === den && q % 2n === 1n)) return q + 1n;
  return q;
}

function nonFinite(x: number, upper: boolean): string {
  const s = Number.isNaN(x) ? 'nan' : 'inf';
  return upper ? s.toUpperCase() : s;
}

/** The digits of `|x|` with `precision` decimals (`%f`); `alt` keeps the point of `%#.0f`. */
export function fixedDigits(x: number, precision: number, alt = false): string {
  if (!Number.isFinite(x)) return nonFinite(x, false);
  const digits = scaledRound(x, precision)
    .toString()
    .padStart(precision + 1, '0');
  const int = digits.slice(0, digits.length - precision);
  return precision > 0 ? `${int}.${digits.slice(-precision)}` : alt ? `${int}.` : int;
}

/** `|x|` as `d.ddd` and a decimal exponent, rounded to `precision` decimals. */
function exponentParts(x: number, precision: number): [string, number] {
  if (x === 0) return ['0'.repeat(precision + 1), 0];
  let exp = Math.floor(Math.log10(Math.abs(x)));
  let n = scaledRound(x, precision - exp);
  // log10 can be one off near powers of ten, and rounding can carry into a new digit.
  if (n.toString().length > precision + 1) {
    exp++;
    n = scaledRound(x, precision - exp);
  } else if (n.toString().length < precision + 1) {
    exp--;
    n = scaledRound(x, precision - exp);
  }
  return [n.toString(), exp];
}

function exponentSuffix(exp: number, upper: boolean): string {
  return `${upper ? 'E' : 'e'}${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
}

/** The digits of `|x|` in exponent form (`%e`): `1.234568e+04`. */
export function exponentDigits(x: number, precision: number, upper = false, alt = false): string {
  if (!Number.isFinite(x)) return nonFinite(x, upper);
  const [digits, exp] = exponentParts(x, precision);
  const mantissa = precision > 0 ? `${digits[0]}.${digits.slice(1)}` : alt ? `${digits}.` : digits;
  return mantissa + exponentSuffix(exp, upper);
}

/** The digits of `|x|` in general form (`%g`): fixed or exponent by magnitude, trailing zeros dropped unless `alt`. */
export function generalDigits(x: number, precision: number, upper = false, alt = false): string {
  if (!Number.isFinite(x)) return nonFinite(x, upper);
  const p = precision === 0 ? 1 : precision;
  const [digits, exp] = exponentParts(x, p - 1);
  const trim = (s: string) => (alt || !s.includes('.') ? s : s.replace(/\.?0+$/, ''));
  if (exp >= -4 && exp < p) {
    const fixed = fixedDigits(x, p - 1 - exp, alt);
    return trim(fixed);
  }
  const mantissa = p > 1 ? `${digits[0]}.${digits.slice(1)}` : alt ? `${digits}.` : digits;
  return trim(mantissa) + exponentSuffix(exp, upper);
}
