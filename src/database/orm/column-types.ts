import { ColumnType, type ForeignKeyTarget, type ModelRef } from './column-type.js';

/**
 * `INTEGER` (`INT` on MySQL): 32-bit, −2147483648 … 2147483647 on every database (values outside
 * are a `TypeError` before they are sent); an integer primary key auto-increments.
 *
 * @example
 * id: Column(Integer, { primaryKey: true })
 */
export const Integer: ColumnType<number> = new ColumnType<number>('integer');

/** `BIGINT` (values as numbers: exact up to 2^53; −2^63 … 2^63−1). */
export const BigInteger: ColumnType<number> = new ColumnType<number>('bigint');

/** `DOUBLE PRECISION` / `REAL` / `DOUBLE`. */
export const Float: ColumnType<number> = new ColumnType<number>('float');

/** `NUMERIC` / `DECIMAL`, as a string (exact). */
export const Numeric: ColumnType<string> = new ColumnType<string>('decimal');

/** `TEXT` (`LONGTEXT` on MySQL, whose `TEXT` stops at 64 KB). */
export const Text: ColumnType<string> = new ColumnType<string>('text');

/** `BOOLEAN` (0/1 on SQLite and MySQL, read back as `true`/`false`). */
// biome-ignore lint/suspicious/noShadowRestrictedNames: the column type's name in API.md (SQLAlchemy's Boolean)
export const Boolean: ColumnType<boolean> = new ColumnType<boolean>('boolean');

/** A timestamp, as a `Date` (`TIMESTAMPTZ` on PostgreSQL, `DATETIME(3)` UTC on MySQL, ISO text on SQLite). */
export const DateTime: ColumnType<Date> = new ColumnType<Date>('datetime');

/** JSON (`JSONB` on PostgreSQL): any JSON value, parsed on read. */
export const Json: ColumnType<unknown> = new ColumnType<unknown>('json');

/** A UUID as a string (`UUID` on PostgreSQL, `CHAR(36)` elsewhere). */
export const Uuid: ColumnType<string> = new ColumnType<string>('uuid');

/** Bytes (`BYTEA` / `BLOB`). */
export const Binary: ColumnType<Uint8Array> = new ColumnType<Uint8Array>('binary');

/**
 * `VARCHAR(length)`; `Column(String)` without a length is `VARCHAR` (255 on MySQL).
 *
 * @example
 * name: Column(String(100), { nullable: false })
 */
// biome-ignore lint/suspicious/noShadowRestrictedNames: the column type's name in API.md (SQLAlchemy's String)
export function String(length?: number): ColumnType<string> {
  if (length !== undefined && (!Number.isInteger(length) || length < 1)) throw new RangeError('String(length) takes a positive integer');
  return new ColumnType<string>('string', length);
}

/** Options of `ForeignKey`. */
export interface ForeignKeyOptions {
  /** What happens to this row when the referenced one is deleted. */
  readonly onDelete?: ForeignKeyTarget['onDelete'];
  readonly onUpdate?: ForeignKeyTarget['onUpdate'];
  /** The column type (default `Integer`, matching integer primary keys). */
  readonly type?: ColumnType<unknown>;
}

/**
 * A column that references another table: `'users.id'`, `'users'`, a model, or `() => Model`
 * for one defined later.
 *
 * @example
 * authorId: Column(ForeignKey(() => User, { onDelete: 'cascade' }), { nullable: false })
 */
export function ForeignKey<T = number>(target: string | ModelRef, options: ForeignKeyOptions = {}): ColumnType<T> {
  const type = options.type ?? Integer;
  return new ColumnType<T>(type.kind, type.length, { target, onDelete: options.onDelete, onUpdate: options.onUpdate });
}
