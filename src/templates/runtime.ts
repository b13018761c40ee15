// Helpers the compiled templates call. Everything a template does to a value goes through
// here or through inline code the compiler emits with the same checks: attribute and item
// access (sandboxed), calls (sandboxed), output (escaped), truthiness and operators with
// Jinja's meaning.
import { charsOf } from '../internal/chars.js';
import { Macro } from './macro.js';
import { escapeHtml, Markup } from './markup.js';
import { Namespace } from './namespace.js';
import { isKwargs, kwargs } from './kwargs.js';
import { str } from './output-text.js';
import { percentFormat } from './percent-format.js';
import { checkListLength, checkStringLength, MAX_STRING_LENGTH } from './limits.js';
import { isContainer, isPlainObject, pyTypeName } from './python-repr.js';
import { DICT_METHODS, LIST_METHODS, pyFormat, pyJoin, STRING_METHODS } from './python-methods.js';
import { type BlockFn, type BlockTable, type Context, enter, leave, type RenderState, type TemplateModule } from './render-state.js';
import { checkAttribute, checkCallable, isUnsafeObject, sandboxError, UNSAFE_NAMES } from './sandbox.js';
import { TemplateError } from './template-error.js';

export { outOfIterations } from './render-state.js';

export { kwargs } from './kwargs.js';
export { str } from './output-text.js';
export { templateReference } from './template-reference.js';
export { tuple } from './tuple.js';

export type Kwargs = Record<string, unknown>;
type AnyFunction = (...args: unknown[]) => unknown;

export const G: unknown = globalThis;
export const P: unknown = process;
const EMPTY: readonly unknown[] = Object.freeze([]);

function runtimeError(message: string): TemplateError {
  return new TemplateError(message, { code: 'ERR_TEMPLATE_RUNTIME' });
}

function typeName(v: unknown): string {
  if (v === null) return 'none';
  if (Array.isArray(v)) return 'list';
  if (v instanceof Markup) return 'string';
  return typeof v;
}

// ------------------------------------------------------------------ output

/** A value as autoescaped output. */
export function esc(v: unknown): string {
  if (typeof v === 'string') return escapeHtml(v);
  if (typeof v === 'number') return `${v}`;
  if (v == null) return '';
  if (v instanceof Markup) return v.value;
  return escapeHtml(str(v));
}

// ------------------------------------------------------------------ truth and operators

/** Jinja's truthiness: empty lists, dicts, sets and strings are false. */
export function truthy(v: unknown): boolean {
  if (!v) return false;
  if (typeof v !== 'object') return true;
  if (Array.isArray(v)) return v.length > 0;
  if (v instanceof Markup) return v.value.length > 0;
  if (v instanceof Map || v instanceof Set) return v.size > 0;
  const proto = Object.getPrototypeOf(v);
  if (proto === Object.prototype || proto === null) {
    for (const _ in v) return true;
    return false;
  }
  return true;
}

/** A dict's entries by key: a plain object's own string keys, or a Map's. */
function dictMap(v: object): Map<unknown, unknown> {
  return v instanceof Map ? v : new Map(Object.entries(v));
}

/** `a == b` as Python compares: lists, dicts (plain objects and Maps), sets and dates by value. */
export function eq(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a instanceof Markup) return b instanceof Markup ? a.value === b.value : a.value === b;
  if (b instanceof Markup) return a === b.value;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => eq(x, b[i]));
  if (Array.isArray(b)) return false;
  if ((isPlainObject(a) || a instanceof Map) && (isPlainObject(b) || b instanceof Map)) {
    const x = dictMap(a);
    const y = dictMap(b);
    if (x.size !== y.size) return false;
    for (const [k, v] of x) if (!y.has(k) || !eq(v, y.get(k))) return false;
    return true;
  }
  if (a instanceof Set && b instanceof Set) return a.size === b.size && [...a].every((x) => b.has(x));
  if (a instanceof Date && b instanceof Date) return a.getTime() === b.getTime();
  return false;
}

