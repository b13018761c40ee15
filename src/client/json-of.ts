/**
 * The type a value has after `JSON.stringify` and `JSON.parse`: `Date` (and anything with
 * `toJSON`) becomes what `toJSON` returns, functions and `undefined` properties vanish from
 * objects and become `null` in arrays, `bigint` has no JSON form (`never`). Object and array
 * members are mapped lazily, so only the parts a caller reads are computed.
 *
 * @example
 * type T = JsonOf<{ at: Date; n?: number; f: () => void }>; // { at: string; n?: number; f: never }
 */
export type JsonOf<T> = T extends string | number | boolean | null
  ? T
  : T extends { toJSON(): infer J }
    ? JsonOf<J>
    : T extends undefined | symbol | bigint | ((...args: never[]) => unknown)
      ? never
      : T extends readonly unknown[]
        ? { -readonly [K in keyof T]: JsonItem<T[K]> }
        : T extends object
          ? { -readonly [K in keyof T]: JsonOf<T[K]> }
          : unknown;

/** An array item's JSON form: what objects drop (`undefined`, functions, symbols) is `null`. */
type JsonItem<T> = T extends undefined | symbol | ((...args: never[]) => unknown) ? null : JsonOf<T>;
