import type { Dialect } from './drivers/dialect.js';
import type { DriverResult } from './drivers/driver.js';
import { PreparedStatement } from './query-optimizer.js';
import { createSqlTag, SqlQuery, type SqlTag } from './sql-query.js';
import { bindParams, compileCached } from './sql-tokenizer.js';

/** A row as the driver returns it. */
export type Row = Record<string, unknown>;

/** What `execute` resolves to. */
export interface ExecuteResult<T = Row> {
  /** Rows changed (INSERT/UPDATE/DELETE) or returned. */
  readonly rowCount: number;
  /**
   * The id of the row this statement inserted: SQLite's rowid, MySQL's `AUTO_INCREMENT` id, and
   * for `INSERT … RETURNING` (on every backend; PostgreSQL's only way) the first value returned.
   * `null` when the statement inserted nothing (UPDATE, DELETE, SELECT, DDL, an INSERT that
   * inserted no row) or the driver gives no id (PostgreSQL without `RETURNING`, a SQLite upsert
   * without `RETURNING`). A multi-row INSERT reports one row: SQLite the last, MySQL and
   * `RETURNING` the first.
   */
  readonly lastInsertId: number | bigint | string | null;
  /** Rows from `RETURNING` (or a query). */
  readonly rows: T[];
}

/** A statement: SQL text with `%s`/`?`/`$1` placeholders, a `sql` query object, or a prepared statement. */
export type Statement = string | SqlQuery<unknown> | PreparedStatement;

/** Runs dialect-ready SQL (already rewritten; parameters in order). Internal to the database layer. */
export const kExecute = Symbol('covet.database.execute');

/** The values of the first row of dialect-ready SQL, synchronously, or `NOT_SYNC`. Internal to the database layer. */
export const kQueryRowSync = Symbol('covet.database.queryRowSync');
/** Every row of dialect-ready SQL as arrays of values, synchronously, or `NOT_SYNC`. Internal to the database layer. */
export const kQueryValuesSync = Symbol('covet.database.queryValuesSync');
/** The result of dialect-ready SQL, synchronously, or `NOT_SYNC`. Internal to the database layer. */
export const kExecuteSync = Symbol('covet.database.executeSync');
/** What `[kQueryRowSync]` returns when the statement cannot run synchronously here: use `[kExecute]`. */
export const NOT_SYNC: unique symbol = Symbol('covet.database.notSync');

/**
 * The query methods shared by `DatabaseManager`, `Transaction`, `Session` and pooled
 * connections: `fetchAll`/`fetch`, `fetchOne`, `fetchVal`, `execute` and the `sql` tag.
 * Parameters are variadic and always bound; `%s`, `?` and `$1` are all accepted.
 *
 * @example
 * async function countUsers(db: Queryable) { return db.fetchVal<number>('SELECT COUNT(*) FROM users') }
 */
export abstract class Queryable {
  /** The SQL dialect statements are written for. */
  abstract get dialect(): Dialect;
  /** Runs a statement already in the dialect's form. */
  abstract [kExecute](text: string, params: readonly unknown[], name?: string): Promise<DriverResult>;

  /**
   * The first row of a query, as its values in SELECT-list order, when the query can run
   * synchronously (SQLite's idle connection): no promise, no array of rows, no row object
   * (`Model.get`'s hot path). `undefined` for no row; `NOT_SYNC` when it cannot run so.
   */
  [kQueryRowSync](_text: string, _params: readonly unknown[]): readonly unknown[] | undefined | typeof NOT_SYNC {
    return NOT_SYNC;
  }

  /** Every row of a query as its values, when it can run synchronously (`ModelQuery.all`); `NOT_SYNC` otherwise. */
  [kQueryValuesSync](_text: string, _params: readonly unknown[]): readonly (readonly unknown[])[] | typeof NOT_SYNC {
    return NOT_SYNC;
  }