/** `item in container`. */
export function contains(container: unknown, item: unknown): boolean {
  if (typeof container === 'string') return container.includes(str(item));
  if (container == null) return false;
  if (Array.isArray(container)) return container.some((x) => eq(x, item));
  if (container instanceof Markup) return container.value.includes(str(item));
  if (container instanceof Map || container instanceof Set) return container.has(item);
  if (typeof container === 'object') {
    const key = item instanceof Markup ? item.value : item;
    return (typeof key === 'string' || typeof key === 'number') && Object.hasOwn(container, key);
  }
  throw runtimeError(`'in' needs a string, list or dict on its right, got ${typeName(container)}`);
}

// Operators. Python raises a TypeError for operands of the wrong types ("5" > 3, 1 + "2",
// [1] + 1) where JavaScript coerces, and Jinja's Undefined raises in any arithmetic or
// ordering even when not strict: so do these, rather than print NaN or "12". Numbers go first
// (the common case); booleans count as the integers 0 and 1, as in Python. `an` and `bn` name
// the operands in the error when one is undefined.

/** The error of an undefined operand, named as the template wrote it when it is a name or attribute. */
function undefinedOperand(op: string, name: string | undefined): TemplateError {
  return undefinedError(name === undefined || name === 'expression' ? `an operand of '${op}' is undefined` : `'${name}' is undefined`);
}

/** Python's TypeError for `a op b` (after checking that neither is undefined). */
function operandError(op: string, a: unknown, b: unknown, an: string | undefined, bn: string | undefined): TemplateError {
  if (a === undefined) return undefinedOperand(op, an);
  if (b === undefined) return undefinedOperand(op, bn);
  return runtimeError(`unsupported operand type(s) for ${op}: '${pyTypeName(a)}' and '${pyTypeName(b)}'`);
}

function isNumber(v: unknown): v is number | boolean {
  return typeof v === 'number' || typeof v === 'boolean';
}

function isText(v: unknown): v is string | Markup {
  return typeof v === 'string' || v instanceof Markup;
}

function repeat(x: unknown, n: number): unknown {
  if (typeof x === 'string' || x instanceof Markup) {
    const s = x instanceof Markup ? x.value : x;
    checkStringLength(s.length * Math.max(0, n), 'string repetition');
    const r = s.repeat(Math.max(0, Math.trunc(n)));
    return x instanceof Markup ? new Markup(r) : r;
  }
  const xs = x as unknown[];
  checkListLength(xs.length * Math.max(0, n), 'list repetition');
  const out: unknown[] = [];
  // Item by item: push(...xs) of a long list overflows the call stack.
  for (let i = 0; i < n; i++) for (let j = 0; j < xs.length; j++) out.push(xs[j]);
  return out;
}

/** Two strings joined, within the size limit. */
function concat(a: string, b: string, what: string): string {
  checkStringLength(a.length + b.length, what);
  return a + b;
}

/** `a + b`: numbers, two strings (escaped into a safe one when either is safe), two lists. */
export function add(a: unknown, b: unknown, an?: string, bn?: string): unknown {
  if (typeof a === 'number' && typeof b === 'number') return a + b;
  if (typeof a === 'string' && typeof b === 'string') return concat(a, b, 'string concatenation');
  if (isNumber(a) && isNumber(b)) return Number(a) + Number(b);
  if (isText(a) && isText(b)) return new Markup(concat(esc(a), esc(b), 'string concatenation'));
  if (Array.isArray(a) && Array.isArray(b)) {
    checkListLength(a.length + b.length, 'list concatenation');
    return [...a, ...b];
  }
  if (a !== undefined && b !== undefined && (isText(a) || Array.isArray(a))) {
    const kind = pyTypeName(a);
    throw runtimeError(`can only concatenate ${kind} (not "${pyTypeName(b)}") to ${kind}`);
  }
  throw operandError('+', a, b, an, bn);
}

/** `a - b`: numbers only. */
export function sub(a: unknown, b: unknown, an?: string, bn?: string): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (isNumber(a) && isNumber(b)) return Number(a) - Number(b);
  throw operandError('-', a, b, an, bn);
}

