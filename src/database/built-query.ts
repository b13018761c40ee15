import { UnknownColumnError } from './errors.js';
import type { DriverResult } from './drivers/driver.js';
import { kExecute, type Queryable } from './queryable.js';
import type { SqlQuery } from './sql-query.js';
import { SqlWriter } from './sql-writer.js';
import { type WhereObject, WhereClause } from './where-clause.js';

/** A statement as built: SQL text in the dialect's form and its bound values. */
export interface BuiltSql {
  readonly sql: string;
  readonly params: readonly unknown[];
}

/** What the statements of `QueryBuilder` share: a table, conditions, and how they run. */
export abstract class BuiltQuery {
  readonly db: Queryable;
  readonly table: string;
  protected readonly conditions = new WhereClause();

  constructor(db: Queryable, table: string) {
    this.db = db;
    this.table = table;
  }

  /** Adds a condition (AND): raw SQL with parameters, a `sql` query, or `{ column: value }`. */
  where(condition: string | SqlQuery<unknown>, ...params: unknown[]): this;
  where(values: WhereObject): this;
  where(...args: unknown[]): this {
    this.conditions.add('AND', args);
    return this;
  }

  /** Adds a condition joined with OR. */
  orWhere(condition: string | SqlQuery<unknown>, ...params: unknown[]): this;
  orWhere(values: WhereObject): this;
  orWhere(...args: unknown[]): this {
    this.conditions.add('OR', args);
    return this;
  }

  /** `column IN (values)` (an empty list matches nothing). */
  whereIn(column: string, values: readonly unknown[]): this {
    this.conditions.add('AND', [{ [column]: values }]);
    return this;
  }

  protected abstract build(w: SqlWriter): void;

  /** The SQL and values this query would run. */
  toSQL(): BuiltSql {
    const w = new SqlWriter(this.db.dialect);
    this.build(w);
    return { sql: w.text, params: w.params };
  }

  /** Runs the query (or another statement built for it, such as its COUNT). */
  protected async run(built: BuiltSql = this.toSQL()): Promise<DriverResult> {
    const { sql, params } = built;
    try {
      return await this.db[kExecute](sql, params);
    } catch (err) {
      if (err instanceof UnknownColumnError && err.table === undefined) {
        // Name the table and its real columns: worth one extra query on this error path only.
        const known = await this.db.dialect.columnsOf(this.db, this.table).then(
          (cols) => cols?.map((c) => c.name) ?? null,
          () => null,
        );
        throw new UnknownColumnError(err.column, {
          table: this.table,
          ...(known === null ? {} : { known }),
          cause: err.cause,
          ...(err.sql === undefined ? {} : { sql: err.sql }),
        });
      }
      throw err;
    }
  }
}
