import { createHash } from 'node:crypto';

/**
 * A statement prepared once: its placeholders are checked when it is made, and PostgreSQL keeps
 * it as a named server-side prepared statement on each connection (parsed and planned once).
 * SQLite and MySQL prepare every statement anyway (cached per connection). Pass it wherever a SQL
 * string goes: `conn.fetch(stmt, ...params)`.
 */
export class PreparedStatement {
  readonly sql: string;
  /** The server-side name (PostgreSQL). */
  readonly name: string;

  constructor(sql: string, name: string) {
    this.sql = sql;
    this.name = name;
  }
}

/**
 * The seed's `QueryOptimizer`: `prepare(sql)` gives a `PreparedStatement` for hot queries.
 *
 * @example
 * const optimizer = new QueryOptimizer();
 * const search = optimizer.prepare('SELECT id, name, email FROM users WHERE name ILIKE $1 ORDER BY name LIMIT 100');
 * const rows = await pool.withConnection((conn) => conn.fetch(search, `%${q}%`));
 */
export class QueryOptimizer {
  readonly #statements = new Map<string, PreparedStatement>();

  /** The prepared form of `sql` (the same object for the same text). */
  prepare(sql: string): PreparedStatement {
    if (typeof sql !== 'string' || sql.trim() === '') throw new TypeError('prepare() takes a SQL string');
    let stmt = this.#statements.get(sql);
    if (stmt === undefined) {
      // Named by content: two optimizers (or processes) agree, and a name never means two texts.
      stmt = new PreparedStatement(sql, `covet_${createHash('sha1').update(sql).digest('hex').slice(0, 16)}`);
      this.#statements.set(sql, stmt);
    }
    return stmt;
  }
}
