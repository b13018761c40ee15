// Python tuples, for printing: JavaScript has only arrays, so the arrays that are tuples in
// Jinja — `(a, b)` literals, `dict.items()` pairs, `dictsort` and `groupby` results — carry a
// mark, and print as `('a', 1)` where a list prints as `['a', 1]`. `%` formatting spreads a
// tuple into its arguments and takes a list as one argument, as Python does.

const TUPLE: unique symbol = Symbol('tuple');

type Marked = { [TUPLE]?: true };

/**
 * Marks an array as a tuple and returns it. A symbol property costs far less than a `WeakSet`
 * entry, which matters for `d.items()` over a large dict; copies of the array are lists again.
 *
 * @example
 * pyRepr(tuple(['a', 1])) // "('a', 1)"
 */
export function tuple<T extends unknown[]>(items: T): T {
  (items as Marked)[TUPLE] = true;
  return items;
}

/** Whether `value` is an array marked as a tuple. */
export function isTuple(value: unknown): value is unknown[] {
  return Array.isArray(value) && (value as Marked)[TUPLE] === true;
}

/** A dict's (or a Map's) entries as tuples, in insertion order. */
export function tupleEntries(value: object): Array<[unknown, unknown]> {
  if (value instanceof Map) {
    const out: Array<[unknown, unknown]> = [];
    for (const [k, v] of value) out.push(tuple([k, v]));
    return out;
  }
  // A loop, not Object.entries(): building the pairs here is several times faster.
  const keys = Object.keys(value);
  const out = new Array<[unknown, unknown]>(keys.length);
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i] as string;
    out[i] = tuple([k, (value as Record<string, unknown>)[k]]);
  }
  return out;
}
