import { DeleteQuery } from './delete-query.js';
import { InsertQuery } from './insert-query.js';
import type { Queryable, Row } from './queryable.js';
import { SelectQuery } from './select-query.js';
import type { SqlQuery } from './sql-query.js';
import { UpdateQuery } from './update-query.js';

/**
 * Builds SELECT/INSERT/UPDATE/DELETE statements for the database's dialect: identifiers
 * quoted, values bound, `ILIKE` working everywhere, `RETURNING` where supported. Raw
 * conditions take `%s`, `?` or `$1` placeholders like `db.fetchAll`.
 *
 * @example
 * const qb = new QueryBuilder(db);
 * const users = await qb.select('users').where('name ILIKE %s', `%${q}%`).orderBy('name').limit(100).fetchAll();
 * const { rows } = await qb.insert('users').values({ name: 'Ann', email: 'ann@example.com' }).returning('id').execute();
 */
export class QueryBuilder {
  readonly db: Queryable;

  constructor(db: Queryable) {
    this.db = db;
  }

  /** `SELECT columns FROM table` (all columns by default); type the rows with `select<User>(…)`. */
  select<T = Row>(table: string, ...columns: (string | SqlQuery<unknown>)[]): SelectQuery<T> {
    return new SelectQuery<T>(this.db, table, columns);
  }

  /** `INSERT INTO table`. */
  insert(table: string): InsertQuery {
    return new InsertQuery(this.db, table);
  }

  /** `UPDATE table SET …`. */
  update(table: string): UpdateQuery {
    return new UpdateQuery(this.db, table);
  }

  /** `DELETE FROM table`. */
  delete(table: string): DeleteQuery {
    return new DeleteQuery(this.db, table);
  }
}
