// Keyword arguments reach a JavaScript function as one trailing object. The objects the
// compiler builds for them are remembered here, so a built-in that takes any number of
// positional arguments (`format`, `str.format`) can tell `f(a=1)` from `f(some_dict)`.

const KWARGS = new WeakSet<object>();

/**
 * Marks `o` as the keyword arguments of a call and returns it.
 *
 * @example
 * isKwargs(kwargs({ a: 1 })) // true
 */
export function kwargs<T extends object>(o: T): T {
  KWARGS.add(o);
  return o;
}

/** Whether `value` holds the keyword arguments of a call (not a dict passed by position). */
export function isKwargs(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && KWARGS.has(value);
}