/** `a * b`: numbers, or a string or list repeated an integer number of times. */
export function mul(a: unknown, b: unknown, an?: string, bn?: string): unknown {
  if (typeof a === 'number' && typeof b === 'number') return a * b;
  if (isNumber(a) && isNumber(b)) return Number(a) * Number(b);
  const [seq, n] = isText(a) || Array.isArray(a) ? [a, b] : [b, a];
  if (isText(seq) || Array.isArray(seq)) {
    if (typeof n === 'boolean' || (typeof n === 'number' && Number.isInteger(n))) return repeat(seq, Number(n));
    if (n !== undefined) throw runtimeError(`can't multiply sequence by non-int of type '${pyTypeName(n)}'`);
  }
  throw operandError('*', a, b, an, bn);
}

/** Numbers divided, as Python: dividing by zero is an error, not Infinity or NaN. */
export function div(a: unknown, b: unknown, an?: string, bn?: string): number {
  if (!isNumber(a) || !isNumber(b)) throw operandError('/', a, b, an, bn);
  if (Number(b) === 0) throw runtimeError('division by zero');
  return Number(a) / Number(b);
}

/** Python's `//`: floor division; by zero is an error. */
export function floordiv(a: unknown, b: unknown, an?: string, bn?: string): number {
  if (!isNumber(a) || !isNumber(b)) throw operandError('//', a, b, an, bn);
  if (Number(b) === 0) throw runtimeError('integer division or modulo by zero');
  return Math.floor(Number(a) / Number(b));
}

/** Python's `%`: the result has the sign of the divisor; on a string, `%` formatting. */
export function mod(a: unknown, b: unknown, an?: string, bn?: string): unknown {
  if (isNumber(a) && isNumber(b)) {
    const x = Number(a);
    const y = Number(b);
    if (y === 0) throw runtimeError('integer division or modulo by zero');
    const r = x % y;
    return r !== 0 && r < 0 !== y < 0 ? r + y : r;
  }
  // A safe format escapes what it formats, as Markup's `%` does.
  if (a instanceof Markup) return new Markup(percentFormat(a.value, b, { text: esc, escape: escapeHtml }));
  if (typeof a === 'string') return percentFormat(a, b, { text: str });
  throw operandError('%', a, b, an, bn);
}

/** `a ** b`: numbers only. */
export function pow(a: unknown, b: unknown, an?: string, bn?: string): number {
  if (!isNumber(a) || !isNumber(b)) throw operandError('** or pow()', a, b, an, bn);
  if (Number(a) === 0 && Number(b) < 0) throw runtimeError('0.0 cannot be raised to a negative power');
  return Number(a) ** Number(b);
}

/** Unary `-x` and `+x`: numbers only. */
export function neg(v: unknown, name?: string): number {
  if (typeof v === 'number') return -v;
  if (typeof v === 'boolean') return -Number(v);
  if (v === undefined) throw undefinedOperand('-', name);
  throw runtimeError(`bad operand type for unary -: '${pyTypeName(v)}'`);
}

export function pos(v: unknown, name?: string): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return Number(v);
  if (v === undefined) throw undefinedOperand('+', name);
  throw runtimeError(`bad operand type for unary +: '${pyTypeName(v)}'`);
}

/**
 * How `a` orders against `b` (negative, zero, positive) for `<`, `<=`, `>`, `>=`: numbers,
 * strings, lists item by item, dates; anything else is Python's TypeError.
 */
function order(op: string, a: unknown, b: unknown, an: string | undefined, bn: string | undefined): number {
  if (isNumber(a) && isNumber(b)) {
    const x = Number(a);
    const y = Number(b);
    // NaN is neither less, greater nor equal: every ordering of it is false.
    return x < y ? -1 : x > y ? 1 : x === y ? 0 : Number.NaN;
  }
  if (isText(a) && isText(b)) {
    const x = a instanceof Markup ? a.value : a;
    const y = b instanceof Markup ? b.value : b;
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      if (eq(a[i], b[i])) continue;
      return order(op, a[i], b[i], undefined, undefined);
    }
    return a.length - b.length;
  }
  if (a instanceof Date && b instanceof Date) return a.getTime() - b.getTime();
  if (a === undefined) throw undefinedOperand(op, an);
  if (b === undefined) throw undefinedOperand(op, bn);
  throw runtimeError(`'${op}' not supported between instances of '${pyTypeName(a)}' and '${pyTypeName(b)}'`);
}

