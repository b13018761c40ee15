import type { ColumnKind, Dialect } from '../drivers/dialect.js';

/** `toISOString()`'s form: the text SQLite holds for a timestamp the ORM wrote. */
export const CANONICAL_ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** `date.toJSON()`: ISO-8601 text, `null` for an invalid date. */
export function isoString(date: Date): string | null {
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

/**
 * Whether a driver hands back JSON columns parsed (and timestamps as `Date`s): PostgreSQL and
 * MySQL do; SQLite gives the JSON text the ORM wrote.
 */
export function decodesJson(dialect: { readonly name: string }): boolean {
  return dialect.name !== 'sqlite';
}

/** PostgreSQL's boolean literals: what a query string or a form may say for a boolean column. */
const BOOLEAN_TEXT: Readonly<Record<string, boolean>> = {
  true: true,
  t: true,
  yes: true,
  y: true,
  on: true,
  '1': true,
  false: false,
  f: false,
  no: false,
  n: false,
  off: false,
  '0': false,
};

/** SQLite's `CURRENT_TIMESTAMP` form, "YYYY-MM-DD HH:MM:SS" in UTC without the zone. */
const SQLITE_TIMESTAMP = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d+)?$/;

/**
 * ISO-8601 date and time without a zone ("2020-01-02T03:04:05", "2020-01-02 03:04"): UTC, as
 * every timestamp the ORM writes and reads — not the process's zone (what `new Date()` would
 * take) nor the PostgreSQL session's.
 */
const ZONELESS_TIMESTAMP = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/;

/** A UUID in its text form (any case; stored lower case, as PostgreSQL's `uuid` gives it back). */
const UUID_TEXT = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Decimal text a `NUMERIC`/`DECIMAL` column takes on every database. */
const DECIMAL_TEXT = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/**
 * The range of each integer kind, as Django's `integer_field_range`: `INTEGER`/`INT` is 32-bit
 * on PostgreSQL and MySQL (SQLite's would take 64 bits; the model means the same on every
 * database), `BIGINT` 64-bit.
 */
const INTEGER_RANGES = {
  integer: [-2147483648n, 2147483647n],
  bigint: [-9223372036854775808n, 9223372036854775807n],
} as const;

/**
 * An integer outside its column type's range (a `TypeError`, as other values a column cannot
 * hold): writes are refused, while a filter on such a value matches no row, as no row holds it.
 */
export class IntegerRangeError extends TypeError {}

/**
 * The same bounds for numbers, compared without mixing in a bigint (the hot path of `Model.get`):
 * `n < 2 ** 63` as no double lies between 2^63 − 1024 and 2^63.
 */
function numberInRange(kind: 'integer' | 'bigint', n: number): boolean {
  return kind === 'integer' ? n >= -2147483648 && n <= 2147483647 : n >= -(2 ** 63) && n < 2 ** 63;
}

/**
 * `n` when it fits the column; otherwise a `TypeError` before the value reaches the database,
 * where MySQL (outside strict mode) would store the nearest bound and PostgreSQL would fail
 * with a driver error.
 */
function checkIntegerRange<V extends number | bigint>(kind: 'integer' | 'bigint', n: V, given: unknown): V {
  const [min, max] = INTEGER_RANGES[kind];
  if (typeof n === 'number' ? numberInRange(kind, n) : n >= min && n <= max) return n;
  throw new IntegerRangeError(
    `Expected an integer from ${min} to ${max} for this ${kind} column, got ${typeof given === 'bigint' ? `${given}n` : typeof given === 'string' ? JSON.stringify(given) : String(given)}${kind === 'integer' ? ' (use BigInteger for larger values)' : ''}`,
  );
}

