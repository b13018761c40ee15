import type { DatabaseConfig } from '../database-config.js';
import {
  ConnectionError,
  DatabaseError,
  type IntegrityKind,
  IntegrityError,
  TransactionAbortedError,
  UnknownColumnError,
} from '../errors.js';
import type { Driver, DriverConnection, DriverResult } from './driver.js';
import { loadDriverModule } from './load-module.js';
import { postgresDialect } from './postgres-dialect.js';
import { returnedId } from './returned-id.js';

/** The part of `pg` Covet uses (structural: the package is never imported by type). */
interface PgResult {
  rows: Record<string, unknown>[];
  rowCount: number | null;
  command: string;
}
interface PgClient {
  connect(): Promise<unknown>;
  query(config: { text: string; values?: readonly unknown[]; name?: string; queryMode?: 'extended' }): Promise<PgResult | PgResult[]>;
  query(text: string): Promise<PgResult | PgResult[]>;
  end(): Promise<void>;
  on(event: 'error' | 'end', listener: (err?: unknown) => void): unknown;
  /** 'I' idle, 'T' in a transaction, 'E' in a failed transaction (pg ≥ 8.15; null before the first query). */
  getTransactionStatus?(): string | null;
}
interface PgModule {
  Client: new (config: Record<string, unknown>) => PgClient;
  types: { getTypeParser(oid: number, format?: string): (value: string) => unknown };
}

const CONSTRAINTS: Readonly<Record<string, IntegrityKind>> = {
  '23505': 'unique',
  '23502': 'not_null',
  '23503': 'foreign_key',
  '23514': 'check',
};
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);

/** Whether a `pg` error means the connection (not the statement) failed. */
export function isPgConnectionError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (NETWORK_CODES.has(code) || code.startsWith('08') || code.startsWith('57P') || code === '53300' || code.startsWith('28'))
      return true;
  }
  return /Connection terminated|connection timeout|Client has encountered a connection error|not queryable|timeout expired/i.test(
    err.message,
  );
}

/** Maps a `pg` error to the database error classes. */
export function mapPgError(err: unknown, sql?: string): Error {
  if (err instanceof DatabaseError) return err;
  if (!(err instanceof Error)) return new DatabaseError(String(err));
  const e = err as Error & { code?: string; constraint?: string; table?: string; column?: string; detail?: string };
  const base = { cause: err, ...(sql === undefined ? {} : { sql }), ...(e.code === undefined ? {} : { driverCode: e.code }) };
  const kind = e.code === undefined ? undefined : CONSTRAINTS[e.code];
  if (kind !== undefined) {
    // The detail ("Key (email)=(…) already exists.") holds the value: keep only the column name.
    const column = e.column ?? /^Key \(([^)]+)\)=/.exec(e.detail ?? '')?.[1];
    return new IntegrityError(e.message, { ...base, kind, constraint: e.constraint, table: e.table, column });
  }
  if (e.code === '42703') {
    const m = /column "?([^"\s]+)"? (?:of relation "([^"]+)" )?does not exist/.exec(e.message);
    if (m !== null) return new UnknownColumnError((m[1] as string).replace(/^.*\./, ''), { ...base, table: m[2] });
  }
  if (e.code === '25P02') {
    return new TransactionAbortedError(
      `${e.message}: a statement in this transaction failed, so PostgreSQL aborted the whole transaction; roll it back (nothing of it can be saved), ` +
        'and run statements that may fail in a savepoint (tx.transaction(fn)) to recover from them',
      base,
    );
  }
  if (isPgConnectionError(err)) return new ConnectionError(`PostgreSQL connection failed: ${e.message}`, base);
  return new DatabaseError(e.message, base);
}

/** PostgreSQL's `date` type. */
const DATE_OID = 1082;
/** A DATE in the years 0001–9999 AD (others, `infinity` and BC dates, go to pg's own parser). */
const PLAIN_DATE = /^\d{4}-\d{2}-\d{2}$/;

/** `COMMIT` / `END` (the statements whose answer is `ROLLBACK` when the transaction had aborted). */
const COMMIT = /^\s*(?:COMMIT|END)(?:\s+(?:WORK|TRANSACTION))?\s*;?\s*$/i;

/** The error of a `COMMIT` that PostgreSQL turned into a `ROLLBACK`. */
export function abortedCommitError(sql: string): TransactionAbortedError {
  return new TransactionAbortedError(
    'The transaction was rolled back, not committed: a statement in it failed, and PostgreSQL aborts the whole transaction on an error, ' +
      'so nothing of it was saved. Run statements that may fail in a savepoint (tx.transaction(fn)) to recover from them',
    { sql },
  );
}

class PgConnection implements DriverConnection {
  readonly #client: PgClient;
  #broken = false;

