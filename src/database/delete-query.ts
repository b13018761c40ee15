import { BuiltQuery } from './built-query.js';
import { assertReturning } from './insert-query.js';
import type { ExecuteResult, Queryable, Row } from './queryable.js';
import type { SqlWriter } from './sql-writer.js';

/**
 * `DELETE FROM table WHERE …`. Without a condition it refuses to run unless you call `allRows()`.
 *
 * @example
 * const { rowCount } = await qb.delete('sessions').where('expires_at < %s', new Date()).execute();
 */
export class DeleteQuery extends BuiltQuery {
  #returning: string[] = [];
  #all = false;

  constructor(db: Queryable, table: string) {
    super(db, table);
  }

  /** Confirms a delete without `where()`. */
  allRows(): this {
    this.#all = true;
    return this;
  }

  /** `RETURNING columns` (PostgreSQL, SQLite). */
  returning(...columns: string[]): this {
    assertReturning(this.db, 'DELETE');
    this.#returning = columns.length === 0 ? ['*'] : columns;
    return this;
  }

  protected build(w: SqlWriter): void {
    if (this.conditions.empty && !this.#all)
      throw new TypeError('delete() without where() would remove every row; call allRows() if you mean it');
    w.write('DELETE FROM ').id(this.table);
    this.conditions.write(w);
    if (this.#returning.length > 0) {
      w.write(' RETURNING ');
      w.list(this.#returning, (c) => w.id(c));
    }
  }

  /** Runs it: `{ rowCount, lastInsertId, rows }`. */
  async execute<T = Row>(): Promise<ExecuteResult<T>> {
    const res = await this.run();
    return { rowCount: res.rowCount, lastInsertId: res.lastInsertId, rows: res.rows as T[] };
  }
}