  /** The whole result of a statement when it can run synchronously (SQLite's idle connection); `NOT_SYNC` otherwise. */
  [kExecuteSync](_text: string, _params: readonly unknown[]): DriverResult | typeof NOT_SYNC {
    return NOT_SYNC;
  }

  #sql: SqlTag | undefined;

  /** The tagged template bound to this object: `await db.sql\`SELECT … WHERE id = ${id}\``. */
  get sql(): SqlTag {
    return (this.#sql ??= createSqlTag(this));
  }

  /** Dialect-ready SQL and its parameters in order; throws for a malformed statement. */
  #compile(statement: Statement, params: readonly unknown[]): CompiledStatement {
    if (typeof statement === 'string') {
      const compiled = compileCached(statement, this.dialect);
      return { text: compiled.text, params: bindParams(compiled, params), name: undefined };
    }
    if (statement instanceof PreparedStatement) {
      const compiled = compileCached(statement.sql, this.dialect);
      return { text: compiled.text, params: bindParams(compiled, params), name: statement.name };
    }
    if (statement instanceof SqlQuery) {
      if (params.length > 0) throw new TypeError('A sql`…` query carries its own values; pass no extra parameters');
      const { text, params: values } = statement.compile(this.dialect);
      for (let i = 0; i < values.length; i++) {
        if (values[i] === undefined) throw new TypeError(`Value ${i + 1} of the sql\`…\` query is undefined; pass null for SQL NULL`);
      }
      return { text, params: values, name: undefined };
    }
    throw new TypeError('A statement is a SQL string or a sql`…` query');
  }

  /**
   * Runs `statement` and hands its result to `pick`. A statement that can run synchronously
   * (SQLite's idle connection) makes one settled promise instead of a chain of them: each
   * promise and `await` costs every `AsyncLocalStorage` user (tracing, request logging) a hook
   * call on Node 20.
   */
  #query<R>(statement: Statement, params: readonly unknown[], pick: (res: DriverResult) => R): Promise<R> {
    try {
      const { text, params: values, name } = this.#compile(statement, params);
      if (name === undefined) {
        const res = this[kExecuteSync](text, values);
        if (res !== NOT_SYNC) return Promise.resolve(pick(res));
      }
      return this[kExecute](text, values, name).then(pick);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** Every row. */
  fetchAll<T = Row>(statement: Statement, ...params: unknown[]): Promise<T[]> {
    return this.#query(statement, params, (res) => res.rows as T[]);
  }

  /** Every row (the seed's `conn.fetch`). */
  fetch<T = Row>(statement: Statement, ...params: unknown[]): Promise<T[]> {
    return this.fetchAll<T>(statement, ...params);
  }

  /** The first row, or `null`. */
  fetchOne<T = Row>(statement: Statement, ...params: unknown[]): Promise<T | null> {
    return this.#query(statement, params, (res) => (res.rows[0] as T | undefined) ?? null);
  }

  /** The first column of the first row, or `null`: `await db.fetchVal('INSERT … RETURNING id', …)`. */
  fetchVal<T = unknown>(statement: Statement, ...params: unknown[]): Promise<T | null> {
    return this.#query(statement, params, firstValue as (res: DriverResult) => T | null);
  }

  /** Runs a statement: `{ rowCount, lastInsertId, rows }` (`rows` from `RETURNING`). */
  execute<T = Row>(statement: Statement, ...params: unknown[]): Promise<ExecuteResult<T>> {
    return this.#query(statement, params, (res) => ({ rowCount: res.rowCount, lastInsertId: res.lastInsertId, rows: res.rows as T[] }));
  }
}

/** A statement ready for the driver. */
interface CompiledStatement {
  readonly text: string;
  readonly params: readonly unknown[];
  readonly name: string | undefined;
}

/** The first column of the first row, or `null`. */
function firstValue(res: DriverResult): unknown {
  const row = res.rows[0];
  if (row === undefined) return null;
  for (const key in row) return row[key];
  return null;
}