/** A value for a boolean column; `'false'` or `0` must not become `true` by truthiness. */
function toBoolean(value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  if (value === 0 || value === 1 || value === 0n || value === 1n) return value === 1 || value === 1n;
  const parsed = typeof value === 'string' ? BOOLEAN_TEXT[value.trim().toLowerCase()] : undefined;
  if (parsed === undefined) throw new TypeError(`Expected a boolean for this boolean column, got ${JSON.stringify(value)}`);
  return parsed;
}

/**
 * A timestamp value as a `Date`. Text in SQLite's `CURRENT_TIMESTAMP` form is UTC (as it is read
 * back); other text and numbers go through `new Date()`. SQLite would keep any text (and give
 * back an invalid `Date`), MySQL refuses ISO text with its `T` and `Z`: both get a real date.
 */
function toDate(value: unknown, kind: string): Date {
  const date =
    value instanceof Date
      ? value
      : typeof value === 'string'
        ? new Date(ZONELESS_TIMESTAMP.test(value.trim()) ? `${value.trim().replace(' ', 'T')}Z` : value)
        : typeof value === 'number'
          ? new Date(value)
          : null;
  if (date === null || Number.isNaN(date.getTime()))
    throw new TypeError(
      `Expected a date for this ${kind} column, got ${value instanceof Date ? 'an invalid Date' : JSON.stringify(value)}`,
    );
  return date;
}

/** A model reference: the class itself or a thunk returning it (for models defined later). */
export type ModelRef = { readonly tableName: string } | (() => { readonly tableName: string });

/** What a foreign key points at. */
export interface ForeignKeyTarget {
  /** `'users.id'`, `'users'` (its primary key) or a model (thunk). */
  readonly target: string | ModelRef;
  readonly onDelete?: 'cascade' | 'set null' | 'restrict' | 'no action' | undefined;
  readonly onUpdate?: 'cascade' | 'set null' | 'restrict' | 'no action' | undefined;
}

/**
 * A column type: its portable kind (mapped to each dialect's SQL type) and how values go to and
 * come back from the database. `T` is the TypeScript type of the values.
 *
 * @example
 * const Money = new ColumnType<string>('decimal'); // a custom type: Column(Money)
 */
export class ColumnType<T> {
  readonly kind: ColumnKind;
  readonly length: number | undefined;
  /** Set by `ForeignKey(…)`. */
  readonly references: ForeignKeyTarget | undefined;
  /** The type of the values, for inference only. */
  declare readonly __value: T;

  constructor(kind: ColumnKind, length?: number, references?: ForeignKeyTarget) {
    this.kind = kind;
    this.length = length;
    this.references = references;
  }

  /** The SQL type in a dialect. */
  sqlType(dialect: Dialect): string {
    return dialect.columnType(this.kind, this.length);
  }

