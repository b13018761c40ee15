import type { Dialect, IsolationLevel } from './drivers/dialect.js';
import type { DriverConnection, DriverResult } from './drivers/driver.js';
import { DatabaseError, TransactionAbortedError } from './errors.js';
import { kExecute, kQueryRowSync, kQueryValuesSync, NOT_SYNC, Queryable } from './queryable.js';
import { observeQuery, queryChannel } from './query-channel.js';

/** Options of `transaction()` / `begin()`. */
export interface TransactionOptions {
  /** Isolation level (PostgreSQL, MySQL); SQLite transactions are always serializable. */
  readonly isolation?: IsolationLevel;
}

/**
 * An open transaction on one connection: the query methods, `commit()`, `rollback()`, and
 * nested transactions as savepoints (`tx.transaction(fn)` / `tx.savepoint()`). From
 * `db.transaction(fn)` (commits when `fn` resolves, rolls back when it throws) or `db.begin()`.
 *
 * @example
 * await db.transaction(async (tx) => {
 *   await tx.execute('UPDATE accounts SET balance = balance - %s WHERE id = %s', 10, 1);
 *   await tx.transaction(async (inner) => { await inner.execute('INSERT INTO audit (note) VALUES (%s)', 'moved 10') });
 * });
 */
export class Transaction extends Queryable {
  readonly #conn: DriverConnection;
  readonly #dialect: Dialect;
  readonly #done: (conn: DriverConnection) => void;
  readonly #savepoint: string | null;
  readonly #parent: Transaction | null;
  #active = true;
  #children = 0;
  /** PostgreSQL: the first statement of this transaction that failed (it aborted the transaction). */
  #failure: unknown = undefined;
  /**
   * MySQL: the error with which the server rolled back the whole transaction (a deadlock), kept
   * on the outer transaction. Later statements would run outside any transaction (autocommit),
   * so they, and commit(), fail with a TransactionAbortedError instead.
   */
  #rolledBack: DatabaseError | undefined = undefined;
  /** This transaction's savepoints still open, oldest first (later ones nest inside earlier ones). */
  #open: Transaction[] = [];

  /** @internal Use `db.transaction()`, `db.begin()` or `tx.savepoint()`. */
  constructor(
    conn: DriverConnection,
    dialect: Dialect,
    done: (conn: DriverConnection) => void,
    parent: Transaction | null = null,
    savepoint: string | null = null,
  ) {
    super();
    this.#conn = conn;
    this.#dialect = dialect;
    this.#done = done;
    this.#parent = parent;
    this.#savepoint = savepoint;
  }

  get dialect(): Dialect {
    return this.#dialect;
  }

  /** True until `commit()` or `rollback()`. */
  get active(): boolean {
    return this.#active && (this.#parent === null || this.#parent.active);
  }

  /** 0 for the outer transaction, 1 for a savepoint inside it, … */
  get depth(): number {
    return this.#parent === null ? 0 : this.#parent.depth + 1;
  }

