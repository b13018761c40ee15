import { BuiltQuery } from './built-query.js';
import type { ExecuteResult, Queryable, Row } from './queryable.js';
import type { SqlWriter } from './sql-writer.js';

/** Refuses RETURNING where the dialect has none, with what to do instead. */
export function assertReturning(db: Queryable, what: string): void {
  if (!db.dialect.supportsReturning) {
    throw new TypeError(`${db.dialect.title} has no ${what} … RETURNING; use execute().lastInsertId, or select the rows afterwards`);
  }
}

/**
 * `INSERT INTO table (…) VALUES (…)`, one row or many (all with the same columns), optionally
 * `RETURNING` columns.
 *
 * @example
 * const { rows } = await qb.insert('users').values([{ name: 'A' }, { name: 'B' }]).returning('id').execute();
 */
export class InsertQuery extends BuiltQuery {
  #rows: Readonly<Record<string, unknown>>[] = [];
  #returning: string[] = [];

  constructor(db: Queryable, table: string) {
    super(db, table);
  }

  /** The row(s) to insert: objects of column → value. */
  values(rows: Readonly<Record<string, unknown>> | readonly Readonly<Record<string, unknown>>[]): this {
    const list = Array.isArray(rows) ? rows : [rows];
    if (list.length === 0) throw new TypeError('values() needs at least one row');
    this.#rows = [...list];
    return this;
  }

  /** `RETURNING columns` (PostgreSQL, SQLite; `*` for all). */
  returning(...columns: string[]): this {
    assertReturning(this.db, 'INSERT');
    this.#returning = columns.length === 0 ? ['*'] : columns;
    return this;
  }

  protected build(w: SqlWriter): void {
    const first = this.#rows[0];
    if (first === undefined) throw new TypeError('insert() needs values()');
    const columns = Object.keys(first);
    if (columns.length === 0) throw new TypeError('insert().values() needs at least one column');
    for (const row of this.#rows) {
      const keys = Object.keys(row);
      if (keys.length !== columns.length || keys.some((k) => !(k in first)))
        throw new TypeError('Every row of a multi-row insert needs the same columns');
    }
    w.write('INSERT INTO ').id(this.table).write(' (');
    w.list(columns, (c) => w.id(c));
    w.write(') VALUES ');
    w.list(this.#rows, (row) => {
      w.write('(');
      w.list(columns, (c) => w.value(row[c]));
      w.write(')');
    });
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

  /** Runs it and returns the `RETURNING` rows. */
  async fetchAll<T = Row>(): Promise<T[]> {
    return (await this.execute<T>()).rows;
  }
}