export function lt(a: unknown, b: unknown, an?: string, bn?: string): boolean {
  if (typeof a === 'number' && typeof b === 'number') return a < b;
  return order('<', a, b, an, bn) < 0;
}

export function le(a: unknown, b: unknown, an?: string, bn?: string): boolean {
  if (typeof a === 'number' && typeof b === 'number') return a <= b;
  return order('<=', a, b, an, bn) <= 0;
}

export function gt(a: unknown, b: unknown, an?: string, bn?: string): boolean {
  if (typeof a === 'number' && typeof b === 'number') return a > b;
  return order('>', a, b, an, bn) > 0;
}

export function ge(a: unknown, b: unknown, an?: string, bn?: string): boolean {
  if (typeof a === 'number' && typeof b === 'number') return a >= b;
  return order('>=', a, b, an, bn) >= 0;
}

/** `a ~ b` without autoescape. */
export function cat(a: unknown, b: unknown): string {
  return concat(str(a), str(b), 'string concatenation');
}

/** `a ~ b` with autoescape: safe when either side is `Markup`, the other side escaped. */
export function catEsc(a: unknown, b: unknown): unknown {
  if (a instanceof Markup || b instanceof Markup) return new Markup(concat(esc(a), esc(b), 'string concatenation'));
  return concat(str(a), str(b), 'string concatenation');
}

// ------------------------------------------------------------------ access

/** `o.k` where the compiler could not inline it (functions, strings, globals). */
export function attr(o: unknown, k: string): unknown {
  if (o == null) return undefined;
  checkAttribute(o, k);
  return (o as Record<string, unknown>)[k];
}

function undefinedError(message: string): TemplateError {
  return new TemplateError(message, { code: 'ERR_TEMPLATE_UNDEFINED' });
}

/** `o.k` with `strict: true`: a missing attribute is an error. */
export function attrStrict(o: unknown, k: string, what: string): unknown {
  if (o == null) throw undefinedError(`'${what}' is ${o === null ? 'none' : 'undefined'}, so it has no attribute '${k}'`);
  const v = attr(o, k);
  if (v === undefined && !(k in Object(o))) throw undefinedError(`'${what}' has no attribute '${k}'`);
  return v;
}

/** A variable with `strict: true`; `message` says why it may be undefined (a macro parameter not passed). */
export function need(v: unknown, name: string, message?: string): unknown {
  if (v === undefined) throw undefinedError(message ?? `'${name}' is undefined`);
  return v;
}

/** The property `o[k]` reads; `undefined` for lists and dicts, which no item has as key (unhashable in Python). */
function propertyKey(k: unknown): string | number | undefined {
  if (typeof k === 'string' || typeof k === 'number') return k;
  if (k instanceof Markup) return k.value;
  if (typeof k === 'symbol') throw sandboxError('symbol keys are not allowed in templates');
  return isContainer(k) ? undefined : str(k);
}

/** `o[k]`: negative indexes count from the end; Maps are read with `get`. */
export function item(o: unknown, k: unknown): unknown {
  if (o == null) return undefined;
  if (o instanceof Map) {
    if (isUnsafeObject(k)) throw sandboxError('a global object cannot be used as a key');
    return o.get(k);
  }
  const key = propertyKey(k);
  if (key === undefined) return undefined;
  if (typeof key === 'number') {
    if (Array.isArray(o)) return o[key < 0 ? o.length + key : key];
    // Strings by character, as Python's `s[i]` (never half a surrogate pair).
    if (typeof o === 'string' || o instanceof Markup) {
      const cs = charsOf(typeof o === 'string' ? o : o.value);
      return cs[key < 0 ? cs.length + key : key];
    }
  }
  checkAttribute(o, String(key));
  if (o instanceof Markup) return undefined;
  return (o as Record<string | number, unknown>)[key];
}

