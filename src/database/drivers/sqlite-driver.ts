import type { DatabaseConfig } from '../database-config.js';
import { ConnectionError, DatabaseError, type IntegrityKind, IntegrityError, UnknownColumnError } from '../errors.js';
import type { Driver, DriverConnection, DriverResult } from './driver.js';
import { insertKind } from '../sql-tokenizer.js';
import { loadDriverModule } from './load-module.js';
import { returnedId } from './returned-id.js';
import { sqliteDialect } from './sqlite-dialect.js';

/** The part of `better-sqlite3` Covet uses (structural: the package is never imported by type). */
interface SqliteStatement {
  readonly reader: boolean;
  all(...params: unknown[]): Record<string, unknown>[];
  get(...params: unknown[]): unknown;
  raw(toggle: boolean): SqliteStatement;
  run(...params: unknown[]): { changes: number; lastInsertRowid: number | bigint };
}
interface SqliteDatabase {
  prepare(sql: string): SqliteStatement;
  exec(sql: string): unknown;
  pragma(sql: string): unknown;
  close(): unknown;
  readonly open: boolean;
  readonly inTransaction: boolean;
}
type SqliteConstructor = new (filename: string, options?: Record<string, unknown>) => SqliteDatabase;

const CONSTRAINTS: Readonly<Record<string, IntegrityKind>> = {
  SQLITE_CONSTRAINT_UNIQUE: 'unique',
  SQLITE_CONSTRAINT_PRIMARYKEY: 'unique',
  SQLITE_CONSTRAINT_NOTNULL: 'not_null',
  SQLITE_CONSTRAINT_FOREIGNKEY: 'foreign_key',
  SQLITE_CONSTRAINT_CHECK: 'check',
};

/** Maps a `better-sqlite3` error to the database error classes. */
export function mapSqliteError(err: unknown, sql?: string): Error {
  if (err instanceof DatabaseError || !(err instanceof Error)) return err instanceof Error ? err : new DatabaseError(String(err));
  const code = (err as { code?: unknown }).code;
  const driverCode = typeof code === 'string' ? code : undefined;
  const kind = driverCode === undefined ? undefined : CONSTRAINTS[driverCode];
  if (kind !== undefined) {
    // "UNIQUE constraint failed: users.email" / "NOT NULL constraint failed: users.name"
    const target = /constraint failed: ([^\s,]+)/.exec(err.message)?.[1];
    const dot = target?.indexOf('.') ?? -1;
    return new IntegrityError(err.message, {
      kind,
      cause: err,
      ...(sql === undefined ? {} : { sql }),
      driverCode: driverCode as string,
      table: target !== undefined && dot > 0 ? target.slice(0, dot) : undefined,
      column: target !== undefined && dot > 0 ? target.slice(dot + 1) : undefined,
      constraint: kind === 'check' ? target : undefined,
    });
  }
  // "no such column: x", 'no such column: "x" - should this be a string literal…', "table t has no column named x"
  const unknown = /^no such column: "?([^"\s]+)"?/.exec(err.message) ?? /^table (\S+) has no column named (\S+)$/.exec(err.message);
  if (unknown !== null) {
    const column = (unknown[2] ?? unknown[1]) as string;
    return new UnknownColumnError(column.replace(/^.*\./, ''), {
      table: unknown[2] === undefined ? undefined : unknown[1],
      cause: err,
      ...(sql === undefined ? {} : { sql }),
      ...(driverCode === undefined ? {} : { driverCode }),
    });
  }
  if (driverCode === 'SQLITE_CANTOPEN' || driverCode === 'SQLITE_NOTADB') {
    return new ConnectionError(err.message, { cause: err, driverCode });
  }
  return new DatabaseError(err.message, {
    cause: err,
    ...(sql === undefined ? {} : { sql }),
    ...(driverCode === undefined ? {} : { driverCode }),
  });
}

function toSqlite(value: unknown): unknown {
  switch (typeof value) {
    case 'boolean':
      return value ? 1 : 0;
    case 'object':
      if (value === null || value instanceof Uint8Array) return value;
      if (value instanceof Date) return value.toISOString();
      return JSON.stringify(value);
    default:
      return value;
  }
}

/** The parameters as better-sqlite3 binds them; only booleans, dates and objects need converting. */
function bindable(params: readonly unknown[]): readonly unknown[] {
  for (let i = 0; i < params.length; i++) {
    const t = typeof params[i];
    if (t === 'boolean' || (t === 'object' && params[i] !== null)) return params.map(toSqlite);
  }
  return params;
}

const STATEMENT_CACHE = 500;

/** A prepared statement and whether it inserts (for `lastInsertId`). */
interface Prepared {
  readonly stmt: SqliteStatement;
  readonly insert: 'insert' | 'upsert' | null;
}

