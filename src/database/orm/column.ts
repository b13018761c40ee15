import type { ColumnType } from './column-type.js';
import type { SqlDefault } from './func.js';

/** Options of `Column`. */
export interface ColumnOptions {
  readonly primaryKey?: boolean;
  /** Default `true` (as in SQLAlchemy), except for primary keys. */
  readonly nullable?: boolean;
  readonly unique?: boolean;
  /** Create an index on the column. */
  readonly index?: boolean;
  /** A value, a function computed at insert time, or a database default such as `func.now()`. */
  readonly default?: unknown;
  /** The column's name in the database; default: the property's name. */
  readonly name?: string;
  /** Auto-increment an integer primary key. Default `true` for integer primary keys. */
  readonly autoIncrement?: boolean;
}

/**
 * A model column: its type and options, kept with their literal types so rows are typed from
 * the columns (`nullable: false` → `string`, otherwise `string | null`).
 */
export class ColumnDef<T, O extends ColumnOptions = ColumnOptions> {
  readonly type: ColumnType<T>;
  readonly options: O;

  constructor(type: ColumnType<T>, options: O) {
    this.type = type;
    this.options = options;
  }

  get primaryKey(): boolean {
    return this.options.primaryKey === true;
  }

  get nullable(): boolean {
    return this.options.nullable ?? !this.primaryKey;
  }

  /** The database computes the value when the insert leaves it out. */
  get generated(): boolean {
    return this.autoIncrement || isSqlDefault(this.options.default);
  }

  get autoIncrement(): boolean {
    return (
      this.primaryKey &&
      (this.type.kind === 'integer' || this.type.kind === 'bigint') &&
      this.options.autoIncrement !== false &&
      this.type.references === undefined
    );
  }
}

function isSqlDefault(v: unknown): v is SqlDefault {
  return typeof v === 'object' && v !== null && typeof (v as { toSQL?: unknown }).toSQL === 'function';
}

/**
 * Declares a column of a model.
 *
 * @example
 * class User extends Model {
 *   static tableName = 'users';
 *   static columns = { id: Column(Integer, { primaryKey: true }), name: Column(String(100), { nullable: false }) };
 * }
 */
export function Column<T, const O extends ColumnOptions = {}>(type: ColumnType<T> | (() => ColumnType<T>), options?: O): ColumnDef<T, O> {
  const t = typeof type === 'function' ? type() : type;
  if (t === null || typeof t !== 'object' || typeof (t as { sqlType?: unknown }).sqlType !== 'function') {
    throw new TypeError('Column() takes a column type: Integer, String(100), Text, Boolean, Float, DateTime, Json, ForeignKey(…)');
  }
  return new ColumnDef(t, (options ?? {}) as O);
}