  /** A JavaScript value → what the driver binds. */
  toDb(value: unknown, dialect: Dialect): unknown {
    if (value === null || value === undefined) return null;
    switch (this.kind) {
      case 'integer':
      case 'bigint':
      case 'float': {
        // MySQL would cast '1 OR 1=1' to 1: refuse what is not a number instead of letting it match.
        if (typeof value === 'bigint') return this.kind === 'float' ? value : checkIntegerRange(this.kind, value, value);
        const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : Number.NaN;
        // NaN and ±Infinity: SQLite would store NaN as NULL, MySQL refuses both; JSON has neither.
        if (this.kind === 'float' ? Number.isFinite(n) : Number.isInteger(n))
          return this.kind === 'float' ? n : checkIntegerRange(this.kind, n, value);
        // An integer column: MySQL would round 1.5 to 2 and SQLite keep it as a REAL.
        throw new TypeError(
          `Expected ${this.kind === 'float' ? 'a finite number' : 'an integer'} for this ${this.kind} column, got ${typeof value === 'number' && !Number.isFinite(value) ? value : JSON.stringify(value)}`,
        );
      }
      case 'string':
      case 'text': {
        // A number becomes the text PostgreSQL and MySQL would store ('10115'), not SQLite's
        // REAL text ('10115.0'); a String(n) longer than n is refused on every database.
        const text = typeof value === 'number' || typeof value === 'bigint' ? `${value}` : value;
        if (this.kind === 'string' && this.length !== undefined && typeof text === 'string' && text.length > this.length) {
          let chars = 0;
          for (const _ of text) chars++;
          if (chars > this.length)
            throw new TypeError(`Expected at most ${this.length} characters for this String(${this.length}) column, got ${chars}`);
        }
        return text;
      }
      case 'json':
        return JSON.stringify(value);
      case 'uuid':
        // PostgreSQL's uuid refuses other text and compares regardless of case; CHAR(36) would
        // keep anything and (SQLite) match only the same case.
        if (typeof value !== 'string' || !UUID_TEXT.test(value))
          throw new TypeError(`Expected a UUID for this uuid column, got ${JSON.stringify(value)}`);
        return value.toLowerCase();
      case 'decimal':
        // SQLite's NUMERIC affinity would keep 'abc' as text; PostgreSQL and MySQL refuse it.
        if (
          typeof value === 'number'
            ? Number.isFinite(value)
            : typeof value === 'bigint' || (typeof value === 'string' && DECIMAL_TEXT.test(value.trim()))
        )
          return typeof value === 'string' ? value.trim() : value;
        throw new TypeError(`Expected a decimal number for this decimal column, got ${JSON.stringify(value)}`);
      case 'boolean': {
        const b = toBoolean(value);
        return dialect.name === 'postgresql' ? b : b ? 1 : 0;
      }
      case 'datetime':
        // PostgreSQL parses text JavaScript cannot ('infinity', 'epoch') itself, and refuses what
        // is no date; the rest goes as the same instant everywhere (epoch milliseconds, UTC for
        // text without a zone, an invalid Date refused before it reaches the server).
        if (dialect.name === 'postgresql' && typeof value === 'string' && Number.isNaN(new Date(value).getTime())) return value;
        if (dialect.name === 'postgresql') return toDate(value, this.kind);
        return dialect.name === 'sqlite' ? toDate(value, this.kind).toISOString() : toDate(value, this.kind);
      case 'date':
        return value instanceof Date && dialect.name === 'sqlite' ? value.toISOString() : value;
      default:
        return value;
    }
  }

  /**
   * What the driver returned → the JavaScript value. `dialect`, when given, says where it came
   * from: PostgreSQL and MySQL return JSON parsed, so a string there is a JSON string (`"123"`
   * stays `'123'`), while SQLite returns JSON text, parsed here.
   */
  fromDb(value: unknown, dialect?: Dialect): T {
    if (value === null || value === undefined) return null as T;
    switch (this.kind) {
      case 'integer':
      case 'bigint':
      case 'float':
        return (typeof value === 'number' ? value : Number(value)) as T;
      case 'boolean':
        return (
          typeof value === 'boolean' ? value : value === 1 || value === '1' || value === 't' || value === 'true' || value === 1n
        ) as T;
      case 'datetime':
      case 'date':
        if (value instanceof Date) return value as T;
        if (typeof value === 'string') {
          if (value.length === 24 && CANONICAL_ISO.test(value)) return new Date(value) as T;
          // SQLite's CURRENT_TIMESTAMP is "YYYY-MM-DD HH:MM:SS" in UTC, without the zone.
          return new Date(SQLITE_TIMESTAMP.test(value) ? `${value.replace(' ', 'T')}Z` : value) as T;
        }
        return new Date(value as number) as T;
      case 'json':
        if (typeof value === 'string' && (dialect === undefined || !decodesJson(dialect))) {
          try {
            return JSON.parse(value) as T;
          } catch {
            return value as T;
          }
        }
        return value as T;
      case 'string':
      case 'text':
      case 'uuid':
      case 'decimal':
        return (typeof value === 'string' ? value : String(value)) as T;
      default:
        return value as T;
    }
  }
}