  constructor(client: PgClient) {
    this.#client = client;
    // An idle client whose server went away emits 'error'; without a listener Node would crash.
    client.on('error', () => {
      this.#broken = true;
    });
    client.on('end', () => {
      this.#broken = true;
    });
  }

  get broken(): boolean {
    return this.#broken;
  }

  get inTransaction(): boolean {
    const status = this.#client.getTransactionStatus?.();
    return status === 'T' || status === 'E';
  }

  async query(sql: string, params: readonly unknown[], name?: string): Promise<DriverResult> {
    let result: PgResult | PgResult[];
    try {
      // The extended protocol even without values: pg would send a statement without values as a
      // simple query, which runs every statement of `'UPDATE …; DELETE …'` (SQLite and MySQL
      // refuse several statements; script() is the way to send them).
      result = await this.#client.query(
        name === undefined ? { text: sql, values: params, queryMode: 'extended' } : { name, text: sql, values: params },
      );
    } catch (err) {
      if (isPgConnectionError(err)) this.#broken = true;
      throw mapPgError(err, sql);
    }
    // A pg too old for queryMode ran them all and answers with one result per statement.
    const res = Array.isArray(result) ? (result.at(-1) ?? { rows: [], rowCount: 0, command: '' }) : result;
    // A COMMIT of a transaction that a failed statement aborted succeeds as a ROLLBACK: nothing
    // was saved, and a caller told "committed" would lose the writes silently.
    if (res.command === 'ROLLBACK' && COMMIT.test(sql)) throw abortedCommitError(sql);
    const rows = res.rows;
    // PostgreSQL reports no id of its own: an INSERT gives one only through RETURNING.
    const lastInsertId = res.command === 'INSERT' ? returnedId(rows[0]) : null;
    return { rows, rowCount: res.rowCount ?? rows.length, lastInsertId };
  }

  async script(sql: string): Promise<void> {
    try {
      // Without values pg uses the simple query protocol, which takes several statements.
      await this.#client.query(sql);
    } catch (err) {
      if (isPgConnectionError(err)) this.#broken = true;
      throw mapPgError(err, sql);
    }
  }

  async close(): Promise<void> {
    this.#broken = true;
    try {
      await this.#client.end();
    } catch {
      // already gone
    }
  }
}

/**
 * PostgreSQL through `pg` (loaded on first connect). `int8` values (`COUNT(*)`, `BIGINT`) come
 * back as numbers when they fit in a double, else as `bigint`; `numeric` stays a string; a
 * `date` is a `Date` at UTC midnight of that day, whatever the process's time zone.
 *
 * @example
 * const driver = postgresDriver(DatabaseConfig.fromUrl(process.env.DATABASE_URL!))
 */
export function postgresDriver(config: DatabaseConfig): Driver {
  return {
    dialect: postgresDialect,
    async connect(): Promise<DriverConnection> {
      const pg = (await loadDriverModule('pg', 'pg', 'PostgreSQL')) as PgModule;
      const getTypeParser = (oid: number, format?: string): ((value: string) => unknown) => {
        if (oid === 20 && format !== 'binary') {
          return (value: string) => {
            const n = Number(value);
            return Number.isSafeInteger(n) ? n : BigInt(value);
          };
        }
        if (oid === DATE_OID && format !== 'binary') {
          // pg makes a DATE local midnight, which east of UTC is the previous day in UTC (and in
          // JSON). UTC midnight, as mysql2 gives in UTC: the same day on every server and zone.
          const fallback = pg.types.getTypeParser(oid, format);
          return (value: string) => (PLAIN_DATE.test(value) ? new Date(`${value}T00:00:00.000Z`) : fallback(value));
        }
        return pg.types.getTypeParser(oid, format);
      };
      const client = new pg.Client({
        host: config.host,
        ...(config.port === undefined ? {} : { port: config.port }),
        database: config.database,
        ...(config.username === undefined ? {} : { user: config.username }),
        ...(config.password === undefined ? {} : { password: config.password }),
        ...(config.ssl === undefined ? {} : { ssl: config.ssl }),
        connectionTimeoutMillis: config.connectTimeout * 1000,
        types: { getTypeParser },
        ...config.driverOptions,
      });
      // Errors during connect also arrive as 'error' events; swallow them, connect() rejects.
      client.on('error', () => {});
      try {
        await client.connect();
      } catch (err) {
        await client.end().catch(() => {});
        const reason = err instanceof Error ? err.message : String(err);
        throw new ConnectionError(
          `Could not connect to PostgreSQL at ${config.host}:${config.port ?? 5432} (database "${config.database}"): ${reason}`,
          {
            cause: err,
            ...(typeof (err as { code?: unknown }).code === 'string' ? { driverCode: (err as { code: string }).code } : {}),
          },
        );
      }
      return new PgConnection(client);
    },
  };
}
