import { CovetError } from '../errors.js';

/** What kind of constraint an `IntegrityError` reports. */
export type IntegrityKind = 'unique' | 'not_null' | 'foreign_key' | 'check';

/** Options shared by the database errors. */
export interface DatabaseErrorOptions {
  readonly code?: string;
  readonly cause?: unknown;
  /** The statement that failed (never its parameters: they may hold secrets). */
  readonly sql?: string;
  /** The server's error code: a PostgreSQL SQLSTATE, a MySQL errno name, a SQLite result code. */
  readonly driverCode?: string;
}

/**
 * Base class of every error the database layer raises; the driver's own error is `cause`.
 *
 * @example
 * try { await db.execute('SELEC 1') } catch (e) { if (e instanceof DatabaseError) console.log(e.code, e.sql) }
 */
export class DatabaseError extends CovetError {
  readonly sql: string | undefined;
  readonly driverCode: string | undefined;

  constructor(message: string, options: DatabaseErrorOptions = {}) {
    super(message, { code: options.code ?? 'ERR_DATABASE', cause: options.cause });
    this.sql = options.sql;
    this.driverCode = options.driverCode;
  }
}

/** Options of `IntegrityError`. */
export interface IntegrityErrorOptions extends DatabaseErrorOptions {
  readonly kind: IntegrityKind;
  readonly constraint?: string | undefined;
  readonly table?: string | undefined;
  readonly column?: string | undefined;
}

/**
 * A constraint violation: duplicate unique value, NULL in a NOT NULL column, a foreign key that
 * points nowhere (or is still referenced), a failed CHECK. Map it to 409/400 in the app.
 *
 * @example
 * app.onError(IntegrityError, (err) => [{ error: 'Conflict', kind: err.kind }, err.kind === 'unique' ? 409 : 400])
 */
export class IntegrityError extends DatabaseError {
  readonly kind: IntegrityKind;
  readonly constraint: string | undefined;
  readonly table: string | undefined;
  readonly column: string | undefined;

  constructor(message: string, options: IntegrityErrorOptions) {
    super(message, { ...options, code: options.code ?? 'ERR_DB_INTEGRITY' });
    this.kind = options.kind;
    this.constraint = options.constraint;
    this.table = options.table;
    this.column = options.column;
  }
}

/**
 * A PostgreSQL transaction could not commit because a statement in it failed: PostgreSQL aborts
 * the whole transaction on an error (later statements fail with SQLSTATE 25P02) and answers its
 * `COMMIT` with a `ROLLBACK`, so nothing of it was saved. Statements that may fail and be
 * recovered from belong in a savepoint: `tx.transaction(fn)`. `cause` is the statement's error
 * when Covet saw it. SQLite and MySQL abort only the failed statement and commit the rest.
 *
 * @example
 * await db.transaction(async (tx) => {
 *   await tx.execute('INSERT INTO users (email) VALUES (%s)', 'a@x.io');
 *   await tx.execute('INSERT INTO users (email) VALUES (%s)', 'a@x.io').catch(() => {}); // duplicate
 * }); // PostgreSQL: TransactionAbortedError (ERR_DB_TRANSACTION_ABORTED), nothing inserted
 */
export class TransactionAbortedError extends DatabaseError {
  constructor(message: string, options: DatabaseErrorOptions = {}) {
    super(message, { ...options, code: options.code ?? 'ERR_DB_TRANSACTION_ABORTED' });
  }
}

/**
 * The database cannot be reached, refused the login, or dropped the connection. The pool
 * replaces the connection; the next query tries again. Answer with 503.
 *
 * @example
 * app.onError(ConnectionError, () => [{ error: 'Service Unavailable' }, 503])
 */
export class ConnectionError extends DatabaseError {
  constructor(message: string, options: DatabaseErrorOptions = {}) {
    super(message, { ...options, code: options.code ?? 'ERR_DB_CONNECTION' });
  }
}

/**
 * No connection became free within the pool's `acquireTimeout`.
 *
 * @example
 * new ConnectionPool({ databaseUrl, maxConnections: 1, acquireTimeout: 0.5 }) // a second acquire waits ≤ 0.5 s
 */
export class PoolTimeoutError extends ConnectionError {
  constructor(message: string) {
    super(message, { code: 'ERR_DB_POOL_TIMEOUT' });
  }
}

/**
 * The driver package for a database is not installed; the message names the package.
 *
 * @example
 * // Error: The PostgreSQL driver needs the "pg" package: npm install pg
 */
export class DriverNotInstalledError extends DatabaseError {
  readonly packageName: string;

  constructor(packageName: string, database: string, cause?: unknown) {
    super(`The ${database} driver needs the "${packageName}" package: npm install ${packageName}`, {
      code: 'ERR_DB_DRIVER_MISSING',
      cause,
    });
    this.packageName = packageName;
  }
}

/** Options of `UnknownColumnError`. */
export interface UnknownColumnErrorOptions extends DatabaseErrorOptions {
  readonly table?: string | undefined;
  /** The table's real columns, when known. */
  readonly known?: readonly string[] | undefined;
}

/**
 * A statement, an object-form `where({...})`, an insert or an update named a column the table
 * does not have.
 *
 * @example
 * await qb.select('users').where({ nmae: 'x' }).fetchAll() // UnknownColumnError: Table "users" has no column "nmae" (columns: id, name)
 */
export class UnknownColumnError extends DatabaseError {
  readonly table: string | undefined;
  readonly column: string;

  constructor(column: string, options: UnknownColumnErrorOptions = {}) {
    const where = options.table === undefined ? 'Unknown column' : `Table "${options.table}" has no column`;
    const known = options.known === undefined ? '' : ` (columns: ${options.known.join(', ')})`;
    super(`${where} ${JSON.stringify(column)}${known}`, { ...options, code: 'ERR_DB_UNKNOWN_COLUMN' });
    this.table = options.table;
    this.column = column;
  }
}

/**
 * A migration could not be loaded, applied or reverted, or its file changed after it ran.
 *
 * @example
 * await migrate('up', { db, directory: 'migrations' }) // MigrationError: 0002_add_age: checksum mismatch …
 */
export class MigrationError extends DatabaseError {
  constructor(message: string, options: DatabaseErrorOptions = {}) {
    super(message, { ...options, code: options.code ?? 'ERR_MIGRATION' });
  }
}