/** `o[k]` with `strict: true`. */
export function itemStrict(o: unknown, k: unknown, what: string): unknown {
  if (o == null) throw undefinedError(`'${what}' is ${o === null ? 'none' : 'undefined'}, so it has no item ${JSON.stringify(str(k))}`);
  const v = item(o, k);
  if (v === undefined) throw undefinedError(`'${what}' has no item ${JSON.stringify(str(k))}`);
  return v;
}

function sliceIndices(len: number, start: unknown, stop: unknown, step: number): [number, number] {
  const norm = (v: unknown, dflt: number, lo: number, hi: number) => {
    if (v == null) return dflt;
    let n = Math.trunc(Number(v));
    if (n < 0) n += len;
    return Math.min(Math.max(n, lo), hi);
  };
  return step > 0 ? [norm(start, 0, 0, len), norm(stop, len, 0, len)] : [norm(start, len - 1, -1, len - 1), norm(stop, -1, -1, len - 1)];
}

/** `o[start:stop:step]` with Python's meaning, on lists and strings. */
export function slice(o: unknown, start: unknown, stop: unknown, step: unknown): unknown {
  if (o == null) return undefined;
  const st = step == null ? 1 : Math.trunc(Number(step));
  if (st === 0 || Number.isNaN(st)) throw runtimeError('slice step cannot be zero');
  const isStr = typeof o === 'string' || o instanceof Markup;
  const seq: ArrayLike<unknown> = o instanceof Markup ? charsOf(o.value) : typeof o === 'string' ? charsOf(o) : Array.isArray(o) ? o : iter(o, 1);
  const [a, b] = sliceIndices(seq.length, start, stop, st);
  const out: unknown[] = [];
  if (st > 0) for (let i = a; i < b; i += st) out.push(seq[i]);
  else for (let i = a; i > b; i += st) out.push(seq[i]);
  if (!isStr) return out;
  const s = out.join('');
  return o instanceof Markup ? new Markup(s) : s;
}

// ------------------------------------------------------------------ calls

function checkResult(v: unknown): unknown {
  if (v !== null && (typeof v === 'object' || typeof v === 'function') && isUnsafeObject(v))
    throw sandboxError('a call returned a global object');
  return v;
}

/** `fn(args, kw=...)`: macros get their keywords by name, functions a trailing object. */
export function call(fn: unknown, args: unknown[], kw: Kwargs | null, what: string): unknown {
  if (fn instanceof Macro) return fn.invoke(args, kw);
  if (typeof fn !== 'function')
    throw runtimeError(fn === undefined ? `'${what}' is undefined and cannot be called` : `'${what}' is not callable (${typeName(fn)})`);
  checkCallable(fn, undefined);
  if (kw !== null) args.push(kwargs(kw));
  let r: unknown;
  try {
    r = (fn as AnyFunction)(...args);
  } catch (err) {
    throw wrapThrown(err);
  }
  return checkResult(r);
}

/**
 * An error thrown by application code called from a template, wrapped here so its stack has
 * the template's frame (an error created before the call would not) and so its location.
 */
function wrapThrown(err: unknown): unknown {
  if (err instanceof TemplateError) return err;
  const reason = err instanceof Error ? `${err.name}: ${err.message}` : `thrown: ${str(err)}`;
  return new TemplateError(reason, {
    code: err instanceof RangeError && /call stack/i.test(err.message) ? 'ERR_TEMPLATE_RECURSION' : 'ERR_TEMPLATE_RUNTIME',
    cause: err,
  });
}

/** The length of `items` flattened `depth` levels deep, as `Array.prototype.flat` would build it (counting stops past the limit). */
function flatLength(items: readonly unknown[], depth: number, seen: Set<unknown>): number {
  let n = 0;
  for (const x of items) {
    if (depth >= 1 && Array.isArray(x) && !seen.has(x)) {
      seen.add(x);
      n += flatLength(x, depth - 1, seen);
      seen.delete(x);
    } else n++;
    if (n > MAX_STRING_LENGTH) return n;
  }
  return n;
}