class SqliteConnection implements DriverConnection {
  readonly #db: SqliteDatabase;
  #statements = new Map<string, Prepared>();
  /** Statements in raw mode (rows as arrays of values), for `queryRowSync`. */
  #raw = new Map<string, SqliteStatement>();

  constructor(db: SqliteDatabase) {
    this.#db = db;
  }

  #closed = false;

  get broken(): boolean {
    return this.#closed;
  }

  get inTransaction(): boolean {
    return !this.#closed && this.#db.inTransaction;
  }

  #prepare(sql: string): Prepared {
    let prepared = this.#statements.get(sql);
    if (prepared === undefined) {
      prepared = { stmt: this.#db.prepare(sql), insert: insertKind(sql, sqliteDialect) };
      if (this.#statements.size >= STATEMENT_CACHE) this.#statements = new Map();
      this.#statements.set(sql, prepared);
    }
    return prepared;
  }

  async query(sql: string, params: readonly unknown[]): Promise<DriverResult> {
    return this.querySync(sql, params);
  }

  querySync(sql: string, params: readonly unknown[]): DriverResult {
    try {
      const { stmt, insert } = this.#prepare(sql);
      const args = bindable(params);
      if (stmt.reader) {
        const rows = stmt.all(...args);
        // INSERT … RETURNING: better-sqlite3 reports no rowid with rows; the first value is the id.
        return { rows, rowCount: rows.length, lastInsertId: insert === null ? null : returnedId(rows[0]) };
      }
      const info = stmt.run(...args);
      // lastInsertRowid is the connection's last INSERT, whatever this statement was: only an
      // INSERT that inserted reports it. An upsert that updated leaves the previous INSERT's id
      // there, and nothing tells an update from an insert, so it reports none (RETURNING does).
      return { rows: [], rowCount: info.changes, lastInsertId: insert === 'insert' && info.changes > 0 ? info.lastInsertRowid : null };
    } catch (err) {
      throw mapSqliteError(err, sql);
    }
  }

  #prepareRaw(sql: string): SqliteStatement {
    let stmt = this.#raw.get(sql);
    if (stmt === undefined) {
      // A statement of its own: raw mode is a property of the statement.
      stmt = this.#db.prepare(sql);
      if (stmt.reader) stmt.raw(true);
      if (this.#raw.size >= STATEMENT_CACHE) this.#raw = new Map();
      this.#raw.set(sql, stmt);
    }
    return stmt;
  }

  queryRowSync(sql: string, params: readonly unknown[]): readonly unknown[] | undefined {
    try {
      const stmt = this.#prepareRaw(sql);
      const args = bindable(params);
      if (stmt.reader) return stmt.get(...args) as unknown[] | undefined;
      stmt.run(...args);
      return undefined;
    } catch (err) {
      throw mapSqliteError(err, sql);
    }
  }

  queryValuesSync(sql: string, params: readonly unknown[]): readonly (readonly unknown[])[] {
    try {
      const stmt = this.#prepareRaw(sql);
      const args = bindable(params);
      if (stmt.reader) return stmt.all(...args) as unknown as unknown[][];
      stmt.run(...args);
      return [];
    } catch (err) {
      throw mapSqliteError(err, sql);
    }
  }

  async script(sql: string): Promise<void> {
    try {
      this.#db.exec(sql);
    } catch (err) {
      throw mapSqliteError(err, sql);
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    try {
      if (this.#db.open) this.#db.close();
    } catch {
      // closing is best effort
    }
  }
}

/**
 * SQLite through `better-sqlite3` 12.x (loaded on first connect). Foreign keys are enforced; file
 * databases use WAL. The driver is synchronous, so the pool keeps a single connection.
 *
 * @example
 * const driver = sqliteDriver(DatabaseConfig.fromUrl('sqlite:///app.db'))
 */
export function sqliteDriver(config: DatabaseConfig): Driver {
  return {
    dialect: sqliteDialect,
    async connect(): Promise<DriverConnection> {
      const Database = (await loadDriverModule('better-sqlite3', 'better-sqlite3', 'SQLite')) as SqliteConstructor;
      let db: SqliteDatabase;
      try {
        db = new Database(config.database, { timeout: config.connectTimeout * 1000, ...config.driverOptions });
      } catch (err) {
        const mapped = mapSqliteError(err);
        throw new ConnectionError(`Could not open SQLite database ${JSON.stringify(config.database)}: ${mapped.message}`, { cause: err });
      }
      db.pragma('foreign_keys = ON');
      if (config.database !== ':memory:' && config.database !== '') db.pragma('journal_mode = WAL');
      return new SqliteConnection(db);
    },
  };
}
