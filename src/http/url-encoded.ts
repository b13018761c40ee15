import { HTTPException } from '../errors.js';

function decodeComponent(s: string, what: string): string {
  const plus = s.indexOf('+') === -1 ? s : s.replace(/\+/g, ' ');
  if (plus.indexOf('%') === -1) return plus;
  try {
    return decodeURIComponent(plus);
  } catch {
    throw new HTTPException(400, `Malformed percent-encoding in ${what}`, { code: 'ERR_BAD_ENCODING' });
  }
}

/**
 * Objects of this class have no `Object.prototype` in their chain (so `__proto__`,
 * `constructor` or `toString` keys are plain data) yet, unlike `Object.create(null)`, they
 * keep V8's fast properties — reading them and `JSON.stringify` stay quick.
 */
const NullProtoObject = function NullProtoObject() {} as unknown as new () => Record<string, unknown>;
/** The prototype of `nullProtoObject()` results: an empty object with no prototype itself. */
export const NULL_PROTO: object = Object.create(null);
NullProtoObject.prototype = NULL_PROTO as Record<string, unknown>;

/** A fresh object with no `Object.prototype` behind it (see `NullProtoObject`). */
export function nullProtoObject<V>(): Record<string, V> {
  return new NullProtoObject() as Record<string, V>;
}

/** Pairs in order, as two parallel arrays: cheaper to build than a map of lists. */
export interface Pairs<V> {
  readonly keys: string[];
  readonly values: V[];
}

/**
 * Parses `a=1&b=2&a=3` (query strings and urlencoded bodies) into ordered pairs. Keys are
 * data, never object properties, so `__proto__` or `constructor` are harmless; malformed
 * escapes → 400; more than `maxPairs` pairs → 400.
 *
 * @example
 * parseUrlEncoded('q=a+b&tag=x&tag=y', 'query string') // { keys: ['q','tag','tag'], values: ['a b','x','y'] }
 */
export function parseUrlEncoded(text: string, what: string, maxPairs = 1000): Pairs<string> {
  const keys: string[] = [];
  const values: string[] = [];
  const len = text.length;
  let start = 0;
  // The next "=" at or after `start`, found once and reused: searching afresh for every pair
  // would rescan the rest of the text each time ("a&a&a…" with no "=" is quadratic).
  let eq = text.indexOf('=');
  while (start < len) {
    let end = text.indexOf('&', start);
    if (end === -1) end = len;
    if (end > start) {
      if (keys.length === maxPairs) {
        throw new HTTPException(400, `Too many parameters in ${what} (limit ${maxPairs})`, { code: 'ERR_TOO_MANY_PARAMS' });
      }
      if (eq !== -1 && eq < start) eq = text.indexOf('=', start);
      const hasValue = eq !== -1 && eq < end;
      keys.push(decodeComponent(text.slice(start, hasValue ? eq : end), what));
      values.push(hasValue ? decodeComponent(text.slice(eq + 1, end), what) : '');
    }
    start = end + 1;
  }
  return { keys, values };
}

/** A read-only multimap of string keys in order, the shape shared by query parameters and forms. */
export class MultiDict<V> {
  protected readonly pairs: Pairs<V>;

  constructor(pairs: Pairs<V> = { keys: [], values: [] }) {
    this.pairs = pairs;
  }

  /** The first value, or `null`. */
  get(name: string): V | null {
    const i = this.pairs.keys.indexOf(name);
    return i === -1 ? null : (this.pairs.values[i] as V);
  }

  getAll(name: string): V[] {
    const { keys, values } = this.pairs;
    const out: V[] = [];
    for (let i = 0; i < keys.length; i++) if (keys[i] === name) out.push(values[i] as V);
    return out;
  }

  has(name: string): boolean {
    return this.pairs.keys.includes(name);
  }

  /** Distinct names in order of first appearance. */
  keys(): IterableIterator<string> {
    return new Set(this.pairs.keys).values();
  }

  /** Every `[name, value]` pair, repeated names included, in order. */
  entries(): IterableIterator<[string, V]> {
    const { keys, values } = this.pairs;
    const out: [string, V][] = new Array(keys.length);
    for (let i = 0; i < keys.length; i++) out[i] = [keys[i] as string, values[i] as V];
    return out[Symbol.iterator]();
  }

  [Symbol.iterator](): IterableIterator<[string, V]> {
    return this.entries();
  }

  /** How many pairs there are. */
  get size(): number {
    return this.pairs.keys.length;
  }

  /** An object of first values with no `Object.prototype` behind it (use `getAll` for repeated names). */
  toObject(): Record<string, V> {
    const { keys, values } = this.pairs;
    const out = nullProtoObject<V>();
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i] as string;
      if (out[key] === undefined) out[key] = values[i] as V;
    }
    return out;
  }

  toJSON(): Record<string, V> {
    return this.toObject();
  }
}
