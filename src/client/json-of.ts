/**
 * The type a value has after `JSON.stringify` and `JSON.parse`: `Date` (and anything with
 * `toJSON`) becomes what `toJSON` returns, functions and `undefined` properties vanish from
 * objects and become `null` in arrays, `bigint` has no JSON form (`never`). Object and array
 * members are mapped lazily, so only the parts a caller reads are computed.
 *
 * @example
 * type T = JsonOf<{ at: Date; n?: number; u: string | undefined; f: () => void }>; // { at: string; n?: number; u?: string }
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
          ? JsonObject<T>
          : unknown;

/** What `JSON.stringify` drops from objects. */
type Dropped = undefined | symbol | ((...args: never[]) => unknown);

/** Keys whose value is never written (functions, symbols, `undefined` only; symbol keys). */
type Kept<T, K extends keyof T> = K extends symbol ? never : [Exclude<T[K], Dropped>] extends [never] ? never : K;

/** Whether a member's key may be missing from the JSON: its value may be `undefined` or dropped. */
type MayBeAbsent<V> = undefined extends V ? true : [Extract<V, Dropped>] extends [never] ? false : true;

/**
 * An object's JSON form: dropped members gone, and a member that may be `undefined` (or a
 * function) optional — its key is absent when it is. One flat object type.
 */
type JsonObject<T> = Flatten<
  { -readonly [K in keyof T as MayBeAbsent<T[K]> extends true ? never : Kept<T, K>]: JsonOf<T[K]> } & {
    -readonly [K in keyof T as MayBeAbsent<T[K]> extends true ? Kept<T, K> : never]?: JsonOf<Exclude<T[K], Dropped>>;
  }
>;

type Flatten<T> = { [K in keyof T]: T[K] };

/** An array item's JSON form: what objects drop (`undefined`, functions, symbols) is `null`. */
type JsonItem<T> = T extends undefined | symbol | ((...args: never[]) => unknown) ? null : JsonOf<T>;
