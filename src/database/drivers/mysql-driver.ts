import type { DatabaseConfig } from '../database-config.js';
import { ConnectionError, DatabaseError, type IntegrityKind, IntegrityError, UnknownColumnError } from '../errors.js';
import type { Driver, DriverConnection, DriverResult } from './driver.js';
import { insertKind, splitStatements } from '../sql-tokenizer.js';
import { loadDriverModule } from './load-module.js';
import { mysqlDialect } from './mysql-dialect.js';
import { returnedId } from './returned-id.js';

/** The part of `mysql2/promise` Covet uses (structural: the package is never imported by type). */
interface MyHeader {
  affectedRows: number;
  insertId: number | string;
  serverStatus?: number;
}
interface MyConnection {
  execute(sql: string, values?: readonly unknown[]): Promise<[unknown, unknown]>;
  query(sql: string): Promise<[unknown, unknown]>;
  end(): Promise<void>;
  destroy(): void;
  on(event: 'error' | 'end', listener: (err?: unknown) => void): unknown;
}
interface MyModule {
  createConnection(config: Record<string, unknown>): Promise<MyConnection>;
}

const CONSTRAINTS: Readonly<Record<number, IntegrityKind>> = {
  1062: 'unique',
  1586: 'unique',
  1048: 'not_null',
  1364: 'not_null',
  1451: 'foreign_key',
  1452: 'foreign_key',
  1216: 'foreign_key',
  1217: 'foreign_key',
  3819: 'check',
  4025: 'check',
};
const CONNECTION_CODES = new Set([
  'PROTOCOL_CONNECTION_LOST',
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ER_ACCESS_DENIED_ERROR',
  'ER_CON_COUNT_ERROR',
  'ER_SERVER_SHUTDOWN',
  'PROTOCOL_ENQUEUE_AFTER_FATAL_ERROR',
]);

function isMyConnectionError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const e = err as { code?: unknown; fatal?: unknown };
  return (
    e.fatal === true ||
    (typeof e.code === 'string' && CONNECTION_CODES.has(e.code)) ||
    /closed state|connection is in closed/i.test(err.message)
  );
}

/** Maps a `mysql2` error to the database error classes. */
export function mapMysqlError(err: unknown, sql?: string): Error {
  if (err instanceof DatabaseError) return err;
  if (!(err instanceof Error)) return new DatabaseError(String(err));
  const e = err as Error & { code?: string; errno?: number; sqlMessage?: string };
  const base = { cause: err, ...(sql === undefined ? {} : { sql }), ...(e.code === undefined ? {} : { driverCode: e.code }) };
  const kind = e.errno === undefined ? undefined : CONSTRAINTS[e.errno];
  if (kind !== undefined) {
    const m = e.message;
    const column =
      /for key '(?:[^'.]+\.)?([^']+)'/.exec(m)?.[1] ??
      /Column '([^']+)'/.exec(m)?.[1] ??
      /Field '([^']+)'/.exec(m)?.[1] ??
      // A foreign key: "… fails (`db`.`posts`, CONSTRAINT `…` FOREIGN KEY (`author_id`) REFERENCES …"
      /FOREIGN KEY \(`([^`]+)`\)/.exec(m)?.[1];
    const constraint = /CONSTRAINT `([^`]+)`/.exec(m)?.[1] ?? /[Cc]onstraint '([^']+)'/.exec(m)?.[1];
    const table = kind === 'foreign_key' ? /fails \(`[^`]+`\.`([^`]+)`/.exec(m)?.[1] : undefined;
    return new IntegrityError(m, { ...base, kind, column, constraint, table });
  }
  if (e.errno === 1054) {
    const m = /Unknown column '([^']+)'/.exec(e.message);
    if (m !== null) return new UnknownColumnError((m[1] as string).replace(/^.*\./, ''), base);
  }
  if (isMyConnectionError(err)) return new ConnectionError(`MySQL connection failed: ${e.message}`, base);
  return new DatabaseError(e.message, base);
}

function toMysql(value: unknown): unknown {
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'object' && value !== null && !(value instanceof Date) && !(value instanceof Uint8Array))
    return JSON.stringify(value);
  return value;
}

const KIND_CACHE = 500;
/** The server's status flag for an open transaction (`SERVER_STATUS_IN_TRANS`). */
const IN_TRANS = 1;

class MysqlConnection implements DriverConnection {
  readonly #conn: MyConnection;
  #broken = false;
  /** Whether a transaction is open, as the server's status said after the last statement that reported it. */
  #inTransaction = false;
  /** Whether each statement inserts (for `lastInsertId`), as mysql2 caches its prepared statements. */
  #kinds = new Map<string, 'insert' | 'upsert' | null>();

