import { BuiltQuery } from './built-query.js';
import type { Queryable } from './queryable.js';
import type { SqlQuery } from './sql-query.js';
import { assertIdentifier, SqlWriter } from './sql-writer.js';
import { WhereClause } from './where-clause.js';

type Direction = 'asc' | 'desc' | 'ASC' | 'DESC';

/** Options of `orderBy`. */
export interface OrderByOptions {
  /**
   * Where NULLs go: by default PostgreSQL sorts them as larger than any value (last when
   * ascending, first when descending), SQLite and MySQL as smaller (first when ascending).
   * `NULLS FIRST`/`NULLS LAST` on PostgreSQL and SQLite; `column IS NULL` first on MySQL.
   */
  readonly nulls?: 'first' | 'last';
}

/** Refuses a `nulls` option that is neither `'first'` nor `'last'` (it is written into the SQL). */
export function checkNulls(options: OrderByOptions): 'first' | 'last' | undefined {
  const nulls = options.nulls;
  if (nulls !== undefined && nulls !== 'first' && nulls !== 'last')
    throw new TypeError(`orderBy() nulls must be "first" or "last", got ${JSON.stringify(nulls)}`);
  return nulls;
}

function nonNegativeInt(name: string, n: number): number {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`${name}() takes a non-negative integer, got ${String(n)}`);
  return n;
}

/**
 * `SELECT … FROM table` with joins, conditions, grouping, ordering and paging. Await it (or
 * call `fetchAll()`) for the rows.
 *
 * @example
 * const rows = await new QueryBuilder(db).select('users', 'id', 'name').where({ active: true }).orderBy('name', 'desc').limit(10).offset(20);
 */
export class SelectQuery<T> extends BuiltQuery implements PromiseLike<T[]> {
  readonly #columns: (string | SqlQuery<unknown>)[];
  readonly #joins: { kind: string; table: string; on: string | SqlQuery<unknown>; params: readonly unknown[] }[] = [];
  readonly #order: { column: string; dir: 'ASC' | 'DESC'; nulls: 'first' | 'last' | undefined }[] = [];
  readonly #groupBy: string[] = [];
  readonly #having = new WhereClause();
  #limit: number | null = null;
  #offset: number | null = null;
  #distinct = false;

  constructor(db: Queryable, table: string, columns: readonly (string | SqlQuery<unknown>)[] = []) {
    super(db, table);
    this.#columns = [...columns];
  }

  /** Adds columns (names, `table.column`, `name AS alias`, or `sql` expressions). */
  columns(...columns: (string | SqlQuery<unknown>)[]): this {
    for (const c of columns) if (typeof c === 'string') assertIdentifier(c);
    this.#columns.push(...columns);
    return this;
  }

  /** `SELECT DISTINCT`. */
  distinct(): this {
    this.#distinct = true;
    return this;
  }

  /** `JOIN table ON …` (the condition may take parameters). */
  join(table: string, on: string | SqlQuery<unknown>, ...params: unknown[]): this {
    this.#joins.push({ kind: 'JOIN', table, on, params });
    return this;
  }

  /** `LEFT JOIN table ON …`. */
  leftJoin(table: string, on: string | SqlQuery<unknown>, ...params: unknown[]): this {
    this.#joins.push({ kind: 'LEFT JOIN', table, on, params });
    return this;
  }

  /**
   * `ORDER BY column [ASC|DESC]`; `'-name'` is `name DESC`. `{ nulls: 'first' | 'last' }` puts
   * NULLs where you say on every database (by default they go where the database puts them).
   */
  orderBy(column: string, options: OrderByOptions): this;
  orderBy(column: string, direction?: Direction, options?: OrderByOptions): this;
  orderBy(column: string, direction: Direction | OrderByOptions = 'asc', options: OrderByOptions = {}): this {
    if (typeof direction === 'object' && direction !== null) [direction, options] = ['asc', direction];
    const dir = typeof direction === 'string' ? direction.toUpperCase() : direction;
    if (dir !== 'ASC' && dir !== 'DESC')
      throw new TypeError(`orderBy() direction must be "asc" or "desc", got ${JSON.stringify(direction)}`);
    const nulls = checkNulls(options);
    const name = column.startsWith('-') ? column.slice(1) : column;
    assertIdentifier(name);
    this.#order.push({ column: name, dir: column.startsWith('-') ? 'DESC' : dir, nulls });
    return this;
  }

  /** `GROUP BY columns`. */
  groupBy(...columns: string[]): this {
    for (const c of columns) assertIdentifier(c);
    this.#groupBy.push(...columns);
    return this;
  }