/**
 * Refuses, before the call, a JavaScript method of a string or list that would build a result
 * past the size limits from small arguments (`"x".repeat(1e9)`, `s.padEnd(1e9)`, `xs.concat(xs)`
 * doubling in a loop): V8 aborts the process on such sizes rather than throwing.
 */
function checkNativeGrowth(o: string | readonly unknown[], k: string, args: readonly unknown[]): void {
  if (typeof o === 'string') {
    switch (k) {
      case 'repeat':
        checkStringLength(o.length * Math.max(0, Math.trunc(Number(args[0] ?? 0)) || 0), 'string repetition');
        return;
      case 'padStart':
      case 'padEnd':
        checkStringLength(Math.trunc(Number(args[0] ?? 0)) || 0, 'padded string');
        return;
      case 'replaceAll': {
        if (typeof args[0] !== 'string') return;
        const old = args[0];
        const rep = typeof args[1] === 'string' ? args[1] : '';
        // Each `$` pattern of the replacement may expand to as much as the whole string (`` $` ``).
        const perMatch = rep.length + (rep.split('$').length - 1) * o.length;
        const matches = old === '' ? o.length + 1 : o.split(old).length - 1;
        checkStringLength(o.length + matches * perMatch, 'replace result');
        return;
      }
      default:
        return;
    }
  }
  switch (k) {
    case 'concat': {
      let n = o.length;
      for (const a of args) n += Array.isArray(a) ? a.length : 1;
      checkListLength(n, 'list concatenation');
      return;
    }
    case 'flat':
      checkListLength(flatLength(o, args[0] === undefined ? 1 : Math.trunc(Number(args[0])) || 0, new Set([o])), 'flattened list');
      return;
    default:
      return;
  }
}

/** The methods of MarkupSafe's `Markup` that escape their string arguments (the others, like `startswith`, compare them as they are). */
const MARKUP_ESCAPES_ARGS: ReadonlySet<string> = new Set(['replace', 'strip', 'lstrip', 'rstrip', 'split']);

/**
 * A Python string method of a safe string, as MarkupSafe's `Markup` has it: arguments that are
 * not safe are escaped before they are spliced in (`replace`, `format` — keywords too — and
 * `join`), and string results (or lists of them, from `split`) are safe.
 */
function markupMethod(o: Markup, k: string, args: unknown[], kw: Kwargs | null, what: string): unknown {
  const m = STRING_METHODS[k];
  if (m === undefined) throw runtimeError(`'${what}' has no method '${k}'`);
  let r: unknown;
  if (k === 'format') {
    const named = Object.create(null) as Kwargs;
    if (kw !== null) for (const key of Object.keys(kw)) named[key] = kw[key];
    r = pyFormat(o.value, args, named, esc);
  } else if (k === 'join') {
    r = Array.isArray(args[0]) ? pyJoin(o.value, args[0].map(esc)) : '';
  } else {
    const escaped = MARKUP_ESCAPES_ARGS.has(k) ? args.map((a) => (typeof a === 'string' || a instanceof Markup ? esc(a) : a)) : args;
    r = m.apply(o.value as never, escaped as never[]);
  }
  if (typeof r === 'string') return new Markup(r);
  if (Array.isArray(r)) return r.map((x) => (typeof x === 'string' ? new Markup(x) : x));
  return r;
}

