import { BuiltQuery } from './built-query.js';
import { assertReturning } from './insert-query.js';
import type { ExecuteResult, Queryable, Row } from './queryable.js';
import type { SqlWriter } from './sql-writer.js';

/**
 * `UPDATE table SET … WHERE …`. Without a condition it refuses to run unless you call
 * `allRows()`: updating every row is rarely what a missing `where` meant.
 *
 * @example
 * await qb.update('users').set({ name: 'Anna', visits: sql`visits + 1` }).where({ id: 1 }).execute();
 */
export class UpdateQuery extends BuiltQuery {
  #values: Readonly<Record<string, unknown>> = {};
  #returning: string[] = [];
  #all = false;

  constructor(db: Queryable, table: string) {
    super(db, table);
  }

  /** The new values: column → value (a `sql` query object is written as an expression). */
  set(values: Readonly<Record<string, unknown>>): this {
    this.#values = { ...this.#values, ...values };
    return this;
  }

  /** Confirms an update without `where()`. */
  allRows(): this {
    this.#all = true;
    return this;
  }

  /** `RETURNING columns` (PostgreSQL, SQLite). */
  returning(...columns: string[]): this {
    assertReturning(this.db, 'UPDATE');
    this.#returning = columns.length === 0 ? ['*'] : columns;
    return this;
  }

  protected build(w: SqlWriter): void {
    const columns = Object.keys(this.#values);
    if (columns.length === 0) throw new TypeError('update() needs set({...}) with at least one column');
    if (this.conditions.empty && !this.#all)
      throw new TypeError('update() without where() would change every row; call allRows() if you mean it');
    w.write('UPDATE ').id(this.table).write(' SET ');
    w.list(columns, (c) => {
      w.id(c).write(' = ');
      w.value(this.#values[c]);
    });
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
