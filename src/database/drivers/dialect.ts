import type { DriverName } from '../database-config.js';
import type { SqlSyntax } from '../sql-syntax.js';

/** The portable column kinds the ORM and the schema builder map to each dialect's types. */
export type ColumnKind =
  | 'integer'
  | 'bigint'
  | 'string'
  | 'text'
  | 'boolean'
  | 'float'
  | 'decimal'
  | 'datetime'
  | 'date'
  | 'json'
  | 'uuid'
  | 'binary';

/** One column as the live database describes it. */
export interface ColumnInfo {
  readonly name: string;
  /** The type as the server spells it, lower case (`integer`, `character varying(100)`, `text`). */
  readonly type: string;
  readonly nullable: boolean;
  readonly primaryKey: boolean;
  /** The default expression, or `null`. */
  readonly default: string | null;
}

/** One table of the live schema. */
export interface TableInfo {
  readonly name: string;
  readonly columns: readonly ColumnInfo[];
}

/** One index of a live table. */
export interface IndexInfo {
  readonly name: string;
  /** The indexed columns in order (an expression or partial index is left out of `indexesOf`). */
  readonly columns: readonly string[];
  readonly unique: boolean;
  /**
   * What made it: `CREATE INDEX` (`index`), a `UNIQUE` constraint (`unique`: a column's
   * `UNIQUE` in `CREATE TABLE`/`ADD COLUMN`, or `ADD CONSTRAINT … UNIQUE`), or the primary key.
   * On MySQL, where both are the same index, `unique` is a one-column unique index named after
   * its column, as a column's `UNIQUE` names it.
   */
  readonly origin: 'index' | 'unique' | 'primary';
}

/** Anything that can run a statement and return rows: a manager, transaction or connection. */
export interface RowFetcher {
  fetchAll<T = Record<string, unknown>>(sql: string, ...params: unknown[]): Promise<T[]>;
}

/**
 * Everything that differs between SQL dialects, in one place (as Kysely does): lexical rules and
 * placeholders (`SqlSyntax`), quoting, DDL types, capabilities, introspection and locks.
 */
export interface Dialect extends SqlSyntax {
  readonly name: DriverName;
  /** Human name for messages: `SQLite`, `PostgreSQL`, `MySQL`. */
  readonly title: string;
  /** `INSERT/UPDATE/DELETE … RETURNING` works. */
  readonly supportsReturning: boolean;
  /** DDL statements can run inside a transaction and roll back. */
  readonly transactionalDDL: boolean;
  /** `SQL` for the current timestamp, usable as a column default. */
  readonly now: string;
  /** Quotes one identifier (`users` → `"users"`); a dotted name is quoted part by part. */
  quote(identifier: string): string;
  /** The `LIMIT … OFFSET …` clause (empty when both are null). */
  limitOffset(limit: number | null, offset: number | null): string;
  /** The SQL type of a column kind (`length` for strings, `precision/scale` for decimals). */
  columnType(kind: ColumnKind, length?: number): string;
  /** The whole definition of an auto-increment integer primary key after its name. */
  autoIncrementPrimaryKey(kind: 'integer' | 'bigint'): string;
  /** The statements that open a transaction (with an isolation level when given). */
  begin(isolation?: IsolationLevel): readonly string[];
  /** The live tables and their columns (views excluded). */
  introspect(db: RowFetcher): Promise<TableInfo[]>;
  /** The columns of one table, or `null` when it does not exist. */
  columnsOf(db: RowFetcher, table: string): Promise<ColumnInfo[] | null>;
  /** The indexes of one table (none for a missing table), plain-column ones only, by name. */
  indexesOf(db: RowFetcher, table: string): Promise<IndexInfo[]>;
  /**
   * A session-wide named lock as `[acquire, release]`, or `null` when the dialect has none.
   * `acquire` either waits (and answers 1, or 0 on timeout) or tries once and answers `false`
   * when the lock is taken; the migrator polls it then.
   */
  lockSql(name: string): readonly [string, string] | null;
}

/** Transaction isolation levels (`db.transaction(fn, { isolation })`). */
export type IsolationLevel = 'read uncommitted' | 'read committed' | 'repeatable read' | 'serializable';

const ISOLATION_LEVELS: ReadonlySet<string> = new Set<IsolationLevel>([
  'read uncommitted',
  'read committed',
  'repeatable read',
  'serializable',
]);

/** Refuses anything but the four levels: the level is written into `BEGIN`/`SET TRANSACTION`. */
export function checkIsolation(isolation: unknown): void {
  if (isolation !== undefined && !(typeof isolation === 'string' && ISOLATION_LEVELS.has(isolation))) {
    throw new TypeError(
      `isolation must be one of ${[...ISOLATION_LEVELS].map((l) => `"${l}"`).join(', ')}, got ${JSON.stringify(isolation)}`,
    );
  }
}

/** Index rows (one per column, in order) to indexes; one with an unknown column (an expression) is left out. */
export function groupIndexes(
  rows: readonly { name: string; column: string | null; unique: boolean; origin: IndexInfo['origin'] }[],
): IndexInfo[] {
  const byName = new Map<string, { name: string; columns: (string | null)[]; unique: boolean; origin: IndexInfo['origin'] }>();
  for (const r of rows) {
    const index = byName.get(r.name);
    if (index === undefined) byName.set(r.name, { name: r.name, columns: [r.column], unique: r.unique, origin: r.origin });
    else index.columns.push(r.column);
  }
  return [...byName.values()].filter((i): i is IndexInfo & { columns: string[] } => i.columns.every((c) => c !== null));
}

/** Quotes with `q`, doubling any `q` inside; dotted names quote each part. */
export function quoteWith(identifier: string, q: string): string {
  if (identifier === '*') return identifier;
  return identifier
    .split('.')
    .map((part) => (part === '*' ? part : `${q}${part.split(q).join(q + q)}${q}`))
    .join('.');
}
