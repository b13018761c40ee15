import type { Dialect } from './dialect.js';

/** What one statement returned, normalised across drivers. */
export interface DriverResult {
  /** Rows as plain objects keyed by column name (empty for statements that return none). */
  readonly rows: Record<string, unknown>[];
  /** Rows changed by INSERT/UPDATE/DELETE, or rows returned by a query. */
  readonly rowCount: number;
  /**
   * The id of the row an INSERT inserted (SQLite's `lastInsertRowid`, MySQL's `insertId`, or the
   * first value an `INSERT … RETURNING` returned); `null` for a statement that inserted nothing.
   */
  readonly lastInsertId: number | bigint | string | null;
}

/**
 * One open connection to a database server (Kysely's `DatabaseConnection`): the only surface
 * through which Covet talks to `pg`, `mysql2` or `better-sqlite3`. Statements arrive already
 * rewritten for the dialect, with their parameters in order; values are always bound.
 */
export interface DriverConnection {
  /**
   * Runs one statement; driver errors come back as `DatabaseError` subclasses. `name` asks for a
   * named server-side prepared statement where the driver has them (PostgreSQL).
   */
  query(sql: string, params: readonly unknown[], name?: string): Promise<DriverResult>;
  /**
   * The same as `query` for drivers that work synchronously (better-sqlite3): lets the pool lend
   * and take back the connection without an event-loop turn in between. Optional.
   */
  querySync?(sql: string, params: readonly unknown[]): DriverResult;
  /**
   * The values of a query's first row in SELECT-list order, synchronously (better-sqlite3's raw
   * `stmt.get`: no array of rows, no row object); `undefined` for none. Optional.
   */
  queryRowSync?(sql: string, params: readonly unknown[]): readonly unknown[] | undefined;
  /** Every row of a query as its values in SELECT-list order, synchronously (raw `stmt.all`). Optional. */
  queryValuesSync?(sql: string, params: readonly unknown[]): readonly (readonly unknown[])[];
  /** Runs a script of several statements without parameters (migrations). */
  script(sql: string): Promise<void>;
  /** Closes the connection; never throws. */
  close(): Promise<void>;
  /** True once the connection is known to be unusable: the pool drops it instead of reusing it. */
  readonly broken: boolean;
  /**
   * True while a transaction is open on the connection (a `BEGIN` without its `COMMIT` or
   * `ROLLBACK`, or a PostgreSQL transaction a failed statement aborted): the pool rolls it back
   * before anyone else gets the connection. Optional: without it the pool cannot tell.
   */
  readonly inTransaction?: boolean;
}

/**
 * A database driver: opens connections and knows its dialect. Custom drivers implement this
 * (for tests, proxies or other databases) and go to `ConnectionPool({ driver })`.
 *
 * @example
 * const pool = new ConnectionPool({ driver: createDriver(DatabaseConfig.fromUrl('sqlite:///:memory:')) })
 */
export interface Driver {
  readonly dialect: Dialect;
  /** Opens a new connection; a failure is a `ConnectionError` that names the server (never the password). */
  connect(): Promise<DriverConnection>;
}
