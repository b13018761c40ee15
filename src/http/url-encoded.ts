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
 * Parses `a=1&b=2&a=3` (query strings and urlencoded bodies) into a null-prototype multimap,
 * so `__proto__` or `constructor` keys are plain data. Malformed escapes → 400.
 *
 * @example
 * parseUrlEncoded('q=a+b&tag=x&tag=y', 'query string').get('tag') // ['x', 'y']
 */
export function parseUrlEncoded(text: string, what: string, maxPairs = 1000): Map<string, string[]> {
  const out = new Map<string, string[]>();
  if (text.length === 0) return out;
  let start = 0;
  let pairs = 0;
  while (start <= text.length) {
    let end = text.indexOf('&', start);
    if (end === -1) end = text.length;
    if (end > start) {
      if (++pairs > maxPairs) throw new HTTPException(400, `Too many parameters in ${what} (limit ${maxPairs})`, { code: 'ERR_TOO_MANY_PARAMS' });
      const eq = text.indexOf('=', start);
      const hasValue = eq !== -1 && eq < end;
      const key = decodeComponent(text.slice(start, hasValue ? eq : end), what);
      const value = hasValue ? decodeComponent(text.slice(eq + 1, end), what) : '';
      const list = out.get(key);
      if (list === undefined) out.set(key, [value]);
      else list.push(value);
    }
    start = end + 1;
  }
  return out;
}

/** A read-only multimap of string keys, the shape shared by query parameters and forms. */
export class MultiDict<V> {
  protected readonly map: Map<string, V[]>;

  constructor(map: Map<string, V[]> = new Map()) {
    this.map = map;
  }

  /** The first value, or `null`. */
  get(name: string): V | null {
    const list = this.map.get(name);
    return list === undefined ? null : (list[0] as V);
  }

  getAll(name: string): V[] {
    return [...(this.map.get(name) ?? [])];
  }

  has(name: string): boolean {
    return this.map.has(name);
  }

  keys(): IterableIterator<string> {
    return this.map.keys();
  }

  /** Every `[name, value]` pair, repeated names included, in order. */
  *entries(): IterableIterator<[string, V]> {
    for (const [k, list] of this.map) for (const v of list) yield [k, v];
  }

  [Symbol.iterator](): IterableIterator<[string, V]> {
    return this.entries();
  }

  get size(): number {
    return this.map.size;
  }

  /** A null-prototype object of first values (use `getAll` for repeated names). */
  toObject(): Record<string, V> {
    const out: Record<string, V> = Object.create(null);
    for (const [k, list] of this.map) out[k] = list[0] as V;
    return out;
  }

  toJSON(): Record<string, V> {
    return this.toObject();
  }
}
