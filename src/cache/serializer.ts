import { CacheError } from './cache-error.js';

/*
 * The cache's value format: JSON text, so Redis holds something any client can read. A value
 * JSON already represents exactly (strings, finite numbers, booleans, null, arrays and plain
 * objects of those) is stored as plain JSON. Everything else becomes a one-key object whose key
 * starts with `$` (see `serialize`). A plain object that happens to have exactly one key starting
 * with `$` is escaped as `{"$O": {...}}`, so no stored value is ever mistaken for a tag.
 */

/** Thrown while walking a value; collects the path on the way out. */
class Unserializable extends Error {
  readonly path: string[] = [];
}

const DOLLAR = 0x24;
const UNDEFINED_TAG = Object.freeze({ $u: 1 });

function describe(value: unknown): string {
  if (typeof value === 'function') return `a function${value.name ? ` (${value.name})` : ''}`;
  if (typeof value === 'symbol') return 'a symbol';
  if (value instanceof Error) return `an Error (${value.name})`;
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name} (only Buffer and Uint8Array are supported)`;
  if (value instanceof Promise) return 'a Promise (await it first)';
  const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof name === 'string' && name !== '' ? `an instance of ${name} without toJSON()` : 'an object with an unusual prototype';
}

/** Defines `key` as an own data property (`__proto__` included, which plain assignment would not). */
function put(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
  else target[key] = value;
}

function encodeChild(value: unknown, segment: string, stack: Set<object>): unknown {
  try {
    return encode(value, stack);
  } catch (err) {
    if (err instanceof Unserializable) err.path.unshift(segment);
    throw err;
  }
}

function encodeArray(items: readonly unknown[], stack: Set<object>): unknown[] {
  const out = new Array<unknown>(items.length);
  // A plain loop (not map) so holes become undefined, which round-trips as such.
  for (let i = 0; i < items.length; i++) out[i] = encodeChild(items[i], `[${i}]`, stack);
  return out;
}

function encodeObject(value: object, stack: Set<object>): unknown {
  if (Array.isArray(value)) return encodeArray(value, stack);
  if (value instanceof Date) {
    const time = value.getTime();
    return { $D: Number.isNaN(time) ? null : value.toISOString() };
  }
  if (Buffer.isBuffer(value)) return { $B: value.toString('base64') };
  if (value instanceof Uint8Array && value.constructor === Uint8Array) {
    return { $U: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64') };
  }
  if (value instanceof Map) {
    const pairs: unknown[] = [];
    let i = 0;
    for (const [k, v] of value) {
      pairs.push([encodeChild(k, `<Map key ${i}>`, stack), encodeChild(v, `<Map value ${i}>`, stack)]);
      i++;
    }
    return { $M: pairs };
  }
  if (value instanceof Set) return { $S: encodeArray([...value], stack) };
  if (value instanceof RegExp) return { $R: [value.source, value.flags] };
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto === Object.prototype || proto === null) {
    const keys = Object.keys(value);
    const out: Record<string, unknown> = {};
    for (const key of keys) put(out, key, encodeChild((value as Record<string, unknown>)[key], key, stack));
    return keys.length === 1 && (keys[0] as string).charCodeAt(0) === DOLLAR ? { $O: out } : out;
  }
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') return encode(toJSON.call(value, ''), stack);
  throw new Unserializable(describe(value));
}

function encode(value: unknown, stack: Set<object>): unknown {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      if (Number.isFinite(value)) return value === 0 && 1 / value < 0 ? { $N: '-0' } : value;
      return { $N: String(value) };
    case 'bigint':
      return { $n: value.toString() };
    case 'undefined':
      return UNDEFINED_TAG;
    case 'object': {
      if (value === null) return null;
      if (stack.has(value)) throw new Unserializable('a circular reference');
      stack.add(value);
      try {
        return encodeObject(value, stack);
      } finally {
        stack.delete(value);
      }
    }
    default:
      throw new Unserializable(describe(value));
  }
}

function toJsonTree(value: unknown): unknown {
  try {
    return encode(value, new Set());
  } catch (err) {
    if (err instanceof Unserializable) {
      const where =
        err.path.length === 0
          ? 'the value'
          : `value${err.path.map((s) => (s.startsWith('[') || s.startsWith('<') ? s : `.${s}`)).join('')}`;
      throw new CacheError(`Cannot cache ${where}: it is ${err.message}`, { code: 'ERR_CACHE_UNSERIALIZABLE' });
    }
    if (err instanceof RangeError) {
      throw new CacheError('Cannot cache the value: it is nested too deeply', { code: 'ERR_CACHE_UNSERIALIZABLE', cause: err });
    }
    throw err;
  }
}

/**
 * Encodes a value in the cache format (JSON text). Plain JSON data stays plain JSON; the rest
 * uses one-key tag objects:
 *
 * | value | stored as |
 * |---|---|
 * | `undefined` (also in arrays and as an object property) | `{"$u":1}` |
 * | `Date` | `{"$D":"2026-01-01T00:00:00.000Z"}` (`null` for an invalid date) |
 * | `Buffer` / `Uint8Array` | `{"$B":"<base64>"}` / `{"$U":"<base64>"}` |
 * | `Map` / `Set` | `{"$M":[[k,v],…]}` / `{"$S":[v,…]}` |
 * | `bigint` | `{"$n":"123"}` |
 * | `NaN`, `±Infinity`, `-0` | `{"$N":"NaN"}` … |
 * | `RegExp` | `{"$R":["source","flags"]}` |
 * | a plain object with exactly one key starting with `$` | `{"$O":{…}}` |
 *
 * Other objects are stored through their `toJSON()` when they have one; functions, symbols,
 * class instances without `toJSON`, typed arrays other than `Uint8Array`, and circular
 * structures throw `CacheError` `ERR_CACHE_UNSERIALIZABLE` naming where the problem is.
 *
 * @example
 * serialize({ at: new Date(0), tags: new Set(['a']) }) // '{"at":{"$D":"1970-01-01T00:00:00.000Z"},"tags":{"$S":["a"]}}'
 */
export function serialize(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  return JSON.stringify(toJsonTree(value));
}

/**
 * Encodes a cache entry: the value, and when it uses stale-while-revalidate, the time (ms since
 * the epoch) it stops being fresh, as a top-level `{"$W":[freshUntil, value]}`.
 */
export function serializeEntry(value: unknown, freshUntil: number | undefined): string {
  if (freshUntil === undefined) return serialize(value);
  return JSON.stringify({ $W: [freshUntil, toJsonTree(value)] });
}

function tagged(tag: string, body: unknown, whole: Record<string, unknown>): unknown {
  switch (tag) {
    case '$u':
      return undefined;
    case '$D':
      return new Date(typeof body === 'string' ? body : Number.NaN);
    case '$B':
      if (typeof body === 'string') return Buffer.from(body, 'base64');
      break;
    case '$U':
      if (typeof body === 'string') return new Uint8Array(Buffer.from(body, 'base64'));
      break;
    case '$M':
      if (Array.isArray(body))
        return new Map(body.map((pair) => (Array.isArray(pair) ? [revive(pair[0]), revive(pair[1])] : [undefined, undefined])));
      break;
    case '$S':
      if (Array.isArray(body)) return new Set(body.map(revive));
      break;
    case '$n':
      if (typeof body === 'string' && /^-?\d+$/.test(body)) return BigInt(body);
      break;
    case '$N':
      if (body === '-0') return -0;
      if (body === 'NaN' || body === 'Infinity' || body === '-Infinity') return Number(body);
      break;
    case '$R':
      if (Array.isArray(body) && typeof body[0] === 'string' && typeof body[1] === 'string') {
        try {
          return new RegExp(body[0], body[1]);
        } catch {
          break;
        }
      }
      break;
    case '$O':
      if (typeof body === 'object' && body !== null && !Array.isArray(body)) return reviveFields(body as Record<string, unknown>);
      break;
  }
  // Not one of ours (another client wrote it): an ordinary object.
  return reviveFields(whole);
}

function reviveFields(obj: Record<string, unknown>): Record<string, unknown> {
  for (const key of Object.keys(obj)) {
    const before = obj[key];
    const after = revive(before);
    if (after !== before || (after === undefined && before !== undefined)) put(obj, key, after);
  }
  return obj;
}

function revive(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = revive(value[i]);
    return value;
  }
  const obj = value as Record<string, unknown>;
  let only: string | undefined;
  for (const key in obj) {
    if (only !== undefined) return reviveFields(obj);
    only = key;
  }
  if (only !== undefined && only.charCodeAt(0) === DOLLAR) return tagged(only, obj[only], obj);
  return reviveFields(obj);
}

/**
 * Decodes what `serialize` wrote (and plain JSON written by anyone). Throws `SyntaxError` on text
 * that is not JSON.
 *
 * @example
 * deserialize('{"$n":"12345678901234567890"}') // 12345678901234567890n
 */
export function deserialize(text: string): unknown {
  const parsed: unknown = JSON.parse(text);
  // Every tag puts `"$` in the text, so text without it is plain JSON as parsed.
  return text.includes('"$') ? revive(parsed) : parsed;
}

/** A decoded entry: the value and, for stale-while-revalidate entries, when it stops being fresh. */
export interface DecodedEntry {
  readonly value: unknown;
  readonly freshUntil: number | undefined;
}

/** Decodes what `serializeEntry` wrote. */
export function deserializeEntry(text: string): DecodedEntry {
  const parsed: unknown = JSON.parse(text);
  if (!text.includes('"$')) return { value: parsed, freshUntil: undefined };
  if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
    const w = (parsed as { $W?: unknown }).$W;
    if (Array.isArray(w) && w.length === 2 && typeof w[0] === 'number' && Object.keys(parsed).length === 1) {
      return { value: revive(w[1]), freshUntil: w[0] };
    }
  }
  return { value: revive(parsed), freshUntil: undefined };
}