/** `o.k(args)`: the method is looked up and called with `o` as `this`. */
export function callMethod(o: unknown, k: string, args: unknown[], kw: Kwargs | null, what: string): unknown {
  if (o == null) throw runtimeError(`'${what}' is ${o === null ? 'none' : 'undefined'}, so it has no method '${k}'`);
  checkAttribute(o, k);
  let fn: unknown;
  if (typeof o === 'string') fn = STRING_METHODS[k] ?? (String.prototype as unknown as Record<string, unknown>)[k];
  else if (o instanceof Markup) return markupMethod(o, k, args, kw, what);
  else {
    fn = (o as Record<string, unknown>)[k];
    if (fn === undefined) {
      if (Array.isArray(o)) fn = LIST_METHODS[k];
      else if (typeof o === 'object' && !(k in o)) fn = DICT_METHODS[k];
    }
  }
  if (fn instanceof Macro) return fn.invoke(args, kw);
  if (typeof fn !== 'function')
    throw runtimeError(fn === undefined ? `'${what}' has no method '${k}'` : `'${what}.${k}' is not callable (${typeName(fn)})`);
  checkCallable(fn, o);
  if (kw !== null) args.push(kwargs(kw));
  const native = (typeof o === 'string' || Array.isArray(o)) && fn === (o as unknown as Record<string, unknown>)[k];
  if (native) checkNativeGrowth(o as string | unknown[], k, args);
  let r: unknown;
  try {
    r = (fn as AnyFunction).apply(o, args);
  } catch (err) {
    throw wrapThrown(err);
  }
  // The other JavaScript methods grow a string by a bounded factor at most (`toUpperCase`,
  // `concat`, `join`): checked after the call, so a loop cannot compound them.
  if (native && typeof r === 'string') checkStringLength(r.length, `'${k}' result`);
  return checkResult(r);
}

/**
 * `x|attr(k)`: the attribute, or — where it names a method, as Jinja gives bound methods — a
 * function that calls the method of `x` (through `callMethod`, with its checks):
 * `(s|attr('upper'))()`.
 */
export function attrFilter(o: unknown, k: string): unknown {
  const v = attr(o, k);
  if (o == null || o instanceof Macro || v instanceof Macro) return v;
  const method =
    typeof v === 'function' ||
    (v === undefined &&
      (typeof o === 'string' || o instanceof Markup
        ? Object.hasOwn(STRING_METHODS, k)
        : Array.isArray(o)
          ? Object.hasOwn(LIST_METHODS, k)
          : typeof o === 'object' && !(k in o) && Object.hasOwn(DICT_METHODS, k)));
  if (!method) return v;
  const bound = (...args: unknown[]): unknown => {
    const kw = isKwargs(args[args.length - 1]) ? (args.pop() as Kwargs) : null;
    return callMethod(o, k, args, kw, k);
  };
  return Object.defineProperty(bound, 'name', { value: k });
}

/** `{% set ns.attr = value %}`: only on `namespace()` objects. */
export function setAttr(ns: unknown, k: string, v: unknown): void {
  if (!(ns instanceof Namespace)) throw runtimeError(`cannot assign attribute '${k}': only namespace() objects can be assigned to`);
  if (UNSAFE_NAMES.has(k)) throw sandboxError(`assignment to attribute '${k}' is not allowed`);
  (ns as unknown as Record<string, unknown>)[k] = v;
}

// ------------------------------------------------------------------ loops

/** What `{% for %}` iterates: arrays as they are; dict keys (one target) or entries (two). */
export function iter(v: unknown, targets: number): readonly unknown[] {
  if (Array.isArray(v)) return v;
  if (v == null) return EMPTY;
  if (typeof v === 'string') return Array.from(v);
  if (typeof v === 'object') {
    if (isUnsafeObject(v)) throw sandboxError('a global object cannot be iterated');
    if (v instanceof Markup) return Array.from(v.value);
    if (v instanceof Map) return targets === 1 ? [...v.keys()] : [...v.entries()];
    if (Symbol.iterator in v) return Array.from(v as Iterable<unknown>);
    return targets === 1 ? Object.keys(v) : Object.entries(v);
  }
  throw runtimeError(`${typeName(v)} is not iterable`);
}

/** The parts of a loop item unpacked into several targets. */
export function unpack(v: unknown, count?: number): readonly unknown[] {
  const parts = Array.isArray(v) ? v : iter(v, 1);
  if (count !== undefined && parts.length !== count) {
    throw runtimeError(
      parts.length > count
        ? `too many values to unpack (expected ${count})`
        : `not enough values to unpack (expected ${count}, got ${parts.length})`,
    );
  }
  return parts;
}

