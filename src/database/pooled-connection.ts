import type { Dialect } from './drivers/dialect.js';
import type { DriverConnection, DriverResult } from './drivers/driver.js';
import { ConnectionError } from './errors.js';
import { kExecute, Queryable } from './queryable.js';
import { observeQuery, queryChannel } from './query-channel.js';

(Symbol as { asyncDispose?: symbol }).asyncDispose ??= Symbol.for('Symbol.asyncDispose');

/**
 * A connection leased from a `ConnectionPool`: the query methods plus `release()`. Works with
 * `await using` (released at the end of the scope, like the seed's `async with pool.acquire()`).
 *
 * @example
 * await using conn = await pool.acquire();
 * const rows = await conn.fetch('SELECT * FROM users WHERE name ILIKE $1', `%${q}%`);
 */
export class PooledConnection extends Queryable {
  readonly #dialect: Dialect;
  #conn: DriverConnection | null;
  readonly #release: (conn: DriverConnection) => void;

  constructor(conn: DriverConnection, dialect: Dialect, release: (conn: DriverConnection) => void) {
    super();
    this.#conn = conn;
    this.#dialect = dialect;
    this.#release = release;
  }

  get dialect(): Dialect {
    return this.#dialect;
  }

  /** Whether `release()` was called. */
  get released(): boolean {
    return this.#conn === null;
  }

  [kExecute](text: string, params: readonly unknown[], name?: string): Promise<DriverResult> {
    if (this.#conn === null) return Promise.reject(new ConnectionError('This connection was released to the pool'));
    const conn = this.#conn;
    if (queryChannel.hasSubscribers) return observeQuery(this.dialect, text, params, () => conn.query(text, params, name));
    return conn.query(text, params, name);
  }

  /** Runs a multi-statement script without parameters. */
  async script(sql: string): Promise<void> {
    if (this.#conn === null) throw new ConnectionError('This connection was released to the pool');
    await this.#conn.script(sql);
  }

  /** Gives the connection back to the pool; later calls do nothing. */
  release(): void {
    const conn = this.#conn;
    if (conn === null) return;
    this.#conn = null;
    this.#release(conn);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.release();
  }
}