  /** The outer transaction (this one when not a savepoint). */
  #root(): Transaction {
    return this.#parent === null ? this : this.#parent.#root();
  }

  /** The error for a statement or commit after the server rolled the whole transaction back. */
  #rolledBackError(sql: string): TransactionAbortedError {
    const failure = this.#root().#rolledBack as DatabaseError;
    return new TransactionAbortedError(
      `${failure.message}: MySQL rolled back the whole transaction (savepoints included), so nothing of it can be saved and later statements would run outside it; run the transaction again`,
      { cause: failure, sql },
    );
  }

  [kExecute](text: string, params: readonly unknown[], name?: string): Promise<DriverResult> {
    if (!this.active)
      return Promise.reject(
        new DatabaseError('This transaction has already been committed or rolled back', { code: 'ERR_DB_TRANSACTION_DONE' }),
      );
    if (this.#root().#rolledBack !== undefined) return Promise.reject(this.#rolledBackError(text));
    const result = queryChannel.hasSubscribers
      ? observeQuery(this.dialect, text, params, () => this.#conn.query(text, params, name))
      : this.#conn.query(text, params, name);
    if (this.#dialect.name === 'mysql') {
      return result.catch((err: unknown) => {
        // InnoDB answers a deadlock by rolling back the whole transaction, not the statement.
        if (err instanceof DatabaseError && err.driverCode === 'ER_LOCK_DEADLOCK') this.#root().#rolledBack ??= err;
        throw err;
      });
    }
    // PostgreSQL aborts the whole transaction on a failed statement: keep the error, the cause
    // of the TransactionAbortedError that commit() will meet.
    if (this.#dialect.name !== 'postgresql') return result;
    return result.catch((err: unknown) => {
      this.#failure ??= err;
      throw err;
    });
  }

  override [kQueryRowSync](text: string, params: readonly unknown[]): readonly unknown[] | undefined | typeof NOT_SYNC {
    const conn = this.#conn;
    if (conn.queryRowSync === undefined || queryChannel.hasSubscribers || !this.active) return NOT_SYNC;
    return conn.queryRowSync(text, params);
  }

  override [kQueryValuesSync](text: string, params: readonly unknown[]): readonly (readonly unknown[])[] | typeof NOT_SYNC {
    const conn = this.#conn;
    if (conn.queryValuesSync === undefined || queryChannel.hasSubscribers || !this.active) return NOT_SYNC;
    return conn.queryValuesSync(text, params);
  }

  /** Runs a multi-statement script (no parameters) inside the transaction. */
  async script(sql: string): Promise<void> {
    if (!this.active)
      throw new DatabaseError('This transaction has already been committed or rolled back', { code: 'ERR_DB_TRANSACTION_DONE' });
    await this.#conn.script(sql);
  }

  /** Opens a nested transaction (a savepoint); commit or roll it back on its own. */
  async savepoint(): Promise<Transaction> {
    if (!this.active)
      throw new DatabaseError('This transaction has already been committed or rolled back', { code: 'ERR_DB_TRANSACTION_DONE' });
    const name = `covet_sp_${this.depth + 1}_${++this.#children}`;
    await this.#conn.query(`SAVEPOINT ${name}`, []);
    const sp = new Transaction(this.#conn, this.#dialect, () => {}, this, name);
    this.#open.push(sp);
    return sp;
  }

  /**
   * The savepoints of the same transaction opened after this one and still open. On the one
   * connection they nest inside this one: releasing it releases them, rolling back to it undoes
   * them — what `Promise.all` over `tx.transaction()` calls runs into.
   */
  #later(): Transaction[] {
    const siblings = this.#parent === null ? [] : this.#parent.#open;
    return siblings.slice(siblings.indexOf(this) + 1).filter((t) => t.#active);
  }

  /** Done: out of the parent's open savepoints. */
  #close(): void {
    this.#active = false;
    if (this.#parent !== null) this.#parent.#open = this.#parent.#open.filter((t) => t !== this);
  }

  /** Runs `fn` in a savepoint: released when it resolves, rolled back to when it throws. */
  async transaction<T>(fn: (tx: Transaction) => Promise<T> | T): Promise<T> {
    const inner = await this.savepoint();
    let result: T;
    try {
      result = await fn(inner);
    } catch (err) {
      await inner.rollback().catch(() => {});
      throw err;
    }
    await inner.commit();
    return result;
  }

  /** Commits (releases the savepoint when nested) and gives the connection back. */
  async commit(): Promise<void> {
    if (!this.active)
      throw new DatabaseError('This transaction has already been committed or rolled back', { code: 'ERR_DB_TRANSACTION_DONE' });
    if (this.#later().length > 0) {
      throw new DatabaseError(
        'A savepoint opened after this one is still open, and releasing this one would release it too: finish savepoints in the reverse order they were opened (run tx.transaction() calls one after another, not in parallel)',
        { code: 'ERR_DB_SAVEPOINT_ORDER' },
      );
    }
    this.#close();
    if (this.#root().#rolledBack !== undefined) {
      try {
        if (this.#savepoint === null) await this.#conn.query('ROLLBACK', []).catch(() => {});
      } finally {
        this.#done(this.#conn);
      }
      throw this.#rolledBackError(this.#savepoint === null ? 'COMMIT' : `RELEASE SAVEPOINT ${this.#savepoint}`);
    }
    try {
      await this.#conn.query(this.#savepoint === null ? 'COMMIT' : `RELEASE SAVEPOINT ${this.#savepoint}`, []);
    } catch (err) {
      if (this.#savepoint === null) {
        // A failed COMMIT leaves the transaction rolled back (or the connection gone).
        await this.#conn.query('ROLLBACK', []).catch(() => {});
      }
      if (err instanceof TransactionAbortedError && err.cause === undefined && this.#failure !== undefined) {
        throw new TransactionAbortedError(err.message, { cause: this.#failure, ...(err.sql === undefined ? {} : { sql: err.sql }) });
      }
      throw err;
    } finally {
      this.#done(this.#conn);
    }
  }

  /** Rolls back (to the savepoint when nested) and gives the connection back; a no-op when done. */
  async rollback(): Promise<void> {
    if (!this.active) return;
    // Rolling back to this savepoint undoes the ones opened after it too: they are done.
    for (const t of this.#later()) t.#close();
    this.#close();
    // MySQL already rolled everything back, and the savepoint with it: nothing left to undo.
    if (this.#savepoint !== null && this.#root().#rolledBack !== undefined) return this.#done(this.#conn);
    try {
      if (this.#savepoint === null) await this.#conn.query('ROLLBACK', []);
      else {
        await this.#conn.query(`ROLLBACK TO SAVEPOINT ${this.#savepoint}`, []);
        await this.#conn.query(`RELEASE SAVEPOINT ${this.#savepoint}`, []);
      }
    } catch (err) {
      // A connection whose transaction state is unknown must not go back to the pool.
      if (this.#savepoint === null) await this.#conn.close();
      throw err;
    } finally {
      this.#done(this.#conn);
    }
  }
}