  constructor(conn: MyConnection) {
    this.#conn = conn;
    conn.on('error', () => {
      this.#broken = true;
    });
    conn.on('end', () => {
      this.#broken = true;
    });
  }

  get broken(): boolean {
    return this.#broken;
  }

  get inTransaction(): boolean {
    return this.#inTransaction;
  }

  async query(sql: string, params: readonly unknown[]): Promise<DriverResult> {
    let result: unknown;
    try {
      // execute() is a server-side prepared statement: values travel separately from the SQL.
      [result] = await this.#conn.execute(sql, params.map(toMysql));
    } catch (err) {
      const errno = (err as { errno?: unknown }).errno;
      if (errno === 1295 && params.length === 0) {
        // ER_UNSUPPORTED_PS: some statements cannot be prepared; without values that is harmless.
        try {
          [result] = await this.#conn.query(sql);
        } catch (inner) {
          if (isMyConnectionError(inner)) this.#broken = true;
          throw mapMysqlError(inner, sql);
        }
      } else {
        if (isMyConnectionError(err)) this.#broken = true;
        throw mapMysqlError(err, sql);
      }
    }
    const inserts = this.#insertKind(sql) !== null;
    if (Array.isArray(result)) {
      const rows = result as Record<string, unknown>[];
      // INSERT … RETURNING (MariaDB): no header, so the first returned value is the id.
      return { rows, rowCount: rows.length, lastInsertId: inserts ? returnedId(rows[0]) : null };
    }
    const header = result as MyHeader;
    // Rows come without a status, but a SELECT neither opens nor ends a transaction.
    if (header.serverStatus !== undefined) this.#inTransaction = (header.serverStatus & IN_TRANS) !== 0;
    const id = header.insertId;
    // insertId is also set by UPDATE … LAST_INSERT_ID(expr): only an INSERT that inserted reports it.
    const inserted = inserts && header.affectedRows > 0 && id !== 0 && id !== '0';
    return { rows: [], rowCount: header.affectedRows, lastInsertId: inserted ? id : null };
  }

  #insertKind(sql: string): 'insert' | 'upsert' | null {
    let kind = this.#kinds.get(sql);
    if (kind === undefined) {
      kind = insertKind(sql, mysqlDialect);
      if (this.#kinds.size >= KIND_CACHE) this.#kinds = new Map();
      this.#kinds.set(sql, kind);
    }
    return kind;
  }

  async script(sql: string): Promise<void> {
    for (const statement of splitStatements(sql, mysqlDialect)) await this.query(statement, []);
  }

  async close(): Promise<void> {
    this.#broken = true;
    try {
      await this.#conn.end();
    } catch {
      this.#conn.destroy();
    }
  }
}

/**
 * MySQL and MariaDB through `mysql2` (loaded on first connect). Statements are server-side
 * prepared (`execute`); dates travel in UTC and each session's `time_zone` is UTC (`+00:00`), so
 * `NOW()` agrees with them; `BIGINT` comes back as a number when it fits.
 *
 * @example
 * const driver = mysqlDriver(DatabaseConfig.fromUrl('mysql://app:app@127.0.0.1:3306/app'))
 */
export function mysqlDriver(config: DatabaseConfig): Driver {
  return {
    dialect: mysqlDialect,
    async connect(): Promise<DriverConnection> {
      const mysql = (await loadDriverModule('mysql2/promise', 'mysql2', 'MySQL')) as MyModule;
      try {
        const conn = await mysql.createConnection({
          host: config.host,
          ...(config.port === undefined ? {} : { port: config.port }),
          database: config.database,
          ...(config.username === undefined ? {} : { user: config.username }),
          ...(config.password === undefined ? {} : { password: config.password }),
          ...(config.ssl === undefined ? {} : { ssl: config.ssl === true ? {} : config.ssl }),
          connectTimeout: config.connectTimeout * 1000,
          timezone: 'Z',
          supportBigNumbers: true,
          bigNumberStrings: false,
          ...config.driverOptions,
        });
        try {
          // mysql2 sends and reads dates in UTC ('Z'); the session must agree, or NOW(),
          // CURRENT_TIMESTAMP defaults (func.now()) and TIMESTAMP columns are in the server's zone.
          await conn.query("SET time_zone = '+00:00'");
        } catch (err) {
          conn.destroy();
          throw err;
        }
        return new MysqlConnection(conn);
      } catch (err) {
        const reason = err instanceof Error ? err.message : String(err);
        throw new ConnectionError(
          `Could not connect to MySQL at ${config.host}:${config.port ?? 3306} (database "${config.database}"): ${reason}`,
          {
            cause: err,
          },
        );
      }
    },
  };
}