  /** `HAVING condition` (with parameters). */
  having(condition: string | SqlQuery<unknown>, ...params: unknown[]): this {
    this.#having.add('AND', [condition, ...params]);
    return this;
  }

  limit(n: number): this {
    this.#limit = nonNegativeInt('limit', n);
    return this;
  }

  offset(n: number): this {
    this.#offset = nonNegativeInt('offset', n);
    return this;
  }

  protected build(w: SqlWriter): void {
    this.#select(w);
    this.#from(w, true, this.#limit);
  }

  #select(w: SqlWriter): void {
    w.write(this.#distinct ? 'SELECT DISTINCT ' : 'SELECT ');
    if (this.#columns.length === 0) w.write('*');
    else w.list(this.#columns, (c) => (typeof c === 'string' ? w.id(c) : w.fragment(c, [])));
  }

  #from(w: SqlWriter, paging: boolean, limit: number | null): void {
    w.write(' FROM ').id(this.table);
    for (const j of this.#joins) {
      w.write(` ${j.kind} `).id(j.table).write(' ON ');
      w.fragment(j.on, j.params);
    }
    this.conditions.write(w);
    if (this.#groupBy.length > 0) {
      w.write(' GROUP BY ');
      w.list(this.#groupBy, (c) => w.id(c));
    }
    this.#having.write(w, 'HAVING');
    if (!paging) return;
    if (this.#order.length > 0) {
      w.write(' ORDER BY ');
      w.list(this.#order, (o) => {
        if (o.nulls === undefined) w.id(o.column).write(` ${o.dir}`);
        else if (w.dialect.name === 'mysql')
          // No NULLS FIRST/LAST: `col IS NULL` is 1 for NULL, so sorting it first places them.
          w.id(o.column)
            .write(` IS NULL ${o.nulls === 'last' ? 'ASC' : 'DESC'}, `)
            .id(o.column)
            .write(` ${o.dir}`);
        else w.id(o.column).write(` ${o.dir} NULLS ${o.nulls === 'last' ? 'LAST' : 'FIRST'}`);
      });
    }
    // Validated integers: written as literals (MySQL rejects bound LIMIT values in some versions).
    w.write(w.dialect.limitOffset(limit, this.#offset));
  }

  /** Every row. */
  async fetchAll(): Promise<T[]> {
    return (await this.run()).rows as T[];
  }

  /** The first row, or `null`. */
  async fetchOne(): Promise<T | null> {
    return ((await this.run()).rows[0] as T | undefined) ?? null;
  }

  /** The first column of the first row, or `null`. */
  async fetchVal<V = unknown>(): Promise<V | null> {
    const row = (await this.run()).rows[0];
    if (row === undefined) return null;
    for (const key in row) return row[key] as V;
    return null;
  }

  /**
   * How many rows the query matches, ignoring order, limit and offset (the total behind a page);
   * with `{ paged: true }`, how many rows it returns with its limit and offset (what the ORM's
   * `count()` gives, as Django's `qs[a:b].count()`).
   */
  async count(options: { readonly paged?: boolean } = {}): Promise<number> {
    const w = new SqlWriter(this.db.dialect);
    const paged = options.paged === true && (this.#limit !== null || this.#offset !== null);
    if (this.#groupBy.length > 0 || this.#distinct || paged) {
      w.write('SELECT COUNT(*) AS count FROM (');
      // A page: the server reads at most offset + limit rows, never the whole table.
      if (paged && this.#groupBy.length === 0 && !this.#distinct) w.write('SELECT 1 AS one');
      else this.#select(w);
      this.#from(w, paged, paged ? this.#limit : null);
      w.write(') AS covet_count');
    } else {
      w.write('SELECT COUNT(*) AS count');
      this.#from(w, false, null);
    }
    const first = (await this.run({ sql: w.text, params: w.params })).rows[0];
    if (first === undefined) return 0;
    for (const key in first) return Number(first[key]);
    return 0;
  }

  /** Whether any row matches (after the offset; `limit(0)` matches none). */
  async exists(): Promise<boolean> {
    const w = new SqlWriter(this.db.dialect);
    w.write('SELECT 1 AS one');
    this.#from(w, true, this.#limit === 0 ? 0 : 1);
    return (await this.run({ sql: w.text, params: w.params })).rows.length > 0;
  }

  // biome-ignore lint/suspicious/noThenProperty: awaiting a query runs it, as in Kysely and Knex
  then<R1 = T[], R2 = never>(
    onfulfilled?: ((rows: T[]) => R1 | PromiseLike<R1>) | null,
    onrejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    return this.fetchAll().then(onfulfilled, onrejected);
  }
}