// ------------------------------------------------------------------ contexts

/** A context for an include or block call: the current one plus the local variables in scope. */
export function derive(c: Context, locals: Kwargs): Context {
  const d = Object.create(c) as Context;
  for (const k of Object.keys(locals)) d[k] = locals[k];
  return d;
}

// ------------------------------------------------------------------ inheritance, includes, imports

/** Adds a template's blocks below the more derived ones already in the table. */
export function defineBlocks(b: BlockTable, blocks: Readonly<Record<string, BlockFn>>): void {
  for (const name of Object.keys(blocks)) {
    const list = b[name];
    if (list === undefined) b[name] = [blocks[name] as BlockFn];
    else list.push(blocks[name] as BlockFn);
  }
}

/** Renders the most derived version of block `name`. */
export function block(b: BlockTable, name: string, c: Context, s: RenderState): string | Generator<string, void, undefined> {
  const fn = b[name]?.[0];
  if (fn === undefined) throw runtimeError(`block '${name}' is not defined`);
  return fn(c, s, b, 0);
}

/** Joins the chunks of a streamed render. */
export function drain(r: string | Generator<string, void, undefined>): string {
  if (typeof r === 'string') return r;
  let out = '';
  for (const chunk of r) out += chunk;
  return out;
}

/** `super()` inside block `name` at level `bi`. */
export function superBlock(b: BlockTable, name: string, bi: number, c: Context, s: RenderState): Markup {
  const fn = b[name]?.[bi + 1];
  if (fn === undefined) throw runtimeError(`super(): block '${name}' has no parent block`);
  return new Markup(drain(fn(c, s, b, bi + 1)));
}

/** `{% extends name %}`: loads the parent, which the root renders when its own statements are done. */
export function extend(s: RenderState, name: unknown, current: TemplateModule | null, stream: boolean): TemplateModule {
  if (current !== null) throw runtimeError('a template can extend only one parent');
  return s.host.load(name, stream, false) as TemplateModule;
}

export function renderParent(p: TemplateModule, c: Context, s: RenderState, b: BlockTable): string {
  enter(s, p.name);
  try {
    return p.root(c, s, b) as string;
  } finally {
    leave(s);
  }
}

export function* streamParent(p: TemplateModule, c: Context, s: RenderState, b: BlockTable): Generator<string, void, undefined> {
  enter(s, p.name);
  try {
    yield* p.root(c, s, b) as Generator<string, void, undefined>;
  } finally {
    leave(s);
  }
}

export function include(s: RenderState, name: unknown, c: Context, ignoreMissing: boolean): string {
  const t = s.host.load(name, false, ignoreMissing);
  if (t === null) return '';
  enter(s, t.name);
  try {
    return t.root(c, s, Object.create(null)) as string;
  } finally {
    leave(s);
  }
}

export function* streamInclude(s: RenderState, name: unknown, c: Context, ignoreMissing: boolean): Generator<string, void, undefined> {
  const t = s.host.load(name, true, ignoreMissing);
  if (t === null) return;
  enter(s, t.name);
  try {
    yield* t.root(c, s, Object.create(null)) as Generator<string, void, undefined>;
  } finally {
    leave(s);
  }
}

/** `{% import name as m %}`: renders the template's top level and returns what it defined. */
export function importTemplate(s: RenderState, name: unknown, c: Context | null): Kwargs {
  const t = s.host.load(name, false, false) as TemplateModule;
  const ctx = Object.create(c ?? s.host.context()) as Context;
  enter(s, t.name);
  try {
    t.root(ctx, s, Object.create(null));
  } finally {
    leave(s);
  }
  const exports = Object.create(null) as Kwargs;
  for (const k of Object.keys(ctx)) if (!k.startsWith('_')) exports[k] = ctx[k];
  return exports;
}

/** A name of `{% from … import name %}`. */
export function imported(module: Kwargs, name: string, template: unknown): unknown {
  if (!Object.hasOwn(module, name)) throw runtimeError(`the template ${JSON.stringify(str(template))} does not export '${name}'`);
  return module[name];
}
